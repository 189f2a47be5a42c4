"""The auditor's reports: one row per site, or per estimate, reproducible and verifiable.

The site report is ``Site.objects.with_reconciled_range()`` (the reconciled range is
computed one way everywhere) plus a few report-only columns, read through the same
role filters as the admin (``visible_to``, ``current``). It runs as one SQL query on
a server-side cursor and streams to the writer, so the query count is constant and
memory stays flat at any size.

``--as-of DAY`` runs the very same query against the history: each table the query
reads is shadowed by a CTE of the same name holding every record as its last
pghistory event before the end of that day left it (deleted records dropped). What
the report computes, and how, does not change; only what it reads.

Beside every file goes ``FILE.sha256``: the digest in ``sha256sum -c`` form, then
the row count, time, user, filters and what was withheld and why, so an auditor
knows when a report is partial, and how to read the columns whose values alone could
mislead (an empty high that is open, not unknown; the qualifiers).

The workspace's site list exports its filter through ``views.site_report``: the same
``SiteFilterSet`` applied to the same current, visible sites, and the same rows and
writers streamed as the response (``report_chunks``) instead of written to a file.
"""

import datetime
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, models
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from gravesdb.sites.choices import FigureQualifier
from gravesdb.sites.filtersets import SiteFilterSet
from gravesdb.sites.locations import COARSENED, coarsened_point
from gravesdb.sites.models import Site, SiteCitation, VictimEstimate
from gravesdb.sources.models import Citation, Organization, Source
from gravesdb.testimony.models import Testimony, TestimonySite

from .writers import writer_for

CHUNK = 2000

SITE_REPORT_COLUMNS = [
    "reference_code", "name", "alternative_names", "country", "first_level_area", "second_level_area", "locality",
    "latitude", "longitude", "location_precision", "site_type", "status", "protection_status", "period",
    "reconciled_low", "reconciled_high", "reconciled_best", "reconciled_best_count_type", "estimate_count",
    "source_count", "organization_count", "organizations", "testimony_count", "last_changed_at", "last_changed_by",
    "reconciled_low_bound", "reconciled_high_bound",
]
ESTIMATES_REPORT_COLUMNS = [
    "site_reference_code", "count_type", "low", "best", "high", "is_approximate", "wording", "as_of",
    "producing_organization", "producer_description", "victim_profile", "source_title", "source_url",
    "citation_locator", "citation_quote", "estimate_id", "qualifier", "is_cumulative", "is_superseded",
]
# Where the site report's location sits in a row, for coarsening it.
_LATITUDE, _LONGITUDE, _PRECISION = (SITE_REPORT_COLUMNS.index(c) for c in ("latitude", "longitude", "location_precision"))
# Tables the reports read; --as-of replaces each with its history as of that day.
HISTORY_TRACKED = [Site, VictimEstimate, Citation, Source, Organization, TestimonySite, Testimony, SiteCitation]

# Organisations behind a site's figures: who produced each estimate and who published its source.
_ORGANIZATIONS = """
    SELECT o.name FROM sources_organization o WHERE o.id IN (
        SELECT e.producing_organization_id FROM sites_victimestimate e WHERE e.site_id = sites_site.id
        UNION
        SELECT s.publisher_id FROM sites_victimestimate e
        JOIN sources_citation c ON c.id = e.citation_id
        JOIN sources_source s ON s.id = c.source_id
        WHERE e.site_id = sites_site.id)
"""


@dataclass
class ReportRequest:
    user: object
    estimates: bool = False
    as_of: datetime.date | datetime.datetime | None = None  # a day: as it stood at the end of it
    filters: dict = field(default_factory=dict)  # field lookups on Site, e.g. {"country": "IQ"}
    include_archived: bool = False
    site_ids: list | None = None  # an admin selection: exactly these sites
    site_filter: str = ""  # the workspace site list's filter, as its query string (SiteFilterSet)
    description: str = ""  # how the filters read to a person (the admin's query string)
    # Whether the manifest counts what the user may not see. Over the web it does not:
    # the count of confidential sites matching a filter the user typed would tell a
    # researcher whether a confidential site of that name exists.
    count_unseen: bool = True


