"""What one figure says, in numbers and in words: the rules every surface shows.

The database computes the reconciled range (``querysets.reconciled_*``); these are
the same rules for one estimate in Python, for pages that show estimates one by one
(the dossier's table and chart, the citations it lists) and for the tests that
check the database against them. docs/data-model.md states them for researchers.
"""

import datetime

from django.utils.translation import gettext as _

from .choices import EXCLUSIVE, OPEN_ABOVE, OPEN_BELOW, BoundKind, FigureQualifier

# Where an as-of date's earliest or latest day is unknown, it counts as the earliest or
# latest day there is: an undated figure begins before every dated one.
FIRST_DAY, LAST_DAY = datetime.date.min, datetime.date.max


def lower_bound(estimate) -> int | None:
    """The lowest number the estimate allows, None where its wording leaves the low open."""
    if estimate.qualifier in OPEN_BELOW:
        return None
    return _first(estimate.low, estimate.best, estimate.high)


def upper_bound(estimate) -> int | None:
    """The highest number the estimate allows, None where its wording leaves the high open."""
    if estimate.qualifier in OPEN_ABOVE:
        return None
    return _first(estimate.high, estimate.best, estimate.low)


def best_figure(estimate) -> int | None:
    """The one figure the source stands behind, if it gave one.

    Its best, or a range whose ends agree. A bound is never a best figure: "at least
    300" does not say 300 victims, and neither does an unclassified lone low.
    """
    if estimate.best is not None:
        return estimate.best
    if estimate.low is not None and estimate.low == estimate.high:
        return estimate.low
    return None


def chronological_key(estimate) -> tuple:
    """Earlier figures sort first: by the first day the as-of date can mean, then its last.

    "2013" counts from 1 January 2013 and so comes before "2013-10-24"; "2018-11"
    before "2018-11-06". Figures of the same dates follow the order they were entered
    in. ``querysets.chronological_order`` is the same key in SQL.
    """
    return (
        estimate.as_of_earliest or FIRST_DAY,
        estimate.as_of_latest or LAST_DAY,
        estimate.created_at,
        estimate.pk,
    )


def estimate_text(estimate) -> str:
    """The figure as a reader checks it against the source: "≥ 300", "~4,000", "20–30"."""
    qualifier = estimate.qualifier
    best = f"{estimate.best:,}" if estimate.best is not None else None
    if qualifier in OPEN_ABOVE:
        sign = ">" if qualifier in EXCLUSIVE else "≥"
        text = f"{sign} {_first(estimate.low, estimate.best):,}"
        return _("%(bound)s, best %(best)s") % {"bound": text, "best": best} if estimate.low is not None and best else text
    if qualifier in OPEN_BELOW:
        sign = "<" if qualifier in EXCLUSIVE else "≤"
        text = f"{sign} {_first(estimate.high, estimate.best):,}"
        return _("%(bound)s, best %(best)s") % {"bound": text, "best": best} if estimate.high is not None and best else text
    if qualifier == FigureQualifier.UNCLASSIFIED:
        return _("%(figures)s (not classified)") % {"figures": _unclassified_text(estimate)}
    # Closed: a best, a range, or both. A lone low or high is refused on saving, but an
    # estimate still being entered may be shown with one.
    span = _span(estimate.low, estimate.high)
    if span and best and estimate.best not in (estimate.low, estimate.high):
        text = f"{best} ({span})"
    else:
        text = span or best or f"{_first(estimate.low, estimate.high):,}"
    return f"~{text}" if qualifier == FigureQualifier.APPROXIMATE else text


def series_key(estimate) -> tuple:
    """The running-total series an estimate belongs to, as ``querysets.in_effect`` reads it."""
    return (estimate.count_type, estimate.producing_organization_id, estimate.producer_description)


def range_text(site) -> str:
    """A site's reconciled range in words: "300–4,000", "≥ 300", "≤ 4,000", "> 100"; "—" with no figure.

    Reads the annotations of ``with_reconciled_figures``.
    """
    low, low_bound = site.reconciled_low, site.reconciled_low_bound
    high, high_bound = site.reconciled_high, site.reconciled_high_bound
    if low_bound is None and high_bound is None:
        return "—"
    if low_bound == BoundKind.OPEN and high_bound == BoundKind.OPEN:
        return _("open at both ends (sources disagree)")
    if high_bound == BoundKind.OPEN:
        return f"{'>' if low_bound == BoundKind.EXCLUSIVE else '≥'} {low:,}"
    if low_bound == BoundKind.OPEN:
        return f"{'<' if high_bound == BoundKind.EXCLUSIVE else '≤'} {high:,}"
    if BoundKind.EXCLUSIVE in (low_bound, high_bound):
        left = f"> {low:,}" if low_bound == BoundKind.EXCLUSIVE else f"{low:,}"
        right = f"< {high:,}" if high_bound == BoundKind.EXCLUSIVE else f"{high:,}"
        return f"{left} – {right}"
    return f"{low:,}" if low == high else f"{low:,}–{high:,}"


def _unclassified_text(estimate) -> str:
    # Which field a figure was typed into is all that is known: show each by name.
    given = [(name, value) for name, value in (("low", estimate.low), ("best", estimate.best), ("high", estimate.high))
             if value is not None]
    if len(given) == 1 and given[0][0] == "best":
        return f"{given[0][1]:,}"
    labels = {"low": _("low"), "best": _("best"), "high": _("high")}
    return ", ".join(f"{labels[name]} {value:,}" for name, value in given)


def _span(low, high) -> str | None:
    if low is None or high is None:
        return None
    return f"{low:,}" if low == high else f"{low:,}–{high:,}"


def _first(*values):
    return next((v for v in values if v is not None), None)
