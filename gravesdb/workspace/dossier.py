"""A site's whole story on one page: where, how many by whose account, who saw it, what changed.

Figures stay side by side, never averaged: the table and the range chart show
each estimate with its source and date, and the reconciled range shows their
spread. Every passage behind a figure is quoted. Testimonies appear by pseudonym
only, and the history never shows coordinates to a reader who may not see them.
"""

from dataclasses import dataclass
from urllib.parse import quote

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from pghistory.models import Events

from gravesdb.core.admin import _event_row
from gravesdb.sites.choices import BoundKind, FigureQualifier
from gravesdb.sites.figures import range_text, series_key
from gravesdb.sites.locations import can_see_exact_location, shown_location
from gravesdb.sites.models import SiteCitation, SiteRelation
from gravesdb.testimony.models import TestimonySite

from .selectors import visible_sites, visible_testimonies

# The timeline covers the site's own records; testimony and identity events are
# left out because their visibility follows other rules than the site's.
SITE_HISTORY_MODELS = [
    "sites.SiteEvent",
    "sites.VictimEstimateEvent",
    "sites.SiteCitationEvent",
    "sites.SiteStatusChangeEvent",
    "sites.SiteRelationEvent",
]
TIMELINE_LENGTH = 200
LOCATION_FIELDS = {"latitude", "longitude"}
# Bookkeeping the reader does not need in a timeline.
HIDDEN_FIELDS = {"version", "period_earliest", "period_latest", "as_of_earliest", "as_of_latest", "changed_on_earliest"}


_URL_SAFE = "/~:@!$&'()*+,;="  # what reverse() leaves unquoted in a path


def dossier_urls():
    """A function from reference code to dossier URL, for a page listing many sites.

    ``reverse()`` costs some 45 µs, and a list row links its dossier twice; the
    path is resolved once per page and each code filled in, quoted as reverse() would.
    """
    prefix = reverse("workspace:site_dossier", args=["-"]).removesuffix("-/")
    return lambda code: f"{prefix}{quote(code, safe=_URL_SAFE)}/"


def build(site, user) -> dict:
    exact = can_see_exact_location(user)
    estimates = list(
        site.estimates.filter(archived_at__isnull=True)
        .with_superseded()
        .select_related("producing_organization", "citation__source__publisher")
        .chronological()
    )
    site_citations = list(
        SiteCitation.objects.filter(site=site, archived_at__isnull=True)
        .select_related("citation__source__publisher")
        .order_by("created_at")
    )
    status_changes = list(
        site.status_changes.select_related("citation__source", "created_by").order_by("created_at")
    )
    return {
        "site": site,
        "location": shown_location(site, exact=exact),
        "estimates": estimate_rows(estimates),
        "chart": range_chart(estimates, site),
        "citations": _citations(site_citations, estimates, status_changes),
        "status_changes": status_changes,
        "relations": _relations(site, user),
        "testimonies": visible_testimonies(user)
        .filter(Exists(TestimonySite.objects.filter(testimony=OuterRef("pk"), site=site)))
        .select_related("witness")
        .order_by("interviewed_on", "created_at"),
        "timeline": timeline(site, exact=exact),
        "can_change": user.has_perm("sites.change_site"),
        "can_add_estimate": user.has_perm("sites.add_victimestimate"),
    }


@dataclass(frozen=True)
class EstimateRow:
    """An estimate as the table shows it: a running total says where it stands in its series."""

    estimate: object
    series_position: int | None = None
    series_length: int | None = None


def estimate_rows(estimates) -> list[EstimateRow]:
    """Each estimate in date order; a running total numbered within its series.

    A series is what ``querysets.in_effect`` reads as one: running totals of the same
    count type by the same producer. All of it stays in the table, so a reader sees
    how "20 exhumed so far" grew to 435, and which total the reconciled figures use.
    """
    series: dict = {}
    for estimate in estimates:
        if estimate.is_cumulative:
            series.setdefault(series_key(estimate), []).append(estimate)
    position = {e.pk: (n, len(members)) for members in series.values() for n, e in enumerate(members, 1)}
    return [EstimateRow(e, *position.get(e.pk, (None, None))) for e in estimates]


@dataclass(frozen=True)
class CitedPassage:
    citation: object
    supports_here: list


def _citations(site_citations, estimates, status_changes) -> list[CitedPassage]:
    """Every passage behind the site, once each, with what it vouches for on this page."""
    passages: dict = {}
    for link in site_citations:
        passages.setdefault(link.citation.pk, (link.citation, []))[1].append(_("the site"))
    for estimate in estimates:
        label = _("estimate: %(figures)s") % {"figures": estimate.figures}
        passages.setdefault(estimate.citation.pk, (estimate.citation, []))[1].append(label)
    for change in status_changes:
        if change.citation is not None:
            label = _("status: %(status)s") % {"status": change.get_to_status_display()}
            passages.setdefault(change.citation.pk, (change.citation, []))[1].append(label)
    return [CitedPassage(citation, supports) for citation, supports in passages.values()]


def _relations(site, user):
    sites = visible_sites(user)
    return (
        SiteRelation.objects.filter(archived_at__isnull=True)
        .filter(Q(from_site=site, to_site__in=sites) | Q(to_site=site, from_site__in=sites))
        .select_related("from_site", "to_site")
        .order_by("created_at")
    )


