"""The reconciled range: figures from many sources side by side, computed in one query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gravesdb.sites.models import Site
from tests.factories import CitationFactory, SiteFactory, SourceFactory, VictimEstimateFactory

pytestmark = pytest.mark.django_db


def _estimate(site, source, count_type, as_of, low=None, best=None, high=None):
    return VictimEstimateFactory(
        site=site,
        citation=CitationFactory(source=source),
        count_type=count_type,
        as_of=as_of,
        low=low,
        best=best,
        high=high,
    )


@pytest.fixture
def khasfa():
    """Khasfa as the record might stand years on: press figures, an NGO range, exhumations, identifications."""
    site = SiteFactory(name="Khasfa sinkhole")
    telegraph, hrw, forensic_team, ministry = (SourceFactory() for _ in range(4))
    _estimate(site, telegraph, "reported", "2017-02", best=4000)
    _estimate(site, telegraph, "reported", "2016-11", low=3000)
    _estimate(site, hrw, "estimated", "2017-01", high=5000)
    _estimate(site, hrw, "estimated", "2016-12", low=60)
    _estimate(site, forensic_team, "exhumed", "2020-03", best=250)
    _estimate(site, forensic_team, "exhumed", "2019-05", best=120)
    _estimate(site, ministry, "identified", "2021-06", best=140)
    _estimate(site, ministry, "identified", "2019-01", best=90)
    return site


def test_range_runs_from_the_lowest_figure_to_the_highest(khasfa):
    site = Site.objects.with_reconciled_range().get(pk=khasfa.pk)
    assert (site.reconciled_low, site.reconciled_high) == (60, 5000)


def test_estimates_and_independent_sources_are_counted(khasfa):
    site = Site.objects.with_reconciled_range().get(pk=khasfa.pk)
    assert (site.estimate_count, site.source_count) == (8, 4)


def test_two_citations_of_one_source_count_as_one_source():
    site = SiteFactory()
    article = SourceFactory()
    _estimate(site, article, "reported", "2017-02", best=4000)
    _estimate(site, article, "reported", "2017-02", low=300)
    annotated = Site.objects.with_reconciled_range().get(pk=site.pk)
    assert (annotated.estimate_count, annotated.source_count) == (2, 1)


def test_latest_exhumed_is_the_most_recent_exhumation_count(khasfa):
    assert Site.objects.with_reconciled_range().get(pk=khasfa.pk).latest_exhumed == 250


def test_best_figure_comes_from_the_most_recent_estimate_of_the_strongest_count_type(khasfa):
    site = Site.objects.with_reconciled_range().get(pk=khasfa.pk)
    assert (site.reconciled_best, site.reconciled_best_count_type) == (140, "identified")


@pytest.mark.parametrize(
    ("estimates", "expected"),
    [
        ([("reported", "2023-01", 900), ("estimated", "2018-01", 700), ("exhumed", "2017-01", 500)], (500, "exhumed")),
        ([("reported", "2023-01", 900), ("estimated", "2018-01", 700)], (700, "estimated")),
        ([("reported", "2016-01", 900), ("reported", "2017-06", 800)], (800, "reported")),
    ],
    ids=["exhumed beats newer weaker", "estimated beats reported", "newest within a type"],
)
def test_strength_outranks_recency(estimates, expected):
    site = SiteFactory()
    for count_type, as_of, best in estimates:
        _estimate(site, SourceFactory(), count_type, as_of, best=best)
    annotated = Site.objects.with_reconciled_range().get(pk=site.pk)
    assert (annotated.reconciled_best, annotated.reconciled_best_count_type) == expected


def test_a_site_without_estimates_shows_no_range_and_zero_counts():
    site = Site.objects.with_reconciled_range().get(pk=SiteFactory().pk)
    assert (site.reconciled_low, site.reconciled_high, site.reconciled_best, site.latest_exhumed) == (None,) * 4
    assert (site.estimate_count, site.source_count) == (0, 0)


def test_each_site_gets_only_its_own_figures(khasfa):
    badush = SiteFactory(name="Badush prison grave")
    _estimate(badush, SourceFactory(), "reported", "2017-03", best=500)
    ranges = {
        s.pk: (s.reconciled_low, s.reconciled_high, s.estimate_count)
        for s in Site.objects.with_reconciled_range()
    }
    assert ranges == {khasfa.pk: (60, 5000, 8), badush.pk: (500, 500, 1)}


def test_filtering_the_list_on_estimates_does_not_multiply_the_figures(khasfa):
    reported = Site.objects.with_reconciled_range().filter(estimates__count_type="reported").distinct()
    assert [(s.pk, s.estimate_count, s.source_count) for s in reported] == [(khasfa.pk, 8, 4)]


def _queries_for_the_annotated_list() -> int:
    with CaptureQueriesContext(connection) as captured:
        rows = [(s.reference_code, s.reconciled_low, s.reconciled_high, s.source_count, s.latest_exhumed)
                for s in Site.objects.with_reconciled_range()]
    assert rows
    return len(captured)


def _sites_with_estimates(count: int) -> None:
    for _ in range(count):
        site = SiteFactory()
        _estimate(site, SourceFactory(), "reported", "2017-02", best=300)
        _estimate(site, SourceFactory(), "exhumed", "2019-05", low=120, high=130)


def test_the_list_costs_one_query_for_3_sites_and_for_30():
    _sites_with_estimates(3)
    with_3 = _queries_for_the_annotated_list()
    _sites_with_estimates(27)
    with_30 = _queries_for_the_annotated_list()
    assert with_3 == with_30 == 1
