"""Import and export in the admin, added to the domain admins from above.

The domain apps sit below this one and do not know it exists, so this module
takes each registered ModelAdmin and re-registers a subclass with
django-import-export's mixins: the Import and Export buttons, the
``import``/``export`` permissions (IMPORT_EXPORT_*_PERMISSION_CODE) and its
export view. The import view is gravesdb's own (upload → dry-run preview with
new / updated / unchanged / refused rows → confirm), because every file goes
through the same guarded reader, column mappings and one-transaction import as
the command line. The site list gains report actions that export exactly the
filtered selection, as jobs whose result and manifest wait for download.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, JSON, XLSX
from import_export.forms import ExportForm

from gravesdb.sites.models import Site
from gravesdb.sources.models import Organization

from .files import FileRefused, escape_formula, normalise_header, read_table
from .jobs import job_start, report_job_start, runs_in_background
from .models import ColumnMapping, ExchangeJob, JobKind, JobStatus, MappingTarget
from .resources import EXPORTABLE, IMPORTABLE, RESOURCE_FOR_MODEL
from .saved_mappings import column_mapping_save, saved_mapping
from .services import records_import

MODEL_KEYS = {resource._meta.model: key for key, resource in EXPORTABLE.items()}
ENCODINGS = [("", gettext_lazy("Detect")), ("utf-8", "UTF-8"), ("cp1252", "Windows-1252"), ("cp1256", "Windows-1256 (Arabic)"), ("latin-1", "Latin-1")]


class UploadForm(forms.Form):
    import_file = forms.FileField(label=gettext_lazy("File (CSV, XLSX, JSON or GeoJSON)"))
    organization = forms.ModelChoiceField(
        Organization.objects.all(),
        required=False,
        label=gettext_lazy("From organisation"),
        help_text=gettext_lazy("Its saved column mapping is used, and a new one is saved for it."),
    )
    mapping = forms.ModelChoiceField(ColumnMapping.objects.all(), required=False, label=gettext_lazy("Column mapping"))
    encoding = forms.ChoiceField(choices=ENCODINGS, required=False)


class ExchangeAdminMixin(ImportExportMixin):
    formats = [CSV, XLSX, JSON]
    import_template_name = "admin/exchange/import.html"
    export_form_class = ExportForm  # the Resource decides the columns (and what is withheld)

    @property
    def model_key(self):
        return MODEL_KEYS[self.model]

    def get_resource_classes(self, request):
        return [RESOURCE_FOR_MODEL[self.model]]

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {"user": request.user}

    def has_import_permission(self, request):
        return self.model_key in IMPORTABLE and super().has_import_permission(request)

    def get_export_data(self, file_format, request, queryset, **kwargs):
        """The admin's small exports go through tablib; spreadsheet formats get OWASP escaping."""
        if isinstance(file_format, (CSV, XLSX)):
            original = file_format.export_data

            def escaped(dataset, **options):
                for index, row in enumerate(list(dataset)):
                    dataset[index] = [escape_formula(cell) for cell in row]
                return original(dataset, **options)

            file_format.export_data = escaped
        return super().get_export_data(file_format, request, queryset, **kwargs)

    def export_action(self, request):
        if not self.has_export_permission(request):
            raise PermissionDenied
        if request.method == "POST" and "format" in request.POST:
            queryset = self.get_export_queryset(request)
            ids = [str(pk) for pk in queryset.values_list("pk", flat=True)]
            if runs_in_background(len(ids)):
                formats = {"0": "csv", "1": "xlsx", "2": "json"}
                job = ExchangeJob.objects.create(
                    kind=JobKind.EXPORT,
                    requested_by=request.user,
                    parameters={"model": self.model_key, "format": formats.get(request.POST["format"], "csv"),
                                "ids": ids, "description": request.GET.urlencode()},
                )
                job_start(job, background=True)
                return HttpResponseRedirect(reverse("admin:exchange_exchangejob_change", args=[job.pk]))
        return super().export_action(request)

    # Import: upload → mapping (when needed) → dry-run preview → confirm ------------------

    def import_action(self, request, **kwargs):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        form.fields["mapping"].queryset = ColumnMapping.objects.filter(target__in=[self.model_key, MappingTarget.LIST])
        context = {"form": form}
        if request.method == "POST" and "map_job" in request.POST:
            return self._mapping_submitted(request, context)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["import_file"]
            organization = form.cleaned_data["organization"]
            mapping = form.cleaned_data["mapping"] or (
                saved_mapping(organization=organization, target=self.model_key) if organization else None
            )
            job = ExchangeJob.objects.create(
                kind=JobKind.IMPORT,
                requested_by=request.user,
                input_name=upload.name,
                parameters={
                    "model": MappingTarget.LIST if mapping and mapping.target == MappingTarget.LIST else self.model_key,
                    "mapping": mapping.spec if mapping else None,
                    "encoding": form.cleaned_data["encoding"],
                    "organization": str(organization.pk) if organization else None,
                },
            )
            job.input_file.save(f"{job.pk}-upload", ContentFile(upload.read()), save=True)
            return self._preview(request, job, context)
        return self._render(request, context)

    def _preview(self, request, job, context):
        data = job.input_file.open("rb").read()
        outcome = records_import(
            model=job.parameters["model"],
            data=data,
            file_name=job.input_name,
            actor=request.user,
            dry_run=True,
            mapping=job.parameters.get("mapping"),
            encoding=job.parameters.get("encoding", ""),
        )
        context.update({"outcome": outcome, "job": job, "rows": sorted(outcome.row_kinds.items())[:500]})
        if not outcome.ok and job.parameters["model"] != MappingTarget.LIST and outcome.unmapped_columns:
            context["mapping_form"] = self._mapping_form(job, data)
        return self._render(request, context)

    def _mapping_form(self, job, data, post=None):
        try:
            table = read_table(data, name=job.input_name, encoding=job.parameters.get("encoding", ""))
        except FileRefused:
            return None
        resource = IMPORTABLE[self.model_key]
        choices = [("", _("— leave out —"))] + [(f, f) for f in resource._meta.fields]
        form = forms.Form(post)
        known = {normalise_header(f): f for f in resource._meta.fields}
        for position, header in enumerate(table.headers):
            form.fields[f"column_{position}"] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=known.get(normalise_header(header), "")
            )
        form.fields["save_as"] = forms.CharField(
            label=_("Save this mapping as"), required=False, help_text=_("Kept for the organisation chosen above.")
        )
        form.headers = table.headers
        return form

    def _mapping_submitted(self, request, context):
        job = get_object_or_404(ExchangeJob, pk=request.POST["map_job"], requested_by=request.user, kind=JobKind.IMPORT)
        data = job.input_file.open("rb").read()
        form = self._mapping_form(job, data, request.POST)
        if form is None or not form.is_valid():
            return self._preview(request, job, context)
        columns, ignore = {}, []
        for position, header in enumerate(form.headers):
            target = form.cleaned_data[f"column_{position}"]
            if target:
                columns[target] = header
            else:
                ignore.append(header)
        text = _mapping_yaml(columns, ignore)
        organization = Organization.objects.filter(pk=job.parameters.get("organization")).first()
        name = form.cleaned_data["save_as"]
        if name and organization:
            column_mapping_save(organization=organization, target=self.model_key, name=name, text=text, actor=request.user)
            messages.success(request, _("Mapping “%(name)s” saved for %(organization)s.") % {"name": name, "organization": organization})
        job.parameters = {**job.parameters, "mapping": {"columns": columns, "ignore": ignore}}
        job.save(update_fields=["parameters"])
        return self._preview(request, job, context)

    def process_import(self, request, **kwargs):
        if request.method != "POST" or not self.has_import_permission(request):
            raise PermissionDenied
        job = get_object_or_404(
            ExchangeJob, pk=request.POST.get("job"), requested_by=request.user, kind=JobKind.IMPORT, status=JobStatus.QUEUED
        )
        job = job_start(job, background=runs_in_background(int(request.POST.get("rows", 0))))
        if job.status == JobStatus.SUCCEEDED:
            messages.success(request, job.summary.get("summary", ""))
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))
        return HttpResponseRedirect(reverse("admin:exchange_exchangejob_change", args=[job.pk]))

    def _render(self, request, context):
        context.update(
            {
                **self.admin_site.each_context(request),
                "title": _("Import %(models)s") % {"models": self.opts.verbose_name_plural},
                "opts": self.opts,
                "fields": list(IMPORTABLE[self.model_key]._meta.fields),
                "media": self.media + context["form"].media,
            }
        )
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)


