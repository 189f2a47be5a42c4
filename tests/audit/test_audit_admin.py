"""The audit log in the admin: read by auditors and data managers, never identities to those who may not see them."""

import pytest
from django.urls import reverse

from gravesdb.accounts.models import Membership
from gravesdb.audit.models import AuditEntry
from tests.factories import OrganizationFactory, SiteFactory, TestimonyFactory, UserFactory, WitnessIdentityFactory

pytestmark = pytest.mark.django_db

LOG = reverse("admin:audit_auditentry_changelist")


def _entry_page(entry):
    return reverse("admin:audit_auditentry_change", args=[entry.pk])


@pytest.mark.parametrize("role", ["auditor", "data_manager"])
def test_auditors_and_data_managers_read_the_log_but_not_entries_about_identities(request, client_for, role):
    site_entry = AuditEntry.objects.filter(object_id=str(SiteFactory().pk)).get()
    identity_entry = AuditEntry.objects.filter(
        object_model="testimony.WitnessIdentity", object_id=str(WitnessIdentityFactory().pk)
    ).get()
    client = client_for(request.getfixturevalue(role))

    listed = client.get(LOG)
    assert listed.status_code == 200
    shown = {entry.pk for entry in listed.context["cl"].result_list}
    assert site_entry.pk in shown and identity_entry.pk not in shown
    assert site_entry.hash in client.get(_entry_page(site_entry)).content.decode()
    # Not there for them: the admin answers as for an entry that does not exist.
    assert client.get(_entry_page(identity_entry)).status_code == 302
    assert "testimony.WitnessIdentity" not in listed.content.decode()  # not even as a filter choice


def test_the_log_stays_read_only_for_its_readers(client_for, auditor):
    entry = AuditEntry.objects.filter(object_id=str(SiteFactory().pk)).get()
    client = client_for(auditor)
    page = client.get(_entry_page(entry)).content.decode()
    assert 'name="_save"' not in page
    assert client.post(_entry_page(entry), {"reason": "rewritten"}).status_code == 403
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403


@pytest.mark.parametrize("role", ["researcher", "protection_officer"])
def test_other_roles_do_not_read_the_log(request, client_for, role):
    SiteFactory()
    assert client_for(request.getfixturevalue(role)).get(LOG).status_code == 403


def test_identity_entries_stay_in_the_log_for_whoever_may_see_identities(client):
    identity_entry = AuditEntry.objects.filter(object_id=str(WitnessIdentityFactory().pk)).get()
    client.force_login(UserFactory(username="sysadmin", is_superuser=True, is_staff=True))
    assert client.get(_entry_page(identity_entry)).status_code == 200


@pytest.mark.parametrize("role", ["auditor", "data_manager"])
def test_entries_about_testimonies_are_left_out_whatever_the_organisation(request, client_for, role):
    reader = request.getfixturevalue(role)
    home = OrganizationFactory(name="Nineveh Documentation Centre")
    Membership.objects.create(user=reader, organization=home)
    own = TestimonyFactory(recording_organization=home, sensitivity="restricted")
    theirs = TestimonyFactory(recording_organization=OrganizationFactory(name="Partner NGO"), sensitivity="restricted")
    entries = AuditEntry.objects.filter(object_id__in=[str(own.pk), str(theirs.pk)])
    assert entries.count() == 2
    client = client_for(reader)
    listed = client.get(LOG)
    shown = {entry.pk for entry in listed.context["cl"].result_list}
    assert not shown & {entry.pk for entry in entries}
    assert "testimony.Testimony" not in listed.content.decode()
    for entry in entries:
        assert client.get(_entry_page(entry)).status_code == 302
    # The record's own history page still shows its reader the changes.
    assert client.get(reverse("admin:testimony_testimony_history", args=[own.pk])).status_code == 200


def test_a_superuser_reads_the_whole_log(client):
    entry = AuditEntry.objects.get(object_model="testimony.Testimony", object_id=str(TestimonyFactory().pk))
    client.force_login(UserFactory(username="sysadmin", is_superuser=True, is_staff=True))
    assert client.get(_entry_page(entry)).status_code == 200
