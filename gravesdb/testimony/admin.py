"""Testimony admin: witnesses appear by pseudonym; identities only to those allowed.

``WitnessIdentity`` is a separate model with its own view permission, which only
the witness protection officer holds, so Django's own inline permission checks
keep the legal name off every page rendered for anybody else.
"""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from gravesdb.core.admin import RecordedAdmin

from .models import Consent, ConsentPartner, Testimony, TestimonyCitation, TestimonySite, Witness, WitnessIdentity


class WitnessIdentityInline(admin.StackedInline):
    model = WitnessIdentity
    extra = 0
    max_num = 1
    can_delete = False
    fields = ["legal_name", "contact"]


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0
    fields = ["given_on", "scope", "method", "withdrawn_on", "notes"]
    show_change_link = True


class TestimonyInline(admin.TabularInline):
    model = Testimony
    extra = 0
    fields = ["interviewed_on", "language", "summary", "sensitivity", "consent", "is_shareable"]
    show_change_link = True

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        consent_field = formset.form.base_fields.get("consent")
        if consent_field is not None:
            # Only the witness's own consents can be chosen.
            consent_field.queryset = Consent.objects.filter(witness=obj) if obj else Consent.objects.none()
        return formset


@admin.register(Witness)
class WitnessAdmin(RecordedAdmin):
    list_display = ["pseudonym", "role", "age", "age_range", "sex", "risk_level", "testimony_count"]
    list_filter = ["role", "risk_level", "sex"]
    search_fields = ["pseudonym"]
    ordering = ["pseudonym"]
    inlines = [WitnessIdentityInline, ConsentInline, TestimonyInline]
    fieldsets = [
        (None, {"fields": ["pseudonym", "role", ("age", "age_range"), "sex", "residence"]}),
        (_("Protection"), {"fields": ["risk_level", "protective_measures"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return ("pseudonym", *super().get_readonly_fields(request, obj))

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(testimony_total=Count("testimonies"))

    @admin.display(description=_("testimonies"), ordering="testimony_total")
    def testimony_count(self, witness):
        return witness.testimony_total


class ConsentPartnerInline(admin.TabularInline):
    model = ConsentPartner
    extra = 0
    autocomplete_fields = ["organization"]


@admin.register(Consent)
class ConsentAdmin(RecordedAdmin):
    list_display = ["witness", "scope", "given_on", "method", "withdrawn_on"]
    list_filter = ["scope", "method", ("withdrawn_on", admin.EmptyFieldListFilter)]
    search_fields = ["witness__pseudonym"]
    autocomplete_fields = ["witness"]
    list_select_related = ["witness"]
    ordering = ["witness__pseudonym", "-given_on"]
    date_hierarchy = "given_on"
    inlines = [ConsentPartnerInline]


class TestimonySiteInline(admin.TabularInline):
    model = TestimonySite
    extra = 0
    autocomplete_fields = ["site"]


class TestimonyCitationInline(admin.TabularInline):
    model = TestimonyCitation
    extra = 0
    autocomplete_fields = ["citation"]


@admin.register(Testimony)
class TestimonyAdmin(RecordedAdmin):
    list_display = ["witness", "interviewed_on", "interview_place", "language", "sensitivity", "is_shareable", "consent"]
    list_filter = ["sensitivity", "is_shareable", "language"]
    search_fields = ["witness__pseudonym", "summary"]
    autocomplete_fields = ["witness", "consent", "interviewer"]
    list_select_related = ["witness", "consent__witness"]
    ordering = ["witness__pseudonym", "interviewed_on"]
    date_hierarchy = "created_at"
    inlines = [TestimonySiteInline, TestimonyCitationInline]
    fieldsets = [
        (None, {"fields": ["witness", ("interviewed_on", "interview_place"), ("interviewer", "interviewer_description"), ("language", "interpreter")]}),
        (_("Account"), {"fields": ["summary", "statement"]}),
        (_("Sharing"), {"fields": ["sensitivity", "consent", "is_shareable"]}),
    ]


@admin.register(WitnessIdentity)
class WitnessIdentityAdmin(RecordedAdmin):
    """For the witness protection officer only (by permission): no search over names here."""

    list_display = ["witness"]
    autocomplete_fields = ["witness"]
    list_select_related = ["witness"]
    ordering = ["witness__pseudonym"]