def _mapping_yaml(columns: dict, ignore: list) -> str:
    import yaml

    return yaml.safe_dump({"columns": columns, "ignore": ignore}, allow_unicode=True, sort_keys=False)


class SiteReportActions:
    """Report actions on the site list: exactly the selected (or filtered) sites, as a job."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        if request.user.has_perm("sites.export_site"):
            for file_format in ("csv", "xlsx", "geojson"):
                actions[f"site_report_{file_format}"] = (
                    _report_action(JobKind.SITE_REPORT, file_format),
                    f"site_report_{file_format}",
                    _("Site report of the selected sites (%(format)s)") % {"format": file_format.upper()},
                )
            actions["estimates_report_csv"] = (
                _report_action(JobKind.ESTIMATES_REPORT, "csv"),
                "estimates_report_csv",
                _("Estimates report of the selected sites (CSV)"),
            )
        return actions


def _report_action(kind, file_format):
    def action(modeladmin, request, queryset):
        if not request.user.has_perm("sites.export_site"):
            raise PermissionDenied
        ids = sorted(str(pk) for pk in queryset.values_list("pk", flat=True))
        filters = request.GET.urlencode()
        job = report_job_start(
            requested_by=request.user,
            kind=kind,
            parameters={"format": file_format, "site_ids": ids, "description": f"admin site list {filters}".strip()},
            background=runs_in_background(len(ids)),
        )
        return HttpResponseRedirect(reverse("admin:exchange_exchangejob_change", args=[job.pk]))

    return action


def _attach(model):
    """Re-register ``model``'s admin with import/export; composes with whatever is registered."""
    registered = admin.site._registry.get(model)
    if registered is None:
        return
    bases = (ExchangeAdminMixin, type(registered))
    if model is Site:
        bases = (SiteReportActions, *bases)
    admin.site.unregister(model)
    admin.site.register(model, type(type(registered).__name__, bases, {"__module__": __name__}))


