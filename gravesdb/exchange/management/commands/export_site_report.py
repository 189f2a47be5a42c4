"""python manage.py export_site_report [--format csv|xlsx|json|geojson] [--estimates] [--as-of DAY] [--output PATH]"""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gravesdb.core import roles
from gravesdb.exchange.actors import command_actor
from gravesdb.exchange.progress import ProgressBar
from gravesdb.exchange.reports import ReportRequest, export_report
from gravesdb.exchange.writers import FORMATS


class Command(BaseCommand):
    help = (
        "Write the site report (or, with --estimates, the estimates report) and a PATH.sha256 manifest "
        "beside it. The same database always gives the same bytes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", dest="file_format", choices=FORMATS, default="csv")
        parser.add_argument("--estimates", action="store_true", help="One row per estimate instead of per site.")
        parser.add_argument("--as-of", help="YYYY-MM-DD: the report as the database stood at the end of that day.")
        parser.add_argument("--output", help="Where to write (default: site-report.FORMAT in the current folder).")
        parser.add_argument("--excel", action="store_true", help="Start the CSV with a BOM so Excel reads UTF-8.")
        parser.add_argument("--country", help="Only sites in this country (ISO 3166-1 alpha-2).")
        parser.add_argument("--area", help="Only sites in this first-level area (ISO 3166-2).")
        parser.add_argument("--status", help="Only sites with this status.")
        parser.add_argument("--include-archived", action="store_true", help="Include archived and merged sites.")
        parser.add_argument(
            "--user",
            help=f"Export as this user (what they may see). Default: the system {roles.AUDITOR} role.",
        )

    def handle(self, *args, **options):
        user = command_actor(options["user"], default_role=roles.AUDITOR)
        if not user.has_perm("sites.export_site"):
            raise CommandError(f"{user} may not export sites.")
        as_of = None
        if options["as_of"]:
            try:
                as_of = datetime.date.fromisoformat(options["as_of"])
            except ValueError:
                raise CommandError("--as-of takes a day: YYYY-MM-DD.") from None
        filters = {
            lookup: options[option]
            for option, lookup in (("country", "country"), ("area", "first_level_area"), ("status", "status"))
            if options[option]
        }
        file_format = options["file_format"]
        if options["estimates"] and file_format == "geojson":
            raise CommandError("The estimates report has no locations; choose csv, xlsx or json.")
        default_name = ("estimates-report." if options["estimates"] else "site-report.") + file_format
        path = Path(options["output"] or default_name)
        request = ReportRequest(
            user=user,
            estimates=options["estimates"],
            as_of=as_of,
            filters=filters,
            include_archived=options["include_archived"],
        )
        bar = ProgressBar(f"Writing {path.name}", stream=self.stderr)
        outcome = export_report(request, path=path, file_format=file_format, excel=options["excel"], progress=bar)
        bar.close()
        self.stdout.write(f"{outcome.rows} rows written to {outcome.path}; manifest {outcome.manifest_path}")
        for note in outcome.withheld:
            self.stdout.write(f"  withheld: {note}")
