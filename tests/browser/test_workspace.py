"""A researcher and an auditor use the workspace in a real browser."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from gravesdb.sites.choices import LocationPrecision, SiteStatus
from tests.factories import SiteFactory, VictimEstimateFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PASSWORD = "not-a-real-password-42"  # tests.factories.UserFactory's


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Sites", exact=True)).to_be_visible()


@pytest.fixture
def seeded(transactional_db):
    call_command("loaddata", "seed", verbosity=0)
    verified = SiteFactory(
        name="Badush prison grave",
        alternative_names=["Badoush"],
        status=SiteStatus.VERIFIED,
        location_precision=LocationPrecision.EXACT,
        latitude="36.396000",
        longitude="42.948000",
    )
    VictimEstimateFactory(site=verified, best=500)
    kocho = SiteFactory(name="Kocho village grave", alternative_names=["Kojo", "كوجو"], latitude="36.216000", longitude="41.783000")
    VictimEstimateFactory(site=kocho, best=80)


def test_a_researcher_filters_maps_and_reads_the_khasfa_dossier(page, live_server, researcher, seeded, screenshot):
    log_in(page, live_server, researcher)
    expect(page.get_by_role("status")).to_contain_text("5 sites")

    page.get_by_label("Name or code").fill("كوجو")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("status")).to_contain_text("1 site")
    expect(page.get_by_role("link", name="Kocho village grave")).to_be_visible()
    screenshot("site-list-search")

    page.get_by_label("Remove filter Name or code: كوجو").click()
    page.get_by_label("Status").select_option("verified")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("status")).to_contain_text("1 site")
    expect(page.get_by_role("link", name="Badush prison grave")).to_be_visible()
    expect(page.get_by_role("link", name="Remove filter Status: Verified")).to_be_visible()
    screenshot("site-list-filtered")

    page.get_by_label("Remove filter Status: Verified").click()
    page.get_by_role("link", name="Show these sites on the map").click()
    expect(page.locator("#site-map")).to_have_attribute("data-loaded", "2")
    expect(page.locator("#map-status")).to_contain_text("Showing 2 of 2")
    assert page.locator("#site-map .leaflet-interactive, #site-map .marker-cluster").count() >= 1
    page.wait_for_timeout(800)  # let the cluster animation settle before the picture
    screenshot("site-map")

    page.goto(f"{live_server.url}/sites/IQ-NI-0001/")
    expect(page.get_by_role("heading", name="Khasfa sinkhole")).to_be_visible()
    estimates = page.get_by_role("table").filter(has_text="Wording in the source")
    expect(estimates).to_contain_text("4,000")
    expect(estimates).to_contain_text("some 4,000 IS victims")
    expect(page.locator("blockquote").first).to_contain_text("The bodies of some 4,000 IS victims have been buried")
    expect(page.get_by_role("link", name="Edit this site")).to_be_visible()
    screenshot("khasfa-dossier")
    page.emulate_media(media="print")
    expect(page.get_by_role("link", name="Edit this site")).to_be_hidden()
    screenshot("khasfa-dossier-print")


def test_an_auditor_sees_no_edit_controls(page, live_server, auditor, seeded, screenshot):
    log_in(page, live_server, auditor)
    page.get_by_role("link", name="Khasfa sinkhole").click()
    expect(page.get_by_role("heading", name="Khasfa sinkhole")).to_be_visible()
    expect(page.locator("blockquote").first).to_be_visible()
    for control in ("Edit this site", "Add an estimate"):
        expect(page.get_by_role("link", name=control)).to_have_count(0)
    expect(page.locator(".edit-controls")).to_have_count(0)
    assert page.get_by_role("button").all_inner_texts() == ["Log out"]
    screenshot("khasfa-dossier-auditor")


def test_the_keyboard_reaches_the_filters_and_the_results(page, live_server, researcher, seeded):
    log_in(page, live_server, researcher)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    focused = []
    for _ in range(6):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
    assert "id_q" in focused, focused
    assert re.search(r"site", page.title(), re.I)
