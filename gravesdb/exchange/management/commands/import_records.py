"""python manage.py import_records MODEL PATH [--dry-run] [--mapping FILE] [--user USERNAME]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gravesdb.core import roles
from gravesdb.exchange.actors import command_actor
from gravesdb.exchange.mapping import MappingError
from gravesdb.exchange.saved_mappings import mapping_for_import
from gravesdb.exchange.progress import ProgressBar
from gravesdb.exchange.resources import IMPORTABLE
from gravesdb.exchange.services import records_import


class Command(BaseCommand):
    help = (
        "Import a CSV, XLSX, JSON or GeoJSON file into gravesdb, all or nothing. MODEL is one of "
        f"{', '.join(IMPORTABLE)}, or 'list' for a flat list read through a list mapping."
    )

    def add_arguments(self, parser):
        parser.add_argument("model", choices=[*IMPORTABLE, "list"])
        parser.add_argument("path")
        parser.add_argument("--dry-run", action="store_true", help="Check and count, save nothing.")
        parser.add_argument("--mapping", help="A column or list mapping (YAML or JSON file).")
        parser.add_argument("--organization", help="The organisation whose saved mapping to use (or save).")
        parser.add_argument("--save-mapping", metavar="NAME", help="Save --mapping for --organization under NAME.")
        parser.add_argument("--encoding", default="", help="cp1252, cp1256, latin-1, utf-8… (detected if omitted).")
        parser.add_argument("--format", dest="file_format", default="", choices=["", "csv", "xlsx", "json", "geojson"])
        parser.add_argument(
            "--user",
            help=f"Act as this user (their permissions, their name in the history). "
            f"Default: the system {roles.DATA_MANAGER} role.",
        )

    def handle(self, *args, **options):
        actor = command_actor(options["user"], default_role=roles.DATA_MANAGER)
        model = options["model"]
        # A list feeds every importable model, so it needs every import permission.
        needed = IMPORTABLE.values() if model == "list" else [IMPORTABLE[model]]
        for resource in needed:
            meta = resource._meta.model._meta
            if not actor.has_perm(f"{meta.app_label}.import_{meta.model_name}"):
                raise CommandError(f"{actor} may not import {meta.verbose_name_plural}.")
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        try:
            mapping = mapping_for_import(
                model=model,
                path=options["mapping"],
                organization=options["organization"],
                save_as=options["save_mapping"],
                actor=actor,
            )
        except MappingError as error:
            raise CommandError(str(error)) from None
        if model == "list" and mapping is None:
            raise CommandError("A list import needs --mapping (or --organization with a saved list mapping).")
        bar = ProgressBar(f"Importing {path.name}", stream=self.stderr)
        outcome = records_import(
            model=model,
            data=path.read_bytes(),
            file_name=path.name,
            actor=actor,
            dry_run=options["dry_run"],
            mapping=mapping,
            encoding=options["encoding"],
            file_format=options["file_format"],
            progress=bar,
        )
        bar.close()
        for problem in outcome.errors[:200]:
            self.stderr.write(str(problem))
        if len(outcome.errors) > 200:
            self.stderr.write(f"… and {len(outcome.errors) - 200} more problems.")
        for name, counts in outcome.records.items():
            self.stdout.write(f"  {name}: {counts['new']} new, {counts['updated']} updated, {counts['unchanged']} unchanged")
        if not outcome.ok:
            raise CommandError(outcome.summary())
        self.stdout.write(outcome.summary())
