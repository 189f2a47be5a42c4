"""Imports: one file, one transaction, every change attributed to the importing user and file.

``records_import`` is what the admin, ``import_records`` and background jobs call.
A file is read and refused as a whole if it is hostile or unreadable (files.py);
its columns are mapped (mapping.py); its rows go through django-import-export's
Resources (resources.py) inside one transaction. One bad row rolls back the whole
file, and every problem is reported with its row, its column and a plain message.
The history records each change with the importing user and, as the reason, the
file's name and SHA-256, so any imported value leads back to the exact file.
"""

import datetime
import hashlib
import uuid
from dataclasses import dataclass, field

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from import_export.results import RowResult

from gravesdb.core import edtf
from gravesdb.core.history import acting
from gravesdb.sites.choices import SiteStatus
from gravesdb.sites.models import Site, SiteStatusChange
from gravesdb.sites.services import site_change_status
from gravesdb.sources.models import Citation

from .actors import history_context
from .database_errors import plain_database_error
from .files import FileRefused, read_table
from .mapping import ListMapping, MappingError, Planned, apply_column_mapping, is_list_mapping
from .resources import (
    IMPORTABLE,
    CitationResource,
    OrganizationResource,
    SiteCitationResource,
    SiteResource,
    SourceResource,
    VictimEstimateResource,
)

KINDS = ("new", "updated", "unchanged", "refused")
_IMPORT_TYPE = {
    RowResult.IMPORT_TYPE_NEW: "new",
    RowResult.IMPORT_TYPE_UPDATE: "updated",
    RowResult.IMPORT_TYPE_SKIP: "unchanged",
}
_RANK = {"unchanged": 0, "updated": 1, "new": 2}


@dataclass
class RowProblem:
    row: int  # as a spreadsheet numbers it (the header is row 1); 0 for the file as a whole
    column: str
    message: str

    def __str__(self):
        if not self.row:
            return self.message
        where = _("Row %(row)d") % {"row": self.row}
        if self.column:
            where += _(", column “%(column)s”") % {"column": self.column}
        return f"{where}: {self.message}"


@dataclass
class ImportOutcome:
    model: str
    file_name: str
    sha256: str
    dry_run: bool
    rows: int = 0
    counts: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    records: dict = field(default_factory=dict)  # per model: {"new": n, "updated": n, "unchanged": n}
    errors: list = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    row_kinds: dict = field(default_factory=dict)  # file row → new / updated / unchanged / refused
    unmapped_columns: list = field(default_factory=list)  # headers no field or mapping claims

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def reason(self) -> str:
        return _("Imported from %(name)s (SHA-256 %(sha)s)") % {"name": self.file_name, "sha": self.sha256}

    def summary(self) -> str:
        counts = self.counts
        text = _("%(new)d new, %(updated)d updated, %(unchanged)d unchanged, %(refused)d refused") % counts
        if not self.ok:
            return _("Nothing was imported: %(problems)d problem(s) (%(counts)s).") % {
                "problems": len(self.errors), "counts": text}
        if self.dry_run:
            return _("Dry run, nothing saved: %(counts)s.") % {"counts": text}
        return _("Imported: %(counts)s.") % {"counts": text}

    def as_dict(self) -> dict:
        return {
            "model": self.model,
            "file_name": self.file_name,
            "sha256": self.sha256,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "counts": self.counts,
            "records": self.records,
            "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in self.errors],
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "summary": self.summary(),
        }


def records_import(
    *,
    model: str,
    data: bytes,
    file_name: str,
    actor,
    dry_run: bool = False,
    mapping: dict | None = None,
    encoding: str = "",
    file_format: str = "",
    progress=None,
) -> ImportOutcome:
    """Import one file into ``model`` ("sites", "estimates", … or "list" with a list mapping)."""
    outcome = ImportOutcome(model=model, file_name=file_name, sha256=hashlib.sha256(data).hexdigest(), dry_run=dry_run)
    try:
        table = read_table(data, name=file_name, file_format=file_format, encoding=encoding)
    except FileRefused as refusal:
        outcome.errors.append(RowProblem(0, "", str(refusal)))
        return outcome
    outcome.rows, outcome.encoding, outcome.delimiter = len(table.rows), table.encoding, table.delimiter
    if not table.rows:
        outcome.errors.append(RowProblem(0, "", _("The file has a header row but no data rows: it would import nothing.")))
        return outcome
    run = _Run(outcome, actor, progress, total=len(table.rows))
    with transaction.atomic(), acting(actor, reason=outcome.reason, **history_context(actor)):
        try:
            if is_list_mapping(mapping):
                _import_list(run, table, mapping)
            elif model in IMPORTABLE:
                _import_model(run, table, IMPORTABLE[model], mapping)
            else:
                raise MappingError(
                    _("“%(model)s” cannot be imported; choose one of: %(models)s.")
                    % {"model": model, "models": ", ".join(IMPORTABLE)}
                )
        except MappingError as error:
            outcome.errors.append(RowProblem(0, "", str(error)))
            outcome.unmapped_columns = error.unknown
        run.finish(table.row_numbers)
        if outcome.errors or dry_run:
            transaction.set_rollback(True)
    return outcome


