"""The database's own guards over the record: installed after every migrate.

Everything here is plain SQL on purpose. pgtrigger-built triggers (including
pghistory's own append-only protection) skip themselves when a session lists
them in the ``pgtrigger.ignore`` setting, which any database role may set; the
triggers below have no such switch, and ``harden_pgtrigger_ignore`` makes the
pgtrigger switch work for superusers only. What a superuser or the tables'
owner can still do (disable triggers, drop tables) is why the application runs
as a role that owns nothing (docs/security.md, "Tamper-evident record").

Installed for every table that exists when ``migrate`` finishes, so a history
table or an evidentiary model added later is guarded without anyone listing it:

- every pghistory event table: an audit entry per event (``audit_record_events``,
  once per statement, sealing all the statement's events under one lock),
  and UPDATE, DELETE and TRUNCATE refused;
- the audit log, its chain head and pghistory's context table: append-only, and
  the chain head moved to the last entry when a transaction commits;
- every RecordedModel table: ``version`` goes up by one on every changed row,
  whatever wrote it, so optimistic locking also sees bulk and raw-SQL edits;
- every evidentiary table (core.models.EVIDENTIARY_MODELS): DELETE and TRUNCATE
  refused, so evidence is archived, never deleted.
"""

import pghistory.models
from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from gravesdb.core.models import EVIDENTIARY_MODELS, RecordedModel

from .models import AuditEntry, ChainHead

