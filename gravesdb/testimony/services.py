"""Writes about witnesses and their consent, done one way for every caller."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gravesdb.core.history import acting

from .models import Consent, Testimony, WitnessIdentity


def consent_withdraw(*, consent: Consent, on: datetime.date, reason: str, actor) -> Consent:
    """Record that the witness withdrew this consent; it takes effect in the same transaction.

    From the commit on, the consent is no longer in force, so its testimonies drop
    out of ``Testimony.objects.shareable()`` and of every partner's
    ``visible_to()`` — no export or partner page can still show them. Each
    testimony that was marked shareable is unmarked too, so its own history says
    when and why it stopped travelling. A withdrawal is final (a database trigger
    refuses to undo it): renewed consent is a new consent.
    """
    if not actor.has_perm("testimony.change_consent"):
        raise PermissionDenied(_("Only those who record consent may record its withdrawal."))
    if not reason.strip():
        raise ValidationError(_("Say why the consent was withdrawn: the reason is kept with the record."))
    with transaction.atomic(), acting(actor, reason=reason):
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
        if consent.withdrawn_on is not None:
            raise ValidationError(
                _("This consent was already withdrawn on %(date)s.") % {"date": consent.withdrawn_on.isoformat()}
            )
        if on < consent.given_on:
            raise ValidationError(_("A consent cannot be withdrawn before the day it was given."))
        consent.withdrawn_on = on
        consent.stamp(actor)
        consent.save()
        for testimony in Testimony.objects.select_for_update().filter(consent=consent, is_shareable=True):
            testimony.is_shareable = False
            testimony.stamp(actor)
            testimony.save()
    return consent


def identities_reseal(*, actor=None, reason: str) -> tuple[int, int]:
    """Re-encrypt every witness identity under the current key: (re-encrypted, already current).

    Each row is re-encrypted in its own transaction, so an interrupted rotation
    resumes where it stopped; a row that does not open stops the run loudly rather
    than being skipped.
    """
    resealed = current = 0
    for pk in WitnessIdentity.objects.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic(), acting(actor, reason=reason):
            identity = WitnessIdentity.objects.select_for_update().get(pk=pk)
            if identity.reseal():
                identity.stamp(actor)
                identity.save()
                resealed += 1
            else:
                current += 1
    return resealed, current
