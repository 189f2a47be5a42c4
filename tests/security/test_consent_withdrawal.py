"""Withdrawing consent takes effect at once, is recorded with its reason, and is final."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from pghistory.models import Events

from gravesdb.accounts.models import Membership
from gravesdb.core import roles
from gravesdb.testimony.choices import ConsentScope
from gravesdb.testimony import models as testimony_models
from gravesdb.testimony.models import Consent
from gravesdb.testimony.services import consent_withdraw
from tests.core.db import refused_by_database, update_row
from tests.factories import ConsentFactory, ConsentPartnerFactory, OrganizationFactory, TestimonyFactory, UserFactory

pytestmark = pytest.mark.django_db

WITHDRAWN_ON = datetime.date(2018, 3, 1)


@pytest.fixture
def shared():
    """A testimony of the home team shared with one named partner, and that partner's auditor."""
    partner = OrganizationFactory(name="Partner NGO")
    consent = ConsentFactory(scope=ConsentScope.NAMED_PARTNERS)
    ConsentPartnerFactory(consent=consent, organization=partner)
    testimony = TestimonyFactory(witness=consent.witness, consent=consent, is_shareable=True, sensitivity="restricted")
    reader = UserFactory(username="partner_auditor")
    reader.groups.add(Group.objects.get(name=roles.AUDITOR))
    Membership.objects.create(user=reader, organization=partner)
    return testimony, reader


def test_the_partner_stops_seeing_the_testimony_as_soon_as_consent_is_withdrawn(shared, protection_officer):
    testimony, reader = shared
    assert testimony in testimony_models.Testimony.objects.visible_to(reader)
    assert testimony in testimony_models.Testimony.objects.shareable()

    consent_withdraw(consent=testimony.consent, on=WITHDRAWN_ON, reason="Witness received threats", actor=protection_officer)

    assert testimony not in testimony_models.Testimony.objects.visible_to(reader)
    assert testimony not in testimony_models.Testimony.objects.shareable()
    assert testimony in testimony_models.Testimony.objects.visible_to(protection_officer), "the record itself is kept"
    testimony.refresh_from_db()
    assert testimony.is_shareable is False


def test_the_withdrawal_is_in_the_history_with_who_and_why(shared, protection_officer):
    testimony, _ = shared
    consent_withdraw(consent=testimony.consent, on=WITHDRAWN_ON, reason="Witness received threats", actor=protection_officer)

    for record, field in ((testimony.consent, "withdrawn_on"), (testimony, "is_shareable")):
        event = Events.objects.tracks(record).filter(pgh_label="update").latest("pgh_created_at")
        assert field in event.pgh_diff
        assert event.pgh_context["reason"] == "Witness received threats"
        assert event.pgh_context["username"] == protection_officer.username


def test_a_withdrawal_is_final(shared, protection_officer):
    consent = shared[0].consent
    consent_withdraw(consent=consent, on=WITHDRAWN_ON, reason="Asked by the witness", actor=protection_officer)
    with pytest.raises(ValidationError, match="already withdrawn"):
        consent_withdraw(consent=consent, on=WITHDRAWN_ON, reason="Again", actor=protection_officer)
    for value in (None, datetime.date(2019, 1, 1)):
        with refused_by_database("consent_withdrawal_is_final"):
            update_row(consent, withdrawn_on=value)


def test_a_reason_and_the_right_role_are_required(shared, auditor, protection_officer):
    consent = shared[0].consent
    with pytest.raises(PermissionDenied):
        consent_withdraw(consent=consent, on=WITHDRAWN_ON, reason="Not mine to record", actor=auditor)
    with pytest.raises(ValidationError, match="Say why"):
        consent_withdraw(consent=consent, on=WITHDRAWN_ON, reason=" ", actor=protection_officer)
    with pytest.raises(ValidationError, match="before the day it was given"):
        consent_withdraw(consent=consent, on=datetime.date(2000, 1, 1), reason="Typo", actor=protection_officer)
    assert Consent.objects.get(pk=consent.pk).withdrawn_on is None


def test_withdrawing_in_the_admin_asks_why_and_goes_through_the_service(client_for, shared, protection_officer):
    testimony, reader = shared
    consent = testimony.consent
    client = client_for(protection_officer)
    url = reverse("admin:testimony_consent_change", args=[consent.pk])
    form = {
        "witness": str(consent.witness.pk),
        "given_on": consent.given_on.isoformat(),
        "scope": consent.scope,
        "method": consent.method,
        "notes": "",
        "withdrawn_on": WITHDRAWN_ON.isoformat(),
        "expected_version": str(consent.version),
        "partner_links-TOTAL_FORMS": "1",
        "partner_links-INITIAL_FORMS": "1",
        "partner_links-0-id": str(consent.partner_links.get().pk),
        "partner_links-0-consent": str(consent.pk),
        "partner_links-0-organization": str(consent.partner_links.get().organization_id),
        "partner_links-0-expected_version": str(consent.partner_links.get().version),
    }

    refused = client.post(url, {**form, "change_reason": ""})
    assert refused.status_code == 200 and "Say why the consent was withdrawn" in refused.content.decode()
    assert Consent.objects.get(pk=consent.pk).withdrawn_on is None

    assert client.post(url, {**form, "change_reason": "Witness called the office"}).status_code == 302
    assert Consent.objects.get(pk=consent.pk).withdrawn_on == WITHDRAWN_ON
    assert testimony not in testimony_models.Testimony.objects.visible_to(reader)
    testimony.refresh_from_db()
    assert testimony.is_shareable is False
