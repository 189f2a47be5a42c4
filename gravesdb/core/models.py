"""The base every evidentiary record shares: a stable identity and its provenance."""

import uuid

from django.conf import settings
from django.db import connection, models, transaction
from django.utils.translation import gettext_lazy as _

# The records a court may rely on. They are archived with a reason, never deleted:
# the admin offers no delete for them, and the database refuses DELETE on their
# tables (gravesdb.audit.guards). Labels, not imports, so core stays below the apps.
EVIDENTIARY_MODELS = (
    "sources.Source",
    "sources.Citation",
    "sites.Site",
    "sites.SiteStatusChange",
    "sites.VictimEstimate",
    "testimony.Consent",
    "testimony.Testimony",
)

# Bookkeeping columns left out of "what changed" lists shown to people.
BOOKKEEPING_FIELDS = frozenset({"id", "updated_at", "updated_by", "version"})


class ConcurrentEdit(Exception):
    """A save that started from an older version of the record than the stored one.

    Raised instead of overwriting, so the second of two people editing a record is
    told, and shown what the first one changed (``changes()``), rather than
    silently undoing it.
    """

    def __init__(self, *, record, expected_version: int, current_version: int):
        self.record = record
        self.expected_version = expected_version
        self.current_version = current_version
        super().__init__(
            f"{record._meta.verbose_name} {record.pk} changed since version {expected_version} "
            f"(now version {current_version})"
        )

    def changes(self):
        return self.record.changes_since(self.expected_version)


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

    @classmethod
    def lock_version(cls, pk, *, expected_version: int) -> int:
        """Lock the row until the transaction ends; refuse if it moved past ``expected_version``.

        Call inside a transaction before writing: the row lock means nobody can
        slip a change in between the check and the write. The database bumps
        ``version`` on every changed row (gravesdb.audit.guards), so bulk updates,
        imports and raw SQL count as changes too.
        """
        current = cls._base_manager.select_for_update().filter(pk=pk).values_list("version", flat=True).get()
        if current != expected_version:
            raise ConcurrentEdit(record=cls._base_manager.get(pk=pk), expected_version=expected_version, current_version=current)
        return current

    def save_checked(self, *, expected_version: int, **kwargs) -> None:
        """Save only if nobody changed the record since ``expected_version`` was read."""
        with transaction.atomic():
            type(self).lock_version(self.pk, expected_version=expected_version)
            self.save(**kwargs)
            self.version = type(self)._base_manager.filter(pk=self.pk).values_list("version", flat=True).get()

    def changes_since(self, version: int) -> dict:
        """What changed since ``version``: ``{"fields": [(field, then, now)], "by": [usernames]}``.

        Read from the history, so it reports every change, from any path, that
        the person looking at ``version`` has not seen.
        """
        from pghistory.models import Events

        events = list(Events.objects.tracks(self).order_by("pgh_created_at", "pgh_id"))
        baseline = {}
        later = []
        for event in events:
            if (event.pgh_data or {}).get("version", 0) <= version:
                baseline = event.pgh_data or {}
            else:
                later.append(event)
        latest = later[-1].pgh_data if later else baseline
        fields = [
            (name, baseline.get(name), value)
            for name, value in sorted(latest.items())
            if name not in BOOKKEEPING_FIELDS and baseline.get(name) != value
        ]
        by = []
        for event in later:
            who = (event.pgh_context or {}).get("username") or "(system)"
            if who not in by:
                by.append(who)
        return {"fields": fields, "by": by}

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