# Who may bypass a guard, and how: a superuser who says so in the session. The
# TRUNCATE switch exists for the test suite's flush between transactional tests;
# the delete switch is the documented erasure path and its value is the reason,
# which the audit entry of the resulting history event records.
FUNCTIONS = r"""
-- Replaced by the statement-level audit_record_events (and its triggers with it)
-- and by audit_build_entry.
DROP FUNCTION IF EXISTS audit_record_event() CASCADE;
DROP FUNCTION IF EXISTS audit_changed_fields(jsonb, jsonb);
DROP FUNCTION IF EXISTS audit_event_digest(jsonb, text[]);

CREATE OR REPLACE FUNCTION gravesdb_is_superuser() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false)
$$;

CREATE OR REPLACE FUNCTION gravesdb_truncate_allowed() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('gravesdb.allow_truncate', true), '') = 'on' AND gravesdb_is_superuser()
$$;

CREATE OR REPLACE FUNCTION audit_refuse_rewrite() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND gravesdb_truncate_allowed() THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% refused: rows from % table are append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE OR REPLACE FUNCTION core_refuse_evidence_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        IF gravesdb_truncate_allowed() THEN
            RETURN NULL;
        END IF;
    ELSIF coalesce(current_setting('gravesdb.hard_delete_reason', true), '') <> '' AND gravesdb_is_superuser() THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'evidence is archived, never deleted: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation',
              HINT = 'Archive the record with a reason. Erasure is a superuser-only path: docs/security.md.';
END;
$$;

CREATE OR REPLACE FUNCTION core_bump_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION audit_field(value text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT length(coalesce(value, '')) || ':' || coalesce(value, '')
$$;

CREATE OR REPLACE FUNCTION audit_timestamp(ts timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

CREATE OR REPLACE FUNCTION audit_entry_hash(e audit_auditentry) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT encode(sha256(convert_to(
        e.prev_hash || E'\n'
        || audit_field(e.seq::text)
        || audit_field(audit_timestamp(e.recorded_at))
        || audit_field(e.event_model)
        || audit_field(e.event_id::text)
        || audit_field(e.label)
        || audit_field(e.object_model)
        || audit_field(e.object_id)
        || audit_field(e.context_id::text)
        || audit_field(e.user_id::text)
        || audit_field(e.username)
        || audit_field(e.db_role)
        || audit_field(e.reason)
        || audit_field(array_to_string(e.changed_fields, ','))
        || audit_field(array_to_string(e.snapshot_fields, ','))
        || audit_field(e.event_digest),
        'UTF8')), 'hex')
$$;

-- The chain's tip, under the chain-head lock: the newest entry, or the head row
-- when the log ends before it (entries removed), so that gap stays visible. The
-- head row is locked, not rewritten, per append: rewriting one row thousands of
-- times in one transaction leaves a chain of dead versions every later append
-- must walk. It is moved on once, at commit (audit_advance_head).
CREATE OR REPLACE FUNCTION audit_lock_chain(OUT tip_seq bigint, OUT tip_hash text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
    last_seq bigint;
    last_hash text;
BEGIN
    SELECT h.seq, h.hash INTO tip_seq, tip_hash FROM audit_chainhead h WHERE h.id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO audit_chainhead (id, seq, hash) VALUES (1, 0, repeat('0', 64)) ON CONFLICT (id) DO NOTHING;
        SELECT h.seq, h.hash INTO tip_seq, tip_hash FROM audit_chainhead h WHERE h.id = 1 FOR UPDATE;
    END IF;
    SELECT a.seq, a.hash INTO last_seq, last_hash FROM audit_auditentry a ORDER BY a.seq DESC LIMIT 1;
    IF FOUND AND last_seq > tip_seq THEN
        tip_seq := last_seq;
        tip_hash := last_hash;
    END IF;
END;
$$;

-- Callers fix TimeZone to UTC, so timestamps in the sealed JSON never depend on the session.
CREATE OR REPLACE FUNCTION audit_build_entry(
    p_seq bigint, p_prev_hash text, p_event_model text, p_object_model text,
    p_event jsonb, p_previous jsonb, p_context jsonb
) RETURNS audit_auditentry
LANGUAGE plpgsql STABLE AS $$
DECLARE
    entry audit_auditentry%ROWTYPE;
    context jsonb := coalesce(p_context, '{}'::jsonb);
BEGIN
    entry.seq := p_seq;
    entry.recorded_at := (p_event->>'pgh_created_at')::timestamptz;
    entry.event_model := p_event_model;
    entry.event_id := (p_event->>'pgh_id')::bigint;
    entry.label := coalesce(p_event->>'pgh_label', '');
    entry.object_model := p_object_model;
    entry.object_id := coalesce(p_event->>'pgh_obj_id', '');
    entry.context_id := (p_event->>'pgh_context_id')::uuid;
    entry.user_id := CASE WHEN context->>'user' ~ '^[0-9]+$' THEN (context->>'user')::bigint END;
    entry.username := coalesce(context->>'username', '');
    entry.db_role := session_user;
    entry.reason := coalesce(nullif(context->>'reason', ''), nullif(current_setting('gravesdb.hard_delete_reason', true), ''), '');
    -- One pass over the event's columns gives both lists: every column sealed, and
    -- those that changed (provenance and pghistory's own columns aside).
    SELECT coalesce(array_agg(key ORDER BY key), '{}'),
           coalesce(array_agg(key ORDER BY key) FILTER (
               WHERE key NOT LIKE 'pgh\_%'
                 AND key NOT IN ('id', 'created_at', 'created_by_id', 'updated_at', 'updated_by_id', 'version')
                 AND CASE
                     WHEN p_event->>'pgh_label' = 'delete' THEN false
                     WHEN p_previous IS NULL OR p_event->>'pgh_label' = 'insert' THEN value NOT IN ('null'::jsonb, '""'::jsonb, '[]'::jsonb)
                     ELSE p_previous->key IS DISTINCT FROM value
                 END), '{}')
    INTO entry.snapshot_fields, entry.changed_fields
    FROM jsonb_each(p_event);
    -- The digest covers the columns the event had when it was written (all of
    -- them, here), so a column added to a tracked model later does not make old
    -- events look tampered with: verify_audit_log digests only snapshot_fields.
    entry.event_digest := encode(sha256(convert_to(p_event::text, 'UTF8')), 'hex');
    entry.prev_hash := p_prev_hash;
    entry.hash := audit_entry_hash(entry);
    RETURN entry;
END;
$$;

-- One event, appended on its own (sealing history written before the log existed).
-- SECURITY DEFINER: the application's role may not write the log itself, only
-- cause entries through the history triggers.
CREATE OR REPLACE FUNCTION audit_append(p_event_model text, p_object_model text, p_event jsonb, p_previous jsonb)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog SET TimeZone = 'UTC' AS $$
DECLARE
    tip record;
    context jsonb;
BEGIN
    SELECT * INTO tip FROM audit_lock_chain();
    IF p_event->>'pgh_context_id' IS NOT NULL THEN
        SELECT metadata INTO context FROM pghistory_context WHERE id = (p_event->>'pgh_context_id')::uuid;
    END IF;
    INSERT INTO audit_auditentry
    SELECT (audit_build_entry(tip.tip_seq + 1, tip.tip_hash, p_event_model, p_object_model, p_event, p_previous, context)).*;
END;
$$;

-- Every event one statement wrote, sealed in pghistory's order under one lock: a
-- bulk write of thousands of rows costs one lock and one insert, not thousands.
-- TimeZone is fixed so the sealed JSON of a timestamp never depends on the session.
CREATE OR REPLACE FUNCTION audit_record_events() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog SET TimeZone = 'UTC' AS $$
DECLARE
    tip_seq bigint;
    tip_hash text;
    item record;
    previous jsonb;
    entry audit_auditentry%ROWTYPE;
    entries audit_auditentry[] := '{}';
    context jsonb;
    context_id uuid;
BEGIN
    -- Static SQL over the transition table, so its plan is cached per history
    -- table; only an update or delete looks up the object's event before it.
    FOR item IN SELECT to_jsonb(n) AS event, n.pgh_id AS pgh_id, n.pgh_obj_id AS object_id, n.pgh_label AS label
                FROM new_events n ORDER BY n.pgh_id
    LOOP
        IF tip_seq IS NULL THEN
            SELECT * INTO tip_seq, tip_hash FROM audit_lock_chain();
        END IF;
        IF (item.event->>'pgh_context_id')::uuid IS DISTINCT FROM context_id THEN
            context_id := (item.event->>'pgh_context_id')::uuid;
            SELECT metadata INTO context FROM pghistory_context WHERE id = context_id;
        END IF;
        previous := NULL;
        IF item.label <> 'insert' THEN
            EXECUTE format(
                'SELECT to_jsonb(p) FROM %I.%I p WHERE p.pgh_obj_id = $1 AND p.pgh_id < $2 ORDER BY p.pgh_id DESC LIMIT 1',
                TG_TABLE_SCHEMA, TG_TABLE_NAME)
                INTO previous USING item.object_id, item.pgh_id;
        END IF;
        entry := audit_build_entry(tip_seq + 1, tip_hash, TG_ARGV[0], TG_ARGV[1], item.event, previous, context);
        entries := entries || entry;
        tip_seq := entry.seq;
        tip_hash := entry.hash;
    END LOOP;
    INSERT INTO audit_auditentry SELECT * FROM unnest(entries);
    RETURN NULL;
END;
$$;

-- Fired at commit (a deferred constraint trigger): the first firing moves the head
-- to the transaction's last entry, the others find nothing to do.
CREATE OR REPLACE FUNCTION audit_advance_head() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
    UPDATE audit_chainhead h SET seq = tip.seq, hash = tip.hash
    FROM (SELECT a.seq, a.hash FROM audit_auditentry a ORDER BY a.seq DESC LIMIT 1) tip
    WHERE h.id = 1 AND h.seq < tip.seq AND NEW.seq > h.seq;
    RETURN NULL;
END;
$$;

-- pgtrigger's switch for skipping its triggers is a session setting anyone can set;
-- here it is honoured for superusers only, so the application's role cannot write
-- a change without its history event or undo pghistory's append-only protection.
CREATE OR REPLACE FUNCTION public._pgtrigger_should_ignore(trigger_name NAME) RETURNS BOOLEAN AS $$
    -- Called by every pgtrigger trigger on every row, so the common case (nothing
    -- ignored) reads one setting and returns: no exception block (each would be a
    -- subtransaction) and no catalogue lookup.
    DECLARE
        _pgtrigger_ignore TEXT := NULLIF(CURRENT_SETTING('pgtrigger.ignore', TRUE), '');
    BEGIN
        IF _pgtrigger_ignore IS NULL OR _pgtrigger_ignore = '{}' THEN
            RETURN FALSE;
        END IF;
        RETURN trigger_name = ANY(_pgtrigger_ignore::TEXT[]) AND gravesdb_is_superuser();
    END;
$$ LANGUAGE plpgsql;
"""

