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
        .select_related("producing_organization", "citation__source__publisher")
        .order_by("as_of_earliest", "count_type", "created_at")
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
        "estimates": estimates,
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
    low_x: float | None  # a bar is drawn where both ends are known
    high_x: float | None
    point_x: float | None  # the best figure, or the only one given
    point_is_best: bool
    approximate: bool
    reconciled: bool = False


@dataclass(frozen=True)
class RangeChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    rows: list
    ticks: list


CHART_WIDTH, CHART_LEFT, CHART_RIGHT, ROW_HEIGHT, TOP = 760, 300, 730, 30, 34


def range_chart(estimates, site) -> RangeChart | None:
    """Low–high bars with the best figure marked, one row per estimate, drawn as SVG on the server."""
    figures = [v for e in estimates for v in (e.low, e.best, e.high) if v is not None]
    if not figures:
        return None
    top = max(figures)

    def x(value):
        return None if value is None else round(CHART_LEFT + (CHART_RIGHT - CHART_LEFT) * value / top, 1)

    rows = []
    if site.reconciled_low is not None:
        rows.append(
            ChartRow(
                label=str(_("Reconciled range")),
                title=_("Reconciled range: %(low)s to %(high)s") % {
                    "low": f"{site.reconciled_low:,}",
                    "high": f"{site.reconciled_high:,}",
                },
                y=TOP,
                low_x=x(site.reconciled_low),
                high_x=x(site.reconciled_high),
                point_x=x(site.reconciled_best),
                point_is_best=site.reconciled_best is not None,
                approximate=False,
                reconciled=True,
            )
        )
    for estimate in estimates:
        producer = estimate.producing_organization or estimate.producer_description or estimate.citation.source
        label = f"{estimate.as_of or '?'} · {estimate.get_count_type_display()} · {producer}"
        rows.append(
            ChartRow(
                label=label if len(label) <= 40 else label[:39] + "…",
                title=f"{label}: {estimate.figures}",
                y=TOP + ROW_HEIGHT * len(rows),
                low_x=x(estimate.low),
                high_x=x(estimate.high),
                point_x=x(next(v for v in (estimate.best, estimate.low, estimate.high) if v is not None)),
                point_is_best=estimate.best is not None,
                approximate=estimate.is_approximate,
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
