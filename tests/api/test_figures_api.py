"""Figures through the API: a bound the source left open is null with "open" beside it, never a number."""

import pytest
import yaml
from django.urls import reverse
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from rest_framework.test import APIClient

from gravesdb.sites.choices import CountType, FigureQualifier
from gravesdb.sites.models import Site, VictimEstimate
from tests.api.test_schema import _validator
from tests.factories import CitationFactory, OrganizationFactory, SiteFactory, VictimEstimateFactory

pytestmark = pytest.mark.django_db
OPEN_ABOVE_300 = {
    "reconciled_low": 300,
    "reconciled_low_bound": "inclusive",
    "reconciled_high": None,
    "reconciled_high_bound": "open",
    "reconciled_best": None,
}


def test_the_seed_policemen_site_is_open_above_in_the_site_detail_list_and_geojson(api_for, researcher, policemen):
    api = api_for(researcher)
    detail = api.get(reverse("api:site-detail", args=[policemen.pk])).json()
    assert {field: detail[field] for field in OPEN_ABOVE_300} == OPEN_ABOVE_300

    listed = api.get(reverse("api:site-list"), {"page_size": 50}).json()["results"]
    (row,) = [site for site in listed if site["reference_code"] == "IQ-NI-0002"]
    assert {field: row[field] for field in OPEN_ABOVE_300} == OPEN_ABOVE_300

    # The seed records no point for the grave; placed roughly, it is a feature.
    Site.objects.filter(pk=policemen.pk).update(latitude="36.10", longitude="43.35", location_precision="approximate")
    (feature,) = api.get(reverse("api:site-geojson"), HTTP_ACCEPT="application/geo+json").json()["features"]
    properties = feature["properties"]
    assert {field: properties[field] for field in OPEN_ABOVE_300} == OPEN_ABOVE_300
    assert properties["reconciled_range"] == "≥ 300"


def test_an_estimate_is_written_with_its_qualifier_and_the_approximate_flag_follows(api_for, researcher):
    site, citation = SiteFactory(), CitationFactory()
    api = api_for(researcher)
    body = {
        "site": str(site.pk),
        "count_type": "reported",
        "low": 300,
        "qualifier": "at_least",
        "is_approximate": True,  # read-only now: the qualifier says how the source bounded it
        "wording": "at least 300 policemen",
        "as_of": "2016-11",
        "citation": str(citation.pk),
    }
    response = api.post(reverse("api:estimate-list"), body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["qualifier"], data["is_approximate"], data["is_cumulative"], data["is_superseded"]) == (
        "at_least", False, False, False,
    )

    closed_by_a_high = api.post(reverse("api:estimate-list"), {**body, "high": 400}, format="json")
    assert closed_by_a_high.status_code == 400
    assert "leave the high open" in str(closed_by_a_high.json())
    lone_exact_low = api.post(reverse("api:estimate-list"), {**body, "qualifier": "exact"}, format="json")
    assert lone_exact_low.status_code == 400
    assert VictimEstimate.objects.count() == 1


def test_running_totals_say_which_are_superseded_and_filter_by_qualifier(api_for, researcher):
    site, team = SiteFactory(), OrganizationFactory()
    for as_of, best in [("2013-08", 20), ("2013-09-10", 268), ("2013-11-05", 435)]:
        VictimEstimateFactory(
            site=site, count_type=CountType.EXHUMED, best=best, as_of=as_of, is_cumulative=True,
            producing_organization=team,
        )
    VictimEstimateFactory(site=site, low=300, best=None, qualifier=FigureQualifier.AT_LEAST)
    api = api_for(researcher)
    url = reverse("api:estimate-list")

    totals = api.get(url, {"site": site.reference_code, "is_cumulative": "true"}).json()["results"]
    assert sorted((e["best"], e["is_superseded"]) for e in totals) == [(20, True), (268, True), (435, False)]
    (bound,) = api.get(url, {"site": site.reference_code, "qualifier": "at_least"}).json()["results"]
    assert (bound["low"], bound["high"], bound["is_superseded"]) == (300, None, False)


def test_open_and_missing_bounds_answer_as_the_schema_says(client_for, researcher):
    schema = yaml.safe_load(client_for(researcher).get(reverse("api:schema")).content)
    site_schema = schema["components"]["schemas"]["Site"]["properties"]
    assert site_schema["reconciled_high_bound"]["readOnly"] and "open" in site_schema["reconciled_high_bound"]["description"]
    estimate_schema = schema["components"]["schemas"]["VictimEstimate"]["properties"]
    assert estimate_schema["is_superseded"]["readOnly"] and estimate_schema["is_approximate"]["readOnly"]
    assert not estimate_schema["qualifier"].get("readOnly") and not estimate_schema["is_cumulative"].get("readOnly")

    open_site = SiteFactory(latitude="36.188123", longitude="43.139456")
    VictimEstimateFactory(site=open_site, high=4000, best=None, qualifier=FigureQualifier.UP_TO)
    SiteFactory(latitude="36.2", longitude="43.2")  # no estimate: every bound null
    spec = _validator(schema)
    client = APIClient()
    client.force_login(researcher)
    for url in (reverse("api:site-list"), reverse("api:site-geojson"), reverse("api:estimate-list")):
        response = client.get(url, HTTP_ACCEPT="application/json, application/geo+json")
        assert response.status_code == 200
        spec.validate_response(DjangoOpenAPIRequest(response.wsgi_request), DjangoOpenAPIResponse(response))
