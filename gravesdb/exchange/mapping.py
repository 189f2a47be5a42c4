"""Column mappings: how another organisation's file maps onto gravesdb, written down once.

Two kinds, both plain YAML (or JSON) a data manager can write and review:

* a **column mapping** renames a file's columns to one model's fields, translates
  values (``"NO INTERVENIDA" → reported``) and sets constants;
* a **list mapping** reads a flat list (one row per grave, several count columns, a
  status, a reporting body) into sites, their estimates, citations, status steps and
  organisations. Rows sharing a ``key`` are one site. Record ids are UUIDs derived
  from the mapping's ``namespace`` and the key, so importing the same list again (or
  the same list in another encoding) finds the same records and changes nothing.

Nothing here knows any particular list: docs/exchange.md describes the language and
fixtures/mappings/ holds the mappings in use.
"""

import datetime
import re
import uuid
from dataclasses import dataclass, field

import yaml
from django.utils.translation import gettext as _

from gravesdb.sites.choices import (
    ALLOWED_TRANSITIONS,
    OPEN_ABOVE,
    OPEN_BELOW,
    FigureQualifier,
    SiteStatus,
)

from .files import Table, normalise_header

LIST_FORMAT = "gravesdb/list-mapping/1"
_TEMPLATE = re.compile(r"\{([^{}]+)\}")


class MappingError(Exception):
    """The mapping itself is wrong (not the file): nothing was imported."""

    def __init__(self, message, unknown=()):
        super().__init__(message)
        self.unknown = list(unknown)  # the file's columns nothing claims, for the admin's mapping form


class CellError(ValueError):
    """A cell the mapping cannot read: the problem names the file's column, not only the row."""

    def __init__(self, message, column):
        super().__init__(message)
        self.column = column


def load_mapping(text: str) -> dict:
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise MappingError(_("The mapping is not valid YAML or JSON: %(error)s") % {"error": error}) from None
    if not isinstance(spec, dict):
        raise MappingError(_("A mapping is a set of “name: value” entries (YAML or JSON object)."))
    return spec


def is_list_mapping(spec: dict | None) -> bool:
    return bool(spec) and spec.get("format") == LIST_FORMAT


class Columns:
    """Finds a file's columns by name, ignoring case, spaces and underscores."""

    def __init__(self, table: Table):
        self.table = table
        self.index = {normalise_header(h): i for i, h in enumerate(table.headers)}

    def position(self, name: str) -> int:
        try:
            return self.index[normalise_header(name)]
        except KeyError:
            raise MappingError(
                _("The mapping names a column “%(column)s” the file does not have (it has: %(columns)s).")
                % {"column": name, "columns": ", ".join(self.table.headers)}
            ) from None


# Column mappings (one model) ----------------------------------------------------------------


