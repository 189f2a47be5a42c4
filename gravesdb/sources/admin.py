from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gravesdb.core.admin import RecordedAdmin
from gravesdb.core.visibility import VisibilityAdminMixin

from .models import Citation, Organization, Source


@admin.register(Organization)
class OrganizationAdmin(RecordedAdmin):
    list_display = ["name", "acronym", "kind", "country", "website"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "acronym"]
    ordering = ["name"]


@admin.register(Source)
class SourceAdmin(RecordedAdmin):
    list_display = ["title", "kind", "publisher", "publication_date", "language", "reliability", "has_file"]
    list_filter = ["kind", "reliability", "language", "publisher"]
    search_fields = ["title", "authors", "url", "publisher__name"]
    autocomplete_fields = ["publisher"]
    list_select_related = ["publisher"]
    ordering = ["-publication_date_earliest", "title"]
    date_hierarchy = "created_at"
    readonly_fields = ["file_sha256", "file_size"]
    fieldsets = [
        (None, {"fields": ["title", "kind", "publisher", "authors", "publication_date", "language"]}),
        (_("Where to find it"), {"fields": ["url", "accessed_on", "archived_file", "file_sha256", "file_size"]}),
        (_("Assessment"), {"fields": ["reliability", "notes"]}),
    ]

    @admin.display(description=_("archived file"), boolean=True)
    def has_file(self, source):
        return bool(source.archived_file)


@admin.register(Citation)
class CitationAdmin(VisibilityAdminMixin, RecordedAdmin):
    # A quote about a confidential site or testimony says as much as the record: a
    # citation is shown only if it supports nothing yet or something the user may see.
    visible_through_any = (
        "site_citations__site",
        "estimates__site",
        "status_changes__site",
        "site_relations__from_site",
        "site_relations__to_site",
        "testimony_citations__testimony",
    )
    list_display = ["source", "locator", "excerpt", "credibility", "created_by", "created_at"]
    list_filter = ["credibility", "source__kind", "source__reliability"]
    search_fields = ["quote", "locator", "source__title"]
    autocomplete_fields = ["source"]
    list_select_related = ["source", "created_by"]
    ordering = ["source__title", "locator", "created_at"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None:
            # A correction is a new citation: the passage once saved stays what it was.
            return ("source", "locator", "quote", *readonly)
        return readonly

    @admin.display(description=_("quote"))
    def excerpt(self, citation):
        return citation.quote if len(citation.quote) <= 100 else citation.quote[:97] + "…"
