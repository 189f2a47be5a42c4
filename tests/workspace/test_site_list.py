"""The site list as a researcher uses it: filter, search, sort, page, and undo a filter."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gravesdb.core.choices import Sensitivity
from gravesdb.sites.choices import LocationPrecision, SiteStatus, SiteType
from tests.factories import SiteFactory, VictimEstimateFactory

pytestmark = pytest.mark.django_db
URL = reverse("workspace:site_list")


def _codes(response):
    return re.findall(r'<td class="code"><a [^>]*>([A-Z]{2}-[A-Z0-9]+-\d+)</a>', response.content.decode())


def test_login_is_required(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("workspace:login"))


def test_home_opens_the_site_list(client_for, researcher):
    assert client_for(researcher).get("/")["Location"] == URL


def test_list_shows_the_count_and_each_site_with_its_reconciled_range(client_for, researcher):
    khasfa = SiteFactory(name="Khasfa sinkhole")
    VictimEstimateFactory(site=khasfa, low=None, best=4000, high=None)
    VictimEstimateFactory(site=khasfa, low=3000, best=None, high=None)
    SiteFactory(name="Badush prison grave")
    page = client_for(researcher).get(URL).content.decode()
    assert "2 sites" in page
    assert "3,000–4,000" in page
    assert "Khasfa sinkhole" in page and "Badush prison grave" in page


def test_each_row_shows_its_choices_by_label(client_for, researcher):
    SiteFactory(
        site_type=SiteType.SINKHOLE, sensitivity=Sensitivity.RESTRICTED, location_precision=LocationPrecision.LOCALITY
    )
    page = client_for(researcher).get(URL).content.decode()
    for label in ("Sinkhole", "Restricted", "Reported", "Locality"):
        assert f">{label}</" in page


def test_confidential_archived_and_merged_sites_stay_out_of_a_researchers_list(client_for, researcher, auditor):
    SiteFactory(name="Open grave")
    SiteFactory(name="Hidden grave", sensitivity=Sensitivity.CONFIDENTIAL)
    archived = SiteFactory(name="Archived grave")
    type(archived).objects.filter(pk=archived.pk).update(archived_at="2024-01-01T00:00:00Z")
    researcher_page = client_for(researcher).get(URL).content.decode()
    assert "1 site" in researcher_page and "Hidden grave" not in researcher_page
    assert "Archived grave" not in researcher_page
    auditor_page = client_for(auditor).get(URL).content.decode()
    assert "Hidden grave" in auditor_page and "2 sites" in auditor_page


def test_search_finds_arabic_and_latin_spellings(client_for, researcher):
    SiteFactory(name="Khasfa sinkhole", alternative_names=["al-Khasfa", "الخسفة"])
    SiteFactory(name="Badush prison grave", alternative_names=["Badoush"])
    client = client_for(researcher)
    for term in ("al-Khasfa", "الخسفة", "khasf"):
        page = client.get(URL, {"q": term}).content.decode()
        assert "Khasfa sinkhole" in page and "Badush" not in page, term


def test_active_filters_show_as_chips_that_remove_one_filter_each(client_for, researcher):
    SiteFactory(name="Khasfa sinkhole", status=SiteStatus.VERIFIED)
    SiteFactory(name="Badush prison grave", status=SiteStatus.REPORTED)
    response = client_for(researcher).get(URL, {"status": "verified", "country": "IQ", "sort": "name"})
    chips = response.context["chips"]
    assert [(c.label, c.value) for c in chips] == [("Country", "Iraq"), ("Status", "Verified")]
    status_chip = chips[1]
    assert "status" not in status_chip.remove_query and "country=IQ" in status_chip.remove_query
    assert "sort=name" in status_chip.remove_query
    page = response.content.decode()
    assert "Remove filter Status: Verified" in page
    assert "1 site" in page


def test_an_unreadable_filter_is_explained_and_the_page_still_answers(client_for, researcher):
    SiteFactory()
    response = client_for(researcher).get(URL, {"period_from": "last spring"})
    assert response.status_code == 200
    assert "is not an EDTF date" in response.content.decode()


def test_sort_by_most_victims_and_pages(client_for, researcher):
    sites = [SiteFactory(name=f"Grave {n}") for n in range(30)]
    for n, site in enumerate(sites):
        VictimEstimateFactory(site=site, best=(n + 1) * 10)
    client = client_for(researcher)
    first = client.get(URL, {"sort": "-victims", "per_page": 25})
    assert _codes(first)[0] == sites[-1].reference_code
    assert len(_codes(first)) == 25
    assert "Page 1 of 2" in first.content.decode()
    second = client.get(URL, {"sort": "-victims", "per_page": 25, "page": 2})
    assert _codes(second)[-1] == sites[0].reference_code
    assert not set(_codes(first)) & set(_codes(second))


def test_the_list_runs_a_fixed_number_of_queries_whatever_the_page_size(client_for, researcher):
    client = client_for(researcher)
    params = {"country": "IQ", "min_victims": 1, "q": "grave", "sort": "-victims", "per_page": 200}

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, params).status_code == 200
        return len(captured)

    site = SiteFactory(name="Grave 0")
    VictimEstimateFactory(site=site)
    few = queries()
    for n in range(40):
        VictimEstimateFactory(site=SiteFactory(name=f"Grave {n + 1}"))
    assert queries() == few


def test_readers_without_exact_location_see_coarsened_points(client, coarse_reader, auditor):
    SiteFactory(latitude="36.188123", longitude="43.139456")
    client.force_login(coarse_reader)
    page = client.get(URL).content.decode()
    assert "36.188123" not in page and "36.150000, 43.150000" in page and "coarsened" in page
    client.force_login(auditor)
    assert "36.188123, 43.139456" in client.get(URL).content.decode()


def test_names_in_any_script_keep_their_own_direction(client_for, researcher):
    SiteFactory(name="الخسفة", alternative_names=["Khasfa"])
    page = client_for(researcher).get(URL).content.decode()
    assert 'dir="auto">الخسفة</a>' in page
    assert "<bdi>Khasfa</bdi>" in page


def test_export_links_to_the_site_report_with_the_same_filters(client_for, researcher):
    SiteFactory()
    page = client_for(researcher).get(URL, {"status": "verified", "sort": "name", "page": 1}).content.decode()
    assert 'href="/exchange/site-report/?status=verified"' in page
    for options in ("format=xlsx", "excel=1", "format=geojson", "estimates=1&amp;format=json", "format=json&amp;manifest=1"):
        assert f'href="/exchange/site-report/?status=verified&amp;{options}"' in page, options
    assert "<script" not in page.split('class="export-menu"')[1].split("</details>")[0]


def test_no_export_menu_without_the_export_permission(client, coarse_reader):
    SiteFactory()
    client.force_login(coarse_reader)
    assert "/exchange/site-report/" not in client.get(URL).content.decode()
