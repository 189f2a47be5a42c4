"""Every change, by any path, adds one chained entry built from the history event."""

import hashlib

import pytest
from django.db import connection
from pghistory.models import Events

from gravesdb.audit.chain import entry_hash
from gravesdb.audit.models import GENESIS_HASH, AuditEntry
from gravesdb.core.history import acting
from gravesdb.sites.models import Site
from tests.factories import SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_each_change_is_one_entry_with_who_what_and_why(history):
    entries = list(AuditEntry.objects.filter(object_id=str(history.pk)).order_by("seq"))
    assert [e.label for e in entries] == ["insert", "update", "update"]
    assert [e.changed_fields for e in entries[1:]] == [["name"], ["locality"]]
    assert {e.username for e in entries} == {"editor"}
    assert [e.reason for e in entries] == [
        "Entered from the 2017 article",
        "Spelling as in the survey",
        "Village named in testimony",
    ]
    assert entries[0].object_model == "sites.Site"
    assert "name" in entries[0].changed_fields and "reference_code" in entries[0].changed_fields


def test_the_log_is_the_history_sealed_not_a_second_copy(history):
    """One entry per pghistory event, pointing at it, so the two cannot disagree."""
    events = Events.objects.tracks(history)
    entries = AuditEntry.objects.filter(object_id=str(history.pk))
    assert sorted(e.pgh_id for e in events) == sorted(entries.values_list("event_id", flat=True))
    assert set(entries.values_list("event_model", flat=True)) == {"sites.SiteEvent"}


def test_entries_form_a_sha256_chain_computed_in_the_database(history):
    entries = list(AuditEntry.objects.order_by("seq"))
    assert entries[0].seq == 1 and entries[0].prev_hash == GENESIS_HASH
    for before, after in zip(entries, entries[1:]):
        assert after.seq == before.seq + 1
        assert after.prev_hash == before.hash
    # The database's hash is the documented canonical form, recomputed here in Python.
    for entry in entries:
        assert entry.hash == entry_hash(entry)
    with connection.cursor() as cursor:
        cursor.execute("SELECT encode(sha256('abc'::bytea), 'hex')")
        assert cursor.fetchone()[0] == hashlib.sha256(b"abc").hexdigest()


def test_bulk_updates_and_raw_sql_are_logged_too(db):
    site = SiteFactory(locality="")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE sites_site SET description = 'typed in psql' WHERE id = %s", [site.pk])
        cursor.execute("SELECT session_user")
        role = cursor.fetchone()[0]
    with acting(UserFactory(username="importer"), reason="Bulk import of localities"):
        Site.objects.filter(pk=site.pk).update(locality="Badush")

    raw, bulk = AuditEntry.objects.filter(object_id=str(site.pk), label="update").order_by("seq")
    # No Django user behind raw SQL: the database role that ran it is on the entry.
    assert (raw.username, raw.db_role, raw.changed_fields) == ("", role, ["description"])
    assert (bulk.username, bulk.reason, bulk.changed_fields) == ("importer", "Bulk import of localities", ["locality"])


def test_admin_edits_are_logged_with_the_reason_typed_in_the_form(client_for, data_manager):
    from django.urls import reverse

    site = SiteFactory(name="Badush prison")
    client = client_for(data_manager)
    page = client.get(reverse("admin:sites_site_change", args=[site.pk]))
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data.update(
        {
            "name": "Badush prison site",
            "alternative_names": ",".join(site.alternative_names),
            "change_reason": "Name as in the UN report",
            "expected_version": site.version,
        }
    )
    for formset in page.context["inline_admin_formsets"]:
        prefix = formset.formset.prefix
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = client.post(reverse("admin:sites_site_change", args=[site.pk]), data)
    assert response.status_code == 302, response.context["adminform"].errors

    entry = AuditEntry.objects.filter(object_id=str(site.pk)).latest("seq")
    assert (entry.username, entry.reason, entry.changed_fields) == (
        data_manager.username,
        "Name as in the UN report",
        ["name"],
    )
