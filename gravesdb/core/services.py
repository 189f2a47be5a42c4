"""Archiving and restoring evidence: the only way a record leaves the live lists.

Evidence is never deleted (the database refuses it, gravesdb.audit.guards); it is
archived with a reason, and a Data manager can restore it. The admin's actions,
the pages and the API call these functions, so the permission check, the reason
and the history entry are the same whichever way the request came in.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .history import acting
from .models import RecordedModel

# Records that belong to another and leave the live record with it: an archived
# site takes its estimates along (they are not left pointing at a hidden site),
# and restoring the site brings back exactly those archived in the same step.
ARCHIVED_WITH = {"sites.Site": ("estimates",)}


def _require_archive_permission(actor, record: RecordedModel) -> None:
    opts = record._meta
    if actor is None or not actor.has_perm(f"{opts.app_label}.archive_{opts.model_name}"):
        raise PermissionDenied(_("You may not archive or restore %(things)s.") % {"things": opts.verbose_name_plural})


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason: it is kept with the record's history."), code="reason_required")
    return reason


def _dependants(record: RecordedModel):
    for accessor in ARCHIVED_WITH.get(record._meta.label, ()):
        yield getattr(record, accessor).all()


def record_archive(*, record: RecordedModel, actor, reason: str) -> RecordedModel:
    """Take ``record`` (and what belongs to it) out of the live record, keeping every row."""
    reason = _require_reason(reason)
    _require_archive_permission(actor, record)
    if record.archived_at is not None:
        raise ValidationError(_("%(record)s is already archived.") % {"record": record}, code="already_archived")
    now = timezone.now()
    values = {"archived_at": now, "archived_by": actor, "archive_reason": reason, "updated_at": now, "updated_by": actor}
    with transaction.atomic(), acting(actor, reason=reason):
        type(record)._base_manager.filter(pk=record.pk).update(**values)
        for related in _dependants(record):
            related.filter(archived_at__isnull=True).update(**values)
    record.refresh_from_db()
    return record


def record_restore(*, record: RecordedModel, actor, reason: str) -> RecordedModel:
    """Bring an archived record back, with what was archived along with it."""
    reason = _require_reason(reason)
    _require_archive_permission(actor, record)
    if record.archived_at is None:
        raise ValidationError(_("%(record)s is not archived.") % {"record": record}, code="not_archived")
    archived_at = record.archived_at
    values = {"archived_at": None, "archived_by": None, "archive_reason": "", "updated_at": timezone.now(), "updated_by": actor}
    with transaction.atomic(), acting(actor, reason=reason):
        type(record)._base_manager.filter(pk=record.pk).update(**values)
        for related in _dependants(record):
            related.filter(archived_at=archived_at).update(**values)
    record.refresh_from_db()
    return record