@dataclass
class ExportOutcome:
    path: Path
    manifest_path: Path
    rows: int
    sha256: str
    withheld: list[str]
    exported_at: datetime.datetime


def base_sites(request: ReportRequest):
    sites = Site.objects.all()
    if request.site_ids is not None:
        sites = sites.filter(pk__in=request.site_ids)
    if request.filters:
        sites = sites.filter(**request.filters)
    if request.site_filter:
        sites = site_filter(request.site_filter, sites)
    return sites


def site_filter(query: str, sites):
    """``sites`` narrowed by the site list's filter, refused whole if any part of it is invalid.

    django-filter skips a filter whose value does not validate, which on a page shows
    more rows but in a report would silently export more than was asked for (the
    whole table, for a mistyped country). The filters test each site on its own
    (its fields, or EXISTS over its estimates and citations), so filtering before
    ``visible_to``/``current`` selects exactly the rows the page lists after them,
    and lets the manifest count what was withheld within the filter.
    """
    filterset = SiteFilterSet(QueryDict(query), queryset=sites)
    if not filterset.is_valid():
        raise ValueError(_("Invalid site filter: %(errors)s") % {"errors": filterset.form.errors.as_text()})
    return filterset.qs


def site_report_queryset(request: ReportRequest):
    sites = base_sites(request)
    if not request.include_archived:
        sites = sites.current()
    # Each link's testimony is checked by its primary key (LIMIT 1 keeps PostgreSQL from turning
    # the check into a join that scans every testimony once per site).
    visible = Testimony.objects.visible_to(request.user).filter(pk=OuterRef("testimony_id")).values("pk")[:1]
    testimonies = (
        TestimonySite.objects.filter(site=OuterRef("pk"))
        .annotate(visible_testimony=Subquery(visible))
        .filter(visible_testimony__isnull=False)
        .order_by()
        .values("site")
        .annotate(n=Count("testimony", distinct=True))
        .values("n")
    )
    return (
        sites.visible_to(request.user)
        .with_reconciled_range()
        .annotate(
            organization_count=RawSQL(f"SELECT count(*) FROM ({_ORGANIZATIONS}) orgs", []),
            organizations=RawSQL(f"SELECT string_agg(name, '; ' ORDER BY name) FROM ({_ORGANIZATIONS}) orgs", []),
            testimony_count=Coalesce(Subquery(testimonies, output_field=models.IntegerField()), 0),
            last_changed_at=F("updated_at"),
            last_changed_by=F("updated_by__username"),
        )
        .order_by("reference_code")
        .values_list(*SITE_REPORT_COLUMNS)
    )


def estimates_report_queryset(request: ReportRequest):
    sites = base_sites(request)
    if not request.include_archived:
        sites = sites.current()
    sites = sites.visible_to(request.user)
    return (
        VictimEstimate.objects.filter(site__in=sites.values("pk"))
        .with_superseded()
        .annotate(
            site_reference_code=F("site__reference_code"),
            producing_organization_name=F("producing_organization__name"),
            source_title=F("citation__source__title"),
            source_url=F("citation__source__url"),
            citation_locator=F("citation__locator"),
            citation_quote=F("citation__quote"),
            estimate_id=F("id"),
        )
        .by_site()
        .values_list(*[("producing_organization_name" if c == "producing_organization" else c) for c in ESTIMATES_REPORT_COLUMNS])
    )


