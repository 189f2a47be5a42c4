"""django-import-export Resources for every exchanged model.

Foreign keys travel as natural keys (a site's reference code, an organisation's
name, a source's or citation's UUID), so a file reads like the record it came from
and two organisations recognise the same record. Rows are matched by UUID first,
then by natural key, so importing the same file twice changes nothing.

``RecordResource`` keeps django-import-export's import workflow (row results,
new/updated/unchanged counts, dry runs, admin preview) and changes three things
the benchmark in docs/performance.md showed were needed at 100,000 rows: existing
records and foreign keys are loaded once per file, rows are written with
``bulk_create``/``bulk_update`` in batches, and model validation runs in Python
per row (``full_clean`` without its per-row existence and constraint queries)
while the database's own check constraints catch the rest; when a batch is
refused, it is replayed row by row so the error still names its row.
"""

import copy
import datetime
import functools
import uuid

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import resources
from import_export.fields import Field
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import RowResult

from gravesdb.core import edtf
from gravesdb.sites.choices import (
    CountType,
    Deposition,
    FigureQualifier,
    LocationPrecision,
    ProtectionStatus,
    RemainsState,
    SiteStatus,
    SiteType,
)
from gravesdb.sites.models import Site, SiteCitation, VictimEstimate
from gravesdb.sources.choices import InformationCredibility, OrganizationKind, SourceKind, SourceReliability
from gravesdb.sources.models import Citation, Organization, Source
from gravesdb.testimony.choices import ConsentMethod, ConsentScope, RiskLevel, Sex, WitnessRole
from gravesdb.testimony.models import Consent, Testimony, Witness
from gravesdb.core.choices import Sensitivity

from .database_errors import plain_database_error
from .widgets import (
    BooleanWidget,
    ChoiceWidget,
    CoordinateWidget,
    DateWidget,
    ListWidget,
    ManyNaturalKeysWidget,
    NaturalKeyWidget,
    TextWidget,
    UUIDWidget,
    WholeNumberWidget,
)


def text(name, **kwargs):
    return Field(attribute=name, column_name=name, widget=TextWidget(), **kwargs)


def choice(name, choices, default=""):
    return Field(attribute=name, column_name=name, widget=ChoiceWidget(choices, default=default))


def number(name):
    return Field(attribute=name, column_name=name, widget=WholeNumberWidget())


def natural_key(name, model, key, label, **kwargs):
    return Field(attribute=name, column_name=name, widget=NaturalKeyWidget(model, key, label=label, **kwargs))


class PrefetchingInstanceLoader(BaseInstanceLoader):
    """Finds each row's existing record by UUID, then by natural key, from two queries per file."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        model = resource._meta.model
        self.by_id, self.by_key = {}, {}
        headers = dataset.headers or []
        if "id" in headers:
            ids = []
            for value in dataset["id"]:
                try:
                    ids.append(uuid.UUID(str(value).strip()))
                except ValueError:
                    continue
            for start in range(0, len(ids), 5000):
                self.by_id.update(model._default_manager.in_bulk(ids[start : start + 5000]))
        key = resource.natural_key
        if key and key in headers:
            values = sorted({str(v).strip() for v in dataset[key] if str(v or "").strip()})
            for start in range(0, len(values), 5000):
                for obj in model._default_manager.filter(**{f"{key}__in": values[start : start + 5000]}):
                    self.by_key[getattr(obj, key)] = obj

    def get_instance(self, row):
        try:
            found = self.by_id.get(uuid.UUID(str(row.get("id") or "").strip()))
        except ValueError:
            found = None
        if found is None and self.resource.natural_key:
            found = self.by_key.get(str(row.get(self.resource.natural_key) or "").strip())
        return found


class QuietRowResult(RowResult):
    """Names a row's record by id: ``str()`` of a citation or estimate costs a query per row."""

    def add_instance_info(self, instance):
        self.object_id = getattr(instance, "pk", None)
        self.object_repr = str(self.object_id or "")


