"""The site report over the web: the workspace site list's filter, exported as the auditor's report.

The site list links here with its filter's query string. The filter is the list's
own ``SiteFilterSet``, applied by the report to the same current, visible sites
(``reports.site_filter``), so the file holds exactly the sites the list shows; any
parameter that does not validate refuses the export with a 400 rather than
widening it. Small reports stream from the server-side cursor as the command
writes them; one above ``GRAVESDB_EXCHANGE_BACKGROUND_ROWS`` rows is queued as the
admin's report actions queue theirs, after a confirmation (a GET never starts work
that outlives it), and waits with its manifest on the job's page.
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path

from django import forms
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse, HttpResponseRedirect, QueryDict, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from gravesdb.sites.filtersets import SiteFilterSet

from .jobs import report_job_start, runs_in_background
from .models import JobKind
from .reports import ReportRequest, count, export_report, report_chunks, report_query
from .writers import CONTENT_TYPES, FORMATS

# The permission the admin's export button and report actions ask for.
EXPORT_PERMISSION = "sites.export_site"
# The site list's own parameters: they change the page shown, not the set of sites.
PAGE_PARAMETERS = ("page", "per_page", "sort")
DESCRIPTION = "workspace site list"


def _flag(label):
    # "0" must mean no: a BooleanField would read any non-empty string as yes.
    return forms.TypedChoiceField(
        label=label, choices=[("0", "0"), ("1", "1")], coerce=lambda value: value == "1", required=False, empty_value=False
    )


class SiteReportForm(forms.Form):
    """Which report, in which form; the filter itself is validated by the site list's FilterSet."""

    format = forms.ChoiceField(label=gettext_lazy("format"), choices=[(f, f) for f in FORMATS], required=False)
    estimates = _flag(gettext_lazy("estimates report"))
    excel = _flag(gettext_lazy("CSV for Excel (with a BOM)"))
    manifest = _flag(gettext_lazy("the manifest instead of the report"))

    def clean_format(self):
        return self.cleaned_data["format"] or "csv"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("estimates") and cleaned.get("format") == "geojson":
            raise forms.ValidationError(_("The estimates report has no locations; choose csv, xlsx or json."))
        return cleaned


@dataclass
class _Asked:
    options: dict
    filter_query: str
    errors: list[str]


def _read(params: QueryDict) -> _Asked:
    form = SiteReportForm(params)
    filters = params.copy()
    for name in [*form.fields, *PAGE_PARAMETERS]:
        filters.pop(name, None)
    filterset = SiteFilterSet(filters)
    errors = [f"{field}: {message}" for field, messages in form.errors.items() for message in messages]
    errors += [f"{field}: {message}" for field, messages in filterset.form.errors.items() for message in messages]
    # A misspelt filter would otherwise be ignored, and the report silently wider than asked.
    errors += [_("%(name)s: not a filter of the site list") % {"name": name} for name in sorted(set(filters) - set(filterset.filters))]
    return _Asked(form.cleaned_data if not errors else {}, filters.urlencode(), errors)


@login_required
@require_http_methods(["GET", "POST"])
def site_report(request):
    if not request.user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied
    asked = _read(request.GET)
    if asked.errors:
        return _page(request, _("Site report refused"), {"errors": asked.errors}, status=400)
    file_format, estimates, excel = asked.options["format"], asked.options["estimates"], asked.options["excel"]
    report = ReportRequest(
        user=request.user, estimates=estimates, site_filter=asked.filter_query, description=DESCRIPTION, count_unseen=False
    )
    if request.method == "POST":
        return _queue(request, report, file_format=file_format, excel=excel)
    _headers, queryset = report_query(report, file_format)
    rows = count(queryset)
    if runs_in_background(rows):
        context = {"rows": rows, "filters": sorted(QueryDict(asked.filter_query).lists()), "estimates": estimates}
        return _page(request, _("Prepare the report in the background"), context)
    name = f"{'estimates' if estimates else 'site'}-report-{timezone.localdate().isoformat()}.{file_format}"
    if asked.options["manifest"] or file_format == "xlsx":
        response = _written(report, name=name, file_format=file_format, excel=excel, manifest=asked.options["manifest"])
    else:
        response = StreamingHttpResponse(report_chunks(report, file_format=file_format, excel=excel),
                                         content_type=CONTENT_TYPES[file_format])
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    # Evidence in transit: no copy left in a shared cache or the browser's.
    patch_cache_control(response, private=True, no_store=True)
    return response


def _page(request, title, context, status=200):
    header = {"title": title, "site_header": admin.site.site_header, "site_title": admin.site.site_title}
    return TemplateResponse(request, "exchange/site_report.html", {**header, **context}, status=status)


def _written(report: ReportRequest, *, name: str, file_format: str, excel: bool, manifest: bool):
    """XLSX, or the manifest: written as the command writes them, to a private folder, then served.

    The manifest is that of the file the same request downloads: the same database
    gives the same bytes, so its digest verifies the download (and fails
    ``sha256sum -c`` if the records changed in between, as it should).
    """
    with tempfile.TemporaryDirectory() as folder:
        outcome = export_report(report, path=Path(folder) / name, file_format=file_format, excel=excel)
        if manifest:
            response = HttpResponse(outcome.manifest_path.read_bytes(), content_type="text/plain; charset=utf-8")
            response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=outcome.manifest_path.name)
            return response
        # The open file outlives the folder's removal; FileResponse closes it when sent.
        return FileResponse(outcome.path.open("rb"), as_attachment=True, filename=name, content_type=CONTENT_TYPES[file_format])


def _queue(request, report: ReportRequest, *, file_format: str, excel: bool):
    job = report_job_start(
        requested_by=request.user,
        kind=JobKind.ESTIMATES_REPORT if report.estimates else JobKind.SITE_REPORT,
        parameters={
            "format": file_format,
            "excel": excel,
            "site_filter": report.site_filter,
            "description": report.description,
        },
        background=True,
    )
    return HttpResponseRedirect(reverse("admin:exchange_exchangejob_change", args=[job.pk]))
