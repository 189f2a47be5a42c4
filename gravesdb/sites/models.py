"""Where and how many: grave sites, their status history, relations and victim estimates."""

import pgtrigger
import pycountry
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Concat
from django.utils.translation import gettext_lazy as _

from gravesdb.core import edtf, history
from gravesdb.core.choices import Sensitivity, choice_checks
from gravesdb.core.models import RecordedModel
from gravesdb.sources.models import Citation, Organization, validate_country_code

from .choices import (
    ALLOWED_TRANSITIONS,
    CLOSED,
    OPEN_ABOVE,
    OPEN_BELOW,
    CountType,
    Deposition,
    FigureQualifier,
    LocationPrecision,
    ProtectionStatus,
    RemainsState,
    SiteRelationKind,
    SiteStatus,
    SiteType,
)
from . import figures
from .querysets import (
    SiteQuerySet,
    VictimEstimateQuerySet,
    chronological_order,
    estimate_figure,
    search_document,
    site_names,
)


def validate_subdivision_code(value: str) -> None:
    if value and pycountry.subdivisions.get(code=value) is None:
        raise ValidationError(
            _("“%(value)s” is not an ISO 3166-2 subdivision code (e.g. IQ-NI for Nineveh)."),
            code="invalid_subdivision",
            params={"value": value},
        )


def _edtf_bounds_are_ordered(prefix: str) -> Q:
    earliest, latest = f"{prefix}_earliest", f"{prefix}_latest"
    return Q(**{f"{earliest}__isnull": True}) | Q(**{f"{latest}__isnull": True}) | Q(**{f"{latest}__gte": F(earliest)})


class SiteManager(models.Manager.from_queryset(SiteQuerySet)):
    def get_by_natural_key(self, reference_code):
        return self.get(reference_code=reference_code)


