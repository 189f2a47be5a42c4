"""A testimony crosses to another organisation only where its consent names that partner."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from gravesdb.accounts.models import Membership
from gravesdb.core import roles
from gravesdb.testimony.choices import ConsentScope
from gravesdb.testimony import models as testimony_models
from gravesdb.testimony.models import Witness
from tests.factories import (
    ConsentFactory,
    ConsentPartnerFactory,
    OrganizationFactory,
    TestimonyFactory,
    UserFactory,
    WitnessFactory,
)

pytestmark = pytest.mark.django_db


def _member_of(organization, username, role=roles.AUDITOR):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=role))
    if organization is not None:
        Membership.objects.create(user=user, organization=organization)
    return user


@pytest.fixture
def organisations():
    return OrganizationFactory(name="Nineveh Documentation Centre"), OrganizationFactory(name="Partner NGO"), OrganizationFactory(name="Third NGO")


def _testimony(recorded_by, scope, *, partners=(), shareable=True, sensitivity="restricted"):
    witness = WitnessFactory()
    consent = ConsentFactory(witness=witness, scope=scope)
    for partner in partners:
        ConsentPartnerFactory(consent=consent, organization=partner)
    return TestimonyFactory(
        witness=witness,
        consent=consent,
        is_shareable=shareable,
        sensitivity=sensitivity,
        recording_organization=recorded_by,
    )


def test_each_organisation_sees_its_own_and_what_consent_shares_with_it_by_name(organisations):
    home, partner, third = organisations
    own = _testimony(home, ConsentScope.DOCUMENTATION_ONLY, shareable=False)
    named = _testimony(home, ConsentScope.NAMED_PARTNERS, partners=[partner])
    not_marked = _testimony(home, ConsentScope.NAMED_PARTNERS, partners=[partner], shareable=False)
    court = _testimony(home, ConsentScope.LEGAL_PROCEEDINGS, partners=[third])
    published = _testimony(home, ConsentScope.PUBLIC_PSEUDONYM)
    partners_own = _testimony(partner, ConsentScope.DOCUMENTATION_ONLY, shareable=False)

    def visible(user):
        return set(testimony_models.Testimony.objects.visible_to(user))

    assert visible(_member_of(home, "home")) == {own, named, not_marked, court, published}
    assert visible(_member_of(partner, "partner")) == {named, published, partners_own}
    assert visible(_member_of(third, "third")) == {court, published}
    assert visible(_member_of(None, "no_membership")) == {published}


def test_a_partner_sees_only_the_witnesses_behind_what_it_may_read(organisations):
    home, partner, _ = organisations
    shared = _testimony(home, ConsentScope.NAMED_PARTNERS, partners=[partner])
    private = _testimony(home, ConsentScope.DOCUMENTATION_ONLY, shareable=False)
    user = _member_of(partner, "partner")
    witnesses = set(Witness.objects.visible_to(user))
    assert shared.witness in witnesses and private.witness not in witnesses


def test_confidential_stays_confidential_across_organisations(organisations):
    home, partner, _ = organisations
    secret = _testimony(home, ConsentScope.NAMED_PARTNERS, partners=[partner], sensitivity="confidential")
    assert secret not in testimony_models.Testimony.objects.visible_to(_member_of(partner, "researcher", roles.RESEARCHER))
    assert secret in testimony_models.Testimony.objects.visible_to(_member_of(partner, "auditor", roles.AUDITOR))


def test_a_testimony_entered_in_the_admin_belongs_to_the_organisation_of_whoever_entered_it(client, organisations):
    home, partner, _ = organisations
    researcher = _member_of(partner, "partner_researcher", roles.RESEARCHER)
    witness = WitnessFactory()
    client.force_login(researcher)
    response = client.post(
        reverse("admin:testimony_testimony_add"),
        {
            "witness": str(witness.pk),
            "summary": "Saw the trucks.",
            "sensitivity": "restricted",
            "site_links-TOTAL_FORMS": "0",
            "site_links-INITIAL_FORMS": "0",
            "testimony_citations-TOTAL_FORMS": "0",
            "testimony_citations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    testimony = testimony_models.Testimony.objects.get(witness=witness)
    assert testimony.recording_organization == partner

    home_user = _member_of(home, "home_auditor")
    client.force_login(home_user)
    assert client.get(reverse("admin:testimony_testimony_change", args=[testimony.pk])).status_code == 302


def test_a_superuser_sets_a_users_organisation_on_the_user_page(admin_client, organisations):
    home, _, _ = organisations
    user = UserFactory(username="newcomer")
    page = admin_client.get(reverse("admin:auth_user_change", args=[user.pk])).content.decode()
    assert 'name="membership-0-organization"' in page or "membership-TOTAL_FORMS" in page
    admin_client.get(reverse("admin:auth_user_changelist"))
    Membership.objects.create(user=user, organization=home)
    assert home.name in admin_client.get(reverse("admin:auth_user_changelist")).content.decode()
