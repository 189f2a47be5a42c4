"""What every evidentiary record's admin shares: provenance, reasons and readable history.

Researchers enter evidence here, so three things hold on every page: who entered
and last changed the record is shown and cannot be edited; each save can carry
the reason for the change, stored with the trigger-written history; and the
record's history is shown as a readable diff of old and new values.
"""

import functools

import pghistory
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied, ValidationError
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .attachments import validate_attachment
from .models import EVIDENTIARY_MODELS, ConcurrentEdit, RecordedModel
from .services import record_archive, record_restore

PROVENANCE_FIELDS = (
    "id",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "version",
    "archived_at",
    "archived_by",
    "archive_reason",
)

admin.site.site_header = _("gravesdb")
admin.site.site_title = _("gravesdb")
admin.site.index_title = _("Documentation of mass graves")


class VersionField(forms.IntegerField):
    """The version a record was opened at, carried hidden through a form and back.

    It never counts as a change: a row whose only difference is that it was opened
    at an older version must not be saved (that save is what the check refuses).
    """

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, min_value=1, **kwargs)

    def has_changed(self, initial, data):
        return False


VERSION_MISSING = _(
    "This form did not say which version of the record it was opened at, so saving it could overwrite "
    "someone else's changes unseen. Nothing was saved: reload the page and make your changes again."
)


class VersionedForm(forms.Form):
    """A model form of an existing record must send back the version it was opened at.

    Mixed into model forms only (it reads ``self.instance``): the change form
    (``RecordedForm``) and every inline row of a recorded model (``VersionedInline``).
    Required on change, not on add, so a hand-made or scripted POST that leaves it
    out cannot skip the check.
    """

    expected_version = VersionField()
    # Fields whose values the editor may not see: the diff names them without values.
    # Set per request by the admin (``unshown_fields``).
    unshown_fields = frozenset()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.initial.setdefault("expected_version", self.instance.version)
            self.fields["expected_version"].required = True

    def clean(self):
        cleaned = super().clean()
        if "expected_version" in self._errors:
            # The field is hidden, so its own error would show nowhere: say it for the form.
            del self._errors["expected_version"]
            raise ValidationError(VERSION_MISSING, code="version_missing")
        return cleaned

    def check_version(self, what) -> None:
        """Lock the record's row for the rest of the transaction; refuse if it moved on.

        The admin validates and saves inside one transaction, so the row stays
        locked from this check until the save: nobody can slip in between.
        """
        try:
            type(self.instance).lock_version(self.instance.pk, expected_version=self.cleaned_data["expected_version"])
        except ConcurrentEdit as edit:
            message = concurrent_edit_message(edit, what=what, unshown=self.unshown_fields)
            raise ValidationError(message, code="concurrent_edit") from edit


class RecordedForm(VersionedForm, forms.ModelForm):
    change_reason = forms.CharField(
        label=_("Reason for this change"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text=_("Kept with the record's history: what prompted the entry or correction."),
    )

    def clean(self):
        cleaned = super().clean()
        if not self.instance._state.adding:
            self.check_version(_("this record"))
        return cleaned


class VersionedRowsFormSet(forms.BaseInlineFormSet):
    """Refuses the whole save when an existing row that would be written is stale.

    A row is checked when it would be written (changed or marked for deletion):
    an unchanged row is not saved, so it cannot overwrite anything. "Changed" is
    judged against the row as stored now, so a row someone else edited since the
    page was opened counts as changed and is checked. Deletions are checked here
    because Django ignores the errors of a row marked for deletion.
    """

    def clean(self):
        super().clean()
        for form in self.initial_forms:
            deleting = self.can_delete and self._should_delete_form(form)
            if not deleting and (form.errors or not form.has_changed()):
                continue  # not written: unchanged, or refused already
            what = _("this %(row)s") % {"row": form.instance._meta.verbose_name}
            if form.cleaned_data.get("expected_version") is None:
                error = ValidationError(VERSION_MISSING, code="version_missing")
            else:
                try:
                    form.check_version(what)
                    continue
                except ValidationError as stale:
                    error = stale
            if deleting:
                raise error
            form.add_error(None, error)


class VersionedInline:
    """An inline whose existing rows carry their version (hidden) and are refused when stale.

    Applied by ``RecordedAdmin.get_inlines`` to every inline of a recorded model, so
    no inline can be declared without it.
    """

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.unshown_fields = unshown_fields(self, request)
        return formset

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (title, {**options, "fields": [f for f in options["fields"] if f != "expected_version"]})
            for title, options in super().get_fieldsets(request, obj)
        ]
        if self.has_change_permission(request, obj):
            title, options = fieldsets[0]
            fieldsets[0] = (title, {**options, "fields": [*options["fields"], "expected_version"]})
        return fieldsets


@functools.cache
def _combined(mixin, base):
    if issubclass(base, mixin):
        return base
    return type(base.__name__, (mixin, base), {"__module__": base.__module__})


