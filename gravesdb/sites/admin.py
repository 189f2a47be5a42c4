from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Exists, OuterRef
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from gravesdb.core import roles
from gravesdb.core.admin import RecordedAdmin
from gravesdb.core.visibility import VisibilityAdminMixin

from .choices import CountType
from .figures import range_text
from .filtersets import SiteFilterSet
from .locations import can_see_exact_location, shown_location
from .models import Site, SiteCitation, SiteRelation, SiteStatusChange, VictimEstimate
from .querysets import chronological_order
from .services import check_status_transition, site_change_status


class SiteFilterSetListFilter(admin.SimpleListFilter):
    """A changelist filter answered by the pages' and the API's SiteFilterSet.

    The question is then asked one way everywhere, and with EXISTS, so a site with
    three matching estimates is listed (and counted) once, without DISTINCT.
    """

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        filterset = SiteFilterSet({self.parameter_name: self.value()}, queryset=queryset)
        if not filterset.is_valid():
            # The FilterSet would skip the filter and list every site; the admin says the lookup is wrong.
            raise IncorrectLookupParameters(filterset.form.errors.as_text())
        return filterset.qs


class CountTypeFilter(SiteFilterSetListFilter):
    """Sites with at least one estimate of the chosen count type."""

    title = _("count type")
    parameter_name = "count_type"

    def lookups(self, request, model_admin):
        return CountType.choices


class OrganizationFilter(SiteFilterSetListFilter):
    """Sites the chosen organisation produced a figure for, or published a cited source about."""

    title = _("organisation")
    parameter_name = "organization"

    def lookups(self, request, model_admin):
        from gravesdb.sources.models import Organization

        # Only organisations behind figures and citations the user may see: a name in this list is a disclosure too.
        sites = Site.objects.visible_to(request.user).values("pk")
        figures = VictimEstimate.objects.visible_to(request.user)
        organizations = Organization.objects.filter(
            Exists(figures.filter(producing_organization=OuterRef("pk")))
            | Exists(figures.filter(citation__source__publisher=OuterRef("pk")))
            | Exists(SiteCitation.objects.filter(site__in=sites, citation__source__publisher=OuterRef("pk")))
        )
        return [(str(pk), name) for pk, name in organizations.values_list("pk", "name")]


class SiteCitationInline(VisibilityAdminMixin, admin.TabularInline):
    model = SiteCitation
    extra = 0
    autocomplete_fields = ["citation"]
    verbose_name = _("citation supporting this site")
    verbose_name_plural = _("citations supporting this site")


class VictimEstimateInline(VisibilityAdminMixin, admin.StackedInline):
    model = VictimEstimate
    extra = 0
    autocomplete_fields = ["citation", "producing_organization"]
    fields = [
        ("count_type", "qualifier", "is_cumulative"),
        ("low", "best", "high"),
        ("wording", "as_of"),
        ("producing_organization", "producer_description"),
        "victim_profile",
        "citation",
    ]


class StatusChangeFormSet(forms.BaseInlineFormSet):
    """Checks the life cycle in the form, so an impossible step gets a readable message."""

    def clean(self):
        super().clean()
        if any(self.errors) or self.instance._state.adding:
            return
        status = self.instance.status
        for form in self.extra_forms:
            if not form.has_changed() or self._should_delete_form(form):
                continue
            to_status = form.cleaned_data["to_status"]
            probe = Site(status=status)
            try:
                check_status_transition(site=probe, to_status=to_status)
            except forms.ValidationError as error:
                form.add_error("to_status", error)
            status = to_status


class SiteStatusChangeInline(VisibilityAdminMixin, admin.TabularInline):
    """Past steps are read-only; a new step is added here and applied through the service."""

    model = SiteStatusChange
    formset = StatusChangeFormSet
    extra = 0
    fields = ["from_status", "to_status", "changed_on", "reason", "citation", "created_by"]
    readonly_fields = ["from_status", "created_by"]
    autocomplete_fields = ["citation"]
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False


