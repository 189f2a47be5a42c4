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

- every pghistory event table: an audit entry per event (``audit_record_event``),
  and UPDATE, DELETE and TRUNCATE refused;
- the audit log, its chain head and pghistory's context table: append-only;
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

-- The digest covers the columns the event had when it was written, so adding a
-- column to a tracked model later does not make old events look tampered with.
CREATE OR REPLACE FUNCTION audit_event_digest(event jsonb, fields text[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(coalesce(
        (SELECT jsonb_object_agg(key, value) FROM jsonb_each(event) WHERE key = ANY(fields)),
        '{}'::jsonb)::text, 'UTF8')), 'hex')
$$;

CREATE OR REPLACE FUNCTION audit_changed_fields(event jsonb, previous jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(key ORDER BY key), '{}')
    FROM jsonb_each(event)
    WHERE key NOT LIKE 'pgh\_%' AND key NOT IN ('id', 'created_at', 'created_by_id', 'updated_at', 'updated_by_id', 'version')
      AND CASE
          WHEN event->>'pgh_label' = 'delete' THEN false
          WHEN previous IS NULL OR event->>'pgh_label' = 'insert' THEN value NOT IN ('null'::jsonb, '""'::jsonb, '[]'::jsonb)
          ELSE previous->key IS DISTINCT FROM value
      END
$$;

-- SECURITY DEFINER: the application's role may not write the log itself, only
-- cause entries through the history triggers.
CREATE OR REPLACE FUNCTION audit_append(p_event_model text, p_object_model text, p_event jsonb, p_previous jsonb)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog SET TimeZone = 'UTC' AS $$
DECLARE
    head audit_chainhead%ROWTYPE;
    context jsonb;
    entry audit_auditentry%ROWTYPE;
BEGIN
    SELECT * INTO head FROM audit_chainhead WHERE id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO audit_chainhead (id, seq, hash) VALUES (1, 0, repeat('0', 64)) ON CONFLICT (id) DO NOTHING;
        SELECT * INTO head FROM audit_chainhead WHERE id = 1 FOR UPDATE;
    END IF;
    IF p_event->>'pgh_context_id' IS NOT NULL THEN
        SELECT metadata INTO context FROM pghistory_context WHERE id = (p_event->>'pgh_context_id')::uuid;
    END IF;
    context := coalesce(context, '{}'::jsonb);

    entry.seq := head.seq + 1;
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
    entry.changed_fields := audit_changed_fields(p_event, p_previous);
    entry.snapshot_fields := ARRAY(SELECT jsonb_object_keys(p_event) ORDER BY 1);
    entry.event_digest := audit_event_digest(p_event, entry.snapshot_fields);
    entry.prev_hash := head.hash;
    entry.hash := audit_entry_hash(entry);

    INSERT INTO audit_auditentry VALUES (entry.*);
    UPDATE audit_chainhead SET seq = entry.seq, hash = entry.hash WHERE id = 1;
END;
$$;

-- TimeZone is fixed so the sealed JSON of a timestamp never depends on the session.
CREATE OR REPLACE FUNCTION audit_record_event() RETURNS trigger
LANGUAGE plpgsql SET TimeZone = 'UTC' AS $$
DECLARE
    event jsonb := to_jsonb(NEW);
    previous jsonb;
BEGIN
    IF event ? 'pgh_obj_id' AND event->>'pgh_label' IS DISTINCT FROM 'insert' THEN
        EXECUTE format(
            'SELECT to_jsonb(e) FROM %I.%I e WHERE e.pgh_obj_id = $1 AND e.pgh_id < $2 ORDER BY e.pgh_id DESC LIMIT 1',
            TG_TABLE_SCHEMA, TG_TABLE_NAME)
            INTO previous USING NEW.pgh_obj_id, NEW.pgh_id;
    END IF;
    PERFORM audit_append(TG_ARGV[0], TG_ARGV[1], event, previous);
    RETURN NULL;
END;
$$;

-- pgtrigger's switch for skipping its triggers is a session setting anyone can set;
-- here it is honoured for superusers only, so the application's role cannot write
-- a change without its history event or undo pghistory's append-only protection.
CREATE OR REPLACE FUNCTION public._pgtrigger_should_ignore(trigger_name NAME) RETURNS BOOLEAN AS $$
    DECLARE
        _pgtrigger_ignore TEXT[];
        _result BOOLEAN;
    BEGIN
        IF NOT gravesdb_is_superuser() THEN
            RETURN FALSE;
        END IF;
        BEGIN
            SELECT INTO _pgtrigger_ignore CURRENT_SETTING('pgtrigger.ignore');
            EXCEPTION WHEN OTHERS THEN
        END;
        IF _pgtrigger_ignore IS NOT NULL THEN
            SELECT trigger_name = ANY(_pgtrigger_ignore) INTO _result;
            RETURN _result;
        ELSE
            RETURN FALSE;
        END IF;
    END;
$$ LANGUAGE plpgsql;
"""

AUDIT_TRIGGER = "gravesdb_audit"
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


def _trigger(cursor, name, table, timing, function, *args, level="ROW"):
    arguments = ", ".join(cursor.mogrify("%s", [arg]).decode() for arg in args)
    cursor.execute(
        f"CREATE OR REPLACE TRIGGER {name} {timing} ON {_quote(table)} "
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
        _append_only(cursor, ChainHead._meta.db_table, operations="DELETE")
        _append_only(cursor, pghistory.models.Context._meta.db_table, operations="DELETE")
        for event_model in event_models():
            table = event_model._meta.db_table
            _trigger(
                cursor,
                AUDIT_TRIGGER,
                table,
                "AFTER INSERT",
                "audit_record_event",
                event_model._meta.label,
                event_model.pgh_tracked_model._meta.label,
            )
            _append_only(cursor, table)
        for model in recorded_models():
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER {VERSION_TRIGGER} BEFORE UPDATE ON {_quote(model._meta.db_table)} "
                "FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core_bump_version()"
            )
        for label in EVIDENTIARY_MODELS:
            table = apps.get_model(label)._meta.db_table
            _trigger(cursor, EVIDENCE_DELETE_TRIGGER, table, "BEFORE DELETE", "core_refuse_evidence_delete")
            _trigger(
                cursor, EVIDENCE_TRUNCATE_TRIGGER, table, "BEFORE TRUNCATE", "core_refuse_evidence_delete", level="STATEMENT"
            )
        _backfill_if_empty(cursor)


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
