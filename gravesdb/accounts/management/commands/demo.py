"""``manage.py demo``: a trial instance with the seed data, in one command (DEBUG only)."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from gravesdb.accounts.services import demo_accounts_create
from gravesdb.core.history import acting

ADDRESS = "127.0.0.1:8000"


class Command(BaseCommand):
    help = "Migrate, load the seed fixture, create demo accounts for each role and serve the admin (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "demo creates accounts with printed passwords and runs the development server; "
                "it runs only with DEBUG=1, never in production."
            )
        call_command("migrate", interactive=False, verbosity=0)
        with acting(reason="Demo: seed fixture loaded by manage.py demo"):
            call_command("loaddata", "seed", verbosity=0)
        accounts = demo_accounts_create(reason="Demo accounts created by manage.py demo")

        width = max(len(account.username) for account in accounts)
        lines = [
            "=" * 72,
            "DEMO ONLY — never use in production. These passwords change on every run.",
            f"Log in at http://{ADDRESS}/admin/",
            "",
            *(f"  {a.username:<{width}}  {a.password}  ({a.role})" for a in accounts),
            "=" * 72,
        ]
        self.stdout.write("\n".join(lines))
        call_command("runserver", ADDRESS, use_reloader=False)
