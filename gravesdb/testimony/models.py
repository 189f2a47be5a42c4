"""Who saw it: witnesses under pseudonyms, their testimonies, and what they consented to.

A witness's identity can cost a life. It lives in its own table (``WitnessIdentity``)
with its own permission, so no query, inline or export of witnesses reaches it by
accident; everything else refers to a witness by pseudonym code only.
"""

import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from gravesdb.core import edtf, history
from gravesdb.core.choices import Sensitivity, choice_checks
from gravesdb.core.models import RecordedModel
from gravesdb.sites.models import Site
from gravesdb.sources.models import Citation, Organization

from . import crypto
from .choices import SHAREABLE_SCOPES, ConsentMethod, ConsentScope, RiskLevel, Sex, WitnessRole


def organization_of(user):
    """The organisation ``user`` works for (``accounts.Membership``), or None for the home team.

    Read through the reverse accessor the accounts app declares, so this lower app
    does not import it.
    """
    membership = getattr(user, "membership", None)
    return membership.organization_id if membership is not None else None


class WitnessQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Witnesses ``user`` may know of: those with a testimony the user may see, or none yet.

        A witness whose every testimony is hidden from the user (confidential, or
        another organisation's) is hidden too: a pseudonym with an age and a place
        of residence is a step towards a person.
        """
        if not user.has_perm("testimony.view_witness"):
            return self.none()
        testimonies = Testimony.objects.filter(witness=OuterRef("pk"))
        return self.filter(
            ~Exists(testimonies) | Exists(Testimony.objects.visible_to(user).filter(witness=OuterRef("pk")))
        )


@history.track()
class Witness(RecordedModel):
    pseudonym = models.CharField(
        _("pseudonym code"), max_length=16, unique=True, blank=True, editable=False, help_text=_("Generated: W-0001.")
    )
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True)
    age_range = models.CharField(_("age range"), max_length=16, blank=True, help_text=_("When only a range is known: 30-45."))
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    role = models.CharField(_("role"), max_length=16, choices=WitnessRole.choices)
    residence = models.CharField(
        _("place of residence"), max_length=255, blank=True, help_text=_("As coarse as the witness's safety requires.")
    )
    risk_level = models.CharField(_("risk level"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.HIGH)
    protective_measures = models.TextField(_("protective measures"), blank=True)

    objects = WitnessQuerySet.as_manager()

    class Meta(RecordedModel.Meta):
        ordering = ["pseudonym"]
        verbose_name = _("witness")
        verbose_name_plural = _("witnesses")
        permissions = [("view_witness_identity", _("Can see witnesses' legal names and contacts"))]
        constraints = [
            models.CheckConstraint(condition=Q(age__isnull=True) | Q(age__lte=130), name="witness_age_plausible"),
            models.CheckConstraint(condition=~Q(pseudonym=""), name="witness_pseudonym_assigned"),
            *choice_checks("witness", sex=Sex, role=WitnessRole, risk_level=RiskLevel),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="witness_pseudonym_assign",
                operation=pgtrigger.Insert,
                when=pgtrigger.Before,
                func="""
                    IF NEW.pseudonym = '' THEN
                        NEW.pseudonym := core_next_code('W');
                    ELSE
                        PERFORM core_bump_serial('W', substring(NEW.pseudonym from '([0-9]+)$')::integer);
                    END IF;
                    RETURN NEW;
                """,
            ),
            pgtrigger.Protect(
                name="witness_pseudonym_immutable", operation=pgtrigger.Update, condition=pgtrigger.AnyChange("pseudonym")
            ),
        ]

    def __str__(self):
        return self.pseudonym or _("new witness")

    def validate_constraints(self, exclude=None):
        if not self.pseudonym:  # assigned by save(); not the user's to give
            exclude = {*(exclude or ()), "pseudonym"}
        super().validate_constraints(exclude=exclude)

    def save(self, *args, **kwargs):
        if not self.pseudonym:
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("SELECT core_next_code('W')")
                self.pseudonym = cursor.fetchone()[0]
        super().save(*args, **kwargs)


class WitnessIdentityQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Identities only for those allowed to see them, and only of witnesses they may see."""
        if not (user.has_perm("testimony.view_witnessidentity") and user.has_perm("testimony.view_witness_identity")):
            return self.none()
        return self.filter(witness__in=Witness.objects.visible_to(user).values("pk"))

    def matching_name(self, name: str):
        """Identities whose legal name equals ``name`` (normalised), through the blind index only."""
        return self.filter(legal_name_index__in=crypto.blind_indexes(name))


@history.track()
class WitnessIdentity(RecordedModel):
    """Who the witness really is: seen only by the witness protection officer.

    The legal name and contact exist in the database only as ciphertext
    (``crypto``), in this table and in its history alike; ``legal_name`` and
    ``contact`` are read and set as plain attributes, encrypting on the way in and
    decrypting (or failing loudly) on the way out.
    """

    witness = models.OneToOneField(Witness, on_delete=models.PROTECT, related_name="identity")
    legal_name_ciphertext = models.TextField(_("legal name (encrypted)"), editable=False)
    contact_ciphertext = models.TextField(_("contact details (encrypted)"), editable=False)
    legal_name_index = models.CharField(_("legal name (blind index)"), max_length=64, db_index=True, editable=False)

    objects = WitnessIdentityQuerySet.as_manager()

    class Meta(RecordedModel.Meta):
        verbose_name = _("witness identity")
        verbose_name_plural = _("witness identities")
        default_permissions = ("add", "change", "delete", "view")
        constraints = [
            models.CheckConstraint(
                condition=Q(legal_name_ciphertext__startswith=f"{crypto.TOKEN_VERSION}:")
                & Q(contact_ciphertext__startswith=f"{crypto.TOKEN_VERSION}:"),
                name="witness_identity_stored_encrypted",
                violation_error_message=_("Witness identities are stored encrypted only."),
            ),
        ]

    def __str__(self):
        return _("Identity of %(pseudonym)s") % {"pseudonym": self.witness.pseudonym}

    # What each sealed column holds, as history and refusal diffs name it for those
    # allowed to read it; the blind index says nothing to a reader and is left out.
    SEALED_FIELDS = {"legal_name_ciphertext": "legal_name", "contact_ciphertext": "contact"}
    UNSHOWN_FIELDS = frozenset({"legal_name_index"})

    @staticmethod
    def sealing_context(pk, field: str) -> str:
        """What a sealed value is bound to: this identity's row and column (no swapping between them)."""
        return f"testimony.witnessidentity:{pk}:{field}"

    def _context(self, field: str) -> str:
        return self.sealing_context(self.pk, field)

    @classmethod
    def opened_change(cls, pk, field, old, new):
        """A changed column as an identity holder reads it; None for the blind index."""
        if field in cls.UNSHOWN_FIELDS:
            return None
        plain = cls.SEALED_FIELDS.get(field)
        if plain is None:
            return field, old, new
        context = cls.sealing_context(pk, plain)
        return plain, _opened(old, context), _opened(new, context)

    def changes_since(self, version: int) -> dict:
        """What changed, with names and contacts opened: only identity holders reach an identity."""
        changes = super().changes_since(version)
        opened = (self.opened_change(self.pk, *change) for change in changes["fields"])
        return {**changes, "fields": [change for change in opened if change is not None]}

    @property
    def legal_name(self) -> str:
        return crypto.decrypt(self.legal_name_ciphertext, context=self._context("legal_name"))

    @legal_name.setter
    @sensitive_variables()
    def legal_name(self, value: str) -> None:
        self.legal_name_ciphertext = crypto.encrypt(value, context=self._context("legal_name"))
        self.legal_name_index = crypto.blind_index(value)

    @property
    def contact(self) -> str:
        return crypto.decrypt(self.contact_ciphertext, context=self._context("contact"))

    @contact.setter
    @sensitive_variables()
    def contact(self, value: str) -> None:
        self.contact_ciphertext = crypto.encrypt(value or "", context=self._context("contact"))

    def reseal(self) -> bool:
        """Re-encrypt under the current key; False when already sealed with it."""
        current = crypto.current_key_id()
        if {crypto.key_id_of(self.legal_name_ciphertext), crypto.key_id_of(self.contact_ciphertext)} == {current}:
            return False
        self.legal_name, self.contact = self.legal_name, self.contact
        return True


def _opened(token, context):
    """A sealed value, opened; one sealed under a key retired by rotation stays sealed, said so."""
    if not token:
        return token
    try:
        return crypto.decrypt(token, context=context)
    except crypto.IdentityKeyError:
        return _("(sealed under retired key “%(key)s”)") % {"key": crypto.key_id_of(token)}


class ConsentQuerySet(models.QuerySet):
    def in_force(self):
        return self.filter(withdrawn_on__isnull=True)

    def visible_to(self, user):
        """Consents of the witnesses ``user`` may know of."""
        if not user.has_perm("testimony.view_consent"):
            return self.none()
        return self.filter(witness__in=Witness.objects.visible_to(user).values("pk"))


@history.track()
class Consent(RecordedModel):
    witness = models.ForeignKey(Witness, verbose_name=_("witness"), on_delete=models.PROTECT, related_name="consents")
    given_on = models.DateField(_("date given"))
    scope = models.CharField(_("scope"), max_length=24, choices=ConsentScope.choices)
    partners = models.ManyToManyField(
        Organization,
        through="ConsentPartner",
        verbose_name=_("named partners"),
        blank=True,
        related_name="consents",
    )
    method = models.CharField(_("how obtained"), max_length=16, choices=ConsentMethod.choices)
    notes = models.TextField(_("notes"), blank=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)

    objects = ConsentQuerySet.as_manager()

    class Meta(RecordedModel.Meta):
        ordering = ["witness", "-given_on"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=F("given_on")),
                name="consent_withdrawn_after_given",
                violation_error_message=_("Consent cannot be withdrawn before it was given."),
            ),
            *choice_checks("consent", scope=ConsentScope, method=ConsentMethod),
        ]
        triggers = [
            # A withdrawal is final: if the witness consents again, that is a new consent,
            # recorded as such, not an old one quietly revived or back-dated.
            pgtrigger.Protect(
                name="consent_withdrawal_is_final",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(
                    old__withdrawn_on__isnull=False, new__withdrawn_on__df=pgtrigger.F("old__withdrawn_on")
                ),
            ),
        ]

    def __str__(self):
        state = _("withdrawn %(date)s") % {"date": self.withdrawn_on} if self.withdrawn_on else _("in force")
        return f"{self.witness}: {self.get_scope_display()} ({self.given_on}, {state})"

    @property
    def allows_sharing(self) -> bool:
        return self.withdrawn_on is None and self.scope in SHAREABLE_SCOPES