# The search columns are PostgreSQL's own reading of the name columns, which history keeps.
@history.track(exclude=["search_names", "search_document"])
class Site(RecordedModel):
    """A place where human remains were deposited together (Bournemouth Protocol)."""

    reference_code = models.CharField(
        _("reference code"),
        max_length=32,
        unique=True,
        blank=True,
        editable=False,
        help_text=_("Generated from the ISO 3166-2 area and a serial; never reused."),
    )
    name = models.CharField(_("name"), max_length=255)
    alternative_names = ArrayField(
        models.CharField(max_length=255),
        verbose_name=_("alternative names"),
        default=list,
        blank=True,
        help_text=_("Transliterations and other names, comma-separated: Khasfa, al-Khasfa, الخسفة."),
    )
    country = models.CharField(
        _("country"), max_length=2, validators=[validate_country_code], help_text=_("ISO 3166-1 alpha-2, e.g. IQ.")
    )
    first_level_area = models.CharField(
        _("first-level area"),
        max_length=16,
        blank=True,
        validators=[validate_subdivision_code],
        help_text=_("ISO 3166-2 code, e.g. IQ-NI (Nineveh)."),
    )
    second_level_area = models.CharField(_("second-level area"), max_length=255, blank=True)
    locality = models.CharField(_("locality"), max_length=255, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    location_precision = models.CharField(
        _("location precision"), max_length=16, choices=LocationPrecision.choices, default=LocationPrecision.UNKNOWN
    )
    site_type = models.CharField(_("site type"), max_length=16, choices=SiteType.choices, default=SiteType.OTHER)
    deposition = models.CharField(
        _("deposition"), max_length=20, choices=Deposition.choices, default=Deposition.UNKNOWN
    )
    remains_state = models.CharField(
        _("state of remains"), max_length=16, choices=RemainsState.choices, default=RemainsState.UNKNOWN
    )
    protection_status = models.CharField(
        _("protection status"), max_length=16, choices=ProtectionStatus.choices, default=ProtectionStatus.UNKNOWN
    )
    status = models.CharField(
        _("status"),
        max_length=24,
        choices=SiteStatus.choices,
        default=SiteStatus.REPORTED,
        help_text=_("Changed only through a dated status change that cites its support."),
    )
    period = models.CharField(
        _("period of use"),
        max_length=64,
        blank=True,
        validators=[edtf.validate_edtf],
        help_text=_("EDTF: 2014-06/2014-12, 2014?, 2014-06."),
    )
    period_earliest = models.DateField(_("period: earliest day"), null=True, blank=True, editable=False)
    period_latest = models.DateField(_("period: latest day"), null=True, blank=True, editable=False)
    alleged_perpetrator = models.CharField(_("alleged perpetrator"), max_length=255, blank=True)
    first_reported_on = models.DateField(_("date first reported"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    sensitivity = models.CharField(
        _("sensitivity"), max_length=16, choices=Sensitivity.choices, default=Sensitivity.RESTRICTED
    )
    citations = models.ManyToManyField(
        Citation, through="SiteCitation", related_name="sites", verbose_name=_("citations"), blank=True
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="merged_sites",
        help_text=_("Set when this site was found to be a duplicate: its code resolves to the survivor."),
    )
    # What name search reads, kept by PostgreSQL on every write whatever the path (admin,
    # import, bulk_create, raw SQL). Stored so that a search matching thousands of sites
    # ranks and re-checks them from columns instead of joining and parsing every site's
    # names again.
    search_names = models.GeneratedField(
        expression=site_names(), output_field=models.TextField(), db_persist=True, verbose_name=_("names, for search")
    )
    search_document = models.GeneratedField(
        expression=search_document(), output_field=SearchVectorField(), db_persist=True
    )

    objects = SiteManager()

    class Meta(RecordedModel.Meta):
        ordering = ["reference_code"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        permissions = [
            ("view_confidential_site", _("Can see confidential sites")),
            ("view_exact_location", _("Can see exact site coordinates")),
            ("merge_site", _("Can merge duplicate sites")),
        ]
        # The site list pages in reference-code order within the commonest filters; without
        # these, a page for one governorate walks the code index past every other one.
        indexes = [
            # Current sites of an area in code order, holding what the list and the map also
            # test, so that counting an area's sites reads this index alone (once vacuumed)
            # rather than visiting each of its 10,000 rows.
            models.Index(
                fields=["first_level_area", "reference_code"],
                include=["site_type", "sensitivity", "latitude"],
                condition=Q(archived_at__isnull=True, merged_into__isnull=True),
                name="site_current_area_code_idx",
            ),
            models.Index(fields=["country", "reference_code"], name="site_country_code_idx"),
            models.Index(fields=["status", "reference_code"], name="site_status_code_idx"),
            # A type within an area, in code order. Codes begin with the area, so an index on
            # the type alone leads the planner to walk every other area's sites of that type first.
            # Partial and covering like the one above: a count tests each candidate's estimates
            # by its id without visiting its row.
            models.Index(
                fields=["first_level_area", "site_type", "reference_code"],
                include=["id", "sensitivity", "latitude"],
                condition=Q(archived_at__isnull=True, merged_into__isnull=True),
                name="site_current_area_type_idx",
            ),
            # Name search reads its full-text matches here; the trigram indexes for
            # substrings and similar spellings exist only where pg_trgm does (sites.0010).
            GinIndex(fields=["search_document"], name="site_search_document_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(latitude__gte=-90, latitude__lte=90), name="site_latitude_range"),
            models.CheckConstraint(condition=Q(longitude__gte=-180, longitude__lte=180), name="site_longitude_range"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="site_coordinates_both_or_neither",
            ),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="site_country_iso_alpha2"),
            models.CheckConstraint(
                condition=Q(first_level_area="") | Q(first_level_area__startswith=Concat(F("country"), models.Value("-"))),
                name="site_area_within_country",
            ),
            models.CheckConstraint(condition=_edtf_bounds_are_ordered("period"), name="site_period_end_after_start"),
            models.CheckConstraint(condition=~Q(name=""), name="site_name_not_blank"),
            models.CheckConstraint(condition=~Q(reference_code=""), name="site_reference_code_assigned"),
            models.CheckConstraint(condition=~Q(merged_into=F("pk")), name="site_not_merged_into_itself"),
            *choice_checks(
                "site",
                status=SiteStatus,
                sensitivity=Sensitivity,
                location_precision=LocationPrecision,
                site_type=SiteType,
                deposition=Deposition,
                remains_state=RemainsState,
                protection_status=ProtectionStatus,
            ),
        ]
        triggers = [
            # Codes are handed out by the database so that bulk inserts, imports and raw
            # SQL get one too, and an explicit code moves the counter past itself.
            pgtrigger.Trigger(
                name="site_reference_code_assign",
                operation=pgtrigger.Insert,
                when=pgtrigger.Before,
                func="""
                    IF NEW.reference_code = '' THEN
                        NEW.reference_code := core_next_code(
                            COALESCE(NULLIF(NEW.first_level_area, ''), NEW.country || '-XX'));
                    ELSE
                        PERFORM core_bump_serial(
                            substring(NEW.reference_code from '^(.*)-[0-9]+$'),
                            substring(NEW.reference_code from '([0-9]+)$')::integer);
                    END IF;
                    RETURN NEW;
                """,
            ),
            pgtrigger.Protect(
                name="site_reference_code_immutable",
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange("reference_code"),
            ),
            # The status column is written only by a recorded status change (see
            # SiteStatusChange's triggers), so no update, import or raw SQL can move
            # a site along its life cycle without a dated, attributed step.
            pgtrigger.Trigger(
                name="site_status_changed_only_by_a_step",
                operation=pgtrigger.Update,
                when=pgtrigger.Before,
                condition=pgtrigger.AnyChange("status"),
                func="""
                    IF current_setting('gravesdb.applying_status_change', true) IS DISTINCT FROM 'on' THEN
                        RAISE EXCEPTION 'site status changes only through a recorded status change (site %)',
                            NEW.reference_code USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NEW;
                """,
            ),
        ]

    def __str__(self):
        return f"{self.reference_code} {self.name}" if self.reference_code else self.name

    def natural_key(self):
        return (self.reference_code,)

    @property
    def code_prefix(self) -> str:
        return self.first_level_area or f"{self.country}-XX"

    def clean(self):
        super().clean()
        if self.first_level_area and self.country and not self.first_level_area.startswith(f"{self.country}-"):
            raise ValidationError({"first_level_area": _("The area must lie in the site's country.")})
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))

    def validate_constraints(self, exclude=None):
        if not self.reference_code:  # assigned by save(); not the user's to give
            exclude = {*(exclude or ()), "reference_code"}
        super().validate_constraints(exclude=exclude)

    def save(self, *args, **kwargs):
        self.period_earliest, self.period_latest = edtf.bounds(self.period)
        if not self.reference_code:
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("SELECT core_next_code(%s)", [self.code_prefix])
                self.reference_code = cursor.fetchone()[0]
        super().save(*args, **kwargs)


@history.track()
class SiteCitation(RecordedModel):
    """A passage that supports something about a site (its existence, place, period…)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="site_citations")
    citation = models.ForeignKey(Citation, on_delete=models.PROTECT, related_name="site_citations")

    class Meta(RecordedModel.Meta):
        verbose_name = _("site citation")
        verbose_name_plural = _("site citations")
        constraints = [models.UniqueConstraint(fields=["site", "citation"], name="site_citation_unique")]

    def __str__(self):
        return str(self.citation)


@history.track()
class SiteStatusChange(RecordedModel):
    """One dated step in a site's life cycle, with who, why and what supports it."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(
        _("from"), max_length=24, choices=SiteStatus.choices, blank=True, help_text=_("Blank for the first record.")
    )
    to_status = models.CharField(_("to"), max_length=24, choices=SiteStatus.choices)
    changed_on = models.CharField(
        _("date"), max_length=64, validators=[edtf.validate_edtf], help_text=_("EDTF: 2017-02-25, 2017-02, 2017.")
    )
    changed_on_earliest = models.DateField(null=True, blank=True, editable=False)
    reason = models.TextField(_("reason"))
    citation = models.ForeignKey(
        Citation,
        verbose_name=_("supporting citation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_changes",
    )

    class Meta(RecordedModel.Meta):
        ordering = ["site", "created_at"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        constraints = [
            models.CheckConstraint(
                condition=Q(from_status="")
                | Q(*[Q(from_status=src, to_status=dst) for src, dst in sorted(ALLOWED_TRANSITIONS)], _connector=Q.OR),
                name="site_status_change_allowed_by_life_cycle",
                violation_error_message=_("The life cycle does not allow this step."),
            ),
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="site_status_change_reason_given",
                violation_error_message=_("Say why the status changed."),
            ),
            *choice_checks("site_status_change", to_status=SiteStatus, from_status=(SiteStatus, True)),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="site_status_change_starts_from_current_status",
                operation=pgtrigger.Insert,
                when=pgtrigger.Before,
                func="""
                    IF NEW.from_status = '' THEN
                        IF EXISTS (SELECT 1 FROM sites_sitestatuschange WHERE site_id = NEW.site_id)
                           OR NEW.to_status IS DISTINCT FROM (SELECT status FROM sites_site WHERE id = NEW.site_id) THEN
                            RAISE EXCEPTION 'only the first status record of a site may have no previous status, '
                                'and it must be the site''s recorded status' USING ERRCODE = 'check_violation';
                        END IF;
                    ELSIF NEW.from_status IS DISTINCT FROM (
                            SELECT status FROM sites_site WHERE id = NEW.site_id FOR UPDATE) THEN
                        RAISE EXCEPTION 'status change from % does not start from the site''s current status',
                            NEW.from_status USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NEW;
                """,
            ),
            pgtrigger.Trigger(
                name="site_status_change_applies_to_site",
                operation=pgtrigger.Insert,
                when=pgtrigger.After,
                func="""
                    PERFORM set_config('gravesdb.applying_status_change', 'on', true);
                    UPDATE sites_site SET status = NEW.to_status WHERE id = NEW.site_id AND status <> NEW.to_status;
                    PERFORM set_config('gravesdb.applying_status_change', 'off', true);
                    RETURN NULL;
                """,
            ),
            pgtrigger.Protect(
                name="site_status_change_is_permanent", operation=pgtrigger.Update, condition=pgtrigger.AnyChange()
            ),
        ]

    def __str__(self):
        return f"{self.site}: {self.get_from_status_display() or '—'} → {self.get_to_status_display()} ({self.changed_on})"

    def save(self, *args, **kwargs):
        self.changed_on_earliest = edtf.bounds(self.changed_on)[0]
        super().save(*args, **kwargs)


@history.track()
class SiteRelation(RecordedModel):
    """Remains move: a secondary grave, a transfer of remains, a grave within a complex."""

    from_site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="relations_from")
    kind = models.CharField(_("relation"), max_length=32, choices=SiteRelationKind.choices)
    to_site = models.ForeignKey(Site, verbose_name=_("related site"), on_delete=models.PROTECT, related_name="relations_to")
    date = models.CharField(_("date"), max_length=64, blank=True, validators=[edtf.validate_edtf])
    remains_count = models.PositiveIntegerField(_("count of remains"), null=True, blank=True)
    citation = models.ForeignKey(
        Citation, verbose_name=_("citation"), on_delete=models.PROTECT, null=True, blank=True, related_name="site_relations"
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta(RecordedModel.Meta):
        verbose_name = _("site relation")
        verbose_name_plural = _("site relations")
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_site=F("to_site")),
                name="site_relation_not_to_itself",
                violation_error_message=_("A site cannot be related to itself."),
            ),
            *choice_checks("site_relation", kind=SiteRelationKind),
            models.UniqueConstraint(fields=["from_site", "kind", "to_site"], name="site_relation_unique"),
        ]

    def __str__(self):
        return f"{self.from_site} {self.get_kind_display().lower()} {self.to_site}"


