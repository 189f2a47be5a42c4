"""Sites as GeoJSON for the map and GIS tools: filtered, coarsened, paged, fixed cost."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gravesdb.core.choices import Sensitivity
from gravesdb.sites.choices import LocationPrecision, SiteStatus
from tests.factories import SiteFactory, VictimEstimateFactory

pytestmark = pytest.mark.django_db
GEOJSON = reverse("api:site-geojson")


def test_a_feature_collection_of_the_filtered_sites_with_a_location(api_for, auditor):
    khasfa = SiteFactory(name="Khasfa sinkhole", status=SiteStatus.VERIFIED, location_precision=LocationPrecision.EXACT)
    VictimEstimateFactory(site=khasfa, best=4000)
    SiteFactory(name="Badush prison grave")
    SiteFactory(name="Unlocated grave", latitude=None, longitude=None, status=SiteStatus.VERIFIED)
    response = api_for(auditor).get(GEOJSON, {"status": "verified"}, HTTP_ACCEPT="application/geo+json")
    assert response["Content-Type"].startswith("application/geo+json")
    collection = response.json()
    assert collection["type"] == "FeatureCollection" and collection["count"] == 1
    (feature,) = collection["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [float(khasfa.longitude), float(khasfa.latitude)]}
    properties = feature["properties"]
    assert properties["reconciled_best"] == 4000 and properties["status"] == "verified"
    assert properties["radius_m"] == 0 and properties["marker_radius"] > 5
    assert properties["url"] == reverse("workspace:site_dossier", args=[khasfa.reference_code])


def test_approximate_and_coarsened_points_carry_the_radius_to_draw(api_for, researcher):
    SiteFactory(latitude="36.188123", longitude="43.139456", location_precision=LocationPrecision.APPROXIMATE)
    (feature,) = api_for(researcher).get(GEOJSON).json()["features"]
    assert feature["geometry"]["coordinates"] == [43.15, 36.15]
    assert feature["properties"]["coarsened"] and feature["properties"]["radius_m"] > 7000


def test_confidential_sites_are_not_on_the_map(api_for, researcher):
    SiteFactory(sensitivity=Sensitivity.CONFIDENTIAL)
    assert api_for(researcher).get(GEOJSON).json()["features"] == []


def test_pages_follow_next_links(api_for, auditor):
    for _ in range(5):
        SiteFactory()
    api, seen, counts, url = api_for(auditor), 0, [], GEOJSON + "?page_size=2"
    while url:
        page = api.get(url).json()
        seen += len(page["features"])
        counts.append(page["count"])
        url = page["next"]
    assert seen == 5
    assert counts == [5, None, None]  # counted once, on the first page


def test_map_data_runs_a_fixed_number_of_queries(api_for, auditor):
    api = api_for(auditor)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert api.get(GEOJSON, {"country": "IQ", "page_size": 500}).status_code == 200
        return len(captured)

    VictimEstimateFactory(site=SiteFactory())
    few = queries()
    for _ in range(30):
        VictimEstimateFactory(site=SiteFactory())
    assert queries() == few
