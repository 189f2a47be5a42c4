"""Honest figures: open bounds stay open, running totals count at their latest, dates order one way."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gravesdb.sites import figures
from gravesdb.sites.choices import COUNT_TYPE_RANK, EXCLUSIVE, OPEN_ABOVE, OPEN_BELOW, FigureQualifier
from gravesdb.sites.models import Site, VictimEstimate
from tests.factories import CitationFactory, OrganizationFactory, SiteFactory, VictimEstimateFactory

pytestmark = pytest.mark.django_db

classification = importlib.import_module("gravesdb.sites.migrations.0015_classify_estimate_wording")


def _reconciled(site):
    s = Site.objects.with_reconciled_range().get(pk=site.pk)
    return s.reconciled_low, s.reconciled_low_bound, s.reconciled_high, s.reconciled_high_bound, s.reconciled_best


def _estimate(site, qualifier, low=None, best=None, high=None, **fields):
    return VictimEstimateFactory(site=site, qualifier=qualifier, low=low, best=best, high=high, **fields)


@pytest.mark.parametrize(
    ("qualifier", "figures_given", "expected"),
    [
        ("exact", {"best": 100}, (100, "inclusive", 100, "inclusive", 100)),
        ("exact", {"low": 20, "high": 30}, (20, "inclusive", 30, "inclusive", None)),
        ("approximate", {"best": 4000}, (4000, "inclusive", 4000, "inclusive", 4000)),
        ("at_least", {"low": 300}, (300, "inclusive", None, "open", None)),
        ("at_least", {"low": 300, "best": 400}, (300, "inclusive", None, "open", 400)),
        ("more_than", {"low": 100}, (100, "exclusive", None, "open", None)),
        ("up_to", {"high": 4000}, (None, "open", 4000, "inclusive", None)),
        ("fewer_than", {"high": 50}, (None, "open", 50, "exclusive", None)),
        ("unclassified", {"low": 300}, (300, "inclusive", 300, "inclusive", None)),
    ],
)
def test_one_estimate_reconciles_to_what_its_qualifier_allows(qualifier, figures_given, expected):
    site = SiteFactory()
    _estimate(site, qualifier, **figures_given)
    assert _reconciled(site) == expected


def test_the_seed_policemen_grave_is_at_least_300_with_no_high_and_no_best():
    from django.core.management import call_command

    call_command("loaddata", "seed", verbosity=0)
    policemen = Site.objects.get(reference_code="IQ-NI-0002")
    assert _reconciled(policemen) == (300, "inclusive", None, "open", None)
    khasfa = Site.objects.get(reference_code="IQ-NI-0001")
    assert _reconciled(khasfa) == (4000, "inclusive", 4000, "inclusive", 4000)


def test_an_open_high_stays_open_unless_a_higher_figure_closes_it():
    site = SiteFactory()
    _estimate(site, "at_least", low=300)
    _estimate(site, "exact", best=200)
    assert _reconciled(site)[:4] == (200, "inclusive", None, "open")
    _estimate(site, "approximate", best=500, is_approximate=True)
    assert _reconciled(site)[:4] == (200, "inclusive", 500, "inclusive")


def test_an_open_high_is_closed_only_beyond_its_own_best():
    site = SiteFactory()
    _estimate(site, "at_least", low=300, best=400)
    _estimate(site, "exact", best=350)
    assert _reconciled(site)[:4] == (300, "inclusive", None, "open")
    _estimate(site, "exact", best=400)
    assert _reconciled(site)[:4] == (300, "inclusive", 400, "inclusive")


def test_more_than_a_figure_is_not_closed_by_that_figure():
    site = SiteFactory()
    _estimate(site, "more_than", low=100)
    _estimate(site, "exact", best=100)
    assert _reconciled(site)[:4] == (100, "inclusive", None, "open")


def test_an_open_low_stays_open_unless_a_lower_figure_closes_it():
    site = SiteFactory()
    _estimate(site, "up_to", high=4000)
    _estimate(site, "exact", best=5000)
    assert _reconciled(site)[:4] == (None, "open", 5000, "inclusive")
    _estimate(site, "exact", best=300)
    assert _reconciled(site)[:4] == (300, "inclusive", 5000, "inclusive")


def test_a_site_without_estimates_has_no_range():
    assert _reconciled(SiteFactory()) == (None, None, None, None, None)


# Tomašica-like: one team's exhumed total "so far", reported week after week, dated at
# different precisions; one later report of another producer; one plain count.
SERIES = [("2013-08", 20), ("2013-09-10", 268), ("2013-10", 360), ("2013-10-24", 397), ("2013-11-05", 435)]


@pytest.fixture
def tomasica():
    site = SiteFactory(name="Tomašica")
    team = OrganizationFactory(name="Exhumation team")
    # Entered out of order, as a data manager catching up would: dates decide, not entry order.
    for as_of, best in [SERIES[3], SERIES[0], SERIES[4], SERIES[1], SERIES[2]]:
        _estimate(site, "exact", best=best, count_type="exhumed", as_of=as_of, is_cumulative=True,
                  producing_organization=team, wording=f"{best} bodies exhumed so far")
    return site, team


def test_a_running_total_supersedes_the_earlier_totals_of_its_series(tomasica):
    site, _team = tomasica
    assert _reconciled(site) == (435, "inclusive", 435, "inclusive", 435)
    annotated = Site.objects.with_reconciled_range().get(pk=site.pk)
    assert annotated.latest_exhumed == 435
    assert annotated.reconciled_best_count_type == "exhumed"
    assert annotated.estimate_count == 5  # the series stays on the record
    superseded = dict(VictimEstimate.objects.filter(site=site).with_superseded().values_list("best", "is_superseded"))
    assert superseded == {20: True, 268: True, 360: True, 397: True, 435: False}


def test_other_producers_and_plain_counts_are_not_superseded(tomasica):
    site, _team = tomasica
    _estimate(site, "exact", best=500, count_type="exhumed", as_of="2013-12", is_cumulative=True,
              producing_organization=OrganizationFactory(name="Another team"))
    _estimate(site, "exact", best=100, count_type="exhumed", as_of="2013-12")
    assert _reconciled(site)[:4] == (100, "inclusive", 500, "inclusive")
    in_effect = set(VictimEstimate.objects.filter(site=site).in_effect().values_list("best", flat=True))
    assert in_effect == {435, 500, 100}


def test_an_archived_running_total_gives_way_to_the_one_before(tomasica):
    site, _team = tomasica
    VictimEstimate.objects.filter(site=site, best=435).update(archived_at=datetime.datetime.now(datetime.UTC))
    assert _reconciled(site)[4] == 397


AS_OF = ["2013-10-24", "2013", "2018-11-06", "2018-11", "", "../2016-11", "2016-11/2017-02", "2016-11"]


def test_dates_of_any_precision_order_one_way_in_sql_and_python():
    site = SiteFactory()
    for as_of in AS_OF:
        _estimate(site, "exact", best=1, as_of=as_of)
    estimates = VictimEstimate.objects.filter(site=site)
    in_sql = [e.as_of for e in estimates.chronological()]
    assert in_sql == [e.as_of for e in sorted(estimates, key=figures.chronological_key)]
    # Undated reads as "any day": it begins before every known first day and ends after
    # every last one. "2016-11" and "2016-11/2017-02" begin together; the longer ends later.
    assert in_sql == ["../2016-11", "", "2013", "2013-10-24", "2016-11", "2016-11/2017-02", "2018-11", "2018-11-06"]
    assert [e.as_of for e in estimates.most_recent_first()] == in_sql[::-1]


def test_the_best_figure_comes_from_the_strongest_type_then_the_latest_date():
    site = SiteFactory()
    _estimate(site, "exact", best=90, count_type="identified", as_of="2019-01")
    _estimate(site, "exact", best=140, count_type="identified", as_of="2019")  # ends later: the latest
    _estimate(site, "exact", best=120, count_type="identified", as_of="2018-12-31")
    _estimate(site, "at_least", low=300, count_type="identified", as_of="2020")  # a bound, not a best
    _estimate(site, "exact", best=4000, count_type="reported", as_of="2021")
    assert _reconciled(site)[4] == 140


# -- Property: for any set of estimates, the range claims no bound that no estimate gives,
#    and contains every figure that counts.

FIGURE = st.integers(min_value=0, max_value=60)


@st.composite
def _estimate_specs(draw):
    qualifier = draw(st.sampled_from(FigureQualifier.values))
    a, b, c = sorted(draw(st.lists(FIGURE, min_size=3, max_size=3)))
    if qualifier in OPEN_ABOVE:
        shape = draw(st.sampled_from(["low", "best", "low+best"]))
        low, best, high = (a if "low" in shape else None), (b if "best" in shape else None), None
    elif qualifier in OPEN_BELOW:
        shape = draw(st.sampled_from(["high", "best", "best+high"]))
        low, best, high = None, (b if "best" in shape else None), (c if "high" in shape else None)
    elif qualifier == FigureQualifier.UNCLASSIFIED:
        low, best, high = (draw(st.sampled_from([v, None])) for v in (a, b, c))
        if low is best is high is None:
            best = b
    else:
        shape = draw(st.sampled_from(["best", "low+high", "low+best+high"]))
        low, high = (a, c) if "low" in shape else (None, None)
        best = b if "best" in shape else None
    return {
        "qualifier": qualifier,
        "low": low,
        "best": best,
        "high": high,
        "count_type": draw(st.sampled_from(["reported", "estimated", "exhumed", "identified"])),
        "as_of": draw(st.sampled_from(["", "2013", "2013-10", "2013-10-24", "2014"])),
        "is_cumulative": draw(st.booleans()),
        "producer": draw(st.sampled_from(["locals", "police"])),
    }


def _expected(estimates):
    """The documented rules, written out plainly, as the oracle for the database."""
    latest = {}
    for e in estimates:
        if e.is_cumulative:
            key = figures.series_key(e)
            if key not in latest or figures.chronological_key(e) > figures.chronological_key(latest[key]):
                latest[key] = e
    counted = [e for e in estimates if not e.is_cumulative or latest[figures.series_key(e)] is e]
    lows = [(e.lower_bound + (0.5 if e.qualifier in EXCLUSIVE else 0), e) for e in counted if e.lower_bound is not None]
    highs = [(e.upper_bound - (0.5 if e.qualifier in EXCLUSIVE else 0), e) for e in counted if e.upper_bound is not None]
    # An open estimate is closed only by a figure beyond every figure it gives itself.
    open_below = [min(e.upper_bound - (0.5 if e.qualifier in EXCLUSIVE else 0), e.best if e.best is not None else 1e9)
                  for e in counted if e.qualifier in OPEN_BELOW]
    open_above = [max(e.lower_bound + (0.5 if e.qualifier in EXCLUSIVE else 0), e.best or 0)
                  for e in counted if e.qualifier in OPEN_ABOVE]
    lowest = min(lows, key=lambda pair: pair[0])[0] if lows else None
    highest = max(highs, key=lambda pair: pair[0])[0] if highs else None
    if open_below and (lowest is None or min(open_below) < lowest):
        low, low_bound = None, "open"
    else:
        low, low_bound = int(lowest // 1), ("inclusive" if lowest == int(lowest) else "exclusive")
    if open_above and (highest is None or max(open_above) > highest):
        high, high_bound = None, "open"
    else:
        high, high_bound = -int(-highest // 1), ("inclusive" if highest == int(highest) else "exclusive")
    with_best = [e for e in counted if e.best_figure is not None]
    strongest = max(with_best, key=lambda e: (COUNT_TYPE_RANK[e.count_type], figures.chronological_key(e)), default=None)
    return counted, (low, low_bound, high, high_bound, strongest.best_figure if strongest else None)


class _Rollback(Exception):
    pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(_estimate_specs(), min_size=1, max_size=6))
def test_the_reconciled_range_never_claims_a_bound_no_estimate_gives(specs):
    try:
        with transaction.atomic():
            site = SiteFactory()
            citation = CitationFactory()
            for spec in specs:
                producer = spec.pop("producer")
                VictimEstimateFactory(site=site, citation=citation, producing_organization=None,
                                      producer_description=producer, **spec)
            estimates = list(VictimEstimate.objects.filter(site=site))
            counted, expected = _expected(estimates)
            got = _reconciled(site)
            assert got == expected
            low, low_bound, high, high_bound, best = got
            # Every figure that counts lies within the range.
            for e in counted:
                for value in (e.low, e.best, e.high):
                    if value is not None:
                        assert low_bound == "open" or value >= low
                        assert high_bound == "open" or value <= high
            # Each closed end is some counted estimate's own bound, with its own exclusivity.
            if low_bound != "open":
                assert any(e.lower_bound == low and (e.qualifier in EXCLUSIVE) == (low_bound == "exclusive")
                           for e in counted)
            if high_bound != "open":
                assert any(e.upper_bound == high and (e.qualifier in EXCLUSIVE) == (high_bound == "exclusive")
                           for e in counted)
            # The high is open only where a counted estimate left it open.
            if high_bound == "open":
                assert any(e.qualifier in OPEN_ABOVE for e in counted)
            if low_bound == "open":
                assert any(e.qualifier in OPEN_BELOW for e in counted)
            assert best is None or best in {e.best_figure for e in counted}
            raise _Rollback
    except _Rollback:
        pass


# -- Migration sites.0015: wording read only where it says one thing.


@pytest.mark.parametrize(
    ("wording", "low", "best", "high", "qualifier"),
    [
        ("at least 300 policemen", 300, None, None, "at_least"),
        ("some 4,000 IS victims", None, 4000, None, "approximate"),
        ("100 beheaded bodies", None, 100, None, "exact"),
        ("more than 100 bodies", 100, None, None, "more_than"),
        ("más de 1.200 cuerpos", 1200, None, None, "more_than"),
        ("najmanje 50 tijela", 50, None, None, "at_least"),
        ("up to 4,000", None, None, 4000, "up_to"),
        ("fewer than 20", None, None, 20, "fewer_than"),
        ("exactly 17", None, 17, None, "exact"),
        # Not plain: left for a person.
        ("at least 300 policemen", 300, None, 400, None),  # a stored high contradicts "at least"
        ("at least 300", None, None, 300, None),  # the figure is not where "at least" reads it
        ("between 200 and 300", 200, None, 300, None),  # two numbers
        ("thousands of victims", None, 2000, None, None),  # no number
        ("about 300, at least", None, 300, None, None),  # two qualifiers
        ("the bodies of 100 people", None, 100, None, None),  # no qualifier, not a leading count
        ("", None, 100, None, None),
    ],
)
def test_the_migration_classifies_only_plain_wording(wording, low, best, high, qualifier):
    assert classification.classify(wording, low, best, high) == qualifier


def test_the_migration_records_its_reason_in_the_history_and_leaves_the_rest_unclassified():
    site = SiteFactory()
    plain = _estimate(site, "unclassified", low=300, wording="at least 300 policemen", is_approximate=True)
    running = _estimate(site, "unclassified", best=435, wording="435 bodies exhumed so far")
    unclear = _estimate(site, "unclassified", best=2000, wording="thousands of victims")
    classification.classify_estimates(apps, connection.schema_editor())
    plain.refresh_from_db(), running.refresh_from_db(), unclear.refresh_from_db()
    assert (plain.qualifier, plain.is_approximate, plain.is_cumulative) == ("at_least", False, False)
    assert (running.qualifier, running.is_cumulative) == ("exact", True)
    assert (unclear.qualifier, unclear.is_cumulative, unclear.version) == ("unclassified", False, 1)
    event = apps.get_model("sites", "VictimEstimateEvent").objects.filter(pgh_obj=plain).latest("pgh_id")
    assert event.qualifier == "at_least"
    assert event.pgh_context.metadata["reason"] == classification.REASON


def test_the_example_in_the_data_model_docs_reconciles_as_written(tomasica):
    site, _team = tomasica
    press = _estimate(site, "at_least", low=300, wording="at least 300 bodies")
    assert _reconciled(site) == (300, "inclusive", 435, "inclusive", 435)
    VictimEstimate.objects.exclude(pk=press.pk).filter(site=site).update(
        archived_at=datetime.datetime.now(datetime.UTC)
    )
    assert _reconciled(site) == (300, "inclusive", None, "open", None)
