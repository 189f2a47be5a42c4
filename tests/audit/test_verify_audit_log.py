"""verify_audit_log finds every way a superuser could rewrite the record behind the triggers."""

import pytest
from django.core.management import CommandError, call_command

from gravesdb.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def run_verify(capsys, *args):
    try:
        call_command("verify_audit_log", *args)
    except CommandError:
        return False, capsys.readouterr().out
    return True, capsys.readouterr().out


def test_an_untouched_log_verifies_and_prints_a_checkpoint(history, capsys):
    ok, out = run_verify(capsys)
    last = AuditEntry.objects.latest("seq")
    assert ok, out
    assert "Result:          INTACT" in out
    assert f"Latest checkpoint (keep this): {last.seq}:{last.hash}" in out

    ok, out = run_verify(capsys, "--checkpoint", f"{last.seq}:{last.hash}")
    assert ok, out


def test_an_edited_entry_is_reported_as_the_first_broken_one(history, tamper, capsys):
    second = AuditEntry.objects.order_by("seq")[1]
    tamper("UPDATE audit_auditentry SET reason = 'Routine correction' WHERE seq = %s", [second.seq])

    ok, out = run_verify(capsys)
    assert not ok
    assert f"First broken entry: entry {second.seq}: content does not match its hash (altered)" in out
    assert f"Intact up to:    {second.seq - 1}:" in out


def test_an_edited_entry_with_a_recomputed_hash_breaks_the_next_link(history, tamper, capsys):
    second = AuditEntry.objects.order_by("seq")[1]
    tamper(
        "UPDATE audit_auditentry SET reason = 'Routine correction' WHERE seq = %s;"
        "UPDATE audit_auditentry SET hash = audit_entry_hash(audit_auditentry) WHERE seq = %s",
        [second.seq, second.seq],
    )
    ok, out = run_verify(capsys)
    assert not ok
    assert f"entry {second.seq + 1}: does not follow the entry before it" in out


def test_a_deleted_entry_is_reported_missing(history, tamper, capsys):
    tamper("DELETE FROM audit_auditentry WHERE seq = 2")
    ok, out = run_verify(capsys)
    assert not ok
    assert "First broken entry: entry 2: missing (the next entry present is 3)" in out


def test_removing_the_latest_entries_is_caught_by_the_chain_head_and_the_checkpoint(history, tamper, capsys):
    last = AuditEntry.objects.latest("seq")
    tamper("DELETE FROM audit_auditentry WHERE seq = %s", [last.seq])
    ok, out = run_verify(capsys, "--checkpoint", f"{last.seq}:{last.hash}")
    assert not ok
    assert f"entry {last.seq}: missing: the chain head records entry {last.seq}" in out
    assert f"entry {last.seq}: the checkpoint entry is no longer in the log" in out


def test_reordered_entries_are_detected(history, tamper, capsys):
    tamper(
        "UPDATE audit_auditentry SET seq = -1 WHERE seq = 2;"
        "UPDATE audit_auditentry SET seq = 2 WHERE seq = 3;"
        "UPDATE audit_auditentry SET seq = 3 WHERE seq = -1"
    )
    ok, out = run_verify(capsys)
    assert not ok
    assert "First broken entry: entry 2:" in out


def test_a_rewritten_history_event_is_detected_through_its_seal(history, tamper, capsys):
    tamper("UPDATE sites_siteevent SET name = 'Somewhere else' WHERE pgh_obj_id = %s AND name = 'al-Khasfa'", [history.pk])
    ok, out = run_verify(capsys)
    assert not ok
    assert "its history event was altered (sites.SiteEvent)" in out


def test_a_deleted_history_event_is_detected(history, tamper, capsys):
    tamper("DELETE FROM sites_siteevent WHERE pgh_obj_id = %s AND pgh_label = 'update'", [history.pk])
    ok, out = run_verify(capsys)
    assert not ok
    assert "its history event was deleted (sites.SiteEvent)" in out


def test_a_change_made_with_the_triggers_off_is_detected(history, tamper, capsys):
    tamper("UPDATE sites_site SET name = 'Quietly renamed', version = version + 1 WHERE id = %s", [history.pk])
    ok, out = run_verify(capsys)
    assert not ok
    assert f"sites.Site {history.pk} differs from its latest history event" in out


def test_an_event_slipped_in_around_the_log_is_detected(history, tamper, capsys):
    tamper(
        "INSERT INTO sites_siteevent SELECT (jsonb_populate_record(NULL::sites_siteevent, to_jsonb(e) "
        "|| jsonb_build_object('pgh_id', (SELECT max(pgh_id) + 100 FROM sites_siteevent)))).* "
        "FROM sites_siteevent e WHERE pgh_obj_id = %s ORDER BY pgh_id DESC LIMIT 1",
        [history.pk],
    )
    ok, out = run_verify(capsys)
    assert not ok
    assert "is not in the audit log" in out


def test_a_malformed_checkpoint_is_a_plain_error(history, capsys):
    with pytest.raises(CommandError, match="a checkpoint is ENTRY:HASH"):
        call_command("verify_audit_log", "--checkpoint", "yesterday")
