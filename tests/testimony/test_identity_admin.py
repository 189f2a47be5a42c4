"""Identities through the admin: the officer types and reads names; nobody else, no log, no error report."""

import logging
import sys

import pytest
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse
from django.views.debug import ExceptionReporter
from pghistory.models import Events

from gravesdb.testimony.models import WitnessIdentity
from tests.factories import ConsentFactory, TestimonyFactory, WitnessFactory, WitnessIdentityFactory

pytestmark = pytest.mark.django_db

NAME = "Mahmoud Khalil al-Jubouri"


def _identity_form(witness, **overrides):
    return {"witness": str(witness.pk), "legal_name": NAME, "contact": "+964 770 000 0000", "change_reason": "", **overrides}


def test_the_officer_records_a_name_that_is_stored_sealed_and_shown_back(client_for, protection_officer):
    witness = WitnessFactory()
    client = client_for(protection_officer)

    response = client.post(reverse("admin:testimony_witnessidentity_add"), _identity_form(witness))
    assert response.status_code == 302

    identity = WitnessIdentity.objects.get(witness=witness)
    assert NAME not in identity.legal_name_ciphertext
    page = client.get(reverse("admin:testimony_witnessidentity_change", args=[identity.pk])).content.decode()
    assert NAME in page and identity.legal_name_ciphertext not in page


def test_saving_without_touching_the_name_records_no_identity_change(client_for, protection_officer):
    identity = WitnessIdentityFactory(legal_name=NAME, contact="+964 770 000 0000")
    sealed = (identity.legal_name_ciphertext, identity.contact_ciphertext)
    url = reverse("admin:testimony_witnessidentity_change", args=[identity.pk])

    form = _identity_form(identity.witness, expected_version=identity.version)
    assert client_for(protection_officer).post(url, form).status_code == 302

    identity.refresh_from_db()
    assert (identity.legal_name_ciphertext, identity.contact_ciphertext) == sealed
    update = Events.objects.tracks(identity).get(pgh_label="update")
    assert not {"legal_name_ciphertext", "contact_ciphertext"} & set(update.pgh_diff)


def test_the_officer_reads_name_changes_in_the_history_decrypted(client_for, protection_officer):
    identity = WitnessIdentityFactory(legal_name="Mahmud Kalil")
    client = client_for(protection_officer)
    url = reverse("admin:testimony_witnessidentity_change", args=[identity.pk])
    form = _identity_form(identity.witness, change_reason="Spelling from his ID card", expected_version=identity.version)
    assert client.post(url, form).status_code == 302

    history = client.get(reverse("admin:testimony_witness_history", args=[identity.witness.pk])).content.decode()
    assert "Mahmud Kalil" in history and NAME in history
    assert "gdb1:" not in history and "legal_name_index" not in history


def test_a_stale_identity_save_shows_the_officer_the_names_that_changed(client_for, protection_officer):
    identity = WitnessIdentityFactory(legal_name="Mahmud Kalil")
    opened_at = identity.version
    newer = WitnessIdentity.objects.get(pk=identity.pk)
    newer.legal_name = "Mahmud Khalil"
    newer.save()

    url = reverse("admin:testimony_witnessidentity_change", args=[identity.pk])
    page = client_for(protection_officer).post(url, _identity_form(identity.witness, expected_version=opened_at))
    content = page.content.decode()
    assert page.status_code == 200
    assert "“Mahmud Kalil” → “Mahmud Khalil”" in content
    assert "gdb1:" not in content and "legal_name_index" not in content
    identity.refresh_from_db()
    assert identity.legal_name == "Mahmud Khalil"


@pytest.mark.parametrize("role", ["researcher", "auditor", "data_manager"])
def test_others_find_no_trace_of_the_identity_in_pages_history_or_search(request, client_for, role):
    identity = WitnessIdentityFactory(legal_name=NAME)
    witness = identity.witness
    TestimonyFactory(witness=witness, consent=ConsentFactory(witness=witness), sensitivity="restricted")
    client = client_for(request.getfixturevalue(role))

    for url, params in [
        (reverse("admin:testimony_witness_change", args=[witness.pk]), {}),
        (reverse("admin:testimony_witness_history", args=[witness.pk]), {}),
        (reverse("admin:testimony_witness_changelist"), {"q": "Mahmoud"}),
        (reverse("admin:testimony_testimony_changelist"), {"q": "Mahmoud"}),
    ]:
        page = client.get(url, params).content.decode()
        assert NAME not in page and identity.legal_name_ciphertext not in page, url
        assert "legal_name" not in page, url
    assert client.get(reverse("admin:testimony_witnessidentity_find")).status_code == 403
    assert client.post(reverse("admin:testimony_witnessidentity_find"), {"legal_name": NAME}).status_code == 403


def test_the_officer_finds_a_returning_witness_by_name_without_the_name_in_any_url(client_for, protection_officer):
    identity = WitnessIdentityFactory(legal_name="Maḥmūd Khalīl")
    WitnessIdentityFactory(legal_name="Mahmoud Khalil")
    client = client_for(protection_officer)

    response = client.post(reverse("admin:testimony_witnessidentity_find"), {"legal_name": "mahmud khalil"})

    page = response.content.decode()
    assert identity.witness.pseudonym in page
    assert page.count(reverse("admin:testimony_witness_change", args=[identity.witness.pk])) == 1
    assert "Maḥmūd" not in page, "the match is shown by pseudonym"
    assert "find a returning witness" in client.get(reverse("admin:testimony_witnessidentity_changelist")).content.decode().lower()


@pytest.mark.parametrize(
    "url_name", ["admin:testimony_witnessidentity_add", "admin:testimony_witness_add", "admin:testimony_witnessidentity_find"]
)
def test_identity_pages_mark_their_posts_sensitive_so_error_reports_hide_them(client_for, protection_officer, url_name):
    response = client_for(protection_officer).post(reverse(url_name), {"legal_name": NAME})
    assert response.wsgi_request.sensitive_post_parameters == "__ALL__"

    report = _error_report(response.wsgi_request)
    assert NAME not in report
    assert "legal_name" in report, "the report still says which field was posted"


def _error_report(request) -> str:
    """What Django would e-mail the administrators if this request had failed."""

    def failing_save(legal_name):
        raise RuntimeError("the database went away")

    try:
        failing_save(request.POST["legal_name"])
    except RuntimeError:
        return ExceptionReporter(request, *sys.exc_info()).get_traceback_text()


def test_errors_while_identities_are_handled_show_no_name_in_tracebacks():
    request = RequestFactory().post("/admin/testimony/witnessidentity/add/", {"legal_name": NAME})
    request.sensitive_post_parameters = "__ALL__"
    assert NAME not in _error_report(request)


def test_recording_and_reading_an_identity_logs_no_name(client_for, protection_officer, caplog):
    """Even with every SQL statement logged, as DEBUG does in development."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    connection.force_debug_cursor = True
    witness = WitnessFactory()
    client = client_for(protection_officer)
    client.post(reverse("admin:testimony_witnessidentity_add"), _identity_form(witness))
    identity = WitnessIdentity.objects.get(witness=witness)
    client.get(reverse("admin:testimony_witnessidentity_change", args=[identity.pk]))
    client.post(reverse("admin:testimony_witnessidentity_find"), {"legal_name": NAME})
    client.get(reverse("admin:testimony_witness_history", args=[witness.pk]))

    connection.force_debug_cursor = False
    assert "testimony_witnessidentity" in caplog.text, "the statements were logged"
    assert NAME not in caplog.text
    assert NAME not in repr(identity) and NAME not in str(identity)