def history_snapshot(as_of: datetime.date) -> tuple[str, list]:
    """``WITH`` clauses shadowing each report table with its rows as they stood at the end of ``as_of``."""
    if isinstance(as_of, datetime.datetime):
        end = as_of  # a moment (tests, and callers replaying one transaction)
    else:
        end = datetime.datetime.combine(as_of + datetime.timedelta(days=1), datetime.time.min, tzinfo=timezone.get_current_timezone())
    clauses, params = [], []
    for model in HISTORY_TRACKED:
        event = apps.get_model(model._meta.app_label, f"{model.__name__}Event")
        event_columns = {f.column for f in event._meta.concrete_fields}
        columns, column_params = [], []
        for f in model._meta.concrete_fields:
            if f.column in event_columns:
                columns.append(f'"{f.column}"')
            elif f.generated:
                # A site's search columns, computed from its names as they stood then.
                sql, sql_params = _generated_sql(model, f)
                columns.append(f'{sql} AS "{f.column}"')
                column_params += sql_params
            else:
                columns.append(f'NULL::{f.db_type(connection)} AS "{f.column}"')
        selected = ", ".join(columns)
        # The last events take the table's own name, so a generated column's expression
        # (written against the table) reads them.
        clauses.append(
            f'"{model._meta.db_table}" AS (SELECT {selected} FROM ('
            f'SELECT DISTINCT ON (pgh_obj_id) * FROM "{event._meta.db_table}" WHERE pgh_created_at < %s '
            f'ORDER BY pgh_obj_id, pgh_id DESC) "{model._meta.db_table}" WHERE pgh_label <> \'delete\')'
        )
        params += [*column_params, end]
    return "WITH " + ", ".join(clauses) + " ", params


def _generated_sql(model, field):
    query = Query(model)
    return query.get_compiler(connection=connection).compile(field.expression.resolve_expression(query))


def _sql(queryset, as_of, wrap="{}"):
    sql, params = queryset.query.sql_with_params()
    sql, params = wrap.format(sql), list(params)
    if as_of:
        prefix, prefix_params = history_snapshot(as_of)
        return prefix + sql, [*prefix_params, *params]
    return sql, params


def stream_rows(queryset, as_of=None):
    """Rows from a server-side cursor, CHUNK at a time: the table never sits in memory."""
    sql, params = _sql(queryset, as_of)
    with connection.chunked_cursor() as cursor:
        cursor.cursor.itersize = CHUNK  # psycopg2 named cursor: fetch CHUNK rows per round trip
        cursor.execute(sql, params)
        yield from cursor


def count(queryset, as_of=None) -> int:
    sql, params = _sql(queryset.order_by().values("pk"), as_of, wrap="SELECT count(*) FROM ({}) counted")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def withheld(request: ReportRequest) -> list[str]:
    """What the report leaves out for this user, and why, in words."""
    notes = []
    sites = base_sites(request)
    as_of = request.as_of
    if not request.count_unseen:
        sites = sites.visible_to(request.user)
    if not request.include_archived:
        hidden = count(sites, as_of) - count(sites.current(), as_of)
        if hidden:
            notes.append(_("%(n)d archived or merged sites (left out by default)") % {"n": hidden})
        sites = sites.current()
    if request.count_unseen:
        confidential = count(sites, as_of) - count(sites.visible_to(request.user), as_of)
        if confidential:
            notes.append(_("%(n)d confidential sites (the exporting user may not see them)") % {"n": confidential})
    elif not request.user.has_perm("sites.view_confidential_site"):
        notes.append(_("confidential sites, if any (the exporting user may not see them; their number would disclose them)"))
    visible = sites.visible_to(request.user)
    if not request.estimates and not request.user.has_perm("testimony.view_confidential_testimony"):
        if request.count_unseen:
            hidden_testimonies = TestimonySite.objects.filter(site__in=visible.values("pk")).exclude(
                testimony__in=Testimony.objects.visible_to(request.user).values("pk")
            )
            n = count(hidden_testimonies, as_of)
            if n:
                notes.append(_("%(n)d links to confidential testimonies not counted") % {"n": n})
        else:
            notes.append(_("links to confidential testimonies, if any, not counted (their number would disclose them)"))
    if not request.estimates and not request.user.has_perm("sites.view_exact_location"):
        n = count(visible.filter(latitude__isnull=False), as_of)
        if n:
            notes.append(
                _("exact coordinates of %(n)d sites, coarsened to a %(grid)s° grid (needs permission to see exact locations)")
                % {"n": n, "grid": settings.SITE_LOCATION_GRID_DEGREES}
            )
    return notes


def report_query(request: ReportRequest, file_format: str):
    """The report's header and query."""
    if not request.estimates:
        return SITE_REPORT_COLUMNS, site_report_queryset(request)
    if file_format == "geojson":
        raise ValueError(_("The estimates report has no locations; choose csv, xlsx or json."))
    return ESTIMATES_REPORT_COLUMNS, estimates_report_queryset(request)