@history.track()
class VictimEstimate(RecordedModel):
    """A contested number: a range of one kind, as of a date, from a cited source."""

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="estimates")
    count_type = models.CharField(_("count type"), max_length=16, choices=CountType.choices)
    low = models.PositiveIntegerField(_("low"), null=True, blank=True)
    best = models.PositiveIntegerField(_("best"), null=True, blank=True)
    high = models.PositiveIntegerField(_("high"), null=True, blank=True)
    qualifier = models.CharField(
        _("qualifier"),
        max_length=16,
        choices=FigureQualifier.choices,
        default=FigureQualifier.UNCLASSIFIED,
        db_default=FigureQualifier.UNCLASSIFIED,
        help_text=_("How the source bounded the figure: “at least 300” leaves the high open, “some 4,000” is approximate."),
    )
    # Kept for the history and for files that carry it; since qualifiers exist it follows
    # the qualifier (a database check), except on estimates not classified yet.
    is_approximate = models.BooleanField(_("approximate wording"), default=False, editable=False)
    is_cumulative = models.BooleanField(
        _("running total"),
        default=False,
        db_default=False,
        help_text=_(
            "A count “so far” or “to date”: a later running total of the same count type by the same "
            "producer supersedes it in the reconciled figures; both stay on the record."
        ),
    )
    wording = models.CharField(
        _("wording in the source"), max_length=255, blank=True, help_text=_("The figure as the source put it.")
    )
    as_of = models.CharField(
        _("as of"), max_length=64, blank=True, validators=[edtf.validate_edtf], help_text=_("EDTF: 2017-02, 2016-11.")
    )
    as_of_earliest = models.DateField(null=True, blank=True, editable=False)
    as_of_latest = models.DateField(null=True, blank=True, editable=False)
    producing_organization = models.ForeignKey(
        Organization,
        verbose_name=_("producing organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="estimates",
        help_text=_("Who produced the figure; may differ from the source's publisher."),
    )
    producer_description = models.CharField(
        _("produced by (as stated)"),
        max_length=255,
        blank=True,
        help_text=_("When no single organisation stands behind it: “locals, police and activists”."),
    )
    victim_profile = models.CharField(_("victim profile"), max_length=255, blank=True)
    citation = models.ForeignKey(
        Citation, verbose_name=_("citation"), on_delete=models.PROTECT, related_name="estimates"
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = VictimEstimateQuerySet.as_manager()

    class Meta(RecordedModel.Meta):
        ordering = ["site", "count_type", *chronological_order()]
        verbose_name = _("victim estimate")
        verbose_name_plural = _("victim estimates")
        indexes = [
            # "At least N victims" asks, for each candidate site, whether one current figure
            # reaches N: one probe here rather than reading all of the site's estimates. The
            # figures it is computed from ride along, so the probe never visits the row.
            models.Index(
                "site",
                estimate_figure(),
                include=["high", "best", "low"],
                name="estimate_site_figure_idx",
                condition=Q(archived_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(low__isnull=False) | Q(best__isnull=False) | Q(high__isnull=False),
                name="estimate_has_a_figure",
            ),
            models.CheckConstraint(
                condition=Q(low__isnull=True) | Q(best__isnull=True) | Q(low__lte=F("best")),
                name="estimate_low_le_best",
            ),
            models.CheckConstraint(
                condition=Q(best__isnull=True) | Q(high__isnull=True) | Q(best__lte=F("high")),
                name="estimate_best_le_high",
            ),
            models.CheckConstraint(
                condition=Q(low__isnull=True) | Q(high__isnull=True) | Q(low__lte=F("high")),
                name="estimate_low_le_high",
            ),
            *choice_checks("estimate", count_type=CountType, qualifier=FigureQualifier),
            models.CheckConstraint(condition=_edtf_bounds_are_ordered("as_of"), name="estimate_as_of_ordered"),
            models.CheckConstraint(
                condition=~Q(qualifier__in=OPEN_ABOVE) | Q(high__isnull=True),
                name="estimate_open_above_has_no_high",
                violation_error_message=_("“At least” and “more than” leave the high open: give the figure as low."),
            ),
            models.CheckConstraint(
                condition=~Q(qualifier__in=OPEN_BELOW) | Q(low__isnull=True),
                name="estimate_open_below_has_no_low",
                violation_error_message=_("“Up to” and “fewer than” leave the low open: give the figure as high."),
            ),
            models.CheckConstraint(
                condition=~Q(qualifier__in=CLOSED)
                | Q(best__isnull=False)
                | Q(low__isnull=False, high__isnull=False)
                | Q(low__isnull=True, high__isnull=True),  # no figure at all: estimate_has_a_figure says so
                name="estimate_closed_figure_complete",
                violation_error_message=_(
                    "An exact or approximate figure needs a best figure or both low and high; "
                    "a lone low or high is a bound: choose “at least” or “up to”."
                ),
            ),
            models.CheckConstraint(
                condition=Q(qualifier=FigureQualifier.UNCLASSIFIED)
                | Q(qualifier=FigureQualifier.APPROXIMATE, is_approximate=True)
                | (~Q(qualifier=FigureQualifier.APPROXIMATE) & Q(is_approximate=False)),
                name="estimate_approximate_follows_qualifier",
            ),
        ]

    def __str__(self):
        return f"{self.site.reference_code} {self.get_count_type_display().lower()}: {self.figures}"

    @property
    def figures(self) -> str:
        """The figure in words a reader can check against the source: "≥ 300", "~4,000", "20–30"."""
        return figures.estimate_text(self)

    @property
    def lower_bound(self) -> int | None:
        """The lowest number this estimate allows, or None where it leaves the low open."""
        return figures.lower_bound(self)

    @property
    def upper_bound(self) -> int | None:
        """The highest number this estimate allows, or None where it leaves the high open."""
        return figures.upper_bound(self)

    @property
    def best_figure(self) -> int | None:
        return figures.best_figure(self)

    def clean(self):
        super().clean()
        if self.low is None and self.best is None and self.high is None:
            raise ValidationError(_("Give at least one of low, best and high: an estimate is never blank."))
        ordered = [v for v in (self.low, self.best, self.high) if v is not None]
        if ordered != sorted(ordered):
            raise ValidationError(_("Figures must satisfy low ≤ best ≤ high."))
        self._follow_qualifier()

    def save(self, *args, **kwargs):
        self.as_of_earliest, self.as_of_latest = edtf.bounds(self.as_of)
        self._follow_qualifier()
        super().save(*args, **kwargs)

    def _follow_qualifier(self):
        if self.qualifier != FigureQualifier.UNCLASSIFIED:
            self.is_approximate = self.qualifier == FigureQualifier.APPROXIMATE
