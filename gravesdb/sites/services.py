"""Writes that change a site's standing in the record."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gravesdb.core.history import acting

from .choices import ALLOWED_TRANSITIONS, SiteStatus
from .models import Site, SiteStatusChange


def allowed_next_statuses(current: str) -> list[str]:
    return [dst for src, dst in sorted(ALLOWED_TRANSITIONS) if src == current]


def check_status_transition(*, site: Site, to_status: str) -> None:
    if (site.status, to_status) in ALLOWED_TRANSITIONS:
        return
    allowed = ", ".join(str(SiteStatus(s).label) for s in allowed_next_statuses(site.status)) or _("none")
    raise ValidationError(
        _("A site cannot go from “%(from)s” to “%(to)s”; from here it can become: %(allowed)s.")
        % {"from": SiteStatus(site.status).label, "to": SiteStatus(to_status).label, "allowed": allowed},
        code="status_transition",
    )


def site_change_status(
    *, site: Site, to_status: str, changed_on: str, reason: str, citation=None, actor=None
) -> SiteStatusChange:
    """Move a site along the Bournemouth life cycle, as one dated, cited, attributed step.

    A site is first recorded in whatever status its source gives (lists reach us
    mid-cycle): recording that status once, with no step before it, is allowed.
    Every later step must be one the cycle allows, which the database checks again.
    """
    with transaction.atomic(), acting(actor, reason=reason):
        locked = Site.objects.select_for_update().get(pk=site.pk)
        initial = to_status == locked.status and not locked.status_changes.exists()
        if not initial:
            check_status_transition(site=locked, to_status=to_status)
        change = SiteStatusChange(
            site=locked,
            from_status="" if initial else locked.status,
            to_status=to_status,
            changed_on=changed_on,
            reason=reason,
            citation=citation,
        )
        change.stamp(actor)
        change.full_clean()
        change.save()  # the database moves the site's status (trigger site_status_change_applies_to_site)
        locked.stamp(actor)
        locked.save(update_fields=["updated_at", "updated_by"])
    site.status = to_status
    return change