class _Run:
    """Collects what happened to each file row across the models a file feeds."""

    def __init__(self, outcome: ImportOutcome, actor, progress, total: int):
        self.outcome = outcome
        self.actor = actor
        self.progress = progress
        self.total = total
        self.row_kind: dict[int, str] = {}

    def mark(self, row_number: int, kind: str):
        if _RANK.get(kind, 0) > _RANK.get(self.row_kind.get(row_number, "unchanged"), 0) or row_number not in self.row_kind:
            self.row_kind[row_number] = kind

    def error(self, row_number: int, column: str, message: str):
        self.outcome.errors.append(RowProblem(row_number or 0, column, message))

    def run_resource(self, name: str, resource, planned: Planned):
        if not planned.rows:
            return None
        dataset = tablib.Dataset(*planned.rows, headers=planned.headers)
        resource.file_rows = planned.row_numbers
        if self.progress:
            resource.progress = lambda done: self.progress(min(done, self.total), self.total)
        result = resource.import_data(
            dataset, dry_run=False, use_transactions=True, rollback_on_validation_errors=True, raise_errors=False
        )
        counts = self.outcome.records.setdefault(name, {"new": 0, "updated": 0, "unchanged": 0})
        for row_result, row_number in zip(result.rows, planned.row_numbers):
            kind = _IMPORT_TYPE.get(row_result.import_type)
            if kind:
                counts[kind] += 1
                self.mark(row_number, kind)
        columns = {f.attribute: f.column_name for f in resource.fields.values()}
        for invalid in result.invalid_rows:
            row_number = planned.row_numbers[invalid.number - 1]
            for attribute, messages in invalid.error_dict.items():
                column = "" if attribute == NON_FIELD_ERRORS else columns.get(attribute, attribute)
                for message in messages:
                    self.error(row_number, planned.origin.get(column, column), str(message))
        for number, errors in result.row_errors():
            for error in errors:
                column, message = plain_database_error(error.error)
                self.error(planned.row_numbers[number - 1], planned.origin.get(column, column), message)
        for error in result.base_errors:
            self.error(0, "", str(error.error))
        for row_number, column, message in resource.db_errors:
            row = planned.row_numbers[row_number - 1] if row_number else 0
            self.error(row, planned.origin.get(column, column), message)
        return result

    def finish(self, row_numbers):
        refused = {problem.row for problem in self.outcome.errors if problem.row}
        counts = dict.fromkeys(KINDS, 0)
        for row_number in row_numbers:
            kind = "refused" if row_number in refused else self.row_kind.get(row_number, "unchanged")
            counts[kind] += 1
            self.outcome.row_kinds[row_number] = kind
        self.outcome.counts = counts


def _import_model(run: _Run, table, resource_class, mapping):
    resource = resource_class(user=run.actor)
    fields = list(resource_class._meta.fields)
    model = resource_class._meta.model
    verbose = {name: str(model._meta.get_field(name).verbose_name) for name in fields}
    headers, rows, origin = apply_column_mapping(table, fields, verbose, mapping)
    planned = Planned(headers, rows, list(table.row_numbers), origin)
    run.run_resource(run.outcome.model, resource, planned)
    if not isinstance(resource, SiteResource) or not run.outcome.ok:
        return
    column = planned.origin.get("status", "status")
    initial = []
    for site, row_number, status in resource.status_steps:
        row = planned.row_numbers[row_number - 1]
        if site.pk in resource._stored_status:
            _record_status(run, site, status, row, column, changed_on=_today(), reason=run.outcome.reason, citation=None)
        else:
            changed_on = site.first_reported_on.isoformat() if site.first_reported_on else _today()
            initial.append((site, row, column, changed_on, run.outcome.reason, None))
    _record_initial_statuses(run, initial)