AUDIT_TRIGGER = "gravesdb_audit"
HEAD_TRIGGER = "gravesdb_audit_head"
APPEND_ONLY_TRIGGER = "gravesdb_append_only"
APPEND_ONLY_TRUNCATE_TRIGGER = "gravesdb_append_only_truncate"
VERSION_TRIGGER = "gravesdb_version_bump"
EVIDENCE_DELETE_TRIGGER = "gravesdb_evidence_not_deleted"
EVIDENCE_TRUNCATE_TRIGGER = "gravesdb_evidence_not_truncated"


def event_models():
    """Every concrete pghistory event model: one history table per tracked model."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, pghistory.models.Event)
        and getattr(model, "pgh_tracked_model", None) is not None
        and model._meta.managed
        and not model._meta.proxy
    ]


def recorded_models():
    return [m for m in apps.get_models() if issubclass(m, RecordedModel) and m._meta.managed and not m._meta.proxy]


def _trigger(cursor, name, table, timing, function, *args, level="ROW", referencing=""):
    arguments = ", ".join(cursor.mogrify("%s", [arg]).decode() for arg in args)
    cursor.execute(
        f"CREATE OR REPLACE TRIGGER {name} {timing} ON {_quote(table)} {referencing} "
        f"FOR EACH {level} EXECUTE FUNCTION {function}({arguments})"
    )


def _quote(table):
    return '"' + table.replace('"', '""') + '"'


def _append_only(cursor, table, *, operations="UPDATE OR DELETE"):
    _trigger(cursor, APPEND_ONLY_TRIGGER, table, f"BEFORE {operations}", "audit_refuse_rewrite")
    _trigger(cursor, APPEND_ONLY_TRUNCATE_TRIGGER, table, "BEFORE TRUNCATE", "audit_refuse_rewrite", level="STATEMENT")


def install(using: str = DEFAULT_DB_ALIAS) -> None:
    """(Re)install every guard; idempotent, so it runs after each migrate."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(FUNCTIONS)
        _append_only(cursor, AuditEntry._meta.db_table)
        cursor.execute(
            f"DROP TRIGGER IF EXISTS {HEAD_TRIGGER} ON {_quote(AuditEntry._meta.db_table)}; "
            f"CREATE CONSTRAINT TRIGGER {HEAD_TRIGGER} AFTER INSERT ON {_quote(AuditEntry._meta.db_table)} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_advance_head()"
        )
        _append_only(cursor, ChainHead._meta.db_table, operations="DELETE")
        _append_only(cursor, pghistory.models.Context._meta.db_table, operations="DELETE")
        for event_model in event_models():
            table = event_model._meta.db_table
            _trigger(
                cursor,
                AUDIT_TRIGGER,
                table,
                "AFTER INSERT",
                "audit_record_events",
                event_model._meta.label,
                event_model.pgh_tracked_model._meta.label,
                level="STATEMENT",
                referencing="REFERENCING NEW TABLE AS new_events",
            )
            _append_only(cursor, table)
        for model in recorded_models():
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER {VERSION_TRIGGER} BEFORE UPDATE ON {_quote(model._meta.db_table)} "
                f"FOR EACH ROW WHEN ({_row_changed(model)}) EXECUTE FUNCTION core_bump_version()"
            )
        for label in EVIDENTIARY_MODELS:
            table = apps.get_model(label)._meta.db_table
            _trigger(cursor, EVIDENCE_DELETE_TRIGGER, table, "BEFORE DELETE", "core_refuse_evidence_delete")
            _trigger(
                cursor, EVIDENCE_TRUNCATE_TRIGGER, table, "BEFORE TRUNCATE", "core_refuse_evidence_delete", level="STATEMENT"
            )
        _backfill_if_empty(cursor)