@functools.cache
def version_checked(inline_class):
    """``inline_class``, with each existing row carrying and checking its version."""
    if not issubclass(inline_class.model, RecordedModel) or issubclass(inline_class, VersionedInline):
        return inline_class
    return type(
        inline_class.__name__,
        (VersionedInline, inline_class),
        {
            "__module__": inline_class.__module__,
            "form": _combined(VersionedForm, inline_class.form),
            "formset": _combined(VersionedRowsFormSet, inline_class.formset),
        },
    )


def unshown_fields(model_admin, request) -> frozenset:
    """The fields whose values ``request.user`` may not see (``history_hidden_fields``, e.g. exact coordinates)."""
    hidden = getattr(model_admin, "history_hidden_fields", {})
    return frozenset(field for field, permission in hidden.items() if not request.user.has_perm(permission))


def concurrent_edit_message(edit: ConcurrentEdit, *, what=_("this record"), unshown=frozenset()) -> str:
    """Tell the second editor what the first one changed, so nothing is overwritten blind.

    Fields in ``unshown`` are named without their values: a researcher who may see
    only a coarsened point must not learn the coordinates from a refused save.
    """
    changes = edit.changes()
    shown = "; ".join(
        f"{field}: {_('(not shown to you)')}" if field in unshown else f"{field}: “{_shown(old)}” → “{_shown(new)}”"
        for field, old, new in changes["fields"]
    )
    return str(
        _(
            "Someone else saved %(what)s while you were editing it (%(who)s). Your changes were not saved. "
            "Changed since you opened it: %(changes)s. Reload the page to see the current record, then make "
            "your changes again."
        )
    ) % {"what": what, "who": ", ".join(changes["by"]) or _("unknown"), "changes": shown or _("only bookkeeping fields")}


def _shown(value) -> str:
    if value in (None, "", []):
        return "—"
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= 120 else text[:117] + "…"


class ArchivedFilter(admin.SimpleListFilter):
    """Lists show the live record by default; archived records are one click away."""

    title = _("archive")
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("yes", _("Archived")), ("all", _("All, archived included"))]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Current"),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        if self.value() == "all":
            return queryset
        return queryset.filter(archived_at__isnull=True)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text=_("Kept with the history of every record concerned."),
    )


class _ValidChoicesOnly:
    """Autocomplete widgets that skip submitted values which are not valid keys.

    Django's autocomplete widget looks the submitted value up again to redraw a
    refused form; a value that is not a UUID made that lookup raise, turning a
    form error into a 500. Invalid values are dropped from the redraw; the form
    still reports them as errors.
    """

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        valid = []
        for item in value:
            try:
                target.to_python(item)
            except ValidationError:
                continue
            valid.append(item)
        return super().optgroups(name, valid, attr)


class SafeAutocompleteSelect(_ValidChoicesOnly, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_ValidChoicesOnly, AutocompleteSelectMultiple):
    pass


def _safe_autocomplete(model_admin, db_field, request, kwargs, widget_class):
    if "widget" not in kwargs and db_field.name in model_admin.get_autocomplete_fields(request):
        kwargs["widget"] = widget_class(db_field, model_admin.admin_site, using=kwargs.get("using"))
    return kwargs


def _formfield_for_foreignkey(model_admin, db_field, request, **kwargs):
    kwargs = _safe_autocomplete(model_admin, db_field, request, kwargs, SafeAutocompleteSelect)
    return type(model_admin).formfield_for_foreignkey(model_admin, db_field, request, **kwargs)


def _is_evidence(model) -> bool:
    return model._meta.label in EVIDENTIARY_MODELS


