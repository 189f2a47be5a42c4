"""Which pairs of sites to compare (blocking), and how alike a pair is (the score and its parts).

Comparing every pair of 100,000 sites is five billion comparisons; blocking
compares only pairs that share something a duplicate would share: a name key
within one country, or a point within about a kilometre. The score then weighs
the evidence, and each part is kept with a sentence saying what it saw, so the
person deciding can check why a pair was proposed.
"""

import math
from functools import cached_property
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from itertools import combinations
from uuid import UUID

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gravesdb.sites.choices import LocationPrecision, SiteType

from .names import best_name_match, name_form

# How far a recorded point may be from the grave, in km, for each stated precision.
PRECISION_RADIUS_KM = {
    LocationPrecision.EXACT: 0.25,
    LocationPrecision.APPROXIMATE: 1.0,
    LocationPrecision.LOCALITY: 5.0,
    LocationPrecision.DISTRICT: 25.0,
    LocationPrecision.UNKNOWN: 50.0,
}
# Points precise enough that nearness alone makes a pair worth comparing.
PRECISE = {LocationPrecision.EXACT, LocationPrecision.APPROXIMATE}
NEAR_KM = 0.5
NEAR_CELL_DEGREES = 0.005
# A name key shared by more sites than this in one area is split further (see
# _pair_group), so a common name cannot make a block of millions of pairs.
MAX_BLOCK = 20
CELL_DEGREES = 0.1
CELL_PRECISE = {LocationPrecision.EXACT, LocationPrecision.APPROXIMATE, LocationPrecision.LOCALITY}
WINDOW = 10

WEIGHTS = {"name": 0.40, "distance": 0.28, "area": 0.08, "period": 0.12, "sources": 0.04, "site_type": 0.08}
TOTAL_WEIGHT = sum(WEIGHTS.values())
NEUTRAL = 0.5
# The most a shared source can add to a score: pairs that fall short of the
# threshold by more than this need not have their sources looked up.
SOURCES_BONUS = WEIGHTS["sources"] * (1 - NEUTRAL) / TOTAL_WEIGHT
LABELS = {
    "name": gettext_lazy("name"),
    "distance": gettext_lazy("distance"),
    "area": gettext_lazy("first-level area"),
    "period": gettext_lazy("period"),
    "sources": gettext_lazy("shared sources"),
    "site_type": gettext_lazy("site type"),
}


@dataclass(frozen=True)
class ScorePart:
    key: str
    label: str
    value: float
    weight: float
    detail: str

    @property
    def contribution(self) -> float:
        return self.value * self.weight


class Candidate:
    """A proposed pair (``site_a`` has the smaller id) with its score.

    The explained parts are written only when read: a national screening
    proposes tens of thousands of pairs, and a person reads a page of them.
    """

    def __init__(self, *, site_a: UUID, site_b: UUID, score: float, facts: tuple):
        self.site_a, self.site_b, self.score = site_a, site_b, score
        self._facts = facts

    def __repr__(self):
        return f"<Candidate {self.site_a} {self.site_b} {self.score}>"

    @cached_property
    def parts(self) -> list[ScorePart]:
        return _explain(*self._facts)


@dataclass
class SiteProfile:
    """What the comparison needs of a site, read once per run."""

    id: UUID
    reference_code: str
    names: tuple[str, ...]
    country: str
    area: str
    latitude: float | None
    longitude: float | None
    precision: str
    period_earliest: date | None
    period_latest: date | None
    site_type: str

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def name_keys(self) -> frozenset[str]:
        keys = set()
        for name in self.names:
            keys |= name_form(name).blocking_keys
        return frozenset(keys)


