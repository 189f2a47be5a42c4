"""Site reference codes: IQ-NI-0001 and on, handed out by the database, never reused."""

import pytest
from django.db import connection

from gravesdb.sites.models import Site
from tests.core.db import delete_as_administrator, refused_by_database, update_row
from tests.factories import SiteFactory, VictimEstimateFactory

pytestmark = pytest.mark.django_db


def _codes() -> list[str]:
    return list(Site.objects.order_by("created_at", "reference_code").values_list("reference_code", flat=True))


def test_codes_count_up_within_each_first_level_area():
    first = SiteFactory(country="IQ", first_level_area="IQ-NI")
    second = SiteFactory(country="IQ", first_level_area="IQ-NI")
    spanish = SiteFactory(spanish=True)
    assert [first.reference_code, second.reference_code, spanish.reference_code] == [
        "IQ-NI-0001",
        "IQ-NI-0002",
        "ES-AN-0001",
    ]


def test_a_site_without_a_first_level_area_is_coded_by_country():
    site = SiteFactory(country="IQ", first_level_area="")
    assert site.reference_code == "IQ-XX-0001"


def test_bulk_created_sites_get_codes_from_the_database():
    Site.objects.bulk_create(
        [SiteFactory.build(first_level_area="IQ-NI"), SiteFactory.build(first_level_area="IQ-NI"),
         SiteFactory.build(country="ES", first_level_area="")]
    )
    assert sorted(_codes()) == ["ES-XX-0001", "IQ-NI-0001", "IQ-NI-0002"]


def test_raw_sql_inserts_get_a_code_too():
    template = SiteFactory(first_level_area="IQ-SD", country="IQ", name="Camp Speicher")
    overrides = {"id": "gen_random_uuid()", "reference_code": "''", "name": "'Speicher second grave'"}
    columns = [field.column for field in Site._meta.concrete_fields if not field.generated]
    values = [overrides.get(column, f'"{column}"') for column in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO sites_site ({', '.join(columns)}) SELECT {', '.join(values)} "
            "FROM sites_site WHERE id = %s RETURNING reference_code",
            [template.pk],
        )
        assert cursor.fetchone()[0] == "IQ-SD-0002"


def test_an_explicit_code_moves_the_counter_past_itself():
    SiteFactory(first_level_area="IQ-NI")
    Site.objects.bulk_create([SiteFactory.build(first_level_area="IQ-NI", reference_code="IQ-NI-0040")])
    assert SiteFactory(first_level_area="IQ-NI").reference_code == "IQ-NI-0041"


def test_an_explicit_code_below_the_counter_does_not_move_it_back():
    for _ in range(3):
        SiteFactory(first_level_area="IQ-NI")
    site = SiteFactory.build(first_level_area="IQ-NI", reference_code="IQ-NI-0002")
    with refused_by_database("sites_site_reference_code_key"):
        Site.objects.bulk_create([site])
    assert SiteFactory(first_level_area="IQ-NI").reference_code == "IQ-NI-0004"


def test_codes_are_never_reused_after_a_site_is_deleted():
    SiteFactory(first_level_area="IQ-NI")
    doomed = SiteFactory(first_level_area="IQ-NI")
    VictimEstimateFactory(site=doomed)
    assert doomed.reference_code == "IQ-NI-0002"
    delete_as_administrator("sites_victimestimate", where="site_id = %s", params=[doomed.pk])
    delete_as_administrator("sites_site", where="id = %s", params=[doomed.pk])
    assert not Site.objects.filter(pk=doomed.pk).exists()

    assert SiteFactory(first_level_area="IQ-NI").reference_code == "IQ-NI-0003"


def test_a_code_cannot_be_changed_once_given():
    site = SiteFactory()
    with refused_by_database("Cannot update rows from sites_site table"):
        update_row(site, reference_code="IQ-NI-9999")


def test_a_code_cannot_be_blanked():
    site = SiteFactory()
    with refused_by_database("Cannot update rows from sites_site table"):
        update_row(site, reference_code="")


def test_other_fields_change_freely_while_the_code_stays():
    site = SiteFactory(name="Khasfa")
    site.name = "al-Khasfa sinkhole"
    site.save()
    site.refresh_from_db()
    assert (site.reference_code, site.name) == ("IQ-NI-0001", "al-Khasfa sinkhole")


def test_codes_past_9999_keep_all_their_digits():
    Site.objects.bulk_create([SiteFactory.build(first_level_area="IQ-NI", reference_code="IQ-NI-9999")])
    assert SiteFactory(first_level_area="IQ-NI").reference_code == "IQ-NI-10000"