def report_rows(request: ReportRequest, queryset):
    """The rows every copy of the report carries, whatever it is written to."""
    hide_location = not request.estimates and not request.user.has_perm("sites.view_exact_location")
    for row in stream_rows(queryset, request.as_of):
        if hide_location and row[_LATITUDE] is not None:
            # A partner or public copy gets the grid cell's centre, marked as coarsened.
            row = list(row)
            row[_LATITUDE], row[_LONGITUDE] = coarsened_point(row[_LATITUDE], row[_LONGITUDE])
            row[_PRECISION] = COARSENED
        yield row


class _Chunks(io.RawIOBase):
    """A stream the writers write to, emptied into a response CHUNK rows at a time."""

    def __init__(self):
        super().__init__()
        self.chunks = []

    def writable(self):
        return True

    def write(self, data):
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def report_chunks(request: ReportRequest, *, file_format: str = "csv", excel: bool = False):
    """The report's bytes for a streamed download: the rows and writer of ``export_report``.

    CSV, JSON and GeoJSON come out byte for byte as the command writes them, so a
    manifest ``export_report`` writes verifies the download. XLSX does not stream (its
    zip directory comes last, and is laid out differently for a stream than for a
    file): write it with ``export_report``.
    """
    if file_format == "xlsx":
        raise ValueError("XLSX cannot be streamed; write it with export_report")
    headers, queryset = report_query(request, file_format)
    sink = _Chunks()
    writer = writer_for(file_format, sink, headers, excel=excel)
    for rows, row in enumerate(report_rows(request, queryset), 1):
        writer.write(row)
        if rows % CHUNK == 0:
            yield sink.take()
    writer.close()
    yield sink.take()


def export_report(request: ReportRequest, *, path: Path, file_format: str = "csv", excel: bool = False, progress=None) -> ExportOutcome:
    """Write the site (or estimates) report to ``path`` and its manifest to ``path.sha256``."""
    path = Path(path)
    exported_at = timezone.now()
    headers, queryset = report_query(request, file_format)
    total = count(queryset, request.as_of) if progress else None
    rows = 0
    with path.open("wb") as stream:
        writer = writer_for(file_format, stream, headers, excel=excel)
        for row in report_rows(request, queryset):
            writer.write(row)
            rows += 1
            if progress and rows % CHUNK == 0:
                progress(rows, total)
        writer.close()
    if progress:
        progress(rows, total)
    notes = withheld(request)
    kind = _("estimates report") if request.estimates else _("site report")
    return _write_manifest(path, rows=rows, exported_at=exported_at, user=request.user, kind=kind,
                           as_of=request.as_of, filters=_describe_filters(request), withheld=notes, headers=headers)


def export_records(resource, *, path: Path, file_format: str = "csv", excel: bool = False, description: str = "",
                   ids=None, progress=None) -> ExportOutcome:
    """One model through its Resource, streamed row by row (the admin keeps tablib for small files)."""
    path = Path(path)
    exported_at = timezone.now()
    queryset = resource.get_queryset()
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    queryset = resource.filter_export(queryset)
    fields = resource.get_export_fields()
    headers = [f.column_name for f in fields]
    rows = 0
    with path.open("wb") as stream:
        writer = writer_for(file_format, stream, headers, excel=excel)
        for instance in resource.iter_queryset(queryset):
            writer.write([resource.export_field(f, instance) for f in fields])
            rows += 1
            if progress and rows % CHUNK == 0:
                progress(rows, None)
        writer.close()
    notes = [f"{n} {what}" for what, n in sorted(resource.withheld.items()) if n]
    return _write_manifest(path, rows=rows, exported_at=exported_at, user=resource.user,
                           kind=str(resource._meta.name), as_of=None, filters=description, withheld=notes,
                           headers=headers)


