"""Who says what: the organisations that report, their sources, and cited passages."""

import hashlib

import pgtrigger
import pycountry
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from gravesdb.core import edtf, history
from gravesdb.core.choices import choice_checks
from gravesdb.core.models import RecordedModel

from .choices import (
    InformationCredibility,
    OrganizationKind,
    SourceKind,
    SourceReliability,
    SupportedField,
)


def validate_country_code(value: str) -> None:
    if value and pycountry.countries.get(alpha_2=value) is None:
        raise ValidationError(
            _("“%(value)s” is not an ISO 3166-1 alpha-2 country code (e.g. IQ, ES)."),
            code="invalid_country",
            params={"value": value},
        )


class OrganizationQuerySet(models.QuerySet):
    def get_by_natural_key(self, name):
        return self.get(name=name)


@history.track()
class Organization(RecordedModel):
    name = models.CharField(_("name"), max_length=255, unique=True)
    acronym = models.CharField(_("acronym"), max_length=32, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganizationKind.choices)
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        validators=[validate_country_code],
        help_text=_("ISO 3166-1 alpha-2 code, e.g. IQ."),
    )
    website = models.URLField(_("website"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta(RecordedModel.Meta):
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(country="") | models.Q(country__regex=r"^[A-Z]{2}$"),
                name="organization_country_iso_alpha2",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="organization_name_not_blank"),
            *choice_checks("organization", kind=OrganizationKind),
        ]

    def __str__(self):
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    def natural_key(self):
        return (self.name,)


def source_file_path(instance, filename):
    return f"sources/{instance.id}/{filename}"


@history.track()
class Source(RecordedModel):
    """A document a fact comes from: a report, an article, an interview record."""

    title = models.CharField(_("title"), max_length=500)
    kind = models.CharField(_("kind"), max_length=32, choices=SourceKind.choices)
    publisher = models.ForeignKey(
        Organization,
        verbose_name=_("publisher"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="published_sources",
    )
    authors = models.CharField(_("author(s)"), max_length=500, blank=True)
    publication_date = models.CharField(
        _("publication date"),
        max_length=64,
        blank=True,
        validators=[edtf.validate_edtf],
        help_text=_("EDTF: 2017-02-25, 2017-02 or 2017?"),
    )
    publication_date_earliest = models.DateField(null=True, blank=True, editable=False)
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    accessed_on = models.DateField(_("accessed on"), null=True, blank=True)
    language = models.CharField(
        _("language"), max_length=16, blank=True, help_text=_("BCP 47 code, e.g. en, ar, ckb.")
    )
    archived_file = models.FileField(_("archived file"), upload_to=source_file_path, blank=True)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, blank=True, editable=False)
    file_size = models.PositiveBigIntegerField(_("file size (bytes)"), null=True, blank=True, editable=False)
    reliability = models.CharField(
        _("source reliability"),
        max_length=1,
        choices=SourceReliability.choices,
        default=SourceReliability.F,
        help_text=_("Admiralty code: how reliable this source has proved."),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta(RecordedModel.Meta):
        ordering = ["-publication_date_earliest", "title"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [
            models.CheckConstraint(condition=~models.Q(title=""), name="source_title_not_blank"),
            *choice_checks("source", reliability=SourceReliability, kind=SourceKind),
            models.CheckConstraint(
                condition=models.Q(file_sha256="") | models.Q(file_sha256__regex=r"^[0-9a-f]{64}$"),
                name="source_file_sha256_hex",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.publication_date_earliest = edtf.bounds(self.publication_date)[0]
        # A newly uploaded file (not yet committed to storage) is hashed even when it
        # replaces an earlier one, so the recorded hash is always that of the file kept.
        if self.archived_file and (not self.file_sha256 or not self.archived_file._committed):
            self.file_sha256, self.file_size = _digest(self.archived_file)
        elif not self.archived_file:
            self.file_sha256, self.file_size = "", None
        super().save(*args, **kwargs)


def _digest(field_file) -> tuple[str, int]:
    """SHA-256 and size of an uploaded file, read in chunks so large scans fit in memory."""
    digest = hashlib.sha256()
    size = 0
    field_file.open("rb")
    try:
        for chunk in field_file.chunks():
            digest.update(chunk)
            size += len(chunk)
    finally:
        field_file.seek(0)
    return digest.hexdigest(), size


@history.track()
class Citation(RecordedModel):
    """One passage of one source, vouching for named fields of one record.

    Citations are never rewritten: the cited source, locator and quote are fixed by
    a trigger once saved, so a correction is a new citation and the old one keeps
    saying what it said when a figure was entered.
    """

    source = models.ForeignKey(Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="citations")
    locator = models.CharField(
        _("locator"), max_length=255, blank=True, help_text=_("Page, paragraph, timestamp or row id.")
    )
    quote = models.TextField(_("exact quote"))
    supports = ArrayField(
        models.CharField(max_length=32, choices=SupportedField.choices),
        verbose_name=_("supports"),
        default=list,
        blank=True,
        help_text=_("Which fields of the record this passage supports."),
    )
    credibility = models.PositiveSmallIntegerField(
        _("information credibility"),
        choices=InformationCredibility.choices,
        default=InformationCredibility.CANNOT_BE_JUDGED,
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta(RecordedModel.Meta):
        ordering = ["created_at"]
        verbose_name = _("citation")
        verbose_name_plural = _("citations")
        constraints = [
            models.CheckConstraint(condition=models.Q(credibility__gte=1, credibility__lte=6), name="citation_credibility_1_6"),
            models.CheckConstraint(condition=~models.Q(quote=""), name="citation_quote_not_blank"),
            models.CheckConstraint(
                condition=models.Q(supports__contained_by=SupportedField.values), name="citation_supports_known_fields"
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="citation_passage_immutable",
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange("source", "locator", "quote"),
            ),
        ]

    def __str__(self):
        excerpt = self.quote if len(self.quote) <= 80 else self.quote[:77] + "…"
        where = f", {self.locator}" if self.locator else ""
        return f"{self.source}{where}: “{excerpt}”"