def distance_km(a: SiteProfile, b: SiteProfile) -> float:
    """Great-circle distance (haversine); exact enough at any latitude for kilometre decisions."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


# --- Blocking -------------------------------------------------------------------------


def candidate_pairs(profiles: list[SiteProfile]) -> set[tuple[int, int]]:
    """Index pairs (i < j) worth scoring: a name key shared in one area, or precise points close together."""
    pairs: set[tuple[int, int]] = set()
    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, profile in enumerate(profiles):
        for key in profile.name_keys:
            blocks[(profile.country, key)].append(index)
    for members in blocks.values():
        if len(members) > 1:
            _pair_name_block(members, profiles, pairs)
    _pair_near_points(profiles, pairs)
    return pairs


def _pair_name_block(members, profiles, pairs):
    """Pairs within one first-level area; a site whose area is not recorded meets every area."""
    by_area = defaultdict(list)
    for index in members:
        by_area[profiles[index].area].append(index)
    unplaced = by_area.pop("", [])
    for group in by_area.values():
        _pair_group(group + unplaced, profiles, pairs)
    if not by_area:
        _pair_group(unplaced, profiles, pairs)


def _pair_group(members, profiles, pairs):
    if len(members) <= MAX_BLOCK:
        pairs.update((i, j) if i < j else (j, i) for i, j in combinations(members, 2))
        return
    # A name this common in one area: sites with a point at least locality-precise
    # are compared within a grid cell and its neighbours (about 10 km). The others
    # (coarse or no point) are sorted by the skeleton of their name and compared with
    # their WINDOW neighbours in that order, placed or not (sorted neighbourhood).
    cells = defaultdict(list)
    loose = []
    for index in members:
        profile = profiles[index]
        if profile.has_point and profile.precision in CELL_PRECISE:
            cells[_cell(profile, CELL_DEGREES)].append(index)
        else:
            loose.append(index)
    _pair_by_cells(cells, profiles, pairs, max_km=None)
    if not loose:
        return
    loose_set = set(loose)
    ordered = sorted(members, key=lambda index: (name_form(profiles[index].names[0]).joined, index))
    for position, i in enumerate(ordered):
        for j in ordered[position + 1 : position + 1 + WINDOW]:
            if i in loose_set or j in loose_set:
                pairs.add((i, j) if i < j else (j, i))


def _cell(profile, size):
    return (math.floor(profile.latitude / size), math.floor(profile.longitude / size))


def _pair_by_cells(cells, profiles, pairs, max_km):
    for (row, col), members in cells.items():
        for d_row in (0, 1):
            for d_col in (-1, 0, 1) if d_row else (0, 1):
                others = members if (d_row, d_col) == (0, 0) else cells.get((row + d_row, col + d_col))
                if not others:
                    continue
                for i in members:
                    for j in others:
                        if i == j or ((d_row, d_col) == (0, 0) and j < i):
                            continue
                        if max_km is not None and distance_km(profiles[i], profiles[j]) > max_km:
                            continue
                        pairs.add((i, j) if i < j else (j, i))


def _pair_near_points(profiles, pairs):
    cells = defaultdict(list)
    for index, profile in enumerate(profiles):
        if profile.has_point and profile.precision in PRECISE:
            cells[_cell(profile, NEAR_CELL_DEGREES)].append(index)
    _pair_by_cells(cells, profiles, pairs, max_km=NEAR_KM)


# --- Scoring --------------------------------------------------------------------------


def score_pair(a: SiteProfile, b: SiteProfile, shared_sources: int, min_score: float = 0.0) -> Candidate | None:
    """The weighted score of a pair; None below ``min_score``."""
    km = distance_km(a, b) if a.has_point and b.has_point else None
    gap = _period_gap(a, b)
    values = {
        "distance": _distance_value(a, b, km),
        "area": NEUTRAL if not (a.area and b.area) else float(a.area == b.area),
        "period": NEUTRAL if gap is None else 1.0 if gap <= 0 else NEUTRAL * math.exp(-gap / 365),
        "sources": 1.0 if shared_sources else NEUTRAL,
        "site_type": _type_value(a, b),
    }
    without_name = sum(value * WEIGHTS[key] for key, value in values.items())
    if (without_name + WEIGHTS["name"]) / TOTAL_WEIGHT < min_score:
        return None  # not even identical names would lift it to the threshold
    name, name_a, name_b = best_name_match(a.names, b.names)
    values["name"] = name
    score = (without_name + name * WEIGHTS["name"]) / TOTAL_WEIGHT
    if score < min_score:
        return None
    first, second = (a, b) if str(a.id) < str(b.id) else (b, a)
    facts = (first, second, values, name_a if first is a else name_b, name_b if first is a else name_a, km, gap, shared_sources)
    return Candidate(site_a=first.id, site_b=second.id, score=round(score, 4), facts=facts)


def _explain(a, b, values, name_a, name_b, km, gap, shared_sources) -> list[ScorePart]:
    details = {
        "name": _name_detail(name_a, name_b),
        "distance": _distance_detail(a, b, km),
        "area": _area_detail(a, b),
        "period": _period_detail(gap),
        "sources": _("%(n)s source(s) in common") % {"n": shared_sources} if shared_sources
        # Duplicates usually come from different lists, so no shared source is no evidence against.
        else _("no source in common"),
        "site_type": _type_detail(a, b),
    }
    return [
        ScorePart(key=key, label=str(LABELS[key]), value=round(values[key], 3), weight=WEIGHTS[key], detail=details[key])
        for key in WEIGHTS
    ]


def _distance_value(a, b, km):
    if km is None:
        return NEUTRAL
    sigma = math.hypot(PRECISION_RADIUS_KM[a.precision], PRECISION_RADIUS_KM[b.precision])
    closeness = math.exp(-((km / (2 * sigma)) ** 2))
    # Two district centroids in the same spot say only "same district": the coarser
    # the points, the closer the part stays to neutral.
    informative = 1 / (1 + (sigma / 5) ** 2)
    return NEUTRAL + informative * (closeness - NEUTRAL)


def _period_gap(a, b):
    """Days between the two periods (zero or less when they overlap), None when either is unknown."""
    if not (a.period_earliest and a.period_latest and b.period_earliest and b.period_latest):
        return None
    return max((b.period_earliest - a.period_latest).days, (a.period_earliest - b.period_latest).days)


def _type_value(a, b):
    if SiteType.OTHER in (a.site_type, b.site_type) or not (a.site_type and b.site_type):
        return NEUTRAL
    return 1.0 if a.site_type == b.site_type else 0.2


def _name_detail(name_a, name_b):
    if name_a == name_b:
        return _("same name “%(name)s”") % {"name": name_a}
    return _("“%(a)s” ~ “%(b)s”") % {"a": name_a, "b": name_b}


def _distance_detail(a, b, km):
    if km is None:
        missing = ", ".join(p.reference_code for p in (a, b) if not p.has_point)
        return _("no coordinates for %(codes)s") % {"codes": missing}
    return _("%(km)s km apart (precision %(a)s / %(b)s)") % {
        "km": f"{km:.2f}",
        "a": LocationPrecision(a.precision).label,
        "b": LocationPrecision(b.precision).label,
    }


def _area_detail(a, b):
    if not (a.area and b.area):
        return _("area not recorded for both")
    if a.area == b.area:
        return _("both in %(area)s") % {"area": a.area}
    return _("%(a)s vs %(b)s") % {"a": a.area, "b": b.area}


def _period_detail(gap):
    if gap is None:
        return _("period not recorded for both")
    if gap <= 0:
        return _("periods overlap")
    return _("periods %(days)s days apart") % {"days": gap}


def _type_detail(a, b):
    if _type_value(a, b) == NEUTRAL:
        return _("type not specific for both")
    if a.site_type == b.site_type:
        return _("both %(type)s") % {"type": SiteType(a.site_type).label}
    return _("%(a)s vs %(b)s") % {"a": SiteType(a.site_type).label, "b": SiteType(b.site_type).label}
