"""API representations: the same fields, validation and history as the admin.

Every write builds the model instance, stamps the acting user, runs the model's
own ``full_clean()`` (the checks the admin runs) and saves inside
``history.acting`` so the history records who did it and why (the
``X-Change-Reason`` header), whether the caller used a session or a token.
Locations leave through ``shown_location``; witness identities never appear
outside their own, permission-guarded endpoint.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gravesdb.core.choices import Sensitivity
from gravesdb.core.history import acting
from gravesdb.sites.choices import SiteStatus
from gravesdb.sites.locations import can_see_exact_location, shown_location
from gravesdb.sites.models import Site, SiteCitation, VictimEstimate
from gravesdb.sites.services import site_change_status
from gravesdb.sources.models import Citation, Organization, Source
from gravesdb.testimony.models import Testimony, TestimonySite, Witness, WitnessIdentity
from gravesdb.workspace.dossier import dossier_urls
from gravesdb.workspace.selectors import visible_citations, visible_sites

from .geojson import bound_field

REASON_HEADER = "HTTP_X_CHANGE_REASON"
PROVENANCE = ["created_at", "updated_at", "version"]


def change_reason(request) -> str:
    return request.META.get(REASON_HEADER, "")[:500] if request is not None else ""


class RecordedSerializer(serializers.ModelSerializer):
    """Writes through the model's validation and the history, as the admin does."""

    def create(self, validated_data):
        return self.save_instance(self.Meta.model(**validated_data))

    def update(self, instance, validated_data):
        for field, value in validated_data.items():
            setattr(instance, field, value)
        return self.save_instance(instance)

    def save_instance(self, instance, after_save=None):
        request = self.context["request"]
        instance.stamp(request.user)
        # As the admin's forms do: fields nobody types (codes the database assigns,
        # computed bounds, provenance) are not validated before the save fills them.
        computed = [field.name for field in instance._meta.fields if not field.editable]
        try:
            instance.full_clean(exclude=computed)
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from error
        try:
            with transaction.atomic(), acting(request.user, reason=change_reason(request)):
                instance.save()
                if after_save is not None:
                    after_save(instance)
        except DatabaseError as error:
            # A trigger or constraint the model's validation cannot see (a citation's
            # passage is fixed once saved, a status moves only by a recorded step).
            raise serializers.ValidationError({"non_field_errors": [str(error).splitlines()[0]]}) from error
        return instance

    def reader(self):
        request = self.context.get("request")
        return getattr(request, "user", None)


class VisibleLinkChoices:
    """A site or passage the writer may not see cannot be linked to (nor its existence probed)."""

    def get_fields(self):
        fields = super().get_fields()
        user = self.reader()
        if user is not None:
            fields["site"].queryset = visible_sites(user)
            fields["citation"].queryset = visible_citations(user)
        return fields


class OrganizationSerializer(RecordedSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "acronym", "kind", "country", "website", "notes", *PROVENANCE]
        read_only_fields = PROVENANCE


class SourceSerializer(RecordedSerializer):
    class Meta:
        model = Source
        fields = [
            "id",
            "title",
            "kind",
            "publisher",
            "authors",
            "publication_date",
            "url",
            "accessed_on",
            "language",
            "reliability",
            "file_sha256",
            "notes",
            *PROVENANCE,
        ]
        read_only_fields = ["file_sha256", *PROVENANCE]


class CitationSerializer(RecordedSerializer):
    IMMUTABLE = ("source", "locator", "quote")

    class Meta:
        model = Citation
        fields = ["id", "source", "locator", "quote", "supports", "credibility", "notes", *PROVENANCE]
        read_only_fields = PROVENANCE

    def validate(self, attrs):
        if self.instance is not None:
            changed = [f for f in self.IMMUTABLE if f in attrs and attrs[f] != getattr(self.instance, f)]
            if changed:
                raise serializers.ValidationError(
                    {f: [_("A cited passage is never rewritten: add a new citation instead.")] for f in changed}
                )
        return attrs


