"""A stolen backup holds no witness name: pg_dump of the identities and their history, grepped."""

import pytest

from gravesdb.core.history import acting
from gravesdb.testimony.models import WitnessIdentity
from tests.factories import WitnessIdentityFactory
from tests.security.pg_dump import pg_dump

NAMES = ["Mahmoud Khalil al-Jubouri", "محمود خليل الجبوري", "Layla Haddad"]


@pytest.mark.django_db(transaction=True)
def test_pg_dump_of_the_witness_tables_and_their_history_holds_no_name():
    first = WitnessIdentityFactory(legal_name=NAMES[0], contact="+964 770 123 4567")
    with acting(reason="Spelling corrected by the protection officer"):
        identity = WitnessIdentity.objects.get(pk=first.pk)
        identity.legal_name = NAMES[1]
        identity.save()
    WitnessIdentityFactory(legal_name=NAMES[2], contact="layla@example.org")

    dump = pg_dump("--table", "testimony_witnessidentity", "--table", "testimony_witnessidentityevent")

    assert str(first.pk) in dump, "the identity rows are in the dump"
    assert dump.count(f"gdb1:tests:") >= 6, "the ciphertext of every insert and update is"
    for secret in [*NAMES, "Mahmoud", "Jubouri", "770 123", "layla@"]:
        assert secret not in dump, secret
    whole_database = pg_dump()
    for secret in NAMES:
        assert secret not in whole_database, secret