@history.track()
class ConsentPartner(RecordedModel):
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="partner_links")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")

    class Meta(RecordedModel.Meta):
        verbose_name = _("named partner")
        verbose_name_plural = _("named partners")
        constraints = [models.UniqueConstraint(fields=["consent", "organization"], name="consent_partner_unique")]

    def __str__(self):
        return str(self.organization)


class TestimonyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Testimonies ``user`` may know exist; every other one is invisible, not read-only.

        Three rules, all needed: the role may read testimonies; a confidential one
        needs ``view_confidential_testimony``; and a testimony recorded by another
        organisation is visible only while its consent, in force, lets it travel to
        the user's organisation by name (or to the public, under pseudonym).
        Withdrawing the consent therefore hides it from partners at once.
        """
        if not user.has_perm("testimony.view_testimony"):
            return self.none()
        visible = self
        if not user.has_perm("testimony.view_confidential_testimony"):
            visible = visible.exclude(sensitivity=Sensitivity.CONFIDENTIAL)
        if user.is_superuser:
            return visible
        organization = organization_of(user)
        own = Q(recording_organization=organization) if organization else Q(recording_organization__isnull=True)
        return visible.filter(own | Q(pk__in=self.model.objects.shared_with(organization).values("pk")))

    def shared_with(self, organization):
        """Testimonies whose consent lets them reach ``organization`` (None: the public only)."""
        reaches = Q(consent__scope=ConsentScope.PUBLIC_PSEUDONYM)
        if organization is not None:
            reaches |= Q(consent__partner_links__organization=organization)
        return self.shareable().filter(reaches)

    def shareable(self):
        """Testimonies whose consent, in force now, lets them leave the recording organisation."""
        return self.filter(
            is_shareable=True, consent__withdrawn_on__isnull=True, consent__scope__in=SHAREABLE_SCOPES
        )


@history.track()
class Testimony(RecordedModel):
    witness = models.ForeignKey(Witness, verbose_name=_("witness"), on_delete=models.PROTECT, related_name="testimonies")
    sites = models.ManyToManyField(
        Site, through="TestimonySite", verbose_name=_("sites concerned"), related_name="testimonies", blank=True
    )
    interviewed_on = models.CharField(
        _("date of interview"), max_length=64, blank=True, validators=[edtf.validate_edtf]
    )
    interview_place = models.CharField(_("place of interview"), max_length=255, blank=True)
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("interviewer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    interviewer_description = models.CharField(
        _("interviewer (outside gravesdb)"),
        max_length=255,
        blank=True,
        help_text=_("When the interview was not done by a gravesdb user, e.g. a journalist."),
    )
    language = models.CharField(_("language"), max_length=16, blank=True, help_text=_("BCP 47 code, e.g. ar."))
    interpreter = models.CharField(_("interpreter"), max_length=255, blank=True)
    summary = models.TextField(_("summary"))
    statement = models.TextField(_("full statement"), blank=True)
    sensitivity = models.CharField(
        _("sensitivity"), max_length=16, choices=Sensitivity.choices, default=Sensitivity.CONFIDENTIAL
    )
    consent = models.ForeignKey(
        Consent, verbose_name=_("consent"), on_delete=models.PROTECT, null=True, blank=True, related_name="testimonies"
    )
    is_shareable = models.BooleanField(
        _("shareable"), default=False, help_text=_("May leave the recording organisation, within its consent's scope.")
    )
    citations = models.ManyToManyField(
        Citation, through="TestimonyCitation", verbose_name=_("citations"), related_name="testimonies", blank=True
    )
    recording_organization = models.ForeignKey(
        Organization,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="recorded_testimonies",
        help_text=_("The organisation whose member recorded it; blank for this installation's own team."),
    )

    objects = TestimonyQuerySet.as_manager()

    class Meta(RecordedModel.Meta):
        ordering = ["witness", "interviewed_on"]
        verbose_name = _("testimony")
        verbose_name_plural = _("testimonies")
        permissions = [("view_confidential_testimony", _("Can see confidential testimonies"))]
        constraints = [
            models.CheckConstraint(condition=~Q(summary=""), name="testimony_summary_not_blank"),
            models.CheckConstraint(condition=Q(is_shareable=False) | Q(consent__isnull=False), name="testimony_shareable_needs_consent"),
            *choice_checks("testimony", sensitivity=Sensitivity),
        ]
        triggers = [
            # The consent must be the witness's own, and a shareable testimony needs one in
            # force whose scope lets it leave the organisation; checked in the database so
            # no import or bulk update can mark a testimony shareable without consent.
            pgtrigger.Trigger(
                name="testimony_consent_allows_sharing",
                operation=pgtrigger.Insert | pgtrigger.Update,
                when=pgtrigger.Before,
                func=f"""
                    IF NEW.consent_id IS NOT NULL AND NOT EXISTS (
                        SELECT 1 FROM testimony_consent c
                        WHERE c.id = NEW.consent_id AND c.witness_id = NEW.witness_id) THEN
                        RAISE EXCEPTION 'testimony consent belongs to another witness'
                            USING ERRCODE = 'check_violation';
                    END IF;
                    IF NEW.is_shareable AND NOT EXISTS (
                        SELECT 1 FROM testimony_consent c
                        WHERE c.id = NEW.consent_id AND c.withdrawn_on IS NULL
                          AND c.scope IN ({", ".join(f"'{s}'" for s in sorted(SHAREABLE_SCOPES))})) THEN
                        RAISE EXCEPTION 'a shareable testimony needs a consent in force that allows sharing'
                            USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NEW;
                """,
            ),
        ]

    def __str__(self):
        return f"{self.witness} ({self.interviewed_on or _('undated')})"

    def clean(self):
        super().clean()
        if self.consent_id and self.witness_id and self.consent.witness_id != self.witness_id:
            raise ValidationError({"consent": _("This consent was given by another witness.")})
        if self.is_shareable and not (self.consent_id and self.consent.allows_sharing):
            raise ValidationError(
                {"is_shareable": _("A testimony can be shareable only with a consent in force that allows sharing.")}
            )


@history.track()
class TestimonySite(RecordedModel):
    testimony = models.ForeignKey(Testimony, on_delete=models.PROTECT, related_name="site_links")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="testimony_links")

    class Meta(RecordedModel.Meta):
        verbose_name = _("site concerned")
        verbose_name_plural = _("sites concerned")
        constraints = [models.UniqueConstraint(fields=["testimony", "site"], name="testimony_site_unique")]

    def __str__(self):
        return str(self.site)


@history.track()
class TestimonyCitation(RecordedModel):
    testimony = models.ForeignKey(Testimony, on_delete=models.PROTECT, related_name="testimony_citations")
    citation = models.ForeignKey(Citation, on_delete=models.PROTECT, related_name="testimony_citations")

    class Meta(RecordedModel.Meta):
        verbose_name = _("testimony citation")
        verbose_name_plural = _("testimony citations")
        constraints = [models.UniqueConstraint(fields=["testimony", "citation"], name="testimony_citation_unique")]

    def __str__(self):
        return str(self.citation)
