"""Every page a researcher reads shows a figure as its source bounded it, never a bound it did not give.

"At least 300 policemen" is 300 with the high left open: the site list, the dossier,
the map and the API all say "≥ 300", and none of them offers 300 as the best figure.
"""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gravesdb.sites.choices import CountType, FigureQualifier
from gravesdb.sites.models import Site
from gravesdb.workspace.dossier import CHART_LEFT, CHART_RIGHT
from tests.factories import OrganizationFactory, SiteFactory, VictimEstimateFactory

pytestmark = pytest.mark.django_db
SITE_LIST = reverse("workspace:site_list")
GEOJSON = reverse("api:site-geojson")


def _dossier(site):
    return reverse("workspace:site_dossier", args=[site.reference_code])


def _text(fragment: str) -> str:
    """What a reader sees of some HTML: tags dropped, entities read, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _list_cells(client, site) -> tuple[str, str]:
    """The site list's "Reconciled range" and "Best" cells of one site."""
    page = client.get(SITE_LIST).content.decode()
    row = re.search(rf"<tr>\s*<td class=\"code\"><a [^>]*>{site.reference_code}</a>.*?</tr>", page, re.S).group(0)
    range_cell, best_cell, _sources = re.findall(r'<td class="num">(.*?)</td>', row, re.S)
    return _text(range_cell), _text(best_cell)


def _reconciled_line(page: str) -> str:
    return _text(re.search(r'<p class="reconciled">(.*?)</p>', page, re.S).group(1))