def timeline(site, *, exact: bool) -> list[dict]:
    """Who changed what and when, newest first, from the trigger-written history."""
    events = (
        Events.objects.references(site)
        .across(*SITE_HISTORY_MODELS)
        .order_by("-pgh_created_at", "-pgh_id")[:TIMELINE_LENGTH]
    )
    rows = []
    for event in events:
        row = _event_row(event)
        changes = []
        for field, old, new in row["changes"]:
            if field in HIDDEN_FIELDS:
                continue
            if field in LOCATION_FIELDS and not exact:
                old, new = _masked(old, _("(hidden)")), _masked(new, _("(hidden)"))
            elif field.endswith("_id"):
                # Links to other rows are raw ids nobody can read, and may point at
                # records this reader may not see: say that the link changed.
                field = field.removesuffix("_id")
                old, new = _masked(old, _("(linked record)")), _masked(new, _("(linked record)"))
            changes.append((field, old, new))
        rows.append({**row, "changes": changes})
    return rows


def _masked(value, mask):
    return None if value is None else mask


@dataclass(frozen=True)
class ChartRow:
    label: str
    title: str
    y: int
    bar_x: float  # the bar, from the lowest number the row allows to the highest
    bar_width: float
    arrows: list  # polygon points of an arrow head at each open side
    best_x: float | None  # only where a best figure exists: a bound is not one
    approximate: bool = False
    unclassified: bool = False
    superseded: bool = False
    reconciled: bool = False


@dataclass(frozen=True)
class RangeChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    rows: list
    ticks: list


CHART_WIDTH, CHART_LEFT, CHART_RIGHT, ROW_HEIGHT, TOP = 760, 300, 740, 30, 34
# An open high runs past the largest figure to the plot's edge; this much room is kept for it.
OPEN_RUN, ARROW_LENGTH, ARROW_HALF_HEIGHT = 40, 10, 8


def range_chart(estimates, site) -> RangeChart | None:
    """One bar per estimate, with the reconciled range on top, drawn as SVG on the server.

    A bar runs from the lowest number an estimate allows to the highest; a side the
    source left open ("at least 300") runs to the edge of the plot and ends in an
    arrow, so nobody reads the last figure as a high it never gave.
    """
    figures = [v for e in estimates for v in (e.low, e.best, e.high) if v is not None]
    if not figures:
        return None
    top = max(figures)
    open_above = site.reconciled_high_bound == BoundKind.OPEN or any(e.upper_bound is None for e in estimates)
    scale_right = CHART_RIGHT - OPEN_RUN if open_above else CHART_RIGHT

    def x(value):
        return round(CHART_LEFT + (scale_right - CHART_LEFT) * value / top, 1)

    def row(*, low, high, best, y, **kwargs):
        # ``low``/``high`` None: that side is open and runs to the plot's edge.
        arrows = []
        left, right = (x(low) if low is not None else CHART_LEFT), (x(high) if high is not None else CHART_RIGHT)
        if low is None:
            left += ARROW_LENGTH
            arrows.append(_arrow(tip=CHART_LEFT, base=left, y=y))
        if high is None:
            right -= ARROW_LENGTH
            arrows.append(_arrow(tip=CHART_RIGHT, base=right, y=y))
        return ChartRow(
            y=y,
            bar_x=left,
            bar_width=round(max(right - left, 2), 1),
            arrows=arrows,
            best_x=None if best is None else x(best),
            **kwargs,
        )

    rows = []
    if site.reconciled_low_bound is not None:
        span = range_text(site)
        rows.append(
            row(
                label=str(_("Reconciled range")),
                title=_("Reconciled range: %(range)s") % {"range": span},
                y=TOP,
                low=None if site.reconciled_low_bound == BoundKind.OPEN else site.reconciled_low,
                high=None if site.reconciled_high_bound == BoundKind.OPEN else site.reconciled_high,
                best=site.reconciled_best,
                reconciled=True,
            )
        )
    for estimate in estimates:
        producer = estimate.producing_organization or estimate.producer_description or estimate.citation.source
        label = f"{estimate.as_of or '?'} · {estimate.get_count_type_display()} · {producer}"
        title = f"{label}: {estimate.figures}"
        if estimate.is_superseded:
            title = _("%(estimate)s (running total, superseded by a later total)") % {"estimate": title}
        rows.append(
            row(
                label=label if len(label) <= 40 else label[:39] + "…",
                title=title,
                y=TOP + ROW_HEIGHT * len(rows),
                low=estimate.lower_bound,
                high=estimate.upper_bound,
                best=estimate.best_figure,
                approximate=estimate.qualifier == FigureQualifier.APPROXIMATE,
                unclassified=estimate.qualifier == FigureQualifier.UNCLASSIFIED,
                superseded=estimate.is_superseded,
            )
        )
    ticks = [(x(value), f"{value:,}") for value in (0, top // 2, top)]
    return RangeChart(
        width=CHART_WIDTH,
        height=TOP + ROW_HEIGHT * len(rows) + 10,
        plot_left=CHART_LEFT,
        plot_right=CHART_RIGHT,
        rows=rows,
        ticks=ticks,
    )


def _arrow(*, tip: float, base: float, y: int) -> str:
    return f"{base},{y - ARROW_HALF_HEIGHT} {tip},{y} {base},{y + ARROW_HALF_HEIGHT}"
