"""``manage.py rotate_identity_key``: re-encrypt witness identities under the current key."""

from django.core.management.base import BaseCommand, CommandError

from gravesdb.testimony import crypto
from gravesdb.testimony.services import identities_reseal


class Command(BaseCommand):
    help = (
        "Re-encrypt every witness identity under GRAVESDB_IDENTITY_KEY, opening old values with "
        "GRAVESDB_IDENTITY_OLD_KEYS. With --generate, print a new key to configure instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--generate", metavar="KEY_ID", help="Print a new key with this id (e.g. k2) and stop.")
        parser.add_argument("--reason", default="Identity key rotation", help="Kept in the history of each identity.")

    def handle(self, *args, generate=None, reason, **options):
        if generate is not None:
            if not generate.isalnum():
                raise CommandError("A key id is letters and digits only, e.g. k2.")
            self.stdout.write(crypto.generate_key_spec(generate))
            return
        try:
            key_id = crypto.current_key_id()
            resealed, current = identities_reseal(reason=reason)
        except (crypto.IdentityKeyError, crypto.IdentityDecryptionError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{resealed} identities re-encrypted under key '{key_id}', {current} already under it. "
            "Old keys may now be removed from GRAVESDB_IDENTITY_OLD_KEYS; history kept under them "
            "can then no longer be read."
        )