def _row_changed(model) -> str:
    """Whether an update changes any column the record's writers set.

    A table with generated columns (a site's search columns) cannot compare whole
    rows: PostgreSQL computes those after BEFORE triggers, so such a trigger may not
    read them, and they change only with the columns they are computed from. Its
    trigger names the written columns instead, which ties those columns to it:
    ``release_column_triggers`` lets a migration change them.
    """
    if not _has_generated_columns(model):
        return "OLD.* IS DISTINCT FROM NEW.*"
    columns = [_quote(f.column) for f in model._meta.concrete_fields if not f.generated]
    old = ", ".join(f"OLD.{column}" for column in columns)
    new = ", ".join(f"NEW.{column}" for column in columns)
    return f"ROW({old}) IS DISTINCT FROM ROW({new})"


def _has_generated_columns(model) -> bool:
    return any(f.generated for f in model._meta.concrete_fields)


def release_column_triggers(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    """Before migrating: drop the version triggers that name columns (``install`` puts them back).

    PostgreSQL refuses to change the type of a column a trigger's condition names,
    so an AlterField on such a table would fail halfway through ``migrate``.
    """
    with connections[using].cursor() as cursor:
        for model in recorded_models():
            if _has_generated_columns(model):
                cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [_quote(model._meta.db_table)])
                if cursor.fetchone()[0]:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {VERSION_TRIGGER} ON {_quote(model._meta.db_table)}")


def _backfill_if_empty(cursor) -> None:
    """Seal the history written before the audit log existed, oldest first.

    Only into an empty chain: once the chain has entries, an event without one is
    a finding for verify_audit_log, never something to quietly append.
    """
    cursor.execute("SELECT EXISTS (SELECT 1 FROM audit_auditentry)")
    if cursor.fetchone()[0]:
        return
    selects = [
        cursor.mogrify(
            f"SELECT e.pgh_created_at, %s, %s, e.pgh_id, to_jsonb(e)->>'pgh_obj_id', to_jsonb(e)::text "
            f"FROM {_quote(m._meta.db_table)} e",
            [m._meta.label, m.pgh_tracked_model._meta.label],
        ).decode()
        for m in event_models()
    ]
    if not selects:
        return
    # As text, not parsed: a JSON round trip through Python would turn 36.219000 into 36.219.
    cursor.execute("SET LOCAL TimeZone = 'UTC'")
    cursor.execute(" UNION ALL ".join(selects) + " ORDER BY 1, 2, 4")
    previous = {}
    for _, event_model, object_model, _, object_id, event in cursor.fetchall():
        key = (event_model, object_id)
        cursor.execute(
            "SELECT audit_append(%s, %s, %s::jsonb, %s::jsonb)",
            [event_model, object_model, event, previous.get(key) if object_id is not None else None],
        )
        previous[key] = event


def install_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    install(using=using)