class RecordedAdmin(admin.ModelAdmin):
    form = RecordedForm
    list_per_page = 50
    show_full_result_count = False
    actions = ["archive_selected", "restore_selected"]
    # Events of these models are left out of a history shown to users who may not
    # see them (witness identities are the case that matters).
    history_restricted_models = {"testimony.WitnessIdentityEvent": "testimony.view_witness_identity"}

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), *PROVENANCE_FIELDS)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, ArrayField) and db_field.base_field.choices:
            # Tick boxes, not comma-separated codes: easier, and Django's array field
            # crashed formatting its error for an unknown code containing "%".
            return forms.TypedMultipleChoiceField(
                choices=db_field.base_field.choices,
                required=not db_field.blank,
                widget=forms.CheckboxSelectMultiple,
                label=capfirst(db_field.verbose_name),
                help_text=db_field.help_text,
            )
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(db_field, models.FileField) and formfield is not None:
            formfield.validators.append(validate_attachment)
        return formfield

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = _safe_autocomplete(self, db_field, request, kwargs, SafeAutocompleteSelect)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs = _safe_autocomplete(self, db_field, request, kwargs, SafeAutocompleteSelectMultiple)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_list_filter(self, request):
        return (*super().get_list_filter(request), ArchivedFilter)

    def has_delete_permission(self, request, obj=None):
        """Evidence is archived, never deleted: no delete button or action, for anyone."""
        if _is_evidence(self.model):
            return False
        return super().has_delete_permission(request, obj)

    def has_archive_permission(self, request, obj=None):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.archive_{opts.model_name}")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.unshown_fields = unshown_fields(self, request)  # a fresh class per request
        return form

    def get_inlines(self, request, obj):
        return [version_checked(inline) for inline in super().get_inlines(request, obj)]

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        for inline in inlines:
            if _is_evidence(inline.model):
                inline.can_delete = False
            inline.formfield_for_foreignkey = functools.partial(_formfield_for_foreignkey, inline)
        return inlines

    def get_search_results(self, request, queryset, search_term):
        """Archived records are not offered when linking one record to another."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if request.path == reverse(f"{self.admin_site.name}:autocomplete"):
            results = results.filter(archived_at__isnull=True)
        return results, may_have_duplicates

    @admin.action(description=_("Archive selected records (with a reason)"), permissions=["archive"])
    def archive_selected(self, request, queryset):
        return self._with_reason(request, queryset.filter(archived_at__isnull=True), record_archive, _("Archive"))

    @admin.action(description=_("Restore selected archived records"), permissions=["archive"])
    def restore_selected(self, request, queryset):
        return self._with_reason(request, queryset.filter(archived_at__isnull=False), record_restore, _("Restore"))

    def _with_reason(self, request, queryset, service, verb):
        """Ask for the reason on an intermediate page, then apply ``service`` to each record."""
        form = ReasonForm(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            done = 0
            for record in queryset:
                try:
                    service(record=record, actor=request.user, reason=form.cleaned_data["reason"])
                    done += 1
                except (PermissionDenied, ValidationError) as refusal:
                    self.message_user(request, f"{record}: {' '.join(getattr(refusal, 'messages', [str(refusal)]))}", messages.ERROR)
            self.message_user(
                request,
                ngettext("%(verb)s: %(count)d record.", "%(verb)s: %(count)d records.", done) % {"verb": verb, "count": done},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("%(verb)s %(things)s") % {"verb": verb, "things": self.opts.verbose_name_plural},
            "subtitle": None,
            "opts": self.opts,
            "records": queryset,
            "form": form,
            "verb": verb,
            "action": request.POST.get("action"),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/gravesdb/archive_confirmation.html", context)

    def get_fieldsets(self, request, obj=None):
        hidden = (*PROVENANCE_FIELDS, "change_reason", "expected_version")
        fieldsets = [
            (title, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for title, options in super().get_fieldsets(request, obj)
        ]
        fieldsets.append((_("Provenance"), {"fields": PROVENANCE_FIELDS, "classes": ["collapse"]}))
        can_write = self.has_change_permission(request, obj) if obj else self.has_add_permission(request)
        if can_write:
            fieldsets.append((_("Why"), {"fields": ["change_reason", *(["expected_version"] if obj else [])]}))
        return fieldsets

    def save_model(self, request, obj, form, change):
        reason = form.cleaned_data.get("change_reason", "")
        if reason:
            # Called, not entered: adds the reason to the request's history context,
            # so the inlines saved after this share it.
            pghistory.context(reason=reason)
        obj.stamp(request.user)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for instance in instances:
            if isinstance(instance, RecordedModel):
                instance.stamp(request.user)
            instance.save()
        formset.save_m2m()

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        events = pghistory.models.Events.objects.references(obj).order_by("-pgh_created_at", "-pgh_id")
        for model_label, permission in self.history_restricted_models.items():
            if not request.user.has_perm(permission):
                events = events.exclude(pgh_model=model_label)
        context = {
            **self.admin_site.each_context(request),
            "title": _("History: %s") % obj,
            "subtitle": None,
            "object": obj,
            "opts": self.opts,
            "events": [_event_row(event) for event in events[:500]],
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/gravesdb/object_history.html", context)


_HIDDEN_DATA = {"pgh_obj", "id", "created_at", "updated_at", "created_by", "updated_by"}


def _event_row(event):
    """One line of history: what changed from what to what, by whom, and why."""
    context = event.pgh_context or {}
    if event.pgh_diff:
        changes = [(field, old, new) for field, (old, new) in sorted(event.pgh_diff.items()) if field != "updated_at"]
    else:
        data = event.pgh_data or {}
        changes = [
            (field, None, value) if event.pgh_label != "delete" else (field, value, None)
            for field, value in sorted(data.items())
            if field not in _HIDDEN_DATA and value not in (None, "", [])
        ]
    return {
        "when": event.pgh_created_at,
        "label": event.pgh_label,
        "model": event.pgh_obj_model.split(".")[-1],
        "object_id": event.pgh_obj_id,
        "user": context.get("username") or context.get("user") or _("(system)"),
        "reason": context.get("reason", ""),
        "request_id": event.pgh_context_id,
        "changes": changes,
    }