class SiteSerializer(RecordedSerializer):
    reconciled_low = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The lowest number any estimate allows; null where the low is open."
    )
    reconciled_low_bound = bound_field(read_only=True)
    reconciled_high = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The highest number any estimate allows; null where the high is open ('at least 300').",
    )
    reconciled_high_bound = bound_field(read_only=True)
    reconciled_best = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The best figure of the strongest, latest estimate that gives one; never a bound alone.",
    )
    reconciled_best_count_type = serializers.CharField(read_only=True, allow_null=True)
    estimate_count = serializers.IntegerField(read_only=True)
    source_count = serializers.IntegerField(read_only=True)
    latest_exhumed = serializers.IntegerField(read_only=True, allow_null=True)
    location_coarsened = serializers.SerializerMethodField()
    dossier_url = serializers.SerializerMethodField()

    class Meta:
        model = Site
        fields = [
            "id",
            "reference_code",
            "name",
            "alternative_names",
            "country",
            "first_level_area",
            "second_level_area",
            "locality",
            "latitude",
            "longitude",
            "location_precision",
            "location_coarsened",
            "site_type",
            "deposition",
            "remains_state",
            "protection_status",
            "status",
            "period",
            "period_earliest",
            "period_latest",
            "alleged_perpetrator",
            "first_reported_on",
            "description",
            "sensitivity",
            "merged_into",
            "reconciled_low",
            "reconciled_low_bound",
            "reconciled_high",
            "reconciled_high_bound",
            "reconciled_best",
            "reconciled_best_count_type",
            "estimate_count",
            "source_count",
            "latest_exhumed",
            "dossier_url",
            *PROVENANCE,
        ]
        read_only_fields = ["reference_code", "period_earliest", "period_latest", "merged_into", *PROVENANCE]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple) and hasattr(self.instance, "pk"):
            # Status moves only through a recorded step (POST …/status-changes/).
            fields["status"].read_only = True
        return fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_location_coarsened(self, site) -> bool:
        return self._location(site).coarsened

    @extend_schema_field(OpenApiTypes.URI)
    def get_dossier_url(self, site) -> str:
        # Resolved once per response, as the site list does: reverse() costs 45 µs a row.
        dossier_url = self.context.get("dossier_url")
        if dossier_url is None:
            dossier_url = self.context["dossier_url"] = dossier_urls()
        return dossier_url(site.reference_code)

    def _location(self, site):
        exact = self.context.get("exact_location")
        if exact is None:
            exact = self.context["exact_location"] = can_see_exact_location(self.reader())
        return shown_location(site, exact=exact)

    def to_representation(self, site):
        data = super().to_representation(site)
        location = self._location(site)
        data["latitude"] = None if location.latitude is None else str(location.latitude)
        data["longitude"] = None if location.longitude is None else str(location.longitude)
        return data

    def validate_sensitivity(self, value):
        if value == Sensitivity.CONFIDENTIAL and not self.reader().has_perm("sites.view_confidential_site"):
            raise serializers.ValidationError(_("Only those who may see confidential sites may mark one so."))
        return value

    def create(self, validated_data):
        status = validated_data.get("status", SiteStatus.REPORTED)
        request = self.context["request"]

        def record_initial_status(site):
            site_change_status(
                site=site,
                to_status=status,
                changed_on=(site.first_reported_on or site.created_at.date()).isoformat(),
                reason=change_reason(request) or _("Site recorded"),
                actor=request.user,
            )

        return self.save_instance(Site(**validated_data), after_save=record_initial_status)


class SiteStatusChangeSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=SiteStatus.choices)
    changed_on = serializers.CharField(max_length=64, help_text="EDTF date, e.g. 2017-02-25 or 2017-02.")
    reason = serializers.CharField()
    citation = serializers.PrimaryKeyRelatedField(queryset=Citation.objects.all(), required=False, allow_null=True)

    def save_change(self, site):
        request = self.context["request"]
        try:
            return site_change_status(site=site, actor=request.user, **self.validated_data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from error


class VictimEstimateSerializer(VisibleLinkChoices, RecordedSerializer):
    site_reference_code = serializers.CharField(source="site.reference_code", read_only=True)
    source = serializers.UUIDField(source="citation.source_id", read_only=True)
    is_superseded = serializers.BooleanField(
        read_only=True,
        help_text="A running total that a later one of the same count type, by the same producer, replaced in "
        "the reconciled figures. It stays on the record.",
    )

    class Meta:
        model = VictimEstimate
        fields = [
            "id",
            "site",
            "site_reference_code",
            "count_type",
            "low",
            "best",
            "high",
            "qualifier",
            "is_approximate",
            "is_cumulative",
            "is_superseded",
            "wording",
            "as_of",
            "producing_organization",
            "producer_description",
            "victim_profile",
            "citation",
            "source",
            "notes",
            *PROVENANCE,
        ]
        read_only_fields = ["is_approximate", *PROVENANCE]
        extra_kwargs = {
            "is_approximate": {"help_text": "Follows the qualifier ('approximate'); kept for older clients."}
        }


class SiteCitationSerializer(VisibleLinkChoices, RecordedSerializer):
    class Meta:
        model = SiteCitation
        fields = ["id", "site", "citation", *PROVENANCE]
        read_only_fields = PROVENANCE


class WitnessSerializer(RecordedSerializer):
    """A witness by pseudonym only: the identity lives behind its own endpoint and permission."""

    class Meta:
        model = Witness
        fields = [
            "id",
            "pseudonym",
            "age",
            "age_range",
            "sex",
            "role",
            "residence",
            "risk_level",
            "protective_measures",
            *PROVENANCE,
        ]
        read_only_fields = ["pseudonym", *PROVENANCE]


class WitnessIdentitySerializer(RecordedSerializer):
    # Plain attributes on the model that encrypt on assignment; declared so they can be written.
    legal_name = serializers.CharField(max_length=255)
    contact = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        model = WitnessIdentity
        fields = ["id", "witness", "legal_name", "contact", *PROVENANCE]
        read_only_fields = PROVENANCE


class TestimonySerializer(RecordedSerializer):
    witness_pseudonym = serializers.CharField(source="witness.pseudonym", read_only=True)
    sites = serializers.PrimaryKeyRelatedField(many=True, queryset=Site.objects.none(), required=False)

    class Meta:
        model = Testimony
        fields = [
            "id",
            "witness",
            "witness_pseudonym",
            "sites",
            "interviewed_on",
            "interview_place",
            "interviewer",
            "interviewer_description",
            "language",
            "interpreter",
            "summary",
            "statement",
            "sensitivity",
            "consent",
            "is_shareable",
            *PROVENANCE,
        ]
        read_only_fields = PROVENANCE

    def get_fields(self):
        fields = super().get_fields()
        user = self.reader()
        if user is not None:
            fields["sites"].child_relation.queryset = visible_sites(user)
        return fields

    def to_representation(self, testimony):
        data = super().to_representation(testimony)
        # Only the sites the reader may see: prefetched as ``visible_site_links``.
        links = getattr(testimony, "visible_site_links", None)
        if links is not None:
            data["sites"] = [str(link.site_id) for link in links]
        return data

    def validate_sensitivity(self, value):
        if value == Sensitivity.CONFIDENTIAL and not self.reader().has_perm("testimony.view_confidential_testimony"):
            raise serializers.ValidationError(_("Only those who may see confidential testimony may mark it so."))
        return value

    def create(self, validated_data):
        sites = validated_data.pop("sites", [])
        return self.save_instance(Testimony(**validated_data), after_save=lambda t: self._link_sites(t, sites))

    def update(self, instance, validated_data):
        sites = validated_data.pop("sites", None)
        for field, value in validated_data.items():
            setattr(instance, field, value)
        after = None if sites is None else (lambda t: self._link_sites(t, sites))
        return self.save_instance(instance, after_save=after)

    def _link_sites(self, testimony, sites):
        """Add links to the given sites. Links are evidence too: the API adds, never removes them."""
        user = self.context["request"].user
        existing = set(TestimonySite.objects.filter(testimony=testimony).values_list("site_id", flat=True))
        for site in sites:
            if site.pk not in existing:
                link = TestimonySite(testimony=testimony, site=site)
                link.stamp(user)
                link.save()


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text="Send as `Authorization: Token <token>`.")


class StaleVersionSerializer(serializers.Serializer):
    """The 409 answer to an update based on an older version (for the schema)."""

    detail = serializers.CharField()
    your_version = serializers.IntegerField()
    current_version = serializers.IntegerField()
    changed_by = serializers.ListField(child=serializers.CharField(), help_text="Who saved since your version.")
    changed_fields = serializers.ListField(child=serializers.CharField(), help_text="Names only, never values.")


class VersionRequiredSerializer(serializers.Serializer):
    """The 428 answer to an update that names no version (for the schema)."""

    detail = serializers.CharField()
