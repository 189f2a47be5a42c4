"""The site admin as researchers and auditors use it, through real admin pages."""

import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pghistory.models import Events

from gravesdb.sites.choices import FigureQualifier, SiteStatus
from gravesdb.sites.models import Site, SiteStatusChange
from tests.factories import CitationFactory, SiteCitationFactory, SiteFactory, VictimEstimateFactory

pytestmark = pytest.mark.django_db


def _site_form(**overrides):
    """A complete POST for the site add form, with empty inline management forms."""
    data = {
        "name": "Khasfa sinkhole",
        "alternative_names": "al-Khasfa,Khafsa",
        "sensitivity": "public",
        "country": "IQ",
        "first_level_area": "IQ-NI",
        "second_level_area": "Mosul District",
        "locality": "",
        "latitude": "36.219000",
        "longitude": "43.105000",
        "location_precision": "approximate",
        "status": "reported",
        "site_type": "sinkhole",
        "deposition": "buried",
        "remains_state": "unknown",
        "protection_status": "unprotected",
        "period": "2014-06/2016-12",
        "alleged_perpetrator": "Islamic State",
        "first_reported_on": "2017-02-18",
        "description": "",
        "change_reason": "Entered from the February 2017 article",
    }
    for prefix in ("estimates", "site_citations", "status_changes", "relations_from"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(overrides)
    return data


def test_branded_as_gravesdb(client_for, researcher):
    page = client_for(researcher).get(reverse("admin:index")).content.decode()
    assert "gravesdb" in page
    assert "Django administration" not in page


def test_researcher_adds_a_site_with_code_status_record_and_history(client_for, researcher):
    response = client_for(researcher).post(reverse("admin:sites_site_add"), _site_form())
    assert response.status_code == 302, response.context["adminform"].errors if response.context else response

    site = Site.objects.get(name="Khasfa sinkhole")
    assert site.reference_code == "IQ-NI-0001"
    assert site.alternative_names == ["al-Khasfa", "Khafsa"]
    assert site.created_by == researcher and site.updated_by == researcher
    first_step = SiteStatusChange.objects.get(site=site)
    assert (first_step.from_status, first_step.to_status) == ("", SiteStatus.REPORTED)

    insert = Events.objects.tracks(site).get(pgh_label="insert")
    assert insert.pgh_context["username"] == "researcher"
    assert insert.pgh_context["reason"] == "Entered from the February 2017 article"


def test_edit_is_shown_as_a_readable_diff_with_who_and_why(client_for, researcher):
    site = SiteFactory(name="Badush prison grave")
    client = client_for(researcher)
    change_url = reverse("admin:sites_site_change", args=[site.pk])
    form = _site_form(
        name="Badush prison mass grave", change_reason="Name as in the UNAMI report", expected_version=site.version
    )
    form.pop("status")
    assert client.post(change_url, form).status_code == 302

    history = client.get(reverse("admin:sites_site_history", args=[site.pk])).content.decode()
    assert "Badush prison grave" in history and "Badush prison mass grave" in history
    assert "researcher" in history
    assert "Name as in the UNAMI report" in history


def test_status_follows_the_life_cycle_in_the_admin(client_for, researcher):
    site = SiteFactory(status=SiteStatus.REPORTED)
    citation = CitationFactory()
    client = client_for(researcher)
    url = reverse("admin:sites_site_change", args=[site.pk])

    def step(to_status):
        form = _site_form(name=site.name, **{
            "status_changes-TOTAL_FORMS": "1",
            "status_changes-0-to_status": to_status,
            "status_changes-0-changed_on": "2017-03",
            "status_changes-0-reason": "Visited by the team",
            "status_changes-0-citation": str(citation.pk),
            "status_changes-0-site": str(site.pk),
            "expected_version": Site.objects.get(pk=site.pk).version,
        })
        form.pop("status")
        return client.post(url, form)

    refused = step(SiteStatus.PROTECTED)
    assert refused.status_code == 200
    assert "cannot go from “Reported” to “Protected”" in refused.content.decode()
    site.refresh_from_db()
    assert site.status == SiteStatus.REPORTED

    assert step(SiteStatus.VERIFIED).status_code == 302
    site.refresh_from_db()
    assert site.status == SiteStatus.VERIFIED
    change = site.status_changes.get(to_status=SiteStatus.VERIFIED)
    assert change.from_status == SiteStatus.REPORTED and change.created_by.username == "researcher"


def test_changelist_shows_reconciled_range_in_a_fixed_number_of_queries(client_for, auditor):
    client = client_for(auditor)
    url = reverse("admin:sites_site_changelist")

    def queries_for_page():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    site = SiteFactory()
    VictimEstimateFactory(site=site, low=300, best=350, high=None)
    VictimEstimateFactory(site=site, low=None, best=None, high=4000)
    few = queries_for_page()
    for _ in range(20):
        VictimEstimateFactory(site=SiteFactory())
    many = queries_for_page()
    assert many == few

    page = client.get(url).content.decode()
    assert "300–4,000" in page


def test_the_changelist_shows_at_least_300_policemen_open_above(client_for, auditor):
    call_command("loaddata", "seed", verbosity=0)
    page = client_for(auditor).get(reverse("admin:sites_site_changelist")).content.decode()
    row = re.search(r"<tr>(?:(?!</tr>).)*IQ-NI-0002.*?</tr>", page, re.S).group(0)
    assert re.search(r'<td class="field-reconciled_range">\s*≥ 300\s*</td>', row), row
    assert "300–300" not in row


def test_estimates_are_entered_and_listed_with_their_qualifier_and_running_total(client_for, researcher):
    site = SiteFactory()
    VictimEstimateFactory(site=site, low=300, best=None, qualifier=FigureQualifier.AT_LEAST, wording="at least 300")
    VictimEstimateFactory(site=site, best=435, is_cumulative=True, wording="435 exhumed so far")
    client = client_for(researcher)

    change_form = client.get(reverse("admin:sites_site_change", args=[site.pk])).content.decode()
    assert 'name="estimates-0-qualifier"' in change_form and 'name="estimates-0-is_cumulative"' in change_form
    assert "is_approximate" not in change_form  # it follows the qualifier; nobody types it
    assert 'name="qualifier"' in client.get(reverse("admin:sites_victimestimate_add")).content.decode()

    changelist = reverse("admin:sites_victimestimate_changelist")
    listed = client.get(changelist).content.decode()
    assert "≥ 300" in listed and "At least (no upper bound)" in listed
    at_least = client.get(changelist, {"qualifier__exact": "at_least"}).content.decode()
    assert "≥ 300" in at_least and "435" not in at_least
    running = client.get(changelist, {"is_cumulative__exact": "1"}).content.decode()
    assert "435" in running and "≥ 300" not in running


def test_search_finds_a_site_by_alternative_name(client_for, researcher):
    SiteFactory(name="Khasfa sinkhole", alternative_names=["al-Khasfa", "الخسفة"])
    SiteFactory(name="Badush", alternative_names=[])
    page = client_for(researcher).get(reverse("admin:sites_site_changelist"), {"q": "الخسفة"}).content.decode()
    assert "Khasfa sinkhole" in page
    assert "Badush" not in page


def test_filters_for_count_type_and_status(client_for, researcher):
    exhumed_site = SiteFactory(name="Exhumed grave")
    VictimEstimateFactory(site=exhumed_site, count_type="exhumed")
    VictimEstimateFactory(site=SiteFactory(name="Only reported"), count_type="reported")
    page = client_for(researcher).get(reverse("admin:sites_site_changelist"), {"count_type": "exhumed"}).content.decode()
    assert "Exhumed grave" in page and "Only reported" not in page


def test_count_type_and_organisation_filters_are_the_site_lists_and_count_a_site_once(client_for, researcher):
    site = SiteFactory(name="Exhumed twice")
    first = VictimEstimateFactory(site=site, count_type="exhumed")
    VictimEstimateFactory(site=site, count_type="exhumed", producing_organization=first.producing_organization)
    cited = SiteCitationFactory(site=SiteFactory(name="Cited by the publisher"))
    VictimEstimateFactory(site=SiteFactory(name="Someone else's"), count_type="reported")
    client = client_for(researcher)
    url = reverse("admin:sites_site_changelist")
    page = client.get(url, {"count_type": "exhumed"})
    assert [s.name for s in page.context["cl"].result_list] == ["Exhumed twice"] and page.context["cl"].result_count == 1
    page = client.get(url, {"organization": str(first.producing_organization_id)})
    assert [s.name for s in page.context["cl"].result_list] == ["Exhumed twice"]
    # As on the workspace's site list: a publisher of a source cited for the site counts too.
    publisher = cited.citation.source.publisher
    page = client.get(url, {"organization": str(publisher.pk)})
    assert [s.name for s in page.context["cl"].result_list] == ["Cited by the publisher"]
    assert publisher.name in page.content.decode()  # offered in the filter


def test_an_invalid_filter_value_is_refused_rather_than_ignored(client_for, researcher):
    SiteFactory()
    response = client_for(researcher).get(reverse("admin:sites_site_changelist"), {"count_type": "bogus"})
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


@pytest.mark.parametrize("role, sees_link", [("data_manager", True), ("auditor", False), ("researcher", False)])
def test_the_duplicates_link_is_offered_only_to_those_who_may_merge(request, client_for, role, sees_link):
    site = SiteFactory(name="Khasfa sinkhole")
    page = client_for(request.getfixturevalue(role)).get(reverse("admin:sites_site_change", args=[site.pk]))
    assert page.status_code == 200
    assert (reverse("admin:dedup_sitemerge_candidates") in page.content.decode()) is sees_link
