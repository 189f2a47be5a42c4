"""The audit log: a hash chain sealing the history pghistory records.

pghistory's event tables hold what changed (a full snapshot per insert, update
and delete). The audit log adds one entry per event, written by a database
trigger on every event table, stating who, when, which object, which fields and
why, plus a SHA-256 digest of the event row, and links the entries into a chain:
each ``hash`` covers the entry's content and the previous entry's hash. Changing,
removing or reordering any entry, or any history event it seals, breaks the chain
from that point on, and ``manage.py verify_audit_log`` says where. There is one
record of changes (the history); the log is its seal, not a second copy.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditEntry(models.Model):
    # Gapless and assigned under the chain-head lock, so a missing number is a
    # removed entry, not a rolled-back transaction.
    seq = models.BigIntegerField(_("entry"), primary_key=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    event_model = models.CharField(_("history table"), max_length=200)
    event_id = models.BigIntegerField(_("history event"))
    label = models.CharField(_("change"), max_length=100)
    object_model = models.CharField(_("record type"), max_length=200)
    object_id = models.CharField(_("record"), max_length=200, blank=True)
    context_id = models.UUIDField(_("request"), null=True, blank=True)
    # Kept as numbers and names, not foreign keys: the log outlives accounts.
    user_id = models.BigIntegerField(_("user id"), null=True, blank=True)
    username = models.CharField(_("user"), max_length=150, blank=True)
    db_role = models.CharField(_("database role"), max_length=100)
    reason = models.TextField(_("reason"), blank=True)
    changed_fields = ArrayField(models.CharField(max_length=100), verbose_name=_("changed fields"))
    snapshot_fields = ArrayField(models.CharField(max_length=100), verbose_name=_("sealed columns"))
    event_digest = models.CharField(_("event SHA-256"), max_length=64)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        default_permissions = ("view",)
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        constraints = [
            models.UniqueConstraint(fields=["event_model", "event_id"], name="audit_one_entry_per_event"),
        ]

    def __str__(self):
        return f"#{self.seq} {self.label} {self.object_model} {self.object_id}"


class ChainHead(models.Model):
    """The single row writers lock to append: the last entry's number and hash.

    Locking one row (SELECT … FOR UPDATE) serialises appends whatever the
    isolation level; under REPEATABLE READ a second writer gets a serialisation
    error instead of forking the chain from a stale head.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        default_permissions = ()
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_chain_head_single_row")]
