"""Witnesses, consents and testimonies: what the database refuses to store."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from gravesdb.testimony import models as testimony_models
from gravesdb.testimony.choices import ConsentScope
from tests.core.db import delete_as_administrator, refused_by_database, update_row
from tests.factories import (
    ConsentFactory,
    ConsentPartnerFactory,
    TestimonyCitationFactory,
    TestimonyFactory,
    TestimonySiteFactory,
    WitnessFactory,
    WitnessIdentityFactory,
)

pytestmark = pytest.mark.django_db

NEEDS_CONSENT = "a shareable testimony needs a consent in force that allows sharing"


class TestWitnessPseudonyms:
    def test_pseudonyms_count_up(self):
        assert [WitnessFactory().pseudonym for _ in range(2)] == ["W-0001", "W-0002"]

    def test_bulk_created_witnesses_get_pseudonyms_from_the_database(self):
        testimony_models.Witness.objects.bulk_create([WitnessFactory.build(), WitnessFactory.build()])
        assert sorted(testimony_models.Witness.objects.values_list("pseudonym", flat=True)) == ["W-0001", "W-0002"]

    def test_an_explicit_pseudonym_moves_the_counter_past_itself(self):
        WitnessFactory()
        testimony_models.Witness.objects.bulk_create([WitnessFactory.build(pseudonym="W-0040")])
        assert WitnessFactory().pseudonym == "W-0041"

    def test_pseudonyms_are_never_reused_after_a_witness_is_deleted(self):
        WitnessFactory()
        doomed = WitnessFactory()
        ConsentFactory(witness=doomed)
        delete_as_administrator("testimony_consent", where="witness_id = %s", params=[doomed.pk])
        delete_as_administrator("testimony_witness", where="id = %s", params=[doomed.pk])
        assert not testimony_models.Witness.objects.filter(pk=doomed.pk).exists()
        assert WitnessFactory().pseudonym == "W-0003"

    def test_a_pseudonym_cannot_be_changed_once_given(self):
        witness = WitnessFactory()
        with refused_by_database("Cannot update rows from testimony_witness table"):
            update_row(witness, pseudonym="W-9999")

    def test_two_witnesses_cannot_share_a_pseudonym(self):
        WitnessFactory()
        with refused_by_database("testimony_witness_pseudonym_key"):
            testimony_models.Witness.objects.bulk_create([WitnessFactory.build(pseudonym="W-0001")])


class TestWitnessConstraints:
    @pytest.mark.parametrize(
        ("age", "constraint"), [(131, "witness_age_plausible"), (-1, "testimony_witness_age_check")]
    )
    def test_age_must_be_plausible(self, age, constraint):
        witness = WitnessFactory()
        with refused_by_database(constraint):
            update_row(witness, age=age)

    def test_a_witness_has_one_identity_record(self):
        identity = WitnessIdentityFactory()
        with refused_by_database("testimony_witnessidentity_witness_id"):
            testimony_models.WitnessIdentity.objects.bulk_create(
                [WitnessIdentityFactory.build(witness=identity.witness)]
            )


class TestConsentConstraints:
    def test_consent_cannot_be_withdrawn_before_it_was_given(self):
        consent = ConsentFactory(given_on=datetime.date(2017, 2, 20))
        with refused_by_database("consent_withdrawn_after_given"):
            update_row(consent, withdrawn_on=datetime.date(2017, 2, 19))

    def test_consent_may_be_withdrawn_the_day_it_was_given(self):
        consent = ConsentFactory(given_on=datetime.date(2017, 2, 20))
        assert update_row(consent, withdrawn_on=datetime.date(2017, 2, 20)) == 1

    def test_unknown_scope_is_refused(self):
        consent = ConsentFactory()
        with refused_by_database("consent_scope_valid"):
            update_row(consent, scope="anything_goes")

    def test_a_partner_is_named_once_per_consent(self):
        link = ConsentPartnerFactory()
        with refused_by_database("consent_partner_unique"):
            testimony_models.ConsentPartner.objects.bulk_create(
                [ConsentPartnerFactory.build(consent=link.consent, organization=link.organization)]
            )


class TestShareableTestimonyNeedsConsent:
    """A testimony may leave the organisation only under a consent in force that allows it."""

    def test_shareable_without_consent_is_refused(self):
        testimony = TestimonyFactory(consent=None)
        with refused_by_database(NEEDS_CONSENT):
            update_row(testimony, is_shareable=True)

    def test_shareable_under_a_withdrawn_consent_is_refused(self):
        testimony = TestimonyFactory(consent__withdrawn_on=datetime.date(2018, 1, 5))
        with refused_by_database(NEEDS_CONSENT):
            update_row(testimony, is_shareable=True)

    def test_shareable_under_a_documentation_only_consent_is_refused(self):
        testimony = TestimonyFactory(consent__scope=ConsentScope.DOCUMENTATION_ONLY)
        with refused_by_database(NEEDS_CONSENT):
            update_row(testimony, is_shareable=True)

    def test_created_shareable_without_valid_consent_is_refused_too(self):
        refused = TestimonyFactory.build(consent=None, is_shareable=True)
        refused.witness.save()
        with refused_by_database(NEEDS_CONSENT):
            testimony_models.Testimony.objects.bulk_create([refused])

    def test_another_witness_consent_is_refused(self):
        testimony = TestimonyFactory()
        someone_else = ConsentFactory()
        with refused_by_database("testimony consent belongs to another witness"):
            update_row(testimony, consent=someone_else)

    def test_another_witness_consent_is_refused_even_for_a_shareable_testimony(self):
        testimony = TestimonyFactory(is_shareable=True)
        with refused_by_database("testimony consent belongs to another witness"):
            update_row(testimony, consent=ConsentFactory(scope=ConsentScope.PUBLIC_PSEUDONYM))

    @pytest.mark.parametrize(
        "scope", [ConsentScope.NAMED_PARTNERS, ConsentScope.LEGAL_PROCEEDINGS, ConsentScope.PUBLIC_PSEUDONYM]
    )
    def test_shareable_under_a_consent_in_force_that_allows_sharing_is_accepted(self, scope):
        testimony = TestimonyFactory(consent__scope=scope)
        assert update_row(testimony, is_shareable=True) == 1
        assert testimony_models.Testimony.objects.get(pk=testimony.pk).is_shareable

    def test_a_consent_withdrawn_later_stops_the_testimony_being_shared(self):
        testimony = TestimonyFactory(is_shareable=True)
        assert list(testimony_models.Testimony.objects.shareable()) == [testimony]
        update_row(testimony.consent, withdrawn_on=datetime.date(2018, 1, 5))
        assert list(testimony_models.Testimony.objects.shareable()) == []


class TestTestimonyConstraints:
    def test_summary_cannot_be_blank(self):
        testimony = TestimonyFactory()
        with refused_by_database("testimony_summary_not_blank"):
            update_row(testimony, summary="")

    def test_unknown_sensitivity_is_refused(self):
        testimony = TestimonyFactory()
        with refused_by_database("testimony_sensitivity_valid"):
            update_row(testimony, sensitivity="secret")

    def test_a_site_is_linked_to_a_testimony_once(self):
        link = TestimonySiteFactory()
        with refused_by_database("testimony_site_unique"):
            testimony_models.TestimonySite.objects.bulk_create(
                [TestimonySiteFactory.build(testimony=link.testimony, site=link.site)]
            )

    def test_a_citation_is_linked_to_a_testimony_once(self):
        link = TestimonyCitationFactory()
        with refused_by_database("testimony_citation_unique"):
            testimony_models.TestimonyCitation.objects.bulk_create(
                [TestimonyCitationFactory.build(testimony=link.testimony, citation=link.citation)]
            )


class TestTestimonyValidation:
    def test_shareable_without_valid_consent_is_explained(self):
        testimony = TestimonyFactory(consent__scope=ConsentScope.DOCUMENTATION_ONLY)
        testimony.is_shareable = True
        with pytest.raises(ValidationError) as error:
            testimony.full_clean()
        assert "only with a consent in force that allows sharing" in str(error.value.message_dict["is_shareable"])

    def test_another_witness_consent_is_explained(self):
        testimony = TestimonyFactory()
        testimony.consent = ConsentFactory()
        with pytest.raises(ValidationError) as error:
            testimony.full_clean()
        assert "This consent was given by another witness." in str(error.value.message_dict["consent"])

    def test_consent_withdrawn_before_given_is_explained(self):
        consent = ConsentFactory.build(given_on=datetime.date(2017, 2, 20), withdrawn_on=datetime.date(2017, 1, 1))
        consent.witness.save()
        with pytest.raises(ValidationError) as error:
            consent.full_clean()
        assert "consent_withdrawn_after_given" not in str(error.value)

    def test_a_new_witness_passes_model_validation(self):
        WitnessFactory.build().full_clean()

def test_consent_in_force_allows_sharing_only_within_its_scope():
    assert testimony_models.Consent(scope=ConsentScope.NAMED_PARTNERS).allows_sharing
    assert not testimony_models.Consent(scope=ConsentScope.DOCUMENTATION_ONLY).allows_sharing
    withdrawn = testimony_models.Consent(scope=ConsentScope.PUBLIC_PSEUDONYM, withdrawn_on=datetime.date(2018, 1, 5))
    assert not withdrawn.allows_sharing
