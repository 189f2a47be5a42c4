"""Import and export benchmark (issue 3): prints the ratios docs/performance.md records.

    createdb -h 127.0.0.1 -U postgres gravesdb_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gravesdb_bench \
        .venv/bin/python bench/exchange.py --sites 100000 --seed 1

Generates the synthetic database if it is empty, then measures, from one run:
the site-report CSV export against PostgreSQL's own COPY of the same query, peak
memory of the export at a tenth of the sites and at all of them (each in a fresh
process), the query count of both, the same export through a default
django-import-export ModelResource, and the throughput of importing estimate rows
against a plain ModelResource ``import_data`` of the same file. Imports run in a
transaction that is rolled back, so the database is left as it was. Files go to
bench/output/ (git-ignored).

``--generate-without-audit`` switches the audit hash chain's triggers off while the
synthetic data is generated (and only then), to see what the chain costs; what is
measured afterwards runs with every trigger on, as in production. ``migrate`` runs
only on a new database: on an existing one the audit app's post-migrate step would
chain every event generated without the audit triggers, one at a time.
"""

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bench" / "output"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gravesdb.settings")
os.environ.setdefault("DEBUG", "1")


def setup():
    import django

    django.setup()


def audit_triggers(enable: bool):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = 'gravesdb_audit'")
        for (table,) in cursor.fetchall():
            cursor.execute(f"ALTER TABLE {table} {'ENABLE' if enable else 'DISABLE'} TRIGGER gravesdb_audit")


def generate(sites, seed, without_audit):
    from django.core.management import call_command

    from gravesdb.sites.models import Site

    if Site.objects.exists():
        return f"database already holds {Site.objects.count():,} sites; not regenerated"
    if without_audit:
        audit_triggers(False)
    started = time.perf_counter()
    try:
        call_command("generate_synthetic", sites=sites, seed=seed)
    finally:
        if without_audit:
            audit_triggers(True)
    return f"generated {sites:,} sites in {time.perf_counter() - started:.0f} s"


def child_export(limit):
    """Run in a fresh process: export the report (the first ``limit`` sites), print time, memory, queries."""
    setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gravesdb.exchange.actors import SystemRole
    from gravesdb.exchange.reports import ReportRequest, export_report
    from gravesdb.sites.models import Site

    user = SystemRole("Auditor")
    filters = {}
    if limit:
        last = Site.objects.order_by("reference_code").values_list("reference_code", flat=True)[limit - 1]
        filters = {"reference_code__lte": last}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        outcome = export_report(ReportRequest(user=user, filters=filters), path=OUTPUT / f"site-report-{limit or 'all'}.csv")
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": outcome.rows, "seconds": elapsed, "peak_kb": peak, "before_kb": before, "queries": len(queries)}))


