"""Which organisation a user works for: the boundary testimonies do not cross without consent.

A testimony belongs to the organisation that recorded it, and a witness consents
to it travelling to named partners only; what an account may read therefore
depends on whose account it is. An account without a membership belongs to the
team running this installation, and reads the testimonies recorded without an
organisation (docs/security.md, "Organisations").
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gravesdb.core import history


@history.track()
class Membership(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="membership"
    )
    organization = models.ForeignKey(
        "sources.Organization", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="memberships"
    )

    class Meta:
        verbose_name = _("organisation membership")
        verbose_name_plural = _("organisation memberships")

    def __str__(self):
        return f"{self.user} — {self.organization}"