def _describe_filters(request: ReportRequest) -> str:
    parts = [request.description] if request.description else []
    parts += [f"{k}={v}" for k, v in sorted(request.filters.items())]
    parts += [f"{k}={v}" for k, values in sorted(QueryDict(request.site_filter).lists()) for v in values]
    if request.site_ids is not None:
        parts.append(_("%(n)d sites selected") % {"n": len(request.site_ids)})
    if request.include_archived:
        parts.append(_("archived and merged sites included"))
    return "; ".join(parts)


def column_notes() -> dict[str, str]:
    """What a column means where its values alone could mislead: an empty high is not a missing one.

    "At least 300" exports with its high empty, and a reader who took the empty cell
    for "unknown" or filled it with 300 would report a bound the source never gave; so
    the manifest beside each file says how to read such columns.
    """
    qualifiers = "; ".join(f"{value} = {label}" for value, label in FigureQualifier.choices)
    return {
        "reconciled_low": _(
            "the lowest figure the current estimates allow; empty with reconciled_low_bound “open” where a source "
            "left the low open (“up to 4,000”) and none closed it, empty with reconciled_low_bound empty where the "
            "site has no figure at all"
        ),
        "reconciled_high": _(
            "the highest figure the current estimates allow; empty with reconciled_high_bound “open” where a source "
            "left the high open (“at least 300”: not 300, and no upper figure) and none closed it, empty with "
            "reconciled_high_bound empty where the site has no figure at all"
        ),
        "reconciled_best": _(
            "the best figure of the strongest, latest estimate that gives one; a bound is never a best figure, so it "
            "is empty where the sources give only bounds (“at least 300”)"
        ),
        "reconciled_low_bound": _(
            "how reconciled_low stands: inclusive (the figure itself is possible), exclusive (“more than 100”: only "
            "above it), open (no lower figure: reconciled_low is empty); empty where the site has no figure"
        ),
        "reconciled_high_bound": _(
            "how reconciled_high stands: inclusive (the figure itself is possible), exclusive (“fewer than 100”: only "
            "below it), open (no upper figure: reconciled_high is empty); empty where the site has no figure"
        ),
        "low": _("empty where the qualifier leaves the low open (up_to, fewer_than) or the source gave no low"),
        "high": _("empty where the qualifier leaves the high open (at_least, more_than) or the source gave no high"),
        "qualifier": _("how the source bounded its figure: %(qualifiers)s") % {"qualifiers": qualifiers},
        "is_approximate": _(
            "true exactly when the qualifier is approximate; on an unclassified estimate, the flag as first recorded"
        ),
        "is_cumulative": _(
            "a running total (“so far”, “to date”): a later running total of the same count type at the site by the "
            "same producer replaces it in the reconciled figures"
        ),
        "is_superseded": _(
            "a running total a later one of its series replaced: on the record, left out of the reconciled figures"
        ),
    }


def _write_manifest(path: Path, *, rows, exported_at, user, kind, as_of, filters, withheld, headers) -> ExportOutcome:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(chunk)
    sha = digest.hexdigest()
    username = user.get_username() if user is not None else _("(nobody)")
    if isinstance(as_of, datetime.datetime):
        state = _("as the database stood at %(moment)s, rebuilt from the history") % {"moment": as_of.isoformat()}
    elif as_of:
        state = _("as the database stood at the end of %(day)s (%(tz)s), rebuilt from the history") % {
            "day": as_of.isoformat(), "tz": timezone.get_current_timezone_name()}
    else:
        state = _("current records")
    lines = [
        f"{sha}  {path.name}",
        f"# gravesdb {kind}",
        f"# rows: {rows}",
        f"# exported at: {exported_at.isoformat(timespec='seconds')}",
        f"# exported by: {username}",
        f"# data: {state}",
        f"# filters: {filters or _('none')}",
        f"# withheld: {'; '.join(withheld) if withheld else _('nothing')}",
    ]
    notes = column_notes()
    explained = [f"#   {column}: {notes[column]}" for column in headers if column in notes]
    if explained:
        lines += ["# columns:", *explained]
    manifest = path.with_name(path.name + ".sha256")
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ExportOutcome(path=path, manifest_path=manifest, rows=rows, sha256=sha, withheld=withheld, exported_at=exported_at)

