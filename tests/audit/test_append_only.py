"""The log and the history refuse rewriting, and an application role cannot switch that off."""

import contextlib
import os

import pytest
from django.db import DatabaseError, connection, transaction

from gravesdb.audit.guards import event_models
from gravesdb.audit.models import AuditEntry
from gravesdb.sites.models import Site

pytestmark = pytest.mark.django_db

APP_ROLE = f"gravesdb_app_test_{os.getpid()}"


@contextlib.contextmanager
def refused(message: str):
    with pytest.raises(DatabaseError) as refusal:
        with transaction.atomic(), connection.cursor() as cursor:
            yield cursor
    assert message in str(refusal.value), str(refusal.value)


@pytest.mark.parametrize("statement", ["UPDATE audit_auditentry SET reason = 'x'", "DELETE FROM audit_auditentry"])
def test_the_audit_log_refuses_update_and_delete_even_for_a_superuser(history, statement):
    with refused("rows from audit_auditentry table are append-only") as cursor:
        cursor.execute(statement)
    assert AuditEntry.objects.filter(reason="x").count() == 0


@pytest.mark.parametrize("table", ["audit_auditentry", "audit_chainhead", "pghistory_context", "sites_siteevent"])
def test_truncate_is_refused_on_the_record(history, table):
    with refused(f"TRUNCATE refused: rows from {table} table are append-only") as cursor:
        cursor.execute("SET LOCAL gravesdb.allow_truncate = off")
        # The chain head moves at commit; PostgreSQL would refuse a TRUNCATE with
        # that still pending before the guard could, so run it now.
        cursor.execute("SET CONSTRAINTS gravesdb_audit_head IMMEDIATE")
        cursor.execute(f"TRUNCATE {table} CASCADE")


def test_every_history_table_carries_the_audit_and_append_only_triggers(db):
    tables = sorted(model._meta.db_table for model in event_models())
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, array_agg(t.tgname::text ORDER BY t.tgname)
            FROM pg_class c JOIN pg_trigger t ON t.tgrelid = c.oid
            WHERE c.relname = ANY(%s) AND t.tgname LIKE 'gravesdb_%%' AND t.tgenabled = 'O'
            GROUP BY c.relname ORDER BY c.relname
            """,
            [tables],
        )
        found = dict(cursor.fetchall())
    expected = ["gravesdb_append_only", "gravesdb_append_only_truncate", "gravesdb_audit"]
    assert {table: found.get(table) for table in tables} == {table: expected for table in tables}


@pytest.fixture
def app_role(db):
    """A role like the one docs/security.md tells operators to run the application as."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
        cursor.execute(f"REVOKE INSERT, UPDATE, DELETE ON audit_auditentry, audit_chainhead FROM {APP_ROLE}")
    return APP_ROLE


@pytest.mark.parametrize(
    "statement, message",
    [
        ("ALTER TABLE audit_auditentry DISABLE TRIGGER ALL", "must be owner"),
        ("ALTER TABLE sites_siteevent DISABLE TRIGGER gravesdb_append_only", "must be owner"),
        ("ALTER TABLE sites_site DISABLE TRIGGER USER", "must be owner"),
        ("DROP TRIGGER gravesdb_audit ON sites_siteevent", "must be owner"),
        ("DROP TABLE audit_auditentry", "must be owner"),
        ("SET session_replication_role = replica", "permission denied"),
        ("UPDATE audit_auditentry SET reason = 'x'", "permission denied"),
        ("INSERT INTO audit_auditentry (seq) VALUES (999999)", "permission denied"),
        ("TRUNCATE sites_siteevent", "permission denied"),
        ("DELETE FROM sites_siteevent", "append-only"),
        ("CREATE OR REPLACE FUNCTION audit_append(text, text, jsonb, jsonb) RETURNS void LANGUAGE sql AS ''", "permission denied"),
    ],
)
def test_an_application_role_that_owns_nothing_cannot_undo_the_guards(history, app_role, statement, message):
    with refused(message) as cursor:
        cursor.execute(f"SET LOCAL ROLE {app_role}")
        cursor.execute(statement)


def test_the_pgtrigger_switch_does_not_let_an_application_role_skip_history(history, app_role):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(tgname::text) FROM pg_trigger WHERE tgrelid = 'sites_site'::regclass AND tgname LIKE 'pgtrigger_%%'"
        )
        every_pgtrigger = "{" + ",".join(cursor.fetchone()[0]) + "}"
        before = AuditEntry.objects.count()
        with transaction.atomic():
            cursor.execute(f"SET LOCAL ROLE {app_role}")
            cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", [every_pgtrigger])
            cursor.execute("UPDATE sites_site SET locality = 'unrecorded?' WHERE id = %s", [history.pk])
            cursor.execute("RESET ROLE")
    # The history event was written all the same, and sealed into the log.
    assert AuditEntry.objects.count() == before + 1
    assert AuditEntry.objects.latest("seq").changed_fields == ["locality"]
    assert Site.objects.get(pk=history.pk).locality == "unrecorded?"