def _estimate_rows(page: str) -> list[str]:
    table = re.search(r'<table class="estimates">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return re.findall(r"<tr[^>]*>.*?</tr>", table, re.S)


def _map_properties(client, site) -> dict:
    collection = client.get(GEOJSON, HTTP_ACCEPT="application/geo+json").json()
    return next(f["properties"] for f in collection["features"] if f["properties"]["reference_code"] == site.reference_code)


def test_at_least_300_policemen_is_open_above_on_every_page(client_for, researcher, policemen):
    client = client_for(researcher)
    assert _list_cells(client, policemen) == ("≥ 300", "—")

    page = client.get(_dossier(policemen)).content.decode()
    line = _reconciled_line(page)
    assert line.startswith("Reconciled range: ≥ 300 · best: —"), line
    assert "300–300" not in _text(page) and "best: 300" not in line
    (row,) = _estimate_rows(page)
    assert "≥ 300" in _text(row) and "At least (no upper bound)" in _text(row)
    assert "estimate: ≥ 300" in _text(page)  # the passage says what it vouches for

    # The seed records no point for the grave; placed roughly, it goes on the map.
    Site.objects.filter(pk=policemen.pk).update(latitude="36.10", longitude="43.35", location_precision="approximate")
    properties = _map_properties(client, policemen)
    assert properties["reconciled_range"] == "≥ 300"
    assert (properties["reconciled_low"], properties["reconciled_low_bound"]) == (300, "inclusive")
    assert (properties["reconciled_high"], properties["reconciled_high_bound"]) == (None, "open")
    assert properties["reconciled_best"] is None


# One estimate on a site, as each qualifier records it, and what each surface must show:
# the list's range and best cells, the dossier's figures cell, and the API's ends and bounds.
QUALIFIED = {
    FigureQualifier.EXACT: (dict(best=100), "100", "100", "100", (100, "inclusive", 100, "inclusive", 100)),
    FigureQualifier.APPROXIMATE: (
        dict(best=4000), "4,000", "4,000", "~4,000", (4000, "inclusive", 4000, "inclusive", 4000),
    ),
    FigureQualifier.AT_LEAST: (dict(low=300, best=None), "≥ 300", "—", "≥ 300", (300, "inclusive", None, "open", None)),
    FigureQualifier.MORE_THAN: (
        dict(low=100, best=None), "> 100", "—", "> 100", (100, "exclusive", None, "open", None),
    ),
    FigureQualifier.UP_TO: (
        dict(high=4000, best=None), "≤ 4,000", "—", "≤ 4,000", (None, "open", 4000, "inclusive", None),
    ),
    FigureQualifier.FEWER_THAN: (dict(high=50, best=None), "< 50", "—", "< 50", (None, "open", 50, "exclusive", None)),
    # Not classified yet: the figure as typed, by field; a lone low is no best figure.
    FigureQualifier.UNCLASSIFIED: (
        dict(low=300, best=None), "300", "—", "low 300 (not classified)", (300, "inclusive", 300, "inclusive", None),
    ),
}


@pytest.mark.parametrize("qualifier", list(QUALIFIED), ids=str)
def test_each_qualifier_reads_the_same_on_the_list_the_dossier_the_map_and_the_api(client_for, researcher, qualifier):
    figures, range_shown, best_shown, estimate_shown, api_figures = QUALIFIED[qualifier]
    site = SiteFactory()
    VictimEstimateFactory(site=site, qualifier=qualifier, **figures)
    client = client_for(researcher)

    assert _list_cells(client, site) == (range_shown, best_shown)

    page = client.get(_dossier(site)).content.decode()
    assert _reconciled_line(page).startswith(f"Reconciled range: {range_shown} · best: {best_shown}")
    (row,) = _estimate_rows(page)
    figures_cell = _text(re.findall(r'<td class="num">(.*?)</td>', row, re.S)[0])
    assert figures_cell == estimate_shown
    assert str(qualifier.label) in _text(row)

    data = client.get(reverse("api:site-detail", args=[site.pk])).json()
    fields = ("reconciled_low", "reconciled_low_bound", "reconciled_high", "reconciled_high_bound", "reconciled_best")
    assert tuple(data[field] for field in fields) == api_figures
    (estimate,) = client.get(reverse("api:estimate-list"), {"site": site.reference_code}).json()["results"]
    assert estimate["qualifier"] == qualifier
    assert estimate["is_approximate"] is (qualifier == FigureQualifier.APPROXIMATE)

    properties = _map_properties(client, site)
    assert properties["reconciled_range"] == range_shown
    assert tuple(properties[field] for field in fields) == api_figures


def test_an_unclassified_estimate_is_visibly_not_classified_yet(client_for, researcher):
    site = SiteFactory()
    VictimEstimateFactory(site=site, low=300, best=None, qualifier=FigureQualifier.UNCLASSIFIED)
    (row,) = _estimate_rows(client_for(researcher).get(_dossier(site)).content.decode())
    assert '<em class="not-classified">Not classified yet</em>' in row


EXHUMED_SO_FAR = [("2013-08", 20), ("2013-09-10", 268), ("2013-10", 360), ("2013-10-24", 397), ("2013-11-05", 435)]


@pytest.fixture
def running_totals(db):
    """Five "exhumed so far" counts by one team, entered out of order, dated as precisely as each report was."""
    site, team = SiteFactory(), OrganizationFactory(name="Mass Graves Directorate")
    for as_of, best in [EXHUMED_SO_FAR[i] for i in (4, 0, 2, 1, 3)]:
        VictimEstimateFactory(
            site=site, count_type=CountType.EXHUMED, best=best, as_of=as_of, is_cumulative=True,
            producing_organization=team, wording=f"{best} bodies exhumed so far",
        )
    return site


def test_a_running_total_series_shows_every_total_with_the_earlier_ones_superseded(
    client_for, researcher, running_totals
):
    response = client_for(researcher).get(_dossier(running_totals))
    page = response.content.decode()
    rows = _estimate_rows(page)
    assert [_text(re.findall(r'<td class="num">(.*?)</td>', row, re.S)[0]) for row in rows] == [
        f"{best:,}" for _as_of, best in EXHUMED_SO_FAR
    ]
    for position, row in enumerate(rows, 1):
        assert f"running total, {position} of 5" in _text(row)
        superseded = position < 5
        assert ("superseded by a later total" in _text(row)) is superseded
        assert row.startswith('<tr class="superseded">') is superseded

    site = response.context["site"]
    assert (site.reconciled_best, site.latest_exhumed) == (435, 435)
    assert _reconciled_line(page).startswith("Reconciled range: 435 · best: 435")
    assert "latest exhumed: 435" in _reconciled_line(page)
    assert [row.superseded for row in response.context["chart"].rows] == [False, True, True, True, True, False]


def test_the_range_chart_draws_an_arrow_where_a_side_is_open(client_for, researcher):
    site = SiteFactory()
    VictimEstimateFactory(site=site, low=300, best=None, qualifier=FigureQualifier.AT_LEAST, as_of="2016-11")
    VictimEstimateFactory(site=site, high=200, best=None, qualifier=FigureQualifier.UP_TO, as_of="2017-02")
    VictimEstimateFactory(site=site, low=220, high=260, best=None, qualifier=FigureQualifier.EXACT, as_of="2017-03")
    response = client_for(researcher).get(_dossier(site))
    reconciled, at_least, up_to, closed = response.context["chart"].rows

    # Sources disagree: "at least 300" leaves the high open and nobody closes it above 300,
    # "up to 200" the low, and nobody closes it below 200.
    assert reconciled.title == "Reconciled range: open at both ends (sources disagree)"
    assert len(reconciled.arrows) == 2 and reconciled.best_x is None
    (arrow,) = at_least.arrows
    assert f" {CHART_RIGHT},{at_least.y} " in f" {arrow} "  # the tip sits on the plot's right edge
    assert at_least.bar_x + at_least.bar_width < CHART_RIGHT and at_least.best_x is None
    (arrow,) = up_to.arrows
    assert f" {CHART_LEFT},{up_to.y} " in f" {arrow} "
    assert closed.arrows == [] and closed.best_x is None  # a range without a best has no dot

    svg = response.content.decode()
    assert svg.count('class="open-side"') == 4
    assert "An arrow marks a side the source left open" in svg


def test_the_dossier_costs_the_same_queries_however_many_estimates(client_for, researcher):
    client = client_for(researcher)
    site = SiteFactory()

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(_dossier(site)).status_code == 200
        return len(captured)

    VictimEstimateFactory(site=site, low=300, best=None, qualifier=FigureQualifier.AT_LEAST)
    VictimEstimateFactory(site=site, best=20, is_cumulative=True, as_of="2013-08")
    few = queries()
    team = OrganizationFactory()
    for month in range(1, 11):
        VictimEstimateFactory(site=site, best=10 * month, is_cumulative=True, as_of=f"2014-{month:02}",
                              producing_organization=team)
    assert queries() == few
