"""What every evidentiary record's admin shares: provenance, reasons and readable history.

Researchers enter evidence here, so three things hold on every page: who entered
and last changed the record is shown and cannot be edited; each save can carry
the reason for the change, stored with the trigger-written history; and the
record's history is shown as a readable diff of old and new values.
"""

import pghistory
from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from .models import RecordedModel

PROVENANCE_FIELDS = ("id", "created_at", "created_by", "updated_at", "updated_by")

admin.site.site_header = _("gravesdb")
admin.site.site_title = _("gravesdb")
admin.site.index_title = _("Documentation of mass graves")


class RecordedForm(forms.ModelForm):
    change_reason = forms.CharField(
        label=_("Reason for this change"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text=_("Kept with the record's history: what prompted the entry or correction."),
    )


class RecordedAdmin(admin.ModelAdmin):
    form = RecordedForm
    list_per_page = 50
    show_full_result_count = False
    # Events of these models are left out of a history shown to users who may not
    # see them (witness identities are the case that matters).
    history_restricted_models = {"testimony.WitnessIdentityEvent": "testimony.view_witness_identity"}

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), *PROVENANCE_FIELDS)

    def get_fieldsets(self, request, obj=None):
        hidden = (*PROVENANCE_FIELDS, "change_reason")
        fieldsets = [
            (title, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for title, options in super().get_fieldsets(request, obj)
        ]
        fieldsets.append((_("Provenance"), {"fields": PROVENANCE_FIELDS, "classes": ["collapse"]}))
        can_write = self.has_change_permission(request, obj) if obj else self.has_add_permission(request)
        if can_write:
            fieldsets.append((_("Why"), {"fields": ["change_reason"]}))
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
