"""Recompute the audit chain and print a report an auditor can keep."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from gravesdb.audit.chain import parse_checkpoint, verify


class Command(BaseCommand):
    help = (
        "Recompute the audit log's hash chain, cross-check it against the history, and report the first "
        "broken entry. Keep the printed checkpoint; later runs can prove nothing before it was rewritten."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint",
            metavar="ENTRY:HASH",
            help="A checkpoint printed by an earlier run: fail unless that entry still has that hash.",
        )

    def handle(self, *args, checkpoint=None, **options):
        try:
            expected = parse_checkpoint(checkpoint) if checkpoint else None
        except ValueError as error:
            raise CommandError(str(error)) from error
        report = verify(checkpoint=expected)
        settings = connection.settings_dict
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        lines = [
            "gravesdb audit log verification",
            f"Database:        {settings.get('NAME')} on {settings.get('HOST') or 'local socket'} "
            f"(PostgreSQL {connection.pg_version // 10000})",
            f"Verified at:     {now}",
            f"Entries checked: {report.entries}"
            + (f" (1 to {report.last_seq}, {report.first_at:%Y-%m-%d %H:%M:%S} to {report.last_at:%Y-%m-%d %H:%M:%S} UTC)" if report.entries else ""),
            f"History tables:  {report.history_tables} cross-checked (every entry's event present and unchanged, "
            "every event in the log, every record matching its latest event)",
        ]
        if expected:
            lines.append(f"Checkpoint:      entry {expected[0]} given for comparison")
        if report.ok:
            lines += ["Result:          INTACT", f"Latest checkpoint (keep this): {report.checkpoint}"]
            self.stdout.write("\n".join(lines))
            return
        lines.append("Result:          BROKEN")
        if report.broken:
            lines.append(f"First broken entry: {report.broken}")
            lines.append(f"Intact up to:    {report.checkpoint}")
        lines += [f"Finding:         {finding}" for finding in report.findings]
        self.stdout.write("\n".join(lines))
        raise CommandError("the audit log does not verify; see the findings above")
