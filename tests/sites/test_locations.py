"""Exact coordinates only for those allowed; everyone else gets a coarsened point, marked as such."""

from decimal import Decimal

import pytest

from gravesdb.sites.choices import LocationPrecision
from gravesdb.sites.locations import COARSENED, shown_location
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def test_a_reader_allowed_exact_locations_sees_the_recorded_point():
    site = SiteFactory(latitude=Decimal("36.188123"), longitude=Decimal("43.139456"))
    shown = shown_location(site, exact=True)
    assert (shown.latitude, shown.longitude, shown.coarsened) == (Decimal("36.188123"), Decimal("43.139456"), False)
    assert shown.radius_m == 1000  # the factory's sites are approximate (under 1 km)


def test_other_readers_get_the_centre_of_a_grid_cell(settings):
    settings.SITE_LOCATION_GRID_DEGREES = 0.1
    site = SiteFactory(
        latitude=Decimal("36.188123"), longitude=Decimal("-3.555000"), location_precision=LocationPrecision.EXACT
    )
    shown = shown_location(site, exact=False)
    assert (shown.latitude, shown.longitude) == (Decimal("36.150000"), Decimal("-3.550000"))
    assert shown.coarsened and shown.precision == COARSENED
    assert shown.radius_m > 7000  # the true point may be anywhere in the 0.1° cell


def test_nearby_sites_fall_in_the_same_cell_so_the_point_reveals_nothing_finer(settings):
    settings.SITE_LOCATION_GRID_DEGREES = 0.1
    a = SiteFactory(latitude=Decimal("36.101000"), longitude=Decimal("43.101000"))
    b = SiteFactory(latitude=Decimal("36.199000"), longitude=Decimal("43.199000"))
    shown_a, shown_b = shown_location(a, exact=False), shown_location(b, exact=False)
    assert (shown_a.latitude, shown_a.longitude) == (shown_b.latitude, shown_b.longitude)


def test_a_site_without_coordinates_has_no_point():
    site = SiteFactory(latitude=None, longitude=None, location_precision=LocationPrecision.UNKNOWN)
    assert not shown_location(site, exact=False).is_known
