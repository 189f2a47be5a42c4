"""A small world with fixed ids, so the bad-input corpus can name real records."""

import datetime
import hashlib
import uuid
from decimal import Decimal

import pytest
from django.db import connection

from gravesdb.sites.choices import SiteStatus
from gravesdb.sites.services import site_change_status
from tests.factories import CitationFactory, OrganizationFactory, SiteFactory, SourceFactory, VictimEstimateFactory

ORGANIZATION = "Nineveh Documentation Centre"
SOURCE_ID = uuid.UUID("0c0ffee0-0000-4000-8000-000000000002")
CITATION_ID = uuid.UUID("0c0ffee0-0000-4000-8000-000000000003")
KHASFA_ID = uuid.UUID("0c0ffee0-0000-4000-8000-000000000042")
COLLEGE_ID = uuid.UUID("0c0ffee0-0000-4000-8000-000000000043")


@pytest.fixture
def world(db, data_manager):
    organization = OrganizationFactory(name=ORGANIZATION, acronym="NDC")
    source = SourceFactory(id=SOURCE_ID, title="Mass graves found near Mosul", publisher=organization)
    citation = CitationFactory(id=CITATION_ID, source=source, locator="para. 3", quote="Some 4,000 bodies were found.")
    khasfa = SiteFactory(
        id=KHASFA_ID,
        reference_code="IQ-NI-0042",
        name="Khasfa sinkhole",
        alternative_names=["al-Khasfa", "Khafsa", "الخسفة"],
        latitude=Decimal("36.188000"),
        longitude=Decimal("43.139000"),
    )
    college = SiteFactory(id=COLLEGE_ID, reference_code="IQ-NI-0043", name="Hamam al-Alil college", status=SiteStatus.EXHUMED_FULLY)
    site_change_status(site=khasfa, to_status=SiteStatus.REPORTED, changed_on="2017-02-18", reason="Reported", actor=data_manager)
    site_change_status(site=college, to_status=SiteStatus.EXHUMED_FULLY, changed_on="2017-03", reason="Exhumed", actor=data_manager)
    estimate = VictimEstimateFactory(site=khasfa, best=4000, citation=citation, producing_organization=organization)
    return {"organization": organization, "source": source, "citation": citation, "khasfa": khasfa, "college": college, "estimate": estimate}


def database_fingerprint() -> str:
    """A digest of every row of every table: equal before and after means nothing changed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename NOT LIKE 'django_%%' ORDER BY tablename"
        )
        tables = [name for (name,) in cursor.fetchall()]
        digest = hashlib.sha256()
        for table in tables:
            cursor.execute(f'SELECT md5(coalesce(string_agg(t::text, \'|\' ORDER BY t::text), \'\')) FROM "{table}" t')
            digest.update(f"{table}:{cursor.fetchone()[0]};".encode())
    return digest.hexdigest()


@pytest.fixture
def fingerprint():
    return database_fingerprint


@pytest.fixture
def today():
    return datetime.date.today()
