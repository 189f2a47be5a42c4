"""Factories for every gravesdb model, with values a researcher would recognise.

Places are real (Nineveh, Andalusia) so a failing test reads like a real record;
names that the database keeps unique carry a sequence number, so a factory never
collides with the seed fixture or with itself.
"""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from gravesdb.core.choices import Sensitivity
from gravesdb.sites.choices import CountType, FigureQualifier, LocationPrecision, SiteRelationKind, SiteStatus, SiteType
from gravesdb.sites.models import Site, SiteCitation, SiteRelation, SiteStatusChange, VictimEstimate
from gravesdb.sources.choices import InformationCredibility, OrganizationKind, SourceKind, SourceReliability
from gravesdb.sources.models import Citation, Organization, Source
from gravesdb.testimony.choices import ConsentMethod, ConsentScope, RiskLevel, Sex, WitnessRole
from gravesdb.testimony.models import (
    Consent,
    ConsentPartner,
    Testimony,
    TestimonyCitation,
    TestimonySite,
    Witness,
    WitnessIdentity,
)

IRAQI_PLACES = [
    {
        "name": "Khasfa sinkhole",
        "alternative_names": ["al-Khasfa", "Khafsa", "الخسفة"],
        "second_level_area": "Mosul District",
        "locality": "Hamam al-Alil",
        "latitude": Decimal("36.188000"),
        "longitude": Decimal("43.139000"),
        "site_type": SiteType.SINKHOLE,
    },
    {
        "name": "Badush prison grave",
        "alternative_names": ["Badoush", "سجن بادوش"],
        "second_level_area": "Mosul District",
        "locality": "Badush",
        "latitude": Decimal("36.396000"),
        "longitude": Decimal("42.948000"),
        "site_type": SiteType.TRENCH,
    },
    {
        "name": "Kocho village grave",
        "alternative_names": ["Kojo", "كوجو"],
        "second_level_area": "Sinjar District",
        "locality": "Kocho",
        "latitude": Decimal("36.216000"),
        "longitude": Decimal("41.783000"),
        "site_type": SiteType.PIT,
    },
    {
        "name": "Hamam al-Alil agricultural college",
        "alternative_names": ["Hammam al-Alil", "حمام العليل"],
        "second_level_area": "Mosul District",
        "locality": "Hamam al-Alil",
        "latitude": Decimal("36.158000"),
        "longitude": Decimal("43.259000"),
        "site_type": SiteType.OPEN_GROUND,
    },
]

SPANISH_PLACES = [
    {
        "name": "Barranco de Víznar",
        "alternative_names": ["Fosas de Víznar"],
        "second_level_area": "Granada",
        "locality": "Víznar",
        "latitude": Decimal("37.232000"),
        "longitude": Decimal("-3.555000"),
        "site_type": SiteType.TRENCH,
    },
    {
        "name": "Cementerio de San Rafael",
        "alternative_names": ["Fosa de San Rafael"],
        "second_level_area": "Málaga",
        "locality": "Málaga",
        "latitude": Decimal("36.718000"),
        "longitude": Decimal("-4.447000"),
        "site_type": SiteType.CEMETERY,
    },
]


def _place_value(key):
    return factory.LazyAttribute(lambda o: o.place[key])


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"researcher{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("not-a-real-password-42")
    is_staff = True


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Nineveh Documentation Centre {n}")
    acronym = factory.Sequence(lambda n: f"NDC{n}")
    kind = OrganizationKind.NGO
    country = "IQ"
    website = factory.LazyAttribute(lambda o: f"https://{o.acronym.lower()}.example.org/")


class SourceFactory(DjangoModelFactory):
    class Meta:
        model = Source

    title = factory.Sequence(lambda n: f"Mass graves found near Mosul, report {n}")
    kind = SourceKind.NEWS_ARTICLE
    publisher = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.MEDIA)
    authors = factory.Faker("name")
    publication_date = "2017-02-18"
    url = factory.Sequence(lambda n: f"https://news.example.org/iraq/mass-graves-{n}")
    language = "en"
    reliability = SourceReliability.B


class CitationFactory(DjangoModelFactory):
    class Meta:
        model = Citation

    source = factory.SubFactory(SourceFactory)
    locator = factory.Sequence(lambda n: f"para. {n + 1}")
    quote = factory.Sequence(
        lambda n: f"Locals, police and activists say the site holds the bodies of some 4,000 people ({n})."
    )
    supports = factory.LazyFunction(lambda: ["existence", "count"])
    credibility = InformationCredibility.PROBABLY_TRUE


class SiteFactory(DjangoModelFactory):
    """An Iraqi site in Nineveh by default; ``SiteFactory(spanish=True)`` gives one in Andalusia."""

    class Meta:
        model = Site

    class Params:
        place = factory.Maybe("spanish", factory.Iterator(SPANISH_PLACES), factory.Iterator(IRAQI_PLACES))
        spanish = factory.Trait(
            country="ES",
            first_level_area="ES-AN",
            alleged_perpetrator="Nationalist forces",
            period="1936-08/1936-12",
        )

    name = _place_value("name")
    alternative_names = factory.LazyAttribute(lambda o: list(o.place["alternative_names"]))
    country = "IQ"
    first_level_area = "IQ-NI"
    second_level_area = _place_value("second_level_area")
    locality = _place_value("locality")
    latitude = _place_value("latitude")
    longitude = _place_value("longitude")
    location_precision = LocationPrecision.APPROXIMATE
    site_type = _place_value("site_type")
    status = SiteStatus.REPORTED
    period = "2014-06/2016-12"
    alleged_perpetrator = "Islamic State"
    first_reported_on = datetime.date(2017, 2, 18)
    description = "Reported by local residents after the recapture of the area."
    sensitivity = Sensitivity.RESTRICTED


