"""Prove every stored evidence file is the one uploaded: recompute its SHA-256 and compare."""

from django.core.management.base import BaseCommand, CommandError

from gravesdb.core.attachments import verify_attachments


class Command(BaseCommand):
    help = "Recompute the SHA-256 of every stored evidence file and report any that no longer match the record."

    def handle(self, *args, **options):
        checked = 0
        problems = []
        for finding in verify_attachments():
            checked += 1
            if finding is not None:
                problems.append(finding)
                self.stdout.write(f"MISMATCH {finding}")
        if problems:
            raise CommandError(f"{len(problems)} of {checked} files do not match their recorded hash")
        self.stdout.write(f"All {checked} files match their recorded SHA-256 and size.")
