"""Each role's view of the admin, over HTTP, as the role's members would meet it."""

import pytest
from django.contrib import admin
from django.urls import reverse

from gravesdb.sources.models import Organization
from tests.factories import (
    ConsentFactory,
    OrganizationFactory,
    SiteFactory,
    TestimonyFactory,
    VictimEstimateFactory,
    WitnessIdentityFactory,
)

pytestmark = pytest.mark.django_db

EVIDENCE_ADMINS = [
    "sources_organization",
    "sources_source",
    "sources_citation",
    "sites_site",
    "sites_victimestimate",
    "sites_sitestatuschange",
    "sites_siterelation",
    "testimony_witness",
    "testimony_consent",
    "testimony_testimony",
]


def test_every_model_admin_is_covered_here():
    registered = {f"{m._meta.app_label}_{m._meta.model_name}" for m in admin.site._registry}
    domain = {name for name in registered if name.split("_")[0] in {"sources", "sites", "testimony"}}
    assert domain == set(EVIDENCE_ADMINS) | {"testimony_witnessidentity"}


@pytest.mark.parametrize("admin_name", EVIDENCE_ADMINS)
@pytest.mark.parametrize("role", ["researcher", "auditor", "data_manager"])
def test_evidence_lists_open_for_every_team_role(request, client_for, role, admin_name):
    user = request.getfixturevalue(role)
    assert client_for(user).get(reverse(f"admin:{admin_name}_changelist")).status_code == 200


@pytest.mark.parametrize("role", ["researcher", "auditor", "data_manager"])
def test_only_the_protection_officer_opens_witness_identities(request, client_for, role, protection_officer):
    url = reverse("admin:testimony_witnessidentity_changelist")
    assert client_for(request.getfixturevalue(role)).get(url).status_code == 403
    assert client_for(protection_officer).get(url).status_code == 200


def test_auditor_sees_read_only_pages_and_every_save_is_refused(client_for, auditor):
    site = SiteFactory(name="Hamam al-Alil grave")
    VictimEstimateFactory(site=site)
    client = client_for(auditor)
    change_url = reverse("admin:sites_site_change", args=[site.pk])

    page = client.get(change_url).content.decode()
    assert "Hamam al-Alil grave" in page
    assert 'name="name"' not in page  # rendered as text, not as an input
    assert 'name="_save"' not in page
    assert "Reason for this change" not in page

    assert client.post(change_url, {"name": "Renamed by an auditor"}).status_code == 403
    assert client.get(reverse("admin:sites_site_add")).status_code == 403
    assert client.post(reverse("admin:sites_site_delete", args=[site.pk]), {"post": "yes"}).status_code == 403
    site.refresh_from_db()
    assert site.name == "Hamam al-Alil grave"


def test_researcher_adds_and_changes_but_cannot_delete(client_for, researcher):
    organization = OrganizationFactory()
    client = client_for(researcher)
    assert client.get(reverse("admin:sources_organization_add")).status_code == 200
    delete_url = reverse("admin:sources_organization_delete", args=[organization.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Organization.objects.filter(pk=organization.pk).exists()


def test_not_even_the_data_manager_deletes_evidence(client_for, data_manager):
    """Evidence is archived with a reason, never deleted (docs/security.md)."""
    organization = OrganizationFactory()
    delete_url = reverse("admin:sources_organization_delete", args=[organization.pk])
    assert client_for(data_manager).post(delete_url, {"post": "yes"}).status_code == 403
    assert Organization.objects.filter(pk=organization.pk).exists()


@pytest.mark.parametrize("role", ["researcher", "auditor", "data_manager"])
def test_witness_legal_name_hidden_from_everyone_but_the_protection_officer(
    request, client_for, role, protection_officer
):
    identity = WitnessIdentityFactory(legal_name="Mahmoud Example-Name")
    witness = identity.witness
    # Restricted, not confidential: every team role may know this witness exists.
    TestimonyFactory(witness=witness, consent=ConsentFactory(witness=witness), sensitivity="restricted")
    pages = [
        reverse("admin:testimony_witness_change", args=[witness.pk]),
        reverse("admin:testimony_witness_history", args=[witness.pk]),
        reverse("admin:testimony_witness_changelist"),
        reverse("admin:testimony_testimony_changelist"),
    ]
    client = client_for(request.getfixturevalue(role))
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200
        assert "Mahmoud Example-Name" not in response.content.decode(), url
        assert witness.pseudonym in response.content.decode() or "history" in url

    officer = client_for(protection_officer)
    assert "Mahmoud Example-Name" in officer.get(pages[0]).content.decode()
    assert "Mahmoud Example-Name" in officer.get(pages[1]).content.decode()
