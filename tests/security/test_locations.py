"""Two locations per site: the recorded point for those allowed, a marked grid cell for everyone else."""

from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given, settings as hypothesis_settings, strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from gravesdb.sites.locations import shown_location
from gravesdb.sites.models import Site
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

EXACT = {"latitude": Decimal("36.188123"), "longitude": Decimal("43.139456")}


def test_without_the_permission_the_admin_shows_the_coarsened_point_only(client_for, researcher, auditor):
    site = SiteFactory(**EXACT)
    url = reverse("admin:sites_site_change", args=[site.pk])

    page = client_for(researcher).get(url).content.decode()
    assert "36.188123" not in page and "43.139456" not in page
    assert 'name="latitude"' not in page
    assert "36.150000, 43.150000 (coarsened" in page

    assert "36.188123" in client_for(auditor).get(url).content.decode()


def test_a_researcher_saving_a_site_leaves_its_hidden_coordinates_alone(client_for, researcher):
    site = SiteFactory(**EXACT, description="Before")
    url = reverse("admin:sites_site_change", args=[site.pk])
    client = client_for(researcher)
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data.update(
        {
            "alternative_names": ",".join(site.alternative_names),
            "description": "After",
            "latitude": "1.000000",
            "longitude": "1.000000",
            **{f"{p}-{k}": "0" for p in ("estimates", "site_citations", "status_changes", "relations_from") for k in ("TOTAL_FORMS", "INITIAL_FORMS")},
        }
    )
    data.pop("status", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    site.refresh_from_db()
    assert site.description == "After"
    assert (site.latitude, site.longitude) == (EXACT["latitude"], EXACT["longitude"])


def test_history_shows_coordinates_only_to_those_allowed(client_for, researcher, auditor):
    site = SiteFactory(**EXACT)
    Site.objects.filter(pk=site.pk).update(latitude=Decimal("36.199999"))
    url = reverse("admin:sites_site_history", args=[site.pk])
    assert "36.199999" not in client_for(researcher).get(url).content.decode()
    assert "36.199999" in client_for(auditor).get(url).content.decode()


def test_lists_and_exports_get_the_same_point_from_the_database():
    site = SiteFactory(**EXACT)
    coarse = Site.objects.with_shown_location(exact=False).get(pk=site.pk)
    assert (coarse.shown_latitude, coarse.shown_longitude) == (Decimal("36.150000"), Decimal("43.150000"))
    assert coarse.location_coarsened is True
    exact = Site.objects.with_shown_location(exact=True).get(pk=site.pk)
    assert (exact.shown_latitude, exact.shown_longitude, exact.location_coarsened) == (*EXACT.values(), False)


def test_the_grid_is_a_setting(settings):
    settings.SITE_LOCATION_GRID_DEGREES = 0.5
    site = SiteFactory(**EXACT)
    assert shown_location(site, exact=False).latitude == Decimal("36.250000")
    assert Site.objects.with_shown_location(exact=False).get(pk=site.pk).shown_latitude == Decimal("36.250000")


def test_a_public_export_of_sites_starts_from_public_sites_only():
    public = SiteFactory(sensitivity="public")
    SiteFactory(sensitivity="restricted")
    SiteFactory(sensitivity="confidential")
    assert list(Site.objects.publishable()) == [public]


coordinate = st.decimals(min_value=-90, max_value=90, places=6)
grid = st.sampled_from([0.1, 0.25, 0.5, 0.05, 1.0, 0.7])


class TestPythonAndSqlAgree(HypothesisTestCase):
    """One rule, two implementations: a map of one site and an export of all must not differ."""

    @hypothesis_settings(max_examples=60, deadline=None)
    @given(latitude=coordinate, longitude=st.decimals(min_value=-180, max_value=180, places=6), degrees=grid)
    def test_every_point_coarsens_identically(self, latitude, longitude, degrees):
        from django.test import override_settings

        with override_settings(SITE_LOCATION_GRID_DEGREES=degrees):
            site = SiteFactory(latitude=latitude, longitude=longitude)
            in_python = shown_location(site, exact=False)
            in_sql = Site.objects.with_shown_location(exact=False).get(pk=site.pk)
        assert (in_python.latitude, in_python.longitude) == (in_sql.shown_latitude, in_sql.shown_longitude)
        assert -90 <= in_sql.shown_latitude <= 90 and -180 <= in_sql.shown_longitude <= 180
        assert abs(in_sql.shown_latitude - latitude) <= Decimal(str(degrees))
