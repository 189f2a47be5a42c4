"""The sites API: same filters, visibility and validation as the pages and the admin."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pghistory.models import Events
from rest_framework.test import APIClient

from gravesdb.core.choices import Sensitivity
from gravesdb.sites.choices import SiteStatus
from gravesdb.sites.models import Site, SiteStatusChange
from tests.factories import CitationFactory, SiteFactory, VictimEstimateFactory

pytestmark = pytest.mark.django_db
SITES = reverse("api:site-list")


def _site(pk):
    return reverse("api:site-detail", args=[pk])


def test_anonymous_callers_get_nothing():
    SiteFactory()
    assert APIClient().get(SITES).status_code in (401, 403)


def test_list_uses_the_page_filters_and_hides_confidential_sites(api_for, researcher, auditor):
    SiteFactory(name="Khasfa sinkhole", alternative_names=["الخسفة"], status=SiteStatus.VERIFIED)
    SiteFactory(name="Badush prison grave", alternative_names=["Badoush"])
    SiteFactory(name="Hidden grave", alternative_names=[], sensitivity=Sensitivity.CONFIDENTIAL)
    researcher_api = api_for(researcher)
    names = [s["name"] for s in researcher_api.get(SITES).json()["results"]]
    assert names == ["Khasfa sinkhole", "Badush prison grave"]
    assert [s["name"] for s in researcher_api.get(SITES, {"q": "الخسفة"}).json()["results"]] == ["Khasfa sinkhole"]
    assert [s["name"] for s in researcher_api.get(SITES, {"status": "verified"}).json()["results"]] == [
        "Khasfa sinkhole"
    ]
    assert len(api_for(auditor).get(SITES).json()["results"]) == 3


def test_a_confidential_site_is_not_found_rather_than_forbidden(api_for, researcher):
    hidden = SiteFactory(sensitivity=Sensitivity.CONFIDENTIAL)
    assert api_for(researcher).get(_site(hidden.pk)).status_code == 404


def test_an_unreadable_filter_is_a_400_with_the_reason(api_for, researcher):
    response = api_for(researcher).get(SITES, {"period_from": "last spring"})
    assert response.status_code == 400 and "period_from" in response.json()


def test_cursor_pages_walk_every_site_once(api_for, auditor):
    created = {SiteFactory().reference_code for _ in range(7)}
    api, seen, url = api_for(auditor), [], SITES + "?page_size=3"
    while url:
        page = api.get(url).json()
        seen += [s["reference_code"] for s in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(created) and len(seen) == 7


def test_site_shows_its_reconciled_range(api_for, researcher):
    site = SiteFactory()
    VictimEstimateFactory(site=site, low=None, best=4000, high=None)
    VictimEstimateFactory(site=site, low=300, best=None, high=None)
    data = api_for(researcher).get(_site(site.pk)).json()
    assert (data["reconciled_low"], data["reconciled_high"], data["estimate_count"]) == (300, 4000, 2)


def test_coordinates_are_coarsened_without_the_permission(api_for, researcher, auditor):
    site = SiteFactory(latitude="36.188123", longitude="43.139456")
    coarse = api_for(researcher).get(_site(site.pk)).json()
    assert (coarse["latitude"], coarse["longitude"], coarse["location_coarsened"]) == ("36.150000", "43.150000", True)
    exact = api_for(auditor).get(_site(site.pk)).json()
    assert (exact["latitude"], exact["longitude"], exact["location_coarsened"]) == ("36.188123", "43.139456", False)


def test_ordering_by_coordinates_is_not_offered(api_for, researcher):
    a, b = SiteFactory(latitude="10.000000", longitude="10.000000"), SiteFactory(latitude="9.000000", longitude="9.000000")
    codes = [s["reference_code"] for s in api_for(researcher).get(SITES, {"ordering": "latitude"}).json()["results"]]
    assert codes == sorted([a.reference_code, b.reference_code])


def _new_site(**overrides):
    return {
        "name": "Kocho village grave",
        "alternative_names": ["Kojo", "كوجو"],
        "country": "IQ",
        "first_level_area": "IQ-NI",
        "latitude": "36.216000",
        "longitude": "41.783000",
        "location_precision": "approximate",
        "site_type": "pit",
        "status": "verified",
        "period": "2014-08",
        "sensitivity": "restricted",
        **overrides,
    }


def test_a_researcher_creates_a_site_with_history_and_a_first_status_step(api_for, researcher):
    response = api_for(researcher).post(
        SITES, _new_site(), format="json", HTTP_X_CHANGE_REASON="From the UNITAD briefing"
    )
    assert response.status_code == 201, response.json()
    site = Site.objects.get(pk=response.json()["id"])
    assert site.reference_code.startswith("IQ-NI-") and site.created_by == researcher
    assert site.status == SiteStatus.VERIFIED
    assert SiteStatusChange.objects.get(site=site).from_status == ""
    event = Events.objects.tracks(site).get(pgh_label="insert")
    assert event.pgh_context["username"] == "researcher"
    assert event.pgh_context["reason"] == "From the UNITAD briefing"


def test_writes_go_through_the_models_validation(api_for, researcher):
    api = api_for(researcher)
    response = api.post(SITES, _new_site(country="XX", first_level_area=""), format="json")
    assert response.status_code == 400 and "country" in response.json()
    response = api.post(SITES, _new_site(first_level_area="ES-AN"), format="json")
    assert response.status_code == 400
    response = api.post(SITES, _new_site(period="the summer"), format="json")
    assert response.status_code == 400 and "period" in response.json()
    assert not Site.objects.exists()


def test_status_moves_only_by_a_recorded_step(api_for, researcher):
    api = api_for(researcher)
    site = Site.objects.get(pk=api.post(SITES, _new_site(status="reported"), format="json").json()["id"])
    patched = api.patch(_site(site.pk), {"status": "closed", "name": "Kocho grave", "version": site.version}, format="json")
    assert patched.status_code == 200 and patched.json()["status"] == "reported"
    steps = reverse("api:site-status-changes", args=[site.pk])
    refused = api.post(steps, {"to_status": "protected", "changed_on": "2017-03", "reason": "Fenced"}, format="json")
    assert refused.status_code == 400
    citation = CitationFactory()
    moved = api.post(
        steps,
        {"to_status": "verified", "changed_on": "2017-03", "reason": "Site visit", "citation": str(citation.pk)},
        format="json",
    )
    assert moved.status_code == 201 and moved.json()["status"] == "verified"
    assert SiteStatusChange.objects.filter(site=site, to_status="verified", created_by=researcher).exists()


def test_a_researcher_cannot_mark_a_site_confidential_it_could_then_not_see(api_for, researcher):
    response = api_for(researcher).post(SITES, _new_site(sensitivity="confidential"), format="json")
    assert response.status_code == 400 and "sensitivity" in response.json()


def test_an_auditor_reads_but_cannot_write_and_nobody_deletes(api_for, auditor, data_manager):
    site = SiteFactory()
    api = api_for(auditor)
    assert api.get(_site(site.pk)).status_code == 200
    assert api.post(SITES, _new_site(), format="json").status_code == 403
    assert api.patch(_site(site.pk), {"name": "x"}, format="json").status_code == 403
    assert api_for(data_manager).delete(_site(site.pk)).status_code in (403, 405)
    assert Site.objects.filter(pk=site.pk).exists()


def test_the_list_runs_a_fixed_number_of_queries_whatever_the_page_size(api_for, auditor):
    api = api_for(auditor)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert api.get(SITES, {"page_size": 200, "q": "grave", "min_victims": 1}).status_code == 200
        return len(captured)

    VictimEstimateFactory(site=SiteFactory(name="Grave 0"))
    few = queries()
    for n in range(30):
        VictimEstimateFactory(site=SiteFactory(name=f"Grave {n + 1}"))
    assert queries() == few
