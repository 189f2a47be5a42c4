"""Testimony admin: witnesses appear by pseudonym; identities only to those allowed.

``WitnessIdentity`` is a separate model with its own view permission, which only
the witness protection officer holds, so Django's own inline permission checks
keep the legal name off every page rendered for anybody else. The name itself is
stored encrypted (``crypto``): the forms here are the one place it is typed in
and read out, and their requests are marked sensitive so no error report or log
carries what was posted.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from gravesdb.core.admin import RecordedAdmin, RecordedForm
from gravesdb.core.visibility import VisibilityAdminMixin

from .models import (
    Consent,
    ConsentPartner,
    Testimony,
    TestimonyCitation,
    TestimonySite,
    Witness,
    WitnessIdentity,
    organization_of,
)
from .services import consent_withdraw

sensitive_post = method_decorator(sensitive_post_parameters())


class IdentityFields(forms.Form):
    """The legal name and contact as plain form fields, sealed into the model on validation."""

    legal_name = forms.CharField(label=_("legal name"), max_length=255)
    contact = forms.CharField(label=_("contact details"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.instance._state.adding:
            self.initial.setdefault("legal_name", self.instance.legal_name)
            self.initial.setdefault("contact", self.instance.contact)

    def _post_clean(self):
        # Only changed values are re-encrypted: a fresh nonce would otherwise record an
        # identity change in the history on every save.
        for field in ("legal_name", "contact"):
            if field in self.changed_data and field in self.cleaned_data:
                setattr(self.instance, field, self.cleaned_data[field])
        super()._post_clean()


class WitnessIdentityInlineForm(IdentityFields, forms.ModelForm):
    class Meta:
        model = WitnessIdentity
        fields = []


class WitnessIdentityForm(IdentityFields, RecordedForm):
    class Meta:
        model = WitnessIdentity
        fields = []


class IdentityHistoryMixin:
    """Shows identity events to those allowed, with names decrypted rather than as ciphertext."""

    def visible_history(self, request, rows):
        rows = super().visible_history(request, rows)
        if not request.user.has_perm("testimony.view_witness_identity"):
            return [row for row in rows if row["model"] != "WitnessIdentity"]
        return [_identity_row(row) if row["model"] == "WitnessIdentity" else row for row in rows]


def _identity_row(row):
    opened = (WitnessIdentity.opened_change(row["object_id"], *change) for change in row["changes"])
    return {**row, "changes": [change for change in opened if change is not None]}


class WitnessIdentityInline(VisibilityAdminMixin, admin.StackedInline):
    model = WitnessIdentity
    form = WitnessIdentityInlineForm
    extra = 0
    max_num = 1
    can_delete = False
    fields = ["legal_name", "contact"]


class ConsentInline(VisibilityAdminMixin, admin.TabularInline):
    """Withdrawal is recorded on the consent's own page, where a reason is asked for."""

    model = Consent
    extra = 0
    fields = ["given_on", "scope", "method", "withdrawn_on", "notes"]
    readonly_fields = ["withdrawn_on"]
    show_change_link = True


class TestimonyInline(VisibilityAdminMixin, admin.TabularInline):
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
class WitnessAdmin(IdentityHistoryMixin, VisibilityAdminMixin, RecordedAdmin):
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
        """Counts only the testimonies the user may see: a count is a disclosure too."""
        visible = (
            Testimony.objects.visible_to(request.user)
            .filter(witness=OuterRef("pk"))
            .order_by()
            .values("witness")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return super().get_queryset(request).annotate(testimony_total=Coalesce(Subquery(visible), 0))

    @admin.display(description=_("testimonies"), ordering="testimony_total")
    def testimony_count(self, witness):
        return witness.testimony_total

    @sensitive_post
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)


class ConsentPartnerInline(VisibilityAdminMixin, admin.TabularInline):
    model = ConsentPartner
    extra = 0
    autocomplete_fields = ["organization"]