def apply_column_mapping(table: Table, fields: list[str], verbose: dict[str, str], spec: dict | None) -> tuple[list[str], list[list[str]], dict[str, str]]:
    """Our column names for the file's columns, the rows to import, and field → file column.

    Unknown columns are refused rather than dropped: a misspelt “best figur” column
    would otherwise lose every figure in it without a word.
    """
    spec = spec or {}
    ours = {normalise_header(f): f for f in fields}
    ours.update({normalise_header(v): f for f, v in verbose.items()})
    renamed = {normalise_header(their): our for our, their in (spec.get("columns") or {}).items() if their}
    ignored = {normalise_header(h) for h in spec.get("ignore") or []}
    headers, positions, origin, unknown = [], [], {}, []
    for position, header in enumerate(table.headers):
        key = normalise_header(header)
        if key in ignored:
            continue
        field_name = renamed.get(key) or ours.get(key)
        if field_name is None:
            unknown.append(header)
            continue
        if field_name in origin:
            raise MappingError(
                _("Columns “%(first)s” and “%(second)s” both fill %(field)s.")
                % {"first": origin[field_name], "second": header, "field": field_name}
            )
        headers.append(field_name)
        positions.append(position)
        origin[field_name] = header
    if unknown:
        raise MappingError(
            _("These columns match nothing in gravesdb: %(unknown)s. Map them to fields (or list them under "
              "“ignore”) with a column mapping. Known columns: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(fields)},
            unknown=unknown,
        )
    if not headers:
        raise MappingError(_("No column of the file matches a gravesdb field; the file would import nothing."))
    values = {f: {normalise_header(k): v for k, v in m.items()} for f, m in (spec.get("values") or {}).items()}
    constants = spec.get("constants") or {}
    for name in constants:
        if name not in headers:
            headers.append(name)
            origin[name] = _("(constant in the mapping)")
    rows = []
    for row in table.rows:
        cells = []
        for name, position in zip(headers, positions):
            cell = row[position]
            if name in values:
                cell = values[name].get(normalise_header(cell), cell)
            cells.append(cell)
        cells.extend(str(constants[name]) for name in headers[len(positions):])
        rows.append(cells)
    return headers, rows, origin


# List mappings (a flat list into several models) ---------------------------------------------


@dataclass
class Planned:
    """One dataset to import through a Resource, with the file row behind each of its rows."""

    headers: list[str]
    rows: list[list] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    origin: dict[str, str] = field(default_factory=dict)  # our field → the file column it came from

    def add(self, values: dict, row_number: int):
        self.rows.append([values.get(h, "") for h in self.headers])
        self.row_numbers.append(row_number)


@dataclass
class StatusStep:
    status: str
    changed_on: str
    reason: str
    row_number: int
    citation_id: uuid.UUID | None


@dataclass
class ListPlan:
    organizations: Planned
    sources: Planned
    sites: Planned
    citations: Planned
    site_citations: Planned
    estimates: Planned
    # site id → the status steps to record, oldest first, ending at the status the list reports
    status_chains: dict[uuid.UUID, list[StatusStep]]
    site_rows: dict[uuid.UUID, list[int]]
    row_errors: list[tuple[int, str, str]]
    update_only: bool
    namespace: uuid.UUID


class ListMapping:
    def __init__(self, spec: dict):
        if not is_list_mapping(spec):
            raise MappingError(_("A list mapping starts with “format: %(format)s”.") % {"format": LIST_FORMAT})
        self.spec = spec
        try:
            self.namespace = uuid.UUID(str(spec["namespace"]))
        except (KeyError, ValueError):
            raise MappingError(_("A list mapping needs a “namespace”: a UUID its record ids derive from.")) from None
        if "key" not in spec:
            raise MappingError(_("A list mapping needs a “key”: the column(s) that identify one site."))
        self.update_only = bool(spec.get("update_only"))
        for figure in (spec.get("estimates") or {}).get("figures") or []:
            _check_figure(figure)

    def uid(self, *parts) -> uuid.UUID:
        return uuid.uuid5(self.namespace, "|".join(str(p) for p in parts))

    def plan(self, table: Table) -> ListPlan:
        columns = Columns(table)
        spec = self.spec
        self.errors: list[tuple[int, str, str]] = []
        site_spec = spec.get("site") or {}
        status_spec = spec.get("status") or {}
        citation_spec = spec.get("citation")
        estimate_spec = spec.get("estimates") or {}
        source_spec = spec.get("source")
        plan = ListPlan(
            organizations=Planned(["id", "name", "kind", "country", "website", "notes"]),
            sources=Planned(["id", "title", "kind", "publisher", "authors", "publication_date", "url", "language", "reliability", "notes"]),
            sites=Planned(["id", *[k for k in site_spec if k != "status"], *(["status"] if status_spec and not self.update_only else [])]),
            citations=Planned(["id", "source", "locator", "quote", "supports", "credibility", "notes"]),
            site_citations=Planned(["id", "site", "citation"]),
            estimates=Planned([
                "id", "site", "count_type", "low", "best", "high", "qualifier", "is_cumulative", "wording", "as_of",
                "producing_organization", "producer_description", "victim_profile", "citation", "notes",
            ]),
            status_chains={},
            site_rows={},
            row_errors=self.errors,
            update_only=self.update_only,
            namespace=self.namespace,
        )
        for name, value in site_spec.items():
            plan.sites.origin[name] = _first_column(value) or name
        source_id = None
        organizations: dict[str, dict] = {}
        if source_spec:
            source_id = str(source_spec.get("id") or self.uid("source"))
            values = {k: self.constant(v) for k, v in source_spec.items() if k != "publisher"}
            publisher = source_spec.get("publisher")
            if isinstance(publisher, dict):
                values["publisher"] = self.constant(publisher["name"])
                organizations[values["publisher"]] = {k: self.constant(v) for k, v in publisher.items()}
            elif publisher:
                values["publisher"] = self.constant(publisher)
            plan.sources.add({**values, "id": source_id}, 1)
        org_specs = spec.get("organizations") or []
        occurrences: dict[str, int] = {}
        seen_site_values: dict[str, tuple[int, dict]] = {}
        for row, row_number in zip(table.rows, table.row_numbers):
            cell = _Cells(columns, row)
            try:
                key = self.render(spec["key"], cell)
                if not key:
                    raise ValueError(_("the key %(key)s is blank") % {"key": spec["key"]})
                for org in org_specs:
                    values = {k: self.render(v, cell) for k, v in org.items()}
                    if values.get("name"):
                        organizations.setdefault(values["name"], values)
                site_id = self.uid("site", key)
                site_values = {name: self.render(value, cell) for name, value in site_spec.items() if name != "status"}
                plan.site_rows.setdefault(site_id, []).append(row_number)
                occurrence = occurrences[key] = occurrences.get(key, 0) + 1
                if occurrence == 1:
                    seen_site_values[key] = (row_number, site_values)
                    plan.sites.add({**site_values, "id": str(site_id)}, row_number)
                elif self.update_only and site_values != seen_site_values[key][1]:
                    raise ValueError(
                        _("this row gives site %(key)s other values than row %(row)s")
                        % {"key": key, "row": seen_site_values[key][0]}
                    )
                citation_id = None
                if citation_spec and source_id:
                    citation_id = self.uid("citation", key, occurrence)
                    plan.citations.add(
                        {
                            "id": str(citation_id),
                            "source": source_id,
                            "locator": self.render(citation_spec.get("locator", "{%s}" % spec["key"]), cell),
                            "quote": self.quote(citation_spec.get("quote", "row"), table, row),
                            "supports": "; ".join(citation_spec.get("supports") or []),
                            "credibility": str(citation_spec.get("credibility", "")),
                        },
                        row_number,
                    )
                    plan.site_citations.add(
                        {"id": str(self.uid("site-citation", key, occurrence)), "site": str(site_id), "citation": str(citation_id)},
                        row_number,
                    )
                if status_spec and not self.update_only:
                    self.collect_status(plan, site_id, status_spec, cell, row_number, citation_id)
                for figure in estimate_spec.get("figures") or []:
                    self.add_estimate(plan, estimate_spec, figure, cell, key, occurrence, site_id, citation_id, row_number)
            except ValueError as error:
                self.errors.append((row_number, getattr(error, "column", ""), str(error)))
        for values in organizations.values():
            values.setdefault("id", str(self.uid("organization", values["name"])))
            plan.organizations.add(values, 1)
        self.resolve_status(plan)
        return plan

    # Values -------------------------------------------------------------------------------

    def constant(self, value):
        return "" if value is None else str(value)

    def render(self, value, cell: "_Cells") -> str:
        """A value spec: a constant, a template “{COLUMN} …”, or {from, values, date, rules, blank}."""
        if isinstance(value, dict):
            return self.render_rule(value, cell)
        if isinstance(value, list):
            return "; ".join(self.render(item, cell) for item in value)
        text = "" if value is None else str(value)
        return _TEMPLATE.sub(lambda m: cell[m.group(1)], text).strip()

    def render_rule(self, rule: dict, cell: "_Cells") -> str:
        raw = cell[rule["from"]] if "from" in rule else ""
        if not raw:
            return self.render(rule.get("blank", ""), cell)
        if "date" in rule:
            try:
                return datetime.datetime.strptime(raw, rule["date"]).date().isoformat()
            except ValueError:
                raise CellError(
                    _("“%(value)s” is not a date in the form %(format)s") % {"value": raw, "format": rule["date"]},
                    rule["from"],
                ) from None
        if "values" in rule:
            table = {normalise_header(k): v for k, v in rule["values"].items()}
            if normalise_header(raw) in table:
                return "" if table[normalise_header(raw)] is None else str(table[normalise_header(raw)])
            if "otherwise" in rule:
                return str(rule["otherwise"])
            raise CellError(
                _("“%(value)s” is not one of the values the mapping knows: %(known)s")
                % {"value": raw, "known": ", ".join(rule["values"])},
                rule["from"],
            )
        if "contains" in rule:
            lowered = raw.casefold()
            for needle, result in rule["contains"].items():
                if str(needle).casefold() in lowered:
                    return str(result)
            return str(rule.get("otherwise", ""))
        return raw

    def quote(self, how, table: Table, row: list[str]) -> str:
        """The passage a row's citation quotes: by default the row itself, every filled cell."""
        if how == "row":
            return "\n".join(f"{h}: {v.strip()}" for h, v in zip(table.headers, row) if v.strip())
        return self.render(how, _Cells(Columns(table), row))

    # Estimates ------------------------------------------------------------------------------

    def add_estimate(self, plan, spec, figure, cell, key, occurrence, site_id, citation_id, row_number):
        value = cell[figure["from"]]
        if not value:
            return  # a blank count stays unknown: no estimate, never a zero
        count_type = figure["count_type"]
        qualifier = self.qualifier(figure, cell)
        # "At least 300" is a bound, not a best figure: the figure is the side it bounds.
        if qualifier in OPEN_ABOVE:
            slot = "low"
        elif qualifier in OPEN_BELOW:
            slot = "high"
        else:
            slot = figure.get("figure", "best")
        origin = plan.estimates.origin
        origin.setdefault(slot, figure["from"])
        for name, column in (("qualifier", _first_column(figure.get("qualifier"))),
                             ("is_cumulative", _first_column(figure.get("cumulative")))):
            if column:
                origin.setdefault(name, column)
        cumulative = figure.get("cumulative", False)
        producer = self.render(spec.get("producing_organization", ""), cell)
        plan.estimates.add(
            {
                "id": str(self.uid("estimate", key, occurrence, count_type)),
                "site": str(site_id),
                "count_type": count_type,
                slot: value,
                "qualifier": qualifier,
                "is_cumulative": str(cumulative).lower() if isinstance(cumulative, bool) else self.render(cumulative, cell),
                "as_of": self.render(spec.get("as_of", ""), cell),
                "producing_organization": producer,
                "victim_profile": self.render(spec.get("victim_profile", ""), cell),
                "citation": str(citation_id) if citation_id else "",
                "notes": self.render(figure.get("notes", ""), cell),
            },
            row_number,
        )

    def qualifier(self, figure, cell) -> str:
        """How the row's source bounded the figure; blank (unclassified) where the mapping does not say.

        A word the mapping's table does not know is refused (``render_rule``), naming its
        column: "casi 300" guessed as approximate or exact would put a bound on the
        record that nobody gave.
        """
        if figure.get("approximate"):
            return FigureQualifier.APPROXIMATE
        return self.render(figure.get("qualifier", ""), cell)

    # Status ---------------------------------------------------------------------------------

    def collect_status(self, plan, site_id, spec, cell, row_number, citation_id):
        chain = plan.status_chains.setdefault(site_id, [])
        steps = spec.get("steps")
        if steps:
            status = self.render({k: v for k, v in steps.items() if k != "date"}, cell)
            if status:
                date = self.render(steps.get("date", ""), cell)
                chain.append(StatusStep(status, date, _status_reason(steps, cell), row_number, citation_id))
        current = spec.get("current")
        if current:
            status = self.render({k: v for k, v in current.items() if k != "date"}, cell)
            date = self.render(current.get("date", ""), cell)
            chain.append(StatusStep(status, date, _status_reason(current, cell), row_number, citation_id))
            chain[-1].reason = "current:" + chain[-1].reason

    def resolve_status(self, plan: ListPlan):
        """Keep the steps the life cycle allows, oldest first, ending at the status reported now.

        The status a list gives as current must hold; earlier steps (an excavation
        date, say) are recorded when the Bournemouth cycle allows going from one to
        the next, and are otherwise left out, with the reason, in the citation's notes.
        """
        notes: dict[uuid.UUID | None, list[str]] = {}
        for site_id, observed in plan.status_chains.items():
            currents = [s for s in observed if s.reason.startswith("current:")]
            final = max(currents, key=lambda s: (s.changed_on, s.row_number)) if currents else None
            earlier = sorted((s for s in observed if not s.reason.startswith("current:")), key=lambda s: (s.changed_on, s.row_number))
            chain = [final] if final else []
            for step in reversed(earlier):
                head = chain[0] if chain else None
                if head is None or (step.status, head.status) in ALLOWED_TRANSITIONS:
                    chain.insert(0, step)
                elif step.status != head.status:
                    notes.setdefault(step.citation_id, []).append(
                        _("Reported %(status)s on %(date)s; not recorded as a status step because the life cycle "
                          "does not go from %(status)s to %(next)s.")
                        % {"status": SiteStatus(step.status).label, "date": step.changed_on or "?", "next": SiteStatus(head.status).label}
                    )
            for step in chain:
                step.reason = step.reason.removeprefix("current:")
            plan.status_chains[site_id] = chain
        if notes:
            index = plan.citations.headers.index("notes")
            for row in plan.citations.rows:
                extra = notes.get(uuid.UUID(row[0]))
                if extra:
                    row[index] = " ".join(extra)


def _check_figure(figure: dict):
    """Refuse a figure whose qualifier the mapping itself gets wrong, before any row is read."""
    qualifier = figure.get("qualifier")
    if qualifier is None:
        return
    if figure.get("approximate"):
        raise MappingError(
            _("The figure from “%(column)s” has both “approximate: true” and a qualifier; “approximate: true” "
              "is the qualifier approximate: keep one.") % {"column": figure.get("from", "")}
        )
    if isinstance(qualifier, dict):
        given = [*(qualifier.get("values") or {}).values(), *(qualifier.get("contains") or {}).values(),
                 qualifier.get("blank"), qualifier.get("otherwise")]
    else:
        given = [qualifier]
    wrong = [str(value) for value in given if value not in (None, "") and str(value) not in FigureQualifier.values]
    if wrong:
        raise MappingError(
            _("The figure from “%(column)s” gives the qualifier “%(value)s”; a qualifier is one of %(allowed)s.")
            % {"column": figure.get("from", ""), "value": wrong[0], "allowed": ", ".join(FigureQualifier.values)}
        )


def _status_reason(spec, cell) -> str:
    column = spec.get("from", "")
    return f"{column} = {cell[column]}" if column else ""


def _first_column(value) -> str:
    if isinstance(value, dict):
        return value.get("from", "")
    match = _TEMPLATE.search(str(value or ""))
    return match.group(1) if match else ""


class _Cells:
    def __init__(self, columns: Columns, row: list[str]):
        self.columns = columns
        self.row = row

    def __getitem__(self, name: str) -> str:
        return self.row[self.columns.position(name)].strip()
