"""Recomputing the audit chain, independently of the database functions that built it.

The hashes are written by SQL (gravesdb.audit.guards) and recomputed here in
Python from the stored columns, so a verifier does not have to trust functions an
attacker with DDL rights could have replaced. The canonical form is documented in
docs/security.md so an auditor can recompute it with any SHA-256 tool:

    prev_hash + "\\n" + field(seq) + field(recorded_at) + field(event_model) + …

where ``field(v)`` is ``"<length of v in characters>:<v>"`` and a missing value is
the empty string, so no choice of reason text can make two entries read alike.
"""

import datetime
import hashlib
from dataclasses import dataclass, field

from django.db import connection, transaction

from .guards import HEAD_TRIGGER, event_models
from .models import GENESIS_HASH, AuditEntry, ChainHead

CANONICAL_FIELDS = (
    "seq",
    "recorded_at",
    "event_model",
    "event_id",
    "label",
    "object_model",
    "object_id",
    "context_id",
    "user_id",
    "username",
    "db_role",
    "reason",
    "changed_fields",
    "snapshot_fields",
    "event_digest",
)


def _text(name, value) -> str:
    if value is None:
        return ""
    if name == "recorded_at":
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, list):
        return ",".join(value)
    return str(value)


def canonical(entry: AuditEntry) -> str:
    parts = [entry.prev_hash, "\n"]
    for name in CANONICAL_FIELDS:
        text = _text(name, getattr(entry, name))
        parts.append(f"{len(text)}:{text}")
    return "".join(parts)


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical(entry).encode("utf-8")).hexdigest()


@dataclass
class Finding:
    seq: int | None
    problem: str

    def __str__(self):
        where = f"entry {self.seq}" if self.seq is not None else "history"
        return f"{where}: {self.problem}"


@dataclass
class Report:
    entries: int = 0
    first_at: object = None
    last_at: object = None
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    history_tables: int = 0
    broken: Finding | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken is None and not self.findings

    @property
    def checkpoint(self) -> str:
        return f"{self.last_seq}:{self.last_hash}"


def parse_checkpoint(value: str) -> tuple[int, str]:
    seq, _, digest = value.partition(":")
    if not seq.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError("a checkpoint is ENTRY:HASH, e.g. 1042:9f86d0…, as printed by verify_audit_log")
    return int(seq), digest


def verify(*, checkpoint: tuple[int, str] | None = None) -> Report:
    """Walk the chain from the first entry, then cross-check it against the history."""
    report = Report()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL TimeZone = 'UTC'")
            # The head moves at commit; run inside a transaction that appended
            # (a test, a script), move it now so it is compared with the log.
            cursor.execute(f"SET CONSTRAINTS {HEAD_TRIGGER} IMMEDIATE")
            cursor.execute(f"SET CONSTRAINTS {HEAD_TRIGGER} DEFERRED")
        head = ChainHead.objects.filter(pk=1).first()
        head_seq = head.seq if head else 0
        _walk(report, head_seq)
        if report.broken is None:
            if head is None or (head.seq, head.hash) != (report.last_seq, report.last_hash):
                report.broken = Finding(
                    report.last_seq + 1,
                    f"missing: the chain head records entry {head_seq}, the log ends at entry {report.last_seq}",
                )
        if checkpoint is not None:
            _check_checkpoint(report, checkpoint)
        _cross_check_history(report, head_seq)
    return report


def _walk(report: Report, head_seq: int) -> None:
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for entry in AuditEntry.objects.filter(seq__lte=head_seq).order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            report.broken = Finding(expected_seq, f"missing (the next entry present is {entry.seq})")
            return
        if entry.prev_hash != expected_prev:
            report.broken = Finding(entry.seq, "does not follow the entry before it (previous hash differs)")
            return
        if entry_hash(entry) != entry.hash:
            report.broken = Finding(entry.seq, "content does not match its hash (altered)")
            return
        report.entries += 1
        report.first_at = report.first_at or entry.recorded_at
        report.last_at = entry.recorded_at
        report.last_seq, report.last_hash = entry.seq, entry.hash
        expected_prev = entry.hash
        expected_seq += 1


def _check_checkpoint(report: Report, checkpoint: tuple[int, str]) -> None:
    seq, digest = checkpoint
    stored = AuditEntry.objects.filter(seq=seq).values_list("hash", flat=True).first()
    if stored is None or seq > report.last_seq:
        report.findings.append(Finding(seq, "the checkpoint entry is no longer in the log"))
    elif stored != digest:
        report.findings.append(Finding(seq, "hash differs from the checkpoint: the log was rewritten up to here"))


def _cross_check_history(report: Report, head_seq: int) -> None:
    """Each entry seals an existing, unchanged event; each event has an entry; each row its latest event."""
    entry_table = AuditEntry._meta.db_table
    models = event_models()
    report.history_tables = len(models)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT event_model FROM {entry_table} WHERE seq <= %s", [head_seq])
        known = {m._meta.label for m in models}
        for (label,) in cursor.fetchall():
            if label not in known:
                report.findings.append(Finding(None, f"entries name a history table that no longer exists: {label}"))
        for model in models:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(
                f"""
                SELECT a.seq, e.pgh_id IS NULL
                FROM {entry_table} a LEFT JOIN {table} e ON e.pgh_id = a.event_id
                WHERE a.event_model = %s AND a.seq <= %s AND (
                    e.pgh_id IS NULL
                    OR encode(sha256(convert_to(coalesce(
                        (SELECT jsonb_object_agg(key, value) FROM jsonb_each(to_jsonb(e))
                         WHERE key = ANY(a.snapshot_fields)), '{{}}'::jsonb)::text, 'UTF8')), 'hex') <> a.event_digest)
                ORDER BY a.seq LIMIT 1
                """,
                [model._meta.label, head_seq],
            )
            row = cursor.fetchone()
            if row:
                problem = "its history event was deleted" if row[1] else "its history event was altered"
                report.findings.append(Finding(row[0], f"{problem} ({model._meta.label})"))
            cursor.execute(
                f"""
                SELECT e.pgh_id FROM {table} e
                WHERE NOT EXISTS (SELECT 1 FROM {entry_table} a WHERE a.event_model = %s AND a.event_id = e.pgh_id)
                ORDER BY e.pgh_id LIMIT 1
                """,
                [model._meta.label],
            )
            row = cursor.fetchone()
            if row:
                report.findings.append(
                    Finding(None, f"{model._meta.label} event {row[0]} is not in the audit log (written around it)")
                )
            _rows_match_history(report, cursor, model)


def _rows_match_history(report: Report, cursor, event_model) -> None:
    """A row whose version is not its latest event's was changed with the history switched off."""
    tracked = event_model.pgh_tracked_model
    field_names = {f.name for f in event_model._meta.fields}
    if "version" not in field_names or "pgh_obj" not in field_names:
        return
    table = connection.ops.quote_name(tracked._meta.db_table)
    events = connection.ops.quote_name(event_model._meta.db_table)
    pk = connection.ops.quote_name(tracked._meta.pk.column)
    cursor.execute(
        f"""
        SELECT t.{pk} FROM {table} t
        LEFT JOIN LATERAL (
            SELECT e.version FROM {events} e WHERE e.pgh_obj_id = t.{pk} ORDER BY e.pgh_id DESC LIMIT 1
        ) latest ON true
        WHERE latest.version IS DISTINCT FROM t.version
        LIMIT 1
        """
    )
    row = cursor.fetchone()
    if row:
        report.findings.append(
            Finding(None, f"{tracked._meta.label} {row[0]} differs from its latest history event (changed off the record)")
        )
