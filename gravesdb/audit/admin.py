from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """For reading only: entries are written by the database and never changed."""

    list_display = ["seq", "recorded_at", "username", "label", "object_model", "object_id", "changed", "reason"]
    list_filter = ["label", "object_model", "db_role"]
    search_fields = ["object_id", "username", "reason"]
    date_hierarchy = "recorded_at"
    show_full_result_count = False

    @admin.display(description="changed fields")
    def changed(self, entry):
        return ", ".join(entry.changed_fields)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
