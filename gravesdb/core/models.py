"""The base every evidentiary record shares: a stable identity and its provenance."""

import uuid

from django.conf import settings
from django.db import connection, models
from django.utils.translation import gettext_lazy as _


class RecordedModel(models.Model):
    """A record that can travel between organisations and answer "who entered this?".

    The UUID stays the same through exports and imports, so two organisations can
    exchange lists and still recognise the same record. Who changed what, and
    why, is kept in the trigger-written history (pghistory); these fields are
    only the quick answer shown beside the record.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # Optimistic locking: a save that started from an older version is refused, so
    # two people editing one record cannot silently overwrite each other.
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)
    # Evidence is archived with a reason, never hard-deleted.
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True, editable=False)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("archived by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    archive_reason = models.TextField(_("reason for archiving"), blank=True, default="", db_default="", editable=False)

    class Meta:
        abstract = True
        default_permissions = ("add", "change", "delete", "view", "archive", "import", "export")

    def stamp(self, actor) -> None:
        """Record the acting user on the instance before it is saved."""
        if actor is None or not getattr(actor, "is_authenticated", False):
            return
        if self._state.adding and self.created_by_id is None:
            self.created_by = actor
        self.updated_by = actor


class SerialCounter(models.Model):
    """Per-prefix counters behind human reference codes (IQ-NI-0001, W-0001).

    A counter only ever goes up, so a code is never handed out twice even after
    the record that held it has been archived or merged away.
    """

    prefix = models.CharField(max_length=32, primary_key=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("serial counter")

    def __str__(self):
        return f"{self.prefix}: {self.last_value}"

    @staticmethod
    def next_value(prefix: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT core_next_serial(%s)", [prefix])
            return cursor.fetchone()[0]
