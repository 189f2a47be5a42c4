"""The OpenAPI schema is valid, and every endpoint answers as the schema says."""

import json
import re

import pytest
import yaml
from django.urls import reverse
from openapi_core import Config, OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from openapi_spec_validator import validate
from rest_framework.test import APIClient

from tests.factories import (
    SiteCitationFactory,
    TestimonySiteFactory,
    UserFactory,
    VictimEstimateFactory,
    WitnessIdentityFactory,
)

pytestmark = pytest.mark.django_db


def _validator(schema):
    return OpenAPI.from_dict(schema, config=Config(extra_media_type_deserializers={"application/geo+json": json.loads}))


@pytest.fixture
def schema(client_for, researcher):
    response = client_for(researcher).get(reverse("api:schema"))
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_the_docs_page_loads_its_scripts_from_gravesdb_and_none_inline(client_for, researcher):
    page = client_for(researcher).get(reverse("api:docs")).content.decode()
    scripts = re.findall(r'<script[^>]* src="([^"]+)"', page)
    assert scripts and all(src.startswith("/static/") or src.startswith("/api/") for src in scripts), scripts
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page), "an inline script would need 'unsafe-inline'"


@pytest.fixture
def everything(db):
    """One record behind every endpoint, and a reader allowed to see them all."""
    estimate = VictimEstimateFactory(site__latitude="36.188123", site__longitude="43.139456")
    SiteCitationFactory(site=estimate.site)
    link = TestimonySiteFactory(site=estimate.site, testimony__sensitivity="restricted")
    identity = WitnessIdentityFactory(witness=link.testimony.witness)
    ids = {
        "sites": estimate.site.pk,
        "estimates": estimate.pk,
        "site-citations": estimate.site.site_citations.get().pk,
        "organizations": estimate.producing_organization.pk,
        "sources": estimate.citation.source.pk,
        "citations": estimate.citation.pk,
        "witnesses": identity.witness.pk,
        "witness-identities": identity.pk,
        "testimonies": link.testimony.pk,
    }
    reader = UserFactory(username="schema-reader", is_superuser=True)
    return ids, reader


def test_every_read_endpoint_answers_as_the_schema_says(schema, everything):
    ids, reader = everything
    spec = _validator(schema)
    client = APIClient()
    client.force_login(reader)
    checked = []
    for path, operations in schema["paths"].items():
        if "get" not in operations or path in ("/api/schema/",):
            continue
        resource = path.split("/")[2]
        url = path.replace("{id}", str(ids.get(resource, "")))
        response = client.get(url, HTTP_ACCEPT="application/json, application/geo+json")
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        spec.validate_response(DjangoOpenAPIRequest(response.wsgi_request), DjangoOpenAPIResponse(response))
        checked.append(path)
    assert {"/api/sites/", "/api/sites/{id}/", "/api/sites/geojson/", "/api/witness-identities/{id}/"} <= set(checked)


def test_write_responses_match_the_schema(schema, everything, researcher):
    spec = _validator(schema)
    client = APIClient()
    client.force_login(researcher)
    response = client.post(
        reverse("api:site-list"),
        {"name": "Kocho village grave", "country": "IQ", "first_level_area": "IQ-NI", "site_type": "pit"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    spec.validate_response(DjangoOpenAPIRequest(response.wsgi_request), DjangoOpenAPIResponse(response))
    site_id = response.json()["id"]
    response = client.patch(
        reverse("api:site-detail", args=[site_id]), {"locality": "Kocho"}, format="json", HTTP_IF_MATCH=response["ETag"]
    )
    assert response.status_code == 200
    spec.validate_response(DjangoOpenAPIRequest(response.wsgi_request), DjangoOpenAPIResponse(response))
    response = client.post(
        reverse("api:site-status-changes", args=[site_id]),
        {"to_status": "verified", "changed_on": "2017-03", "reason": "Site visit"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    spec.validate_response(DjangoOpenAPIRequest(response.wsgi_request), DjangoOpenAPIResponse(response))


def test_refused_updates_answer_as_the_schema_says(schema, researcher):
    """428 without a version and 409 from a stale one are documented, with If-Match and the ETag."""
    spec = _validator(schema)
    operation = schema["paths"]["/api/sites/{id}/"]["patch"]
    assert {"409", "428"} <= set(operation["responses"]) and "ETag" in operation["responses"]["200"]["headers"]
    assert "If-Match" in {parameter["name"] for parameter in operation["parameters"]}

    client = APIClient()
    client.force_login(researcher)
    url = reverse("api:site-detail", args=[VictimEstimateFactory().site.pk])
    missing = client.patch(url, {"locality": "Kocho"}, format="json")
    assert missing.status_code == 428
    spec.validate_response(DjangoOpenAPIRequest(missing.wsgi_request), DjangoOpenAPIResponse(missing))
    assert client.patch(url, {"locality": "Kocho"}, format="json", HTTP_IF_MATCH='"1"').status_code == 200
    stale = client.patch(url, {"locality": "Kocho village"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 409
    spec.validate_response(DjangoOpenAPIRequest(stale.wsgi_request), DjangoOpenAPIResponse(stale))
