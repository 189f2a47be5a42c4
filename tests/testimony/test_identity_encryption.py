"""Witness names sealed at rest: readable with the key, loud without it, never in plaintext."""

import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from gravesdb.testimony import crypto
from gravesdb.testimony.models import WitnessIdentity
from tests.factories import WitnessFactory, WitnessIdentityFactory

pytestmark = pytest.mark.django_db

NAME = "Mahmoud Khalil al-Jubouri"
KEY_A = "ka:" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
KEY_B = "kb:" + "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="


def _stored(identity) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM testimony_witnessidentity WHERE id = %s", [identity.pk])
        return dict(zip([c.name for c in cursor.description], cursor.fetchone()))


def test_name_and_contact_are_stored_only_as_ciphertext_and_read_back_with_the_key():
    identity = WitnessIdentityFactory(legal_name=NAME, contact="+964 770 000 0000")

    row = _stored(identity)
    # The whole number, spaced or not: "770" alone turns up by chance in ids, hashes and ciphertext.
    assert NAME not in repr(row) and "770 000 0000" not in repr(row) and "7700000000" not in repr(row)
    assert row["legal_name_ciphertext"].startswith("gdb1:tests:")
    fresh = WitnessIdentity.objects.get(pk=identity.pk)
    assert (fresh.legal_name, fresh.contact) == (NAME, "+964 770 000 0000")


def test_the_same_name_encrypts_differently_each_time():
    first = WitnessIdentityFactory(legal_name=NAME)
    second = WitnessIdentityFactory(legal_name=NAME)
    assert first.legal_name_ciphertext != second.legal_name_ciphertext


def test_the_database_refuses_a_plaintext_name():
    identity = WitnessIdentityFactory()
    with pytest.raises(IntegrityError, match="witness_identity_stored_encrypted"), transaction.atomic():
        WitnessIdentity.objects.filter(pk=identity.pk).update(legal_name_ciphertext=NAME)


def test_a_wrong_key_raises_instead_of_showing_ciphertext(settings):
    identity = WitnessIdentityFactory(legal_name=NAME)
    settings.GRAVESDB_IDENTITY_KEY = "tests:" + KEY_A.split(":")[1]  # same id, other key
    with pytest.raises(crypto.IdentityDecryptionError, match="did not open"):
        WitnessIdentity.objects.get(pk=identity.pk).legal_name


def test_a_missing_key_stops_the_first_use_with_a_clear_message(settings):
    identity = WitnessIdentityFactory(legal_name=NAME)
    settings.GRAVESDB_IDENTITY_KEY = ""
    with pytest.raises(crypto.IdentityKeyError, match="GRAVESDB_IDENTITY_KEY is not set"):
        WitnessIdentity.objects.get(pk=identity.pk).legal_name
    with pytest.raises(crypto.IdentityKeyError, match="GRAVESDB_IDENTITY_KEY is not set"):
        WitnessIdentity(witness=WitnessFactory(), legal_name="Someone")


def test_production_settings_refuse_to_start_without_the_key():
    env = {"PATH": "/usr/bin:/bin", "SECRET_KEY": "x" * 50, "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
    result = subprocess.run(
        [sys.executable, "-c", "import gravesdb.settings"],
        env=env,
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
    )
    assert result.returncode != 0
    assert "GRAVESDB_IDENTITY_KEY is not set" in result.stderr


def test_a_malformed_key_is_explained(settings):
    settings.GRAVESDB_IDENTITY_KEY = "not-a-key"
    with pytest.raises(crypto.IdentityKeyError, match="must look like"):
        crypto.encrypt("x", context="c")
    settings.GRAVESDB_IDENTITY_KEY = "k1:c2hvcnQ="
    with pytest.raises(crypto.IdentityKeyError, match="32 bytes"):
        crypto.encrypt("x", context="c")


def test_ciphertext_moved_to_another_witness_does_not_open():
    """An attacker with write access cannot swap two witnesses' identities unnoticed."""
    victim, other = WitnessIdentityFactory(legal_name=NAME), WitnessIdentityFactory(legal_name="Someone Else")
    WitnessIdentity.objects.filter(pk=other.pk).update(legal_name_ciphertext=victim.legal_name_ciphertext)
    with pytest.raises(crypto.IdentityDecryptionError):
        WitnessIdentity.objects.get(pk=other.pk).legal_name


def test_a_returning_witness_is_found_by_exact_name_through_the_blind_index():
    identity = WitnessIdentityFactory(legal_name="Maḥmūd Khalīl")
    WitnessIdentityFactory(legal_name="Mahmoud Khalil")  # another transliteration: another person

    assert list(WitnessIdentity.objects.matching_name("  mahmud   KHALIL ")) == [identity]
    assert not WitnessIdentity.objects.matching_name("Mahmud").exists()

    arabic = WitnessIdentityFactory(legal_name="مَحْمُود خَلِيل")
    assert list(WitnessIdentity.objects.matching_name("محمود خليل")) == [arabic]


def test_the_lookup_sends_no_name_to_the_database():
    WitnessIdentityFactory(legal_name=NAME)
    with CaptureQueriesContext(connection) as queries:
        list(WitnessIdentity.objects.matching_name(NAME))
        WitnessIdentityFactory(legal_name=NAME)
    assert NAME.lower() not in " ".join(q["sql"].lower() for q in queries.captured_queries)


def test_rotation_re_encrypts_every_identity_under_the_new_key(settings):
    settings.GRAVESDB_IDENTITY_KEY = KEY_A
    identities = [WitnessIdentityFactory(legal_name=f"{NAME} {n}", contact=f"street {n}") for n in range(3)]

    settings.GRAVESDB_IDENTITY_KEY, settings.GRAVESDB_IDENTITY_OLD_KEYS = KEY_B, [KEY_A]
    assert WitnessIdentity.objects.matching_name(f"{NAME} 1").exists(), "found while rotation is pending"
    call_command("rotate_identity_key", reason="Key kb replaces ka")

    settings.GRAVESDB_IDENTITY_OLD_KEYS = []  # the old key is gone for good
    for n, identity in enumerate(identities):
        fresh = WitnessIdentity.objects.get(pk=identity.pk)
        assert fresh.legal_name_ciphertext.startswith("gdb1:kb:")
        assert (fresh.legal_name, fresh.contact) == (f"{NAME} {n}", f"street {n}")
    assert list(WitnessIdentity.objects.matching_name(f"{NAME} 2")) == [identities[2]]


def test_rotation_without_the_old_key_stops_and_changes_nothing(settings):
    settings.GRAVESDB_IDENTITY_KEY = KEY_A
    identity = WitnessIdentityFactory(legal_name=NAME)
    settings.GRAVESDB_IDENTITY_KEY = KEY_B
    with pytest.raises(CommandError, match="key 'ka', which is not configured"):
        call_command("rotate_identity_key")
    assert WitnessIdentity.objects.get(pk=identity.pk).legal_name_ciphertext == identity.legal_name_ciphertext


def test_a_new_key_is_generated_in_the_form_the_setting_takes(capsys, settings):
    call_command("rotate_identity_key", generate="k7")
    spec = capsys.readouterr().out.strip()
    settings.GRAVESDB_IDENTITY_KEY = spec
    assert crypto.decrypt(crypto.encrypt(NAME, context="c"), context="c") == NAME
    assert crypto.current_key_id() == "k7"