class RecordResource(resources.ModelResource):
    """Shared import and export behaviour of every gravesdb record."""

    natural_key: str | None = None
    # EDTF text fields and the stored day bounds computed from them (bulk writes skip save()).
    edtf_bounds: dict[str, tuple[str, str | None]] = {}
    # Once saved, these cannot change (the database refuses it); say so in words.
    immutable: tuple[str, ...] = ()
    # Fields the export leaves blank unless the user holds the permission.
    restricted: dict[str, str] = {}
    progress = None  # called with the number of rows done, every 500 rows
    file_rows: list[int] | None = None  # the file's row number for each dataset row, for messages

    id = Field(attribute="id", column_name="id", widget=UUIDWidget())

    class Meta:
        import_id_fields = ["id"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_bulk = True
        batch_size = 1000
        # No per-row diff: it deep-copies every instance (a fifth of an import's time)
        # and gravesdb's preview shows counts and errors, not diffs. Unchanged rows
        # are found from the values each record had when it was loaded (skip_row).
        skip_diff = True
        skip_html_diff = True
        instance_loader_class = PrefetchingInstanceLoader

    def __init__(self, *, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self._loaded: dict = {}
        self.db_errors: list[tuple[int, str, str]] = []
        self.withheld: dict[str, int] = {}
        self._pending_create_rows: list[int] = []
        self._pending_update_rows: list[int] = []
        self._seen: dict = {}

    # Import -----------------------------------------------------------------------

    @classmethod
    def get_row_result_class(cls):
        return QuietRowResult

    def get_instance(self, instance_loader, row):
        return instance_loader.get_instance(row)

    def get_or_init_instance(self, instance_loader, row):
        instance, new = super().get_or_init_instance(instance_loader, row)
        if not new:
            self._loaded[instance.pk] = self._import_values(instance)
        return instance, new

    def _import_values(self, instance):
        """What the file can change, as comparable values: a foreign key by its id (no query)."""
        return [
            getattr(instance, attname) if attname else copy.copy(field.get_value(instance))
            for field, attname in self._compared_fields
        ]

    @functools.cached_property
    def _compared_fields(self):
        """Each importable field, with the column to read instead when it is a foreign key."""
        columns = {f.name: f.attname for f in self._meta.model._meta.concrete_fields if f.many_to_one}
        return [(field, columns.get(field.attribute)) for field in self.get_import_fields() if field.attribute]

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if instance._state.adding or import_validation_errors:
            return False
        return self._loaded.get(instance.pk) == self._import_values(instance)

    def before_import(self, dataset, **kwargs):
        for field in self.fields.values():
            if isinstance(field.widget, NaturalKeyWidget) and field.column_name in (dataset.headers or []):
                field.widget.prime(dataset[field.column_name])

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "id" and (not instance._state.adding or not str(row.get("id") or "").strip()):
            return  # an existing record keeps its UUID; a new one without an id gets a fresh one
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        original = {name: getattr(instance, name) for name in self.immutable} if not instance._state.adding else {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for name, before in original.items():
            if getattr(instance, name) != before and name not in errors:
                errors[name] = ValidationError(self.immutable_message(name))
        for name in self.edtf_bounds:
            value = getattr(instance, name)
            if value and name not in errors:
                try:
                    earliest, _latest = edtf.bounds(value)
                except ValidationError as error:
                    errors[name] = error
                else:
                    if earliest and earliest > datetime.date.today():
                        errors[name] = ValidationError(_("%(value)s is in the future.") % {"value": value})
        self._check_repeats(instance, kwargs.get("row_number"), errors)
        if errors:
            raise ValidationError(errors)

    def immutable_message(self, name):
        return _("%(field)s never changes once recorded.") % {"field": name.replace("_", " ").capitalize()}

    def _check_repeats(self, instance, row_number, errors):
        keys = [("id", instance.pk)]
        if self.natural_key and getattr(instance, self.natural_key, ""):
            keys.append((self.natural_key, getattr(instance, self.natural_key)))
        for name, value in keys:
            earlier = self._seen.setdefault((name, value), row_number)
            if earlier != row_number and name not in errors:
                shown = self.file_rows[earlier - 1] if self.file_rows else earlier
                errors[name] = ValidationError(
                    _("This row repeats the record of row %(row)s (same %(field)s).") % {"row": shown, "field": name}
                )
                return

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """Model validation per row, minus the queries: foreign keys were resolved from the
        file's cache, and uniqueness and check constraints are the database's to enforce."""
        errors = dict(import_validation_errors or {})
        related = {f.name for f in instance._meta.concrete_fields if f.is_relation}
        try:
            instance.full_clean(exclude=set(errors) | related, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def before_save_instance(self, instance, row, **kwargs):
        for name, (earliest, latest) in self.edtf_bounds.items():
            low, high = edtf.bounds(getattr(instance, name))
            setattr(instance, earliest, low)
            if latest:
                setattr(instance, latest, high)
        instance.stamp(self.user)
        if instance._state.adding:
            self._pending_create_rows.append(kwargs.get("row_number"))
        else:
            instance.updated_at = timezone.now()  # bulk_update skips auto_now; the database bumps version
            self._pending_update_rows.append(kwargs.get("row_number"))

    def get_bulk_update_fields(self):
        names = {f.attribute for f in self.get_import_fields() if f.attribute and f.attribute not in ("id",)}
        names -= set(self.immutable) | {"reference_code", "status", "pseudonym"}
        for earliest, latest in self.edtf_bounds.values():
            names |= {earliest} | ({latest} if latest else set())
        return sorted(names | {"updated_at", "updated_by"})

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        self._write_batch(self.create_instances, self._pending_create_rows, self._create)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        self._write_batch(self.update_instances, self._pending_update_rows, self._update)

    def _create(self, instances):
        self._meta.model.objects.bulk_create(instances)
        self.after_create(instances)

    def _update(self, instances):
        self._meta.model.objects.bulk_update(instances, self.get_bulk_update_fields())

    def after_create(self, instances):
        """Hook for writes that must follow a new record (a site's first status)."""

    def _write_batch(self, instances, row_numbers, write):
        """Write a batch at once; if the database refuses it, replay it row by row to name the row."""
        if not instances:
            return
        try:
            with transaction.atomic():
                write(list(instances))
        except DatabaseError:
            for instance, row_number in zip(list(instances), list(row_numbers)):
                try:
                    with transaction.atomic():
                        write([instance])
                except DatabaseError as error:
                    column, message = plain_database_error(error)
                    self.db_errors.append((row_number, column, message))
        finally:
            instances.clear()
            row_numbers.clear()

    def after_import_row(self, row, row_result, **kwargs):
        number = kwargs.get("row_number") or 0
        if self.progress and number % 500 == 0:
            self.progress(number)

    # Export -----------------------------------------------------------------------

    def export_field(self, field, instance, **kwargs):
        permission = self.restricted.get(field.column_name)
        if permission and not (self.user and self.user.has_perm(permission)):
            key = f"{field.column_name} (needs {permission})"
            self.withheld[key] = self.withheld.get(key, 0) + (getattr(instance, field.attribute, None) not in (None, ""))
            return ""
        return super().export_field(field, instance, **kwargs)

    def visible(self, queryset):
        return queryset

    def get_queryset(self):
        return self.visible(self._meta.model._default_manager.all())

    def filter_export(self, queryset, **kwargs):
        return self.visible(queryset)


class OrganizationResource(RecordResource):
    natural_key = "name"
    name = text("name")
    acronym = text("acronym")
    kind = choice("kind", OrganizationKind.choices)
    country = text("country")
    website = text("website")
    notes = text("notes")

    class Meta(RecordResource.Meta):
        model = Organization
        name = _("Organisations")
        fields = ["id", "name", "acronym", "kind", "country", "website", "notes"]

    def get_queryset(self):
        return Organization.objects.order_by("name")


class SourceResource(RecordResource):
    edtf_bounds = {"publication_date": ("publication_date_earliest", None)}
    title = text("title")
    kind = choice("kind", SourceKind.choices)
    publisher = natural_key("publisher", Organization, "name", _("organisation"))
    authors = text("authors")
    publication_date = text("publication_date")
    url = text("url")
    accessed_on = Field(attribute="accessed_on", column_name="accessed_on", widget=DateWidget())
    language = text("language")
    reliability = choice("reliability", SourceReliability.choices, default=SourceReliability.F)
    notes = text("notes")

    class Meta(RecordResource.Meta):
        model = Source
        name = _("Sources")
        fields = [
            "id", "title", "kind", "publisher", "authors", "publication_date", "url",
            "accessed_on", "language", "reliability", "notes",
        ]

    def get_queryset(self):
        return Source.objects.select_related("publisher").order_by("title", "id")


class CitationResource(RecordResource):
    immutable = ("source_id", "locator", "quote")
    source = natural_key("source", Source, "pk", _("source with id"))
    locator = text("locator")
    quote = text("quote")
    supports = Field(attribute="supports", column_name="supports", widget=ListWidget())
    credibility = choice("credibility", InformationCredibility.choices, default=InformationCredibility.CANNOT_BE_JUDGED)
    notes = text("notes")

    class Meta(RecordResource.Meta):
        model = Citation
        name = _("Citations")
        fields = ["id", "source", "locator", "quote", "supports", "credibility", "notes"]

    def immutable_message(self, name):
        return _("A citation's source, locator and quote never change: import the correction as a new citation.")

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        super().import_field(field, instance, row, is_m2m, **kwargs)
        if field.attribute == "credibility" and isinstance(instance.credibility, str):
            instance.credibility = int(instance.credibility)

    def get_queryset(self):
        return Citation.objects.order_by("source_id", "locator", "id")


class SiteResource(RecordResource):
    natural_key = "reference_code"
    immutable = ("reference_code",)
    edtf_bounds = {"period": ("period_earliest", "period_latest")}
    restricted = {"latitude": "sites.view_exact_location", "longitude": "sites.view_exact_location"}
    reference_code = text("reference_code")
    name = text("name")
    alternative_names = Field(attribute="alternative_names", column_name="alternative_names", widget=ListWidget())
    country = text("country")
    first_level_area = text("first_level_area")
    second_level_area = text("second_level_area")
    locality = text("locality")
    latitude = Field(attribute="latitude", column_name="latitude", widget=CoordinateWidget(limit=90))
    longitude = Field(attribute="longitude", column_name="longitude", widget=CoordinateWidget(limit=180))
    location_precision = choice("location_precision", LocationPrecision.choices, default=LocationPrecision.UNKNOWN)
    site_type = choice("site_type", SiteType.choices, default=SiteType.OTHER)
    deposition = choice("deposition", Deposition.choices, default=Deposition.UNKNOWN)
    remains_state = choice("remains_state", RemainsState.choices, default=RemainsState.UNKNOWN)
    protection_status = choice("protection_status", ProtectionStatus.choices, default=ProtectionStatus.UNPROTECTED)
    status = choice("status", SiteStatus.choices, default=SiteStatus.REPORTED)
    period = text("period")
    alleged_perpetrator = text("alleged_perpetrator")
    first_reported_on = Field(attribute="first_reported_on", column_name="first_reported_on", widget=DateWidget())
    description = text("description")
    sensitivity = choice("sensitivity", Sensitivity.choices, default=Sensitivity.RESTRICTED)

    class Meta(RecordResource.Meta):
        model = Site
        name = _("Sites")
        fields = [
            "id", "reference_code", "name", "alternative_names", "country", "first_level_area",
            "second_level_area", "locality", "latitude", "longitude", "location_precision", "site_type",
            "deposition", "remains_state", "protection_status", "status", "period", "alleged_perpetrator",
            "first_reported_on", "description", "sensitivity",
        ]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # (site, row number, status) steps to apply once the rows are written
        self.status_steps: list[tuple[Site, int, str]] = []
        self._stored_status: dict = {}

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "reference_code" and not str(row.get("reference_code") or "").strip():
            return  # blank: the database assigns a new site its code; an existing site keeps its own
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        if not instance._state.adding:
            self._stored_status[instance.pk] = instance.status
        super().import_instance(instance, row, **kwargs)

    def after_save_instance(self, instance, row, **kwargs):
        """A new site's first status, and any later change, become recorded status steps."""
        stored = self._stored_status.get(instance.pk)
        if instance._state.adding or (stored and stored != instance.status):
            self.status_steps.append((instance, kwargs.get("row_number"), instance.status))

    def visible(self, queryset):
        if self.user is not None:
            queryset = queryset.visible_to(self.user)
        return queryset.current()

    def get_queryset(self):
        return self.visible(Site.objects.order_by("reference_code"))


class VictimEstimateResource(RecordResource):
    edtf_bounds = {"as_of": ("as_of_earliest", "as_of_latest")}
    site = natural_key("site", Site, "reference_code", _("site with reference code"), follow="merged_into", or_id=True)
    count_type = choice("count_type", CountType.choices)
    low = number("low")
    best = number("best")
    high = number("high")
    # A blank qualifier is one nobody has read yet: unclassified, never guessed from the figures.
    qualifier = choice("qualifier", FigureQualifier.choices, default=FigureQualifier.UNCLASSIFIED)
    # Read from the file, then made to follow the qualifier by the model's clean(): it keeps
    # the file's value only on an estimate not classified yet, where it is all the file
    # says about the wording.
    is_approximate = Field(attribute="is_approximate", column_name="is_approximate", widget=BooleanWidget())
    is_cumulative = Field(attribute="is_cumulative", column_name="is_cumulative", widget=BooleanWidget())
    wording = text("wording")
    as_of = text("as_of")
    producing_organization = natural_key("producing_organization", Organization, "name", _("organisation"))
    producer_description = text("producer_description")
    victim_profile = text("victim_profile")
    citation = natural_key("citation", Citation, "pk", _("citation with id"))
    notes = text("notes")

    class Meta(RecordResource.Meta):
        model = VictimEstimate
        name = _("Victim estimates")
        fields = [
            "id", "site", "count_type", "low", "best", "high", "is_approximate", "wording", "as_of",
            "producing_organization", "producer_description", "victim_profile", "citation", "notes",
            # Added with qualifiers; at the end, so files laid out before them keep their columns.
            "qualifier", "is_cumulative",
        ]

    def visible(self, queryset):
        if self.user is not None:
            queryset = queryset.filter(site__in=Site.objects.visible_to(self.user))
        return queryset.filter(site__in=Site.objects.current())

    def get_queryset(self):
        return self.visible(
            VictimEstimate.objects.select_related("site", "producing_organization").order_by(
                "site__reference_code", "count_type", "as_of_earliest", "id"
            )
        )


class SiteCitationResource(RecordResource):
    site = natural_key("site", Site, "reference_code", _("site with reference code"), follow="merged_into", or_id=True)
    citation = natural_key("citation", Citation, "pk", _("citation with id"))

    class Meta(RecordResource.Meta):
        model = SiteCitation
        name = _("Site citations")
        fields = ["id", "site", "citation"]


class WitnessResource(RecordResource):
    """Pseudonyms only, unless the exporting user may see who the witnesses are."""

    pseudonym = text("pseudonym")
    age = number("age")
    age_range = text("age_range")
    sex = choice("sex", Sex.choices)
    role = choice("role", WitnessRole.choices)
    residence = text("residence")
    risk_level = choice("risk_level", RiskLevel.choices)
    protective_measures = text("protective_measures")
    legal_name = Field(attribute="identity__legal_name", column_name="legal_name", readonly=True)
    contact = Field(attribute="identity__contact", column_name="contact", readonly=True)

    class Meta(RecordResource.Meta):
        model = Witness
        name = _("Witnesses")
        fields = [
            "id", "pseudonym", "age", "age_range", "sex", "role", "residence", "risk_level",
            "protective_measures", "legal_name", "contact",
        ]

    def may_see_identity(self):
        return bool(self.user and self.user.has_perm("testimony.view_witness_identity"))

    def get_export_fields(self, selected_fields=None):
        fields = super().get_export_fields(selected_fields)
        if self.may_see_identity():
            return fields
        return [f for f in fields if f.column_name not in ("legal_name", "contact")]

    def get_queryset(self):
        queryset = Witness.objects.order_by("pseudonym")
        if self.may_see_identity():
            queryset = queryset.select_related("identity")
        return queryset

    def filter_export(self, queryset, **kwargs):
        if not self.may_see_identity():
            self.withheld["witness identities (needs testimony.view_witness_identity)"] = queryset.filter(
                identity__isnull=False
            ).count()
            return queryset
        return queryset.select_related("identity")


class TestimonyResource(RecordResource):
    """A testimony's words leave only where its consent, in force, allows sharing."""

    witness = natural_key("witness", Witness, "pseudonym", _("witness"))
    sites = Field(attribute="sites", column_name="sites", widget=ManyNaturalKeysWidget("reference_code"), readonly=True)
    interviewed_on = text("interviewed_on")
    interview_place = text("interview_place")
    interviewer_description = text("interviewer_description")
    language = text("language")
    interpreter = text("interpreter")
    summary = text("summary")
    statement = text("statement")
    sensitivity = choice("sensitivity", Sensitivity.choices)
    consent = natural_key("consent", Consent, "pk", _("consent with id"))
    is_shareable = Field(attribute="is_shareable", column_name="is_shareable", widget=BooleanWidget())

    class Meta(RecordResource.Meta):
        model = Testimony
        name = _("Testimonies")
        fields = [
            "id", "witness", "sites", "interviewed_on", "interview_place", "interviewer_description", "language",
            "interpreter", "summary", "statement", "sensitivity", "consent", "is_shareable",
        ]

    def visible(self, queryset):
        if self.user is not None:
            queryset = queryset.visible_to(self.user)
        return queryset

    def get_queryset(self):
        return self.visible(
            Testimony.objects.select_related("witness").prefetch_related("sites").order_by("witness__pseudonym", "id")
        )

    def filter_export(self, queryset, **kwargs):
        queryset = self.visible(queryset)
        self._shareable = set(queryset.shareable().values_list("pk", flat=True))
        return queryset

    def export_field(self, field, instance, **kwargs):
        if field.column_name in ("summary", "statement") and instance.pk not in getattr(self, "_shareable", set()):
            if field.column_name == "statement":
                key = "testimony text (no consent in force that allows sharing)"
                self.withheld[key] = self.withheld.get(key, 0) + 1
            return ""
        return super().export_field(field, instance, **kwargs)


class ConsentResource(RecordResource):
    witness = natural_key("witness", Witness, "pseudonym", _("witness"))
    given_on = Field(attribute="given_on", column_name="given_on", widget=DateWidget())
    scope = choice("scope", ConsentScope.choices)
    method = choice("method", ConsentMethod.choices)
    partners = Field(attribute="partners", column_name="partners", widget=ManyNaturalKeysWidget("name"), readonly=True)
    withdrawn_on = Field(attribute="withdrawn_on", column_name="withdrawn_on", widget=DateWidget())
    notes = text("notes")

    class Meta(RecordResource.Meta):
        model = Consent
        name = _("Consents")
        fields = ["id", "witness", "given_on", "scope", "method", "partners", "withdrawn_on", "notes"]

    def get_queryset(self):
        return Consent.objects.select_related("witness").prefetch_related("partners").order_by(
            "witness__pseudonym", "given_on", "id"
        )


# The models `import_records` and the admin accept, by the name a user types.
IMPORTABLE = {
    "organizations": OrganizationResource,
    "sources": SourceResource,
    "citations": CitationResource,
    "sites": SiteResource,
    "estimates": VictimEstimateResource,
}
EXPORTABLE = {
    **IMPORTABLE,
    "witnesses": WitnessResource,
    "testimonies": TestimonyResource,
    "consents": ConsentResource,
}
RESOURCE_FOR_MODEL: dict[type[models.Model], type[RecordResource]] = {
    resource._meta.model: resource for resource in (*EXPORTABLE.values(), SiteCitationResource)
}
