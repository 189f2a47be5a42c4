"""The deduplication pages as a data manager uses them, and who may not."""

from decimal import Decimal

import pytest
from django.urls import reverse

from gravesdb.dedup.models import DistinctSitesJudgement, SiteMerge
from gravesdb.sites.choices import LocationPrecision
from gravesdb.sites.models import Site
from tests.factories import SiteFactory, VictimEstimateFactory

pytestmark = pytest.mark.django_db

CANDIDATES = reverse("admin:dedup_sitemerge_candidates")
MERGE = reverse("admin:dedup_sitemerge_merge")


@pytest.fixture
def pair():
    return (
        SiteFactory(name="Khasfa sinkhole", alternative_names=[], latitude=Decimal("36.188"), longitude=Decimal("43.139")),
        SiteFactory(
            name="الخسفة",
            alternative_names=["Khafsa"],
            latitude=Decimal("36.1905"),
            longitude=Decimal("43.1415"),
            location_precision=LocationPrecision.EXACT,
        ),
    )


def test_the_candidates_page_shows_each_pair_with_the_parts_of_its_score(client_for, data_manager, pair):
    a, b = pair
    page = client_for(data_manager).get(CANDIDATES).content.decode()

    assert a.reference_code in page and b.reference_code in page
    assert "0.36 km apart" in page
    assert "both in IQ-NI" in page
    assert "2 sites screened" in page


@pytest.mark.parametrize("url", [CANDIDATES, MERGE])
def test_a_researcher_may_not_see_candidates_or_merge(client_for, researcher, pair, url):
    assert client_for(researcher).get(url).status_code == 403


def test_not_the_same_site_removes_the_pair_for_good(client_for, data_manager, pair):
    a, b = pair
    client = client_for(data_manager)
    response = client.post(CANDIDATES, {"site_a": a.pk, "site_b": b.pk, "reason": "Two sinkholes, 300 m apart"})

    assert response.status_code == 302
    assert DistinctSitesJudgement.objects.get().created_by == data_manager
    page = client.get(CANDIDATES).content.decode()
    assert "will not be proposed again" in page
    assert "No candidates at this score." in page


def test_merging_from_the_admin_takes_the_values_chosen_field_by_field(client_for, data_manager, pair):
    a, b = pair
    VictimEstimateFactory(site=b)
    client = client_for(data_manager)
    form = client.get(MERGE, {"sites": [a.pk, b.pk]}).content.decode()
    assert 'name="choice_location"' in form and "1 estimates" in form

    response = client.post(
        MERGE,
        {
            "sites": [a.pk, b.pk],
            "survivor": a.pk,
            "choice_name": a.pk,
            "choice_location": b.pk,
            "reason": "One sinkhole in two lists",
        },
    )

    merge = SiteMerge.objects.get()
    assert response.url == reverse("admin:dedup_sitemerge_change", args=[merge.pk])
    a.refresh_from_db()
    assert a.name == "Khasfa sinkhole" and a.location_precision == LocationPrecision.EXACT
    assert a.estimates.count() == 1
    record = client.get(response.url).content.decode()
    assert "Undo this merge" in record and "sites.victimestimate" in record


def test_a_merged_away_site_page_links_to_the_survivor(client_for, data_manager, pair):
    a, b = pair
    client = client_for(data_manager)
    client.post(MERGE, {"sites": [a.pk, b.pk], "survivor": a.pk, "reason": "One sinkhole"})

    page = client.get(reverse("admin:sites_site_change", args=[b.pk])).content.decode()
    assert reverse("admin:sites_site_change", args=[a.pk]) in page
    assert str(a) in page


def test_undo_from_the_admin_puts_the_sites_back(client_for, data_manager, pair):
    a, b = pair
    client = client_for(data_manager)
    client.post(MERGE, {"sites": [a.pk, b.pk], "survivor": a.pk, "reason": "One sinkhole"})
    merge = SiteMerge.objects.get()

    response = client.post(reverse("admin:dedup_sitemerge_undo", args=[merge.pk]), {"reason": "Two sinkholes"})

    assert response.status_code == 302
    assert set(Site.objects.current()) == {a, b}
    a.refresh_from_db()
    assert a.alternative_names == []


def test_merging_by_reference_code(client_for, data_manager, pair):
    a, b = pair
    form = client_for(data_manager).get(MERGE, {"codes": f"{a.reference_code}, {b.reference_code}"}).content.decode()
    assert 'name="survivor" value="%s" checked' % a.pk in form


def test_a_sites_page_leads_to_the_candidates_that_include_it(client_for, data_manager, pair):
    a, b = pair
    SiteFactory(name="Kocho village grave", alternative_names=[])
    client = client_for(data_manager)

    page = client.get(reverse("admin:sites_site_change", args=[a.pk])).content.decode()
    assert f"{CANDIDATES}?site={a.pk}" in page

    candidates = client.get(CANDIDATES, {"site": a.pk}).content.decode()
    assert b.reference_code in candidates
    assert "Pairs that include" in candidates


def test_the_list_of_merges_costs_the_same_queries_however_many_merges(client_for, data_manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gravesdb.dedup.services import sites_merge

    client = client_for(data_manager)
    changelist = reverse("admin:dedup_sitemerge_changelist")

    def merges(n):
        for _ in range(n):
            a, b, c = SiteFactory(), SiteFactory(), SiteFactory()
            sites_merge(survivor=a, merged=[b, c], reason="Three lists, one grave", actor=data_manager)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(changelist).status_code == 200
        return len(queries)

    assert merges(1) == merges(4)


def test_an_auditor_reads_merges_and_judgements_but_cannot_merge_undo_or_judge(client_for, auditor, data_manager, pair):
    from gravesdb.dedup.services import sites_judge_distinct, sites_merge

    a, b = pair
    merge = sites_merge(survivor=a, merged=[b], reason="One sinkhole, two spellings", actor=data_manager)
    c, d = SiteFactory(), SiteFactory()
    sites_judge_distinct(site_a=c, site_b=d, reason="Two pits 300 m apart", actor=data_manager)
    client = client_for(auditor)

    merges = client.get(reverse("admin:dedup_sitemerge_changelist"))
    assert merges.status_code == 200 and a.reference_code in merges.content.decode()
    assert CANDIDATES not in merges.content.decode()  # no link to a page that would refuse them
    page = client.get(reverse("admin:dedup_sitemerge_change", args=[merge.pk])).content.decode()
    assert "One sinkhole, two spellings" in page and b.reference_code in page
    assert 'name="_save"' not in page and reverse("admin:dedup_sitemerge_undo", args=[merge.pk]) not in page
    judgements = client.get(reverse("admin:dedup_distinctsitesjudgement_changelist")).content.decode()
    assert "Two pits 300 m apart" in judgements

    assert client.post(reverse("admin:dedup_sitemerge_undo", args=[merge.pk]), {"reason": "x"}).status_code == 403
    assert client.get(CANDIDATES).status_code == 403
    assert client.post(MERGE, {"sites": [str(c.pk), str(d.pk)], "reason": "x"}).status_code == 403
    merge.refresh_from_db()
    assert not merge.is_undone
