"""Where a site may be shown to a given reader: exact, or coarsened.

An exact point lets anyone with the list dig, disturb or destroy a grave before it
is protected, so only readers with ``sites.view_exact_location`` see the recorded
coordinates. Everybody else gets the point snapped to a grid cell, marked as such.
Every page, API response and map that shows a location goes through
``shown_location`` (one site) or ``Site.objects.with_shown_location`` (a list or an
export, computed in SQL by ``coarsened_expression``), so there is one place to make
coarsening stricter; the two give the same point to the last digit.

The grid, not the site's district, is the unit: districts differ in size by orders
of magnitude, and a cell centre says nothing about where in the cell the grave is.
Every public or partner export is coarsened whoever runs it.
"""

import math
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Floor, Greatest, Least, Round

from .choices import LocationPrecision

COARSENED = "coarsened"

# How far (metres) the true point may lie from the recorded one, by recorded precision;
# maps draw an approximate location as a circle of this radius, not as a pin.
PRECISION_RADIUS_M = {
    LocationPrecision.EXACT: 0,
    LocationPrecision.APPROXIMATE: 1_000,
    LocationPrecision.LOCALITY: 5_000,
    LocationPrecision.DISTRICT: 25_000,
    LocationPrecision.UNKNOWN: 10_000,
}
_METRES_PER_DEGREE = 111_320


@dataclass(frozen=True)
class ShownLocation:
    latitude: Decimal | None
    longitude: Decimal | None
    precision: str
    radius_m: int
    coarsened: bool

    @property
    def is_known(self) -> bool:
        return self.latitude is not None and self.longitude is not None


def can_see_exact_location(user) -> bool:
    return user.has_perm("sites.view_exact_location")


def shown_location(site, *, exact: bool) -> ShownLocation:
    """The point to show for ``site``; ``exact`` is ``can_see_exact_location(reader)``.

    The permission is passed in, not looked up here, so a list of 500 sites asks
    for it once rather than once a row.
    """
    radius = PRECISION_RADIUS_M.get(site.location_precision, PRECISION_RADIUS_M[LocationPrecision.UNKNOWN])
    if site.latitude is None or site.longitude is None:
        return ShownLocation(None, None, site.location_precision, radius, coarsened=False)
    if exact:
        return ShownLocation(site.latitude, site.longitude, site.location_precision, radius, coarsened=False)
    grid = settings.SITE_LOCATION_GRID_DEGREES
    cell_radius = int(grid * _METRES_PER_DEGREE * math.sqrt(2) / 2)
    return ShownLocation(
        *coarsened_point(site.latitude, site.longitude),
        COARSENED,
        max(radius, cell_radius),
        coarsened=True,
    )


def coarsened_point(latitude, longitude) -> tuple[Decimal, Decimal]:
    """The centre of the grid cell holding the point: what readers without the permission get."""
    grid = settings.SITE_LOCATION_GRID_DEGREES
    return _cell_centre(Decimal(latitude), grid, bound=90), _cell_centre(Decimal(longitude), grid, bound=180)


def grid_degrees() -> Decimal:
    return Decimal(str(settings.SITE_LOCATION_GRID_DEGREES))


_MICRODEGREE = Decimal("0.000001")
_HALF = Decimal("0.5")


def _cell_centre(value: Decimal, grid: float, bound: int = 180) -> Decimal:
    """The centre of the grid cell holding ``value``, in decimal arithmetic as the SQL does it."""
    step = Decimal(str(grid))
    centre = ((Decimal(value) / step).to_integral_value(rounding=ROUND_FLOOR) + _HALF) * step
    return min(max(centre.quantize(_MICRODEGREE, rounding=ROUND_HALF_UP), Decimal(-bound)), Decimal(bound))


def coarsened_expression(field: str, *, bound: int):
    """``_cell_centre`` in SQL, for ``Site.objects.with_shown_location``."""
    step = Value(grid_degrees(), output_field=models.DecimalField())
    centre = (Floor(F(field) / step) + Value(_HALF)) * step
    return Least(
        Greatest(Round(centre, 6), Value(Decimal(-bound))),
        Value(Decimal(bound)),
        output_field=models.DecimalField(max_digits=10, decimal_places=6),
    )
