"""Admin pages for deduplication: the candidates, the field-by-field merge, the record and its undo.

Proposing, judging, merging and undoing need ``sites.merge_site`` (the Data
manager role): they rewrite what the record says about a grave. The merge records
and judgements can also be read, never changed, with their own view permissions
(the Auditor role), since an audit has to be able to follow a merge. The
candidates only ever include sites the user may see.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gravesdb.sites.models import Site

from .models import DistinctSitesJudgement, SiteMerge
from .services import (
    MERGE_FIELD_GROUPS,
    MERGE_PERMISSION,
    PROPOSAL_THRESHOLD,
    find_duplicate_sites,
    judged_distinct_pairs,
    merge_defaults,
    merge_undo,
    sites_judge_distinct,
    sites_merge,
)

CANDIDATES_PER_PAGE = 50


class MergePermissionMixin:
    """Readable by whoever may merge (or holds the model's own view permission); never edited here."""

    def has_module_permission(self, request):
        return request.user.has_perm(MERGE_PERMISSION) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(MERGE_PERMISSION) or super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _site_link(site):
    url = reverse("admin:sites_site_change", args=[site.pk])
    return format_html('<a href="{}">{}</a>', url, site)


@admin.register(SiteMerge)
class SiteMergeAdmin(MergePermissionMixin, admin.ModelAdmin):
    list_display = ["created_at", "survivor_link", "merged_codes", "created_by", "reason", "undone_at"]
    list_select_related = ["survivor", "created_by"]
    list_filter = [("undone_at", admin.EmptyFieldListFilter)]
    search_fields = ["survivor__reference_code", "survivor__name", "members__site__reference_code", "reason"]
    date_hierarchy = "created_at"
    change_list_template = "admin/dedup/sitemerge/change_list.html"
    change_form_template = "admin/dedup/sitemerge/change_form.html"
    fields = [
        "survivor_link",
        "merged_codes",
        "created_at",
        "created_by",
        "reason",
        "choices_taken",
        "moved_rows",
        "kept_rows",
        "status_histories",
        "undone_at",
        "undone_by",
        "undo_reason",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("members__site")

    @admin.display(description=gettext_lazy("surviving site"), ordering="survivor__reference_code")
    def survivor_link(self, merge):
        return _site_link(merge.survivor)

    @admin.display(description=gettext_lazy("merged-away sites"))
    def merged_codes(self, merge):
        return format_html_join(", ", "{}", ((_site_link(m.site),) for m in merge.members.all()))

    @admin.display(description=gettext_lazy("values taken"))
    def choices_taken(self, merge):
        codes = dict(Site.objects.filter(pk__in=merge.field_choices.values()).values_list("pk", "reference_code"))
        codes = {str(pk): code for pk, code in codes.items()}
        return format_html_join(
            "", "<div>{}: {}</div>", ((MERGE_FIELD_GROUPS[g][0], codes.get(s, s)) for g, s in merge.field_choices.items())
        )

    @admin.display(description=gettext_lazy("rows moved to the survivor"))
    def moved_rows(self, merge):
        rows = merge.before.get("moved_rows", [])
        return format_html_join("", "<div>{} {}</div>", ((r["model"], r["pk"]) for r in rows)) or "—"

    @admin.display(description=gettext_lazy("rows left in place"))
    def kept_rows(self, merge):
        rows = merge.before.get("kept_rows", [])
        return format_html_join("", "<div>{} {}: {}</div>", ((r["model"], r["pk"], r["why"]) for r in rows)) or "—"

    @admin.display(description=gettext_lazy("status histories (kept with each site)"))
    def status_histories(self, merge):
        codes = {str(pk): code for pk, code in Site.objects.filter(pk__in=merge.before["sites"]).values_list("pk", "reference_code")}
        return format_html_join(
            "",
            "<div>{}: {} ({} steps)</div>",
            ((codes.get(s, s), h["status"], len(h["status_changes"])) for s, h in merge.before.get("status_histories", {}).items()),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("candidates/", view(self.candidates_view), name="dedup_sitemerge_candidates"),
            path("merge/", view(self.merge_view), name="dedup_sitemerge_merge"),
            path("<path:object_id>/undo/", view(self.undo_view), name="dedup_sitemerge_undo"),
            *super().get_urls(),
        ]

    def _context(self, request, title, **extra):
        request.current_app = self.admin_site.name
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **extra}

    @staticmethod
    def _require_merge_permission(request):
        if not request.user.has_perm(MERGE_PERMISSION):
            raise PermissionDenied

    def candidates_view(self, request):
        self._require_merge_permission(request)
        visible = Site.objects.visible_to(request.user)
        if request.method == "POST":
            return self._judge_distinct(request, visible)
        country = request.GET.get("country", "").strip().upper()
        area = request.GET.get("area", "").strip().upper()
        focus = visible.filter(pk=request.GET["site"]).first() if request.GET.get("site") else None
        try:
            min_score = float(request.GET.get("min_score") or PROPOSAL_THRESHOLD)
        except ValueError:
            min_score = PROPOSAL_THRESHOLD
        scope = visible
        if focus:
            scope = scope.filter(country=focus.country)
        if country:
            scope = scope.filter(country=country)
        if area:
            scope = scope.filter(first_level_area=area)
        search = find_duplicate_sites(sites=scope, min_score=min_score)
        candidates = search.candidates
        if focus:
            candidates = [c for c in candidates if focus.pk in (c.site_a, c.site_b)]
        page = Paginator(candidates, CANDIDATES_PER_PAGE).get_page(request.GET.get("page"))
        ids = {c.site_a for c in page} | {c.site_b for c in page}
        sites = Site.objects.in_bulk(ids)
        rows = [{"candidate": c, "a": sites[c.site_a], "b": sites[c.site_b]} for c in page]
        context = self._context(
            request,
            _("Possible duplicate sites"),
            rows=rows,
            page=page,
            search=search,
            country=country,
            area=area,
            min_score=min_score,
            focus=focus,
            query=request.GET.urlencode(),
        )
        return TemplateResponse(request, "admin/dedup/candidates.html", context)

    def _judge_distinct(self, request, visible):
        site_a = get_object_or_404(visible, pk=request.POST.get("site_a"))
        site_b = get_object_or_404(visible, pk=request.POST.get("site_b"))
        try:
            sites_judge_distinct(site_a=site_a, site_b=site_b, reason=request.POST.get("reason", ""), actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(a)s and %(b)s will not be proposed again.") % {"a": site_a, "b": site_b})
        return HttpResponseRedirect(f"{reverse('admin:dedup_sitemerge_candidates')}?{request.POST.get('query', '')}")

    def merge_view(self, request):
        self._require_merge_permission(request)
        data = request.POST if request.method == "POST" else request.GET
        sites = self._sites_to_merge(request, data)
        if len(sites) < 2:
            messages.error(request, _("Choose at least two current sites to merge (by id or reference code)."))
            return HttpResponseRedirect(reverse("admin:dedup_sitemerge_candidates"))
        survivor = next((s for s in sites if str(s.pk) == data.get("survivor")), sites[0])
        sites = [survivor, *(s for s in sites if s != survivor)]
        defaults = merge_defaults(sites)
        by_id = {str(s.pk): s for s in sites}
        if request.method == "POST":
            choices = {group: by_id.get(data.get(f"choice_{group}"), defaults[group]) for group in MERGE_FIELD_GROUPS}
            try:
                merge = sites_merge(
                    survivor=survivor,
                    merged=sites[1:],
                    choices=choices,
                    reason=data.get("reason", ""),
                    actor=request.user,
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Merged into %(site)s.") % {"site": survivor})
                return HttpResponseRedirect(reverse("admin:dedup_sitemerge_change", args=[merge.pk]))
            defaults = choices
        judged = judged_distinct_pairs()
        warnings = [
            _("%(a)s and %(b)s were judged not to be the same site.") % {"a": a, "b": b}
            for i, a in enumerate(sites)
            for b in sites[i + 1 :]
            if frozenset((a.pk, b.pk)) in judged
        ]
        if len({s.status for s in sites}) > 1:
            warnings.append(
                _("The sites differ in status. Status changes stay with the site they were recorded for; "
                  "the survivor keeps its own status, and any further step is recorded on it afterwards.")
            )
        groups = [
            {
                "key": group,
                "label": label,
                "cells": [
                    {"site": s, "values": [getattr(s, f) for f in fields], "checked": defaults[group] == s} for s in sites
                ],
            }
            for group, (label, fields) in MERGE_FIELD_GROUPS.items()
        ]
        context = self._context(
            request,
            _("Merge sites"),
            sites=sites,
            survivor=survivor,
            groups=groups,
            counts=[_counts(s) for s in sites],
            warnings=warnings,
            reason=data.get("reason", ""),
        )
        return TemplateResponse(request, "admin/dedup/merge.html", context)

    @staticmethod
    def _sites_to_merge(request, data):
        visible = Site.objects.visible_to(request.user).current()
        ids = [value for value in data.getlist("sites") if value]
        codes = [code.strip() for code in data.get("codes", "").replace(";", ",").split(",") if code.strip()]
        found = {str(s.pk): s for s in visible.filter(pk__in=ids)} if ids else {}
        ordered = [found[i] for i in dict.fromkeys(ids) if i in found]
        for code in codes:
            site = visible.filter(reference_code=code).first()
            if site and site not in ordered:
                ordered.append(site)
        return ordered

    def undo_view(self, request, object_id):
        self._require_merge_permission(request)
        merge = get_object_or_404(SiteMerge, pk=object_id)
        if request.method == "POST":
            try:
                merge_undo(merge=merge, reason=request.POST.get("reason", ""), actor=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("The merge was undone; the sites are as they were before it."))
                return HttpResponseRedirect(reverse("admin:dedup_sitemerge_change", args=[merge.pk]))
        context = self._context(request, _("Undo merge"), object=merge, merge=merge)
        return TemplateResponse(request, "admin/dedup/undo.html", context)


def _counts(site):
    return {
        "site": site,
        "estimates": site.estimates.count(),
        "citations": site.site_citations.count(),
        "testimonies": site.testimony_links.count(),
        "relations": site.relations_from.count() + site.relations_to.count(),
        "status": site.get_status_display(),
    }


@admin.register(DistinctSitesJudgement)
class DistinctSitesJudgementAdmin(MergePermissionMixin, admin.ModelAdmin):
    list_display = ["site_a", "site_b", "reason", "created_by", "created_at"]
    list_select_related = ["site_a", "site_b", "created_by"]
    search_fields = ["site_a__reference_code", "site_b__reference_code", "site_a__name", "site_b__name", "reason"]
    fields = ["site_a", "site_b", "reason", "created_by", "created_at"]
    readonly_fields = fields