class SiteCitationFactory(DjangoModelFactory):
    class Meta:
        model = SiteCitation

    site = factory.SubFactory(SiteFactory)
    citation = factory.SubFactory(CitationFactory, supports=["existence", "location"])


class VictimEstimateFactory(DjangoModelFactory):
    class Meta:
        model = VictimEstimate

    site = factory.SubFactory(SiteFactory)
    count_type = CountType.REPORTED
    low = None
    best = 300
    high = None
    # A count when the figures make one; a lone low or high is a bound nobody qualified yet.
    qualifier = factory.LazyAttribute(
        lambda o: FigureQualifier.EXACT
        if o.best is not None or (o.low is not None and o.high is not None)
        else FigureQualifier.UNCLASSIFIED
    )
    wording = "300 policemen"
    as_of = "2017-02"
    producing_organization = factory.SubFactory(OrganizationFactory)
    victim_profile = "policemen"
    citation = factory.SubFactory(CitationFactory, supports=["count", "victim_profile"])


class SiteStatusChangeFactory(DjangoModelFactory):
    class Meta:
        model = SiteStatusChange

    site = factory.SubFactory(SiteFactory)
    from_status = ""
    to_status = SiteStatus.REPORTED
    changed_on = "2017-02-18"
    reason = "First reported by residents to the press."
    citation = factory.SubFactory(CitationFactory, supports=["status"])


class SiteRelationFactory(DjangoModelFactory):
    class Meta:
        model = SiteRelation

    from_site = factory.SubFactory(SiteFactory)
    kind = SiteRelationKind.PART_OF_COMPLEX
    to_site = factory.SubFactory(SiteFactory, name="Sinjar mass grave complex", alternative_names=["شنكال"])
    date = "2014-08"
    remains_count = None
    citation = factory.SubFactory(CitationFactory, supports=["relation"])


class WitnessFactory(DjangoModelFactory):
    class Meta:
        model = Witness

    age_range = "30-45"
    sex = Sex.MALE
    role = WitnessRole.EYEWITNESS
    residence = "a village near Hamam al-Alil"
    risk_level = RiskLevel.HIGH
    protective_measures = "Interviewed away from the village; voice not recorded."


class WitnessIdentityFactory(DjangoModelFactory):
    class Meta:
        model = WitnessIdentity

    witness = factory.SubFactory(WitnessFactory)
    legal_name = factory.Faker("name", locale="ar_AA")
    contact = factory.Faker("phone_number", locale="ar_AA")


class ConsentFactory(DjangoModelFactory):
    class Meta:
        model = Consent

    witness = factory.SubFactory(WitnessFactory)
    given_on = datetime.date(2017, 2, 20)
    scope = ConsentScope.NAMED_PARTNERS
    method = ConsentMethod.ORAL_RECORDED
    withdrawn_on = None


class ConsentPartnerFactory(DjangoModelFactory):
    class Meta:
        model = ConsentPartner

    consent = factory.SubFactory(ConsentFactory)
    organization = factory.SubFactory(OrganizationFactory)


class TestimonyFactory(DjangoModelFactory):
    """A confidential, unshared testimony with the witness's own consent attached."""

    __test__ = False  # not a pytest test class, despite the name

    class Meta:
        model = Testimony

    witness = factory.SubFactory(WitnessFactory)
    consent = factory.SubFactory(ConsentFactory, witness=factory.SelfAttribute("..witness"))
    interviewed_on = "2017-02-20"
    interview_place = "Hamam al-Alil"
    interviewer_description = "Journalist"
    language = "ar"
    interpreter = "Local interpreter"
    summary = "Saw trucks bring blindfolded men to the sinkhole in 2014."
    statement = "They brought them at night, in trucks, and we heard shooting until morning."
    sensitivity = Sensitivity.CONFIDENTIAL
    is_shareable = False


class TestimonySiteFactory(DjangoModelFactory):
    __test__ = False  # not a pytest test class, despite the name

    class Meta:
        model = TestimonySite

    testimony = factory.SubFactory(TestimonyFactory)
    site = factory.SubFactory(SiteFactory)


class TestimonyCitationFactory(DjangoModelFactory):
    __test__ = False  # not a pytest test class, despite the name

    class Meta:
        model = TestimonyCitation

    testimony = factory.SubFactory(TestimonyFactory)
    citation = factory.SubFactory(CitationFactory, supports=["testimony"])


# One factory per domain model, for tests that walk every model (history, choices).
FACTORY_FOR_MODEL = {
    factory_class._meta.model: factory_class
    for factory_class in (
        OrganizationFactory,
        SourceFactory,
        CitationFactory,
        SiteFactory,
        SiteCitationFactory,
        VictimEstimateFactory,
        SiteStatusChangeFactory,
        SiteRelationFactory,
        WitnessFactory,
        WitnessIdentityFactory,
        ConsentFactory,
        ConsentPartnerFactory,
        TestimonyFactory,
        TestimonySiteFactory,
        TestimonyCitationFactory,
    )
}