def in_child(limit):
    result = subprocess.run(
        [sys.executable, __file__, "--child-export", str(limit)], capture_output=True, text=True, check=True, env=os.environ
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def copy_baseline():
    """PostgreSQL writing the same report query as CSV itself: the floor an export can reach."""
    from django.db import connection

    from gravesdb.exchange.actors import SystemRole
    from gravesdb.exchange.reports import ReportRequest, site_report_queryset

    sql, params = site_report_queryset(ReportRequest(user=SystemRole("Auditor"))).query.sql_with_params()
    with connection.cursor() as cursor:
        statement = cursor.mogrify(sql, params).decode()
        sink = io.StringIO()
        started = time.perf_counter()
        cursor.copy_expert(f"COPY ({statement}) TO STDOUT WITH CSV HEADER", sink)
        return time.perf_counter() - started, sink.getvalue().count("\n") - 1


def default_resource_export():
    from import_export.formats.base_formats import CSV
    from import_export.resources import modelresource_factory

    from gravesdb.sites.models import Site

    started = time.perf_counter()
    dataset = modelresource_factory(Site)().export(Site.objects.all())
    data = CSV().export_data(dataset)
    (OUTPUT / "default-modelresource-sites.csv").write_text(data, encoding="utf-8")
    return time.perf_counter() - started


def estimate_file(rows):
    """A partner's estimates file: new rows for existing sites, citing existing citations."""
    from gravesdb.sites.models import VictimEstimate

    sample = list(
        VictimEstimate.objects.select_related("site", "producing_organization").order_by("id")[:rows]
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["site", "count_type", "low", "best", "high", "as_of", "producing_organization", "citation"])
    for i, estimate in enumerate(sample):
        writer.writerow([estimate.site.reference_code, "estimated", "", estimate.best + i % 7, "", "2024",
                         estimate.producing_organization.name if estimate.producing_organization else "", estimate.citation_id])
    return buffer.getvalue().encode()


def time_import(data, rows):
    from django.db import transaction

    from gravesdb.exchange.actors import SystemRole
    from gravesdb.exchange.services import records_import

    started = time.perf_counter()
    with transaction.atomic():
        outcome = records_import(model="estimates", data=data, file_name="bench-estimates.csv", actor=SystemRole("Data manager"))
        assert outcome.ok, outcome.errors[:3]
        assert outcome.counts["new"] == rows
        transaction.set_rollback(True)
    return time.perf_counter() - started


def time_plain_import(data, rows):
    """The same file through a plain ModelResource: foreign keys by natural key, one row at a time."""
    import tablib
    from django.db import transaction
    from import_export import fields, resources, widgets

    from gravesdb.sites.models import Site, VictimEstimate
    from gravesdb.sources.models import Citation, Organization

    class PlainEstimateResource(resources.ModelResource):
        site = fields.Field("site", "site", widgets.ForeignKeyWidget(Site, "reference_code"))
        producing_organization = fields.Field(
            "producing_organization", "producing_organization", widgets.ForeignKeyWidget(Organization, "name")
        )
        citation = fields.Field("citation", "citation", widgets.ForeignKeyWidget(Citation, "pk"))

        class Meta:
            model = VictimEstimate
            fields = ["id", "site", "count_type", "low", "best", "high", "as_of", "producing_organization", "citation"]

    dataset = tablib.Dataset().load(data.decode(), format="csv")
    started = time.perf_counter()
    with transaction.atomic():
        result = PlainEstimateResource().import_data(dataset, use_transactions=True)
        assert not result.has_errors() and not result.has_validation_errors(), result.invalid_rows[:1]
        transaction.set_rollback(True)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument(
        "--plain-rows", type=int, default=None,
        help="rows for the (slow) plain import_data baseline; the whole file unless given",
    )
    parser.add_argument("--generate-without-audit", action="store_true")
    parser.add_argument("--skip-export", action="store_true", help="measure the imports only")
    parser.add_argument(
        "--import-without-audit", action="store_true",
        help="also time both imports with the audit hash chain's triggers off, to show the importer's own cost",
    )
    parser.add_argument("--child-export", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    if args.child_export is not None:
        child_export(args.child_export)
        return
    setup()
    from django.core.management import call_command

    from django.db import connection

    if "sites_site" not in connection.introspection.table_names():
        # Only on a new database: the audit app's post-migrate step would otherwise chain
        # every history event generated without the audit triggers, one at a time.
        call_command("migrate", verbosity=0)
    lines = Lines()
    lines.append(f"# bench/exchange.py --sites {args.sites} --seed {args.seed} ({time.strftime('%Y-%m-%d %H:%M')})")
    lines.append(generate(args.sites, args.seed, args.generate_without_audit))
    if not args.skip_export:
        measure_exports(args, lines)
    measure_imports(args, lines, audit=True)
    if args.import_without_audit:
        audit_triggers(False)
        try:
            measure_imports(args, lines, audit=False)
        finally:
            audit_triggers(True)
    (OUTPUT / "exchange.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def measure_exports(args, lines):
    small = in_child(args.sites // 10)
    full = in_child(0)
    copy_seconds, copy_rows = copy_baseline()
    default_seconds = default_resource_export()
    lines.extend([
        f"site report CSV export: {full['rows']:,} rows in {full['seconds']:.1f} s; COPY of the same query {copy_seconds:.1f} s "
        f"({copy_rows:,} rows); ratio {full['seconds'] / copy_seconds:.2f} (target <= 2.0)",
        f"peak memory (RSS) of the export: {small['peak_kb'] / 1024:.0f} MiB at {small['rows']:,} sites, "
        f"{full['peak_kb'] / 1024:.0f} MiB at {full['rows']:,} sites; ratio {full['peak_kb'] / small['peak_kb']:.2f}",
        f"queries: {small['queries']} at {small['rows']:,} sites, {full['queries']} at {full['rows']:,} sites",
        f"default django-import-export ModelResource export (tablib, all Site fields): {default_seconds:.1f} s; "
        f"ratio to gravesdb's export {default_seconds / full['seconds']:.2f}",
    ])


def measure_imports(args, lines, audit):
    data = estimate_file(args.import_rows)
    rows = data.count(b"\n") - 1
    seconds = time_import(data, rows)
    plain_rows = min(args.plain_rows or rows, rows)
    plain_data = b"\n".join(data.split(b"\n")[: plain_rows + 1]) + b"\n"
    plain_seconds = time_plain_import(plain_data, plain_rows)
    ours, plain = rows / seconds, plain_rows / plain_seconds
    lines.extend([
        f"audit hash-chain triggers {'on' if audit else 'off'}:",
        f"import of {rows:,} estimate rows: {seconds:.1f} s = {ours:,.0f} rows/s",
        f"plain ModelResource import_data of the first {plain_rows:,} rows: {plain_seconds:.1f} s = {plain:,.0f} rows/s; "
        f"ratio {ours / plain:.1f}x (target >= 10x)",
    ])


class Lines(list):
    """Prints each figure as soon as it is measured: a long run shows its progress."""

    def append(self, line):
        print(line, flush=True)
        super().append(line)

    def extend(self, lines):
        for line in lines:
            self.append(line)


if __name__ == "__main__":
    main()
