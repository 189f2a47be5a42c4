from django.apps import apps
from django.contrib import admin

from gravesdb.core import roles

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """For reading only: entries are written by the database and never changed.

    Read by auditors and data managers (``audit.view_auditentry``). An entry holds
    field names, never values, but its reason and timing are still about the record:
    entries about witness identities are left out for anyone who may not see them,
    as the record's own history leaves their events out. Entries about the rest of
    the testimony side (witnesses, consents, testimonies and their links) are left
    out for everyone but superusers: what a reader may see there depends on their
    organisation and each witness's consent, and a log entry's reason could speak of
    a testimony another organisation may not know exists. Those changes are read on
    each record's own history page, which only readers of the record reach.
    """

    # Labels, not imports: the audit log sits below the apps whose records it seals.
    restricted_models = {"testimony.WitnessIdentity": roles.WITNESS_IDENTITIES}

    list_display = ["seq", "recorded_at", "username", "label", "object_model", "object_id", "changed", "reason"]
    list_filter = ["label", "object_model", "db_role"]
    search_fields = ["object_id", "username", "reason"]
    date_hierarchy = "recorded_at"
    show_full_result_count = False

    # Labels, not imports, here too: every model of the app, whatever it adds later.
    organisation_scoped_app = "testimony"

    def get_queryset(self, request):
        entries = super().get_queryset(request)
        for model_label, permission in self.restricted_models.items():
            if not request.user.has_perm(permission):
                entries = entries.exclude(object_model=model_label)
        if not request.user.is_superuser:
            scoped = [model._meta.label for model in apps.get_app_config(self.organisation_scoped_app).get_models()]
            entries = entries.exclude(object_model__in=scoped)
        return entries

    @admin.display(description="changed fields")
    def changed(self, entry):
        return ", ".join(entry.changed_fields)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