class SiteRelationInline(VisibilityAdminMixin, admin.TabularInline):
    model = SiteRelation
    fk_name = "from_site"
    visible_through = ("to_site",)
    extra = 0
    autocomplete_fields = ["to_site", "citation"]
    fields = ["kind", "to_site", "date", "remains_count", "citation", "notes"]


@admin.register(Site)
class SiteAdmin(VisibilityAdminMixin, RecordedAdmin):
    list_display = [
        "reference_code",
        "name",
        "country",
        "first_level_area",
        "status",
        "site_type",
        "reconciled_range",
        "source_count",
        "latest_exhumed",
        "sensitivity",
    ]
    list_display_links = ["reference_code", "name"]
    list_filter = [
        "country",
        "first_level_area",
        "status",
        "site_type",
        "protection_status",
        CountTypeFilter,
        OrganizationFilter,
        "sensitivity",
        "location_precision",
    ]
    search_fields = ["reference_code", "name", "locality", "second_level_area"]
    ordering = ["reference_code"]
    date_hierarchy = "first_reported_on"
    inlines = [VictimEstimateInline, SiteCitationInline, SiteStatusChangeInline, SiteRelationInline]
    readonly_fields = ["merged_into_link"]
    fieldsets = [
        (None, {"fields": ["reference_code", "merged_into_link", "name", "alternative_names", "sensitivity"]}),
        (_("Where"), {"fields": [("country", "first_level_area"), "second_level_area", "locality", ("latitude", "longitude"), "location_precision"]}),
        (_("What"), {"fields": ["status", "site_type", "deposition", "remains_state", "protection_status"]}),
        (_("When and by whom"), {"fields": ["period", ("period_earliest", "period_latest"), "alleged_perpetrator", "first_reported_on"]}),
        (None, {"fields": ["description"]}),
    ]

    history_hidden_fields = {"latitude": roles.EXACT_LOCATIONS, "longitude": roles.EXACT_LOCATIONS}

    def get_readonly_fields(self, request, obj=None):
        readonly = ["reference_code", "period_earliest", "period_latest"]
        if obj is not None:
            readonly.append("status")  # changed only through a dated, cited status change
        if self._hides_coordinates(request, obj):
            readonly.append("shown_location")
        return (*readonly, *super().get_readonly_fields(request, obj))

    def get_fieldsets(self, request, obj=None):
        """Without ``view_exact_location`` a recorded site shows its coarsened point only.

        The coordinates of a new site can still be typed in (entering what one
        knows discloses nothing), but once saved they are not shown back.
        """
        fieldsets = super().get_fieldsets(request, obj)
        if not self._hides_coordinates(request, obj):
            return fieldsets
        return [
            (title, {**options, "fields": ["shown_location" if f == ("latitude", "longitude") else f for f in options["fields"]]})
            for title, options in fieldsets
        ]

    def _hides_coordinates(self, request, obj) -> bool:
        return obj is not None and not can_see_exact_location(request.user)

    @admin.display(description=_("location shown"))
    def shown_location(self, site):
        location = shown_location(site, exact=False)
        if not location.is_known:
            return "—"
        return _("%(lat)s, %(lon)s (coarsened to a grid; the exact point is hidden)") % {
            "lat": location.latitude,
            "lon": location.longitude,
        }

    def get_queryset(self, request):
        return super().get_queryset(request).with_reconciled_range()

    def get_search_results(self, request, queryset, search_term):
        """Also search alternative names: transliterations are how researchers look sites up."""
        matches, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term:
            alternatives = Site.objects.with_any_name_containing(search_term).values("pk")
            matches = matches | queryset.filter(pk__in=alternatives)
        return matches, may_have_duplicates

    # An open high is NULL, which PostgreSQL sorts above every figure: where an open high belongs.
    @admin.display(description=_("reconciled range"), ordering="reconciled_high")
    def reconciled_range(self, site):
        return range_text(site)

    @admin.display(description=_("sources"), ordering="source_count")
    def source_count(self, site):
        return site.source_count

    @admin.display(description=_("latest exhumed"), ordering="latest_exhumed")
    def latest_exhumed(self, site):
        return "—" if site.latest_exhumed is None else f"{site.latest_exhumed:,}"

    @admin.display(description=_("merged into"))
    def merged_into_link(self, site):
        """A merged-away site is a redirect: show where its record lives now (through later merges too)."""
        if site.merged_into_id:
            survivor = Site.objects.resolve_code(site.reference_code)
            return format_html('<a href="{}">{}</a>', reverse("admin:sites_site_change", args=[survivor.pk]), survivor)
        if not getattr(site, "may_merge", False):
            return "—"
        try:
            candidates = reverse("admin:dedup_sitemerge_candidates")
        except NoReverseMatch:  # the deduplication app is not installed
            return "—"
        return format_html('— <a href="{}?site={}">{}</a>', candidates, site.pk, _("look for duplicates"))

    def get_object(self, request, object_id, from_field=None):
        site = super().get_object(request, object_id, from_field)
        if site is not None:
            # The duplicates page is for those who may merge; others would meet a 403.
            site.may_merge = request.user.has_perm("sites.merge_site")
        return site

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            site_change_status(
                site=obj,
                to_status=obj.status,
                changed_on=(obj.first_reported_on or obj.created_at.date()).isoformat(),
                reason=form.cleaned_data.get("change_reason") or str(_("Site recorded")),
                actor=request.user,
            )

    def save_formset(self, request, form, formset, change):
        if formset.model is not SiteStatusChange:
            return super().save_formset(request, form, formset, change)
        for step in formset.save(commit=False):
            site_change_status(
                site=form.instance,
                to_status=step.to_status,
                changed_on=step.changed_on,
                reason=step.reason,
                citation=step.citation,
                actor=request.user,
            )