def _import_list(run: _Run, table, spec):
    mapping = ListMapping(spec)
    plan = mapping.plan(table)
    for row_number, column, message in plan.row_errors:
        run.error(row_number, column, message)
    if plan.row_errors:
        return
    existing = dict(Site.objects.filter(pk__in=list(plan.site_rows)).values_list("pk", "status"))
    if plan.update_only:
        for site_id, rows in plan.site_rows.items():
            if site_id not in existing:
                run.error(rows[0], "", _("No site imported from this list has this key; this mapping only updates sites."))
        if run.outcome.errors:
            return
    elif "status" in plan.sites.headers:
        index = plan.sites.headers.index("status")
        for row in plan.sites.rows:
            site_id = uuid.UUID(row[0])
            chain = plan.status_chains.get(site_id)
            row[index] = existing.get(site_id) or (chain[0].status if chain else SiteStatus.REPORTED)
    run.run_resource("organizations", OrganizationResource(user=run.actor), plan.organizations)
    run.run_resource("sources", SourceResource(user=run.actor), plan.sources)
    sites = SiteResource(user=run.actor)
    run.run_resource("sites", sites, plan.sites)
    run.run_resource("citations", CitationResource(user=run.actor), plan.citations)
    run.run_resource("site citations", SiteCitationResource(user=run.actor), plan.site_citations)
    run.run_resource("estimates", VictimEstimateResource(user=run.actor), plan.estimates)
    if not run.outcome.ok or plan.update_only:
        return
    new_sites = {site.pk: site for site, _row, _status in sites.status_steps if site.pk not in existing}
    citations = Citation.objects.in_bulk([s.citation_id for chain in plan.status_chains.values() for s in chain if s.citation_id])
    column = _status_column(spec)
    initial, later = [], []
    for site_id, chain in plan.status_chains.items():
        if not chain:
            continue
        if site_id in new_sites:
            first = chain[0]
            initial.append((new_sites[site_id], first.row_number, column, first.changed_on or _today(),
                            _reason(run, first), citations.get(first.citation_id)))
            later.extend((new_sites[site_id], step) for step in chain[1:])
        elif existing[site_id] != chain[-1].status:
            later.append((Site.objects.get(pk=site_id), chain[-1]))
    _record_initial_statuses(run, initial)
    for site, step in later:
        _record_status(run, site, step.status, step.row_number, column, changed_on=step.changed_on or _today(),
                       reason=_reason(run, step), citation=citations.get(step.citation_id))
        run.mark(step.row_number, "updated")


def _reason(run: _Run, step) -> str:
    return f"{run.outcome.reason}: {step.reason}" if step.reason else run.outcome.reason


def _record_initial_statuses(run: _Run, initial):
    """Record each new site's first status, as site_change_status would, in batches.

    The first record of a site has no previous status and must equal the status the
    site was created with; the database checks both (SiteStatusChange's triggers),
    exactly as it does for site_change_status. Writing them a thousand at a time is
    what keeps a 2,600-grave list import under a minute; a refused batch is replayed
    row by row so a refusal still names its row.
    """
    changes, rows = [], []
    for site, row_number, column, changed_on, reason, citation in initial:
        change = SiteStatusChange(
            site=site, from_status="", to_status=site.status, changed_on=changed_on, reason=reason, citation=citation
        )
        try:
            change.changed_on_earliest = edtf.bounds(changed_on)[0]
        except ValidationError as error:
            run.error(row_number, column, " ".join(error.messages))
            continue
        change.stamp(run.actor)
        changes.append(change)
        rows.append((row_number, column))
    for start in range(0, len(changes), 1000):
        batch, batch_rows = changes[start : start + 1000], rows[start : start + 1000]
        try:
            with transaction.atomic():
                SiteStatusChange.objects.bulk_create(batch)
        except DatabaseError:
            for change, (row_number, column) in zip(batch, batch_rows):
                try:
                    with transaction.atomic():
                        SiteStatusChange.objects.bulk_create([change])
                except DatabaseError as error:
                    run.error(row_number, column, plain_database_error(error)[1])


def _record_status(run: _Run, site, status, row_number, column, *, changed_on, reason, citation):
    try:
        site_change_status(site=site, to_status=status, changed_on=changed_on, reason=reason, citation=citation, actor=run.actor)
    except ValidationError as error:
        run.error(row_number, column, " ".join(error.messages))


def _status_column(spec) -> str:
    current = (spec.get("status") or {}).get("current") or {}
    return current.get("from", "status")


def _today() -> str:
    return datetime.date.today().isoformat()