for _model in RESOURCE_FOR_MODEL:
    if _model in MODEL_KEYS:
        _attach(_model)


@admin.register(ExchangeJob)
class ExchangeJobAdmin(admin.ModelAdmin):
    """Each person's imports and exports: progress while running, the result to download after."""

    list_display = ["__str__", "kind", "status", "progress", "requested_by", "requested_at", "finished_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [
        "kind", "status", "requested_by", "requested_at", "started_at", "finished_at", "input_name", "progress",
        "outcome", "downloads", "error",
    ]
    fields = readonly_fields
    ordering = ["-requested_at"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(requested_by=request.user)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff and (obj is None or self._owns(request, obj))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    @staticmethod
    def _owns(request, job):
        return request.user.is_superuser or job.requested_by_id == request.user.pk

    @admin.display(description=gettext_lazy("progress"))
    def progress(self, job):
        total = f"{job.progress_total:,}" if job.progress_total else "?"
        return format_html('<progress value="{}" max="100"></progress> {} / {}', job.percent, f"{job.progress_done:,}", total)

    @admin.display(description=gettext_lazy("outcome"))
    def outcome(self, job):
        summary = job.summary or {}
        lines = [summary.get("summary", "")]
        lines += [f"{e['row'] and _('Row %(row)d') % {'row': e['row']} or ''} {e['column']}: {e['message']}" for e in summary.get("errors", [])[:100]]
        lines += [_("Withheld: %(what)s") % {"what": w} for w in summary.get("withheld", [])]
        return format_html("<br>".join(["{}"] * len(lines)), *lines) if any(lines) else "—"

    @admin.display(description=gettext_lazy("download"))
    def downloads(self, job):
        if not job.result_file:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:exchange_exchangejob_download", args=[job.pk, "result"]),
            job.result_file.name.rsplit("/", 1)[-1],
            reverse("admin:exchange_exchangejob_download", args=[job.pk, "manifest"]),
            _("manifest (SHA-256)"),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, object_id)
        extra = {"show_save": False, "show_save_and_continue": False}
        if job is not None and job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
            extra["refresh_seconds"] = 3
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def get_urls(self):
        return [
            path("<int:job_id>/download/<str:which>/", self.admin_site.admin_view(self.download), name="exchange_exchangejob_download"),
            *super().get_urls(),
        ]

    def download(self, request, job_id, which):
        job = get_object_or_404(ExchangeJob, pk=job_id)
        if not self._owns(request, job):
            raise PermissionDenied
        field = {"result": job.result_file, "manifest": job.manifest_file}.get(which)
        if not field:
            raise Http404
        return FileResponse(field.open("rb"), as_attachment=True, filename=field.name.rsplit("/", 1)[-1])


@admin.register(ColumnMapping)
class ColumnMappingAdmin(admin.ModelAdmin):
    list_display = ["name", "target", "organization", "updated_at"]
    list_filter = ["target", "organization"]
    search_fields = ["name", "organization__name"]
    readonly_fields = ["spec"]
    fields = ["organization", "target", "name", "text", "spec"]
    autocomplete_fields = ["organization"]

    def save_model(self, request, obj, form, change):
        """Through the service, so the YAML is parsed, checked and kept with its comments."""
        saved = column_mapping_save(
            organization=obj.organization, target=obj.target, name=obj.name, text=obj.text, actor=request.user
        )
        obj.pk, obj.spec = saved.pk, saved.spec
        obj._state.adding = False