class ConsentForm(RecordedForm):
    def clean(self):
        cleaned = super().clean()
        withdrawing = self.instance.pk and self.instance.withdrawn_on is None and cleaned.get("withdrawn_on")
        if withdrawing and not cleaned.get("change_reason", "").strip():
            self.add_error("change_reason", _("Say why the consent was withdrawn: the reason is kept with the record."))
        return cleaned


@admin.register(Consent)
class ConsentAdmin(VisibilityAdminMixin, RecordedAdmin):
    form = ConsentForm
    list_display = ["witness", "scope", "given_on", "method", "withdrawn_on"]
    list_filter = ["scope", "method", ("withdrawn_on", admin.EmptyFieldListFilter)]
    search_fields = ["witness__pseudonym"]
    autocomplete_fields = ["witness"]
    list_select_related = ["witness"]
    ordering = ["witness__pseudonym", "-given_on"]
    date_hierarchy = "given_on"
    inlines = [ConsentPartnerInline]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None and obj.withdrawn_on is not None:
            return ("withdrawn_on", *readonly)  # final: a renewed consent is a new consent
        return readonly

    def save_model(self, request, obj, form, change):
        """A withdrawal entered here goes through ``consent_withdraw``, like every other."""
        withdrawn_on = obj.withdrawn_on if change and "withdrawn_on" in form.changed_data else None
        if withdrawn_on is not None:
            obj.withdrawn_on = None
        super().save_model(request, obj, form, change)
        if withdrawn_on is not None:
            consent_withdraw(
                consent=obj, on=withdrawn_on, reason=form.cleaned_data["change_reason"], actor=request.user
            )
            obj.refresh_from_db()


class TestimonySiteInline(VisibilityAdminMixin, admin.TabularInline):
    model = TestimonySite
    extra = 0
    autocomplete_fields = ["site"]
    visible_through = ("site",)


class TestimonyCitationInline(VisibilityAdminMixin, admin.TabularInline):
    model = TestimonyCitation
    extra = 0
    autocomplete_fields = ["citation"]


@admin.register(Testimony)
class TestimonyAdmin(VisibilityAdminMixin, RecordedAdmin):
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
        (_("Sharing"), {"fields": ["sensitivity", "consent", "is_shareable", "recording_organization"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return ("recording_organization", *super().get_readonly_fields(request, obj))

    def save_model(self, request, obj, form, change):
        if not change:
            # Recorded by the organisation of whoever enters it; not a choice, so nobody
            # can file a testimony under another organisation's name.
            obj.recording_organization_id = organization_of(request.user)
        super().save_model(request, obj, form, change)


class FindReturningWitnessForm(forms.Form):
    legal_name = forms.CharField(label=_("legal name"), max_length=255)


@admin.register(WitnessIdentity)
class WitnessIdentityAdmin(IdentityHistoryMixin, VisibilityAdminMixin, RecordedAdmin):
    """For the witness protection officer only (by permission).

    The list searches pseudonyms only. A returning witness is found by exact
    (normalised) name on a separate page that takes the name by POST, so it never
    lands in a URL, a browser history or a server's access log.
    """

    form = WitnessIdentityForm
    list_display = ["witness"]
    search_fields = ["witness__pseudonym"]
    autocomplete_fields = ["witness"]
    list_select_related = ["witness"]
    ordering = ["witness__pseudonym"]
    fieldsets = [(None, {"fields": ["witness", "legal_name", "contact"]})]

    def get_urls(self):
        find = path(
            "find/",
            self.admin_site.admin_view(self.find_returning_witness_view),
            name="testimony_witnessidentity_find",
        )
        return [find, *super().get_urls()]

    @sensitive_post
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)

    @sensitive_post
    def find_returning_witness_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = FindReturningWitnessForm(request.POST if request.method == "POST" else None)
        matches = None
        if form.is_valid():
            matches = [
                (identity.witness, reverse("admin:testimony_witness_change", args=[identity.witness_id]))
                for identity in self.get_queryset(request)
                .matching_name(form.cleaned_data["legal_name"])
                .select_related("witness")
            ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Find a returning witness"),
            "opts": self.opts,
            "form": form,
            "matches": matches,
        }
        return TemplateResponse(request, "admin/testimony/witnessidentity/find.html", context)