@admin.register(VictimEstimate)
class VictimEstimateAdmin(VisibilityAdminMixin, RecordedAdmin):
    list_display = ["site", "count_type", "figures", "qualifier", "is_cumulative", "as_of", "producer", "source"]
    list_filter = [
        "count_type",
        "qualifier",
        "is_cumulative",
        "producing_organization",
        "site__country",
        "citation__source__kind",
    ]
    search_fields = ["site__reference_code", "site__name", "victim_profile", "wording", "producer_description"]
    autocomplete_fields = ["site", "producing_organization", "citation"]
    list_select_related = ["site", "producing_organization", "citation__source"]
    ordering = ["site__reference_code", "count_type", *chronological_order()]
    date_hierarchy = "as_of_earliest"
    readonly_fields = ["as_of_earliest", "as_of_latest"]

    @admin.display(description=_("figures"))
    def figures(self, estimate):
        return estimate.figures

    @admin.display(description=_("produced by"), ordering="producing_organization__name")
    def producer(self, estimate):
        return estimate.producing_organization or estimate.producer_description or "—"

    @admin.display(description=_("source"), ordering="citation__source__title")
    def source(self, estimate):
        return estimate.citation.source


@admin.register(SiteStatusChange)
class SiteStatusChangeAdmin(VisibilityAdminMixin, RecordedAdmin):
    """The status log, for reading: steps are added from the site's page."""

    visible_through = ("site",)

    list_display = ["site", "from_status", "to_status", "changed_on", "reason", "created_by"]
    list_filter = ["to_status", "from_status"]
    search_fields = ["site__reference_code", "site__name", "reason"]
    list_select_related = ["site", "created_by"]
    ordering = ["-created_at"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SiteRelation)
class SiteRelationAdmin(VisibilityAdminMixin, RecordedAdmin):
    visible_through = ("from_site", "to_site")
    list_display = ["from_site", "kind", "to_site", "date", "remains_count"]
    list_filter = ["kind"]
    search_fields = ["from_site__reference_code", "from_site__name", "to_site__reference_code", "to_site__name"]
    autocomplete_fields = ["from_site", "to_site", "citation"]
    list_select_related = ["from_site", "to_site"]
