"""Estimates, sources, citations, witnesses and testimony through the API, under the admin's rules."""

import pytest
from django.urls import reverse
from pghistory.models import Events
from rest_framework.test import APIClient

from gravesdb.core.choices import Sensitivity
from gravesdb.sites.models import VictimEstimate
from gravesdb.sources.models import Citation
from gravesdb.testimony.models import WitnessIdentity
from tests.factories import (
    CitationFactory,
    OrganizationFactory,
    SiteFactory,
    SourceFactory,
    TestimonySiteFactory,
    VictimEstimateFactory,
    WitnessFactory,
    WitnessIdentityFactory,
)

pytestmark = pytest.mark.django_db


def test_an_estimate_is_created_citing_its_source_and_validated(api_for, researcher):
    site, citation, hrw = SiteFactory(), CitationFactory(), OrganizationFactory(name="Human Rights Watch")
    api = api_for(researcher)
    body = {
        "site": str(site.pk),
        "count_type": "reported",
        "low": 300,
        "qualifier": "at_least",
        "wording": "at least 300 policemen",
        "as_of": "2016-11",
        "producing_organization": str(hrw.pk),
        "citation": str(citation.pk),
    }
    response = api.post(reverse("api:estimate-list"), body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["source"] == str(citation.source_id)
    estimate = VictimEstimate.objects.get(pk=response.json()["id"])
    assert Events.objects.tracks(estimate).get().pgh_context["username"] == "researcher"
    bad = api.post(reverse("api:estimate-list"), {**body, "low": 500, "best": 300}, format="json")
    assert bad.status_code == 400
    never_blank = api.post(reverse("api:estimate-list"), {**body, "low": None}, format="json")
    assert never_blank.status_code == 400
    assert VictimEstimate.objects.count() == 1


def test_estimates_of_confidential_sites_are_invisible_and_cannot_be_added(api_for, researcher):
    hidden = SiteFactory(sensitivity=Sensitivity.CONFIDENTIAL)
    VictimEstimateFactory(site=hidden)
    api = api_for(researcher)
    assert api.get(reverse("api:estimate-list")).json()["results"] == []
    response = api.post(
        reverse("api:estimate-list"),
        {"site": str(hidden.pk), "count_type": "reported", "best": 10, "citation": str(CitationFactory().pk)},
        format="json",
    )
    assert response.status_code == 400 and "site" in response.json()


def test_a_cited_passage_is_never_rewritten(api_for, researcher):
    citation = Citation.objects.get(
        pk=api_for(researcher)
        .post(
            reverse("api:citation-list"),
            {"source": str(SourceFactory().pk), "locator": "para. 10", "quote": "Some 4,000 IS victims."},
            format="json",
        )
        .json()["id"]
    )
    url = reverse("api:citation-detail", args=[citation.pk])
    api = api_for(researcher)
    read = api.get(url)["ETag"]
    assert api.patch(url, {"quote": "Some 400 victims."}, format="json", HTTP_IF_MATCH=read).status_code == 400
    assert api.patch(url, {"credibility": 2}, format="json", HTTP_IF_MATCH=read).status_code == 200
    citation.refresh_from_db()
    assert citation.quote == "Some 4,000 IS victims." and citation.credibility == 2


def test_passages_behind_confidential_sites_are_not_listed(api_for, researcher):
    VictimEstimateFactory(site=SiteFactory(sensitivity=Sensitivity.CONFIDENTIAL), citation__quote="Secret pit.")
    VictimEstimateFactory(citation__quote="Open grave.")
    quotes = [c["quote"] for c in api_for(researcher).get(reverse("api:citation-list")).json()["results"]]
    assert quotes == ["Open grave."]


def test_witnesses_appear_by_pseudonym_and_identities_only_with_the_permission(
    api_for, researcher, auditor, protection_officer
):
    identity = WitnessIdentityFactory(legal_name="Mahmoud al-Jabouri")
    witness_url = reverse("api:witness-detail", args=[identity.witness_id])
    for reader in (researcher, auditor):
        response = api_for(reader).get(witness_url)
        if response.status_code == 200:
            assert "Mahmoud" not in response.content.decode() and "legal_name" not in response.json()
        assert api_for(reader).get(reverse("api:witness-identity-list")).status_code == 403
    identities = api_for(protection_officer).get(reverse("api:witness-identity-list")).json()["results"]
    assert [i["legal_name"] for i in identities] == ["Mahmoud al-Jabouri"]


def test_the_protection_officer_records_an_identity_stored_only_as_ciphertext(api_for, protection_officer):
    witness = WitnessFactory()
    created = api_for(protection_officer).post(
        reverse("api:witness-identity-list"),
        {"witness": str(witness.pk), "legal_name": "Khalid Example", "contact": "+964 750 000 0000"},
        format="json",
    )
    assert created.status_code == 201, created.content
    stored = WitnessIdentity.objects.values("legal_name_ciphertext", "contact_ciphertext").get(witness=witness)
    assert "Khalid" not in str(stored) and "+964" not in str(stored)
    assert WitnessIdentity.objects.get(witness=witness).legal_name == "Khalid Example"


def test_testimonies_follow_sensitivity_and_list_only_visible_sites(api_for, researcher, auditor):
    open_site, hidden_site = SiteFactory(), SiteFactory(sensitivity=Sensitivity.CONFIDENTIAL)
    link = TestimonySiteFactory(site=open_site, testimony__sensitivity="restricted", testimony__summary="Trucks at night.")
    TestimonySiteFactory(testimony=link.testimony, site=hidden_site)
    TestimonySiteFactory(site=open_site, testimony__sensitivity="confidential", testimony__summary="Named names.")
    listed = api_for(researcher).get(reverse("api:testimony-list")).json()["results"]
    assert [t["summary"] for t in listed] == ["Trucks at night."]
    assert listed[0]["sites"] == [str(open_site.pk)]
    assert listed[0]["witness_pseudonym"].startswith("W-")
    assert len(api_for(auditor).get(reverse("api:testimony-list")).json()["results"]) == 2


def test_a_token_is_issued_only_to_a_logged_in_session(client_for, researcher):
    assert APIClient().post(reverse("api:token")).status_code in (401, 403)
    session = client_for(researcher)
    token = session.post(reverse("api:token")).json()["token"]
    by_token = APIClient()
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert by_token.get(reverse("api:site-list")).status_code == 200
    assert session.delete(reverse("api:token")).status_code == 204
    assert by_token.get(reverse("api:site-list")).status_code in (401, 403)


def test_organisations_and_sources_are_filtered_with_their_filtersets(api_for, researcher):
    OrganizationFactory(name="Human Rights Watch", kind="ngo")
    OrganizationFactory(name="Reuters", kind="media")
    names = [o["name"] for o in api_for(researcher).get(reverse("api:organization-list"), {"kind": "media"}).json()["results"]]
    assert "Reuters" in names and "Human Rights Watch" not in names
    SourceFactory(title="Mass graves found near Mosul", kind="report")
    titles = [s["title"] for s in api_for(researcher).get(reverse("api:source-list"), {"q": "mosul", "kind": "report"}).json()["results"]]
    assert titles == ["Mass graves found near Mosul"]


def test_witness_list_is_for_roles_that_may_read_witnesses(api_for, researcher):
    WitnessFactory()
    response = api_for(researcher).get(reverse("api:witness-list"))
    assert response.status_code in (200, 403)
    if response.status_code == 200:
        assert all("legal_name" not in w for w in response.json()["results"])
