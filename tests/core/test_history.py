"""The change history: every insert, update and delete, by any path, with who and why.

pghistory's triggers write the events, so these tests go through the paths that
signal-based history misses (bulk_create, QuerySet.update(), raw SQL) as well as
save() and delete().
"""

import pytest
from django.apps import apps
from django.db import connection
from pghistory.models import Events

from gravesdb.core.history import acting
from gravesdb.sites.models import Site
from gravesdb.sources.models import Organization
from tests.core.db import refused_by_database, update_row
from tests.factories import FACTORY_FOR_MODEL, OrganizationFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


def _events(obj) -> list:
    return list(Events.objects.tracks(obj).order_by("pgh_id"))


def _labels(obj) -> list[str]:
    return [event.pgh_label for event in _events(obj)]


class TestEveryPathIsRecorded:
    def test_save_records_insert_and_update_with_old_and_new_values(self):
        site = SiteFactory(name="Khasfa", status="reported")
        site.name = "al-Khasfa sinkhole"
        site.alternative_names = ["Khasfa", "الخسفة"]
        site.save()

        insert, update = _events(site)
        assert (insert.pgh_label, update.pgh_label) == ("insert", "update")
        assert insert.pgh_data["name"] == "Khasfa"
        assert update.pgh_diff["name"] == ["Khasfa", "al-Khasfa sinkhole"]
        assert update.pgh_diff["alternative_names"][1] == ["Khasfa", "الخسفة"]

    def test_delete_records_the_row_as_it_was(self):
        organization = OrganizationFactory(name="Iraqi Observatory for Human Rights")
        organization_id = organization.pk
        organization.delete()

        event_model = Organization.pgh_event_models["delete"]
        deleted = event_model.objects.get(pgh_obj_id=organization_id, pgh_label="delete")
        assert deleted.name == "Iraqi Observatory for Human Rights"

    def test_bulk_create_is_recorded(self):
        created = Site.objects.bulk_create([SiteFactory.build(), SiteFactory.build()])
        assert [_labels(site) for site in created] == [["insert"], ["insert"]]

    def test_queryset_update_is_recorded_with_its_diff(self):
        site = SiteFactory(sensitivity="restricted")
        update_row(site, sensitivity="confidential")

        assert _labels(site) == ["insert", "update"]
        assert _events(site)[-1].pgh_diff["sensitivity"] == ["restricted", "confidential"]

    def test_raw_sql_update_is_recorded_with_its_diff(self):
        site = SiteFactory(alleged_perpetrator="Islamic State")
        with connection.cursor() as cursor:
            cursor.execute("UPDATE sites_site SET alleged_perpetrator = 'ISIL' WHERE id = %s", [site.pk])

        assert _events(site)[-1].pgh_diff["alleged_perpetrator"] == ["Islamic State", "ISIL"]

    def test_raw_sql_delete_is_recorded(self):
        organization = OrganizationFactory()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM sources_organization WHERE id = %s", [organization.pk])

        assert _labels(organization) == ["insert", "delete"]

    def test_an_update_that_changes_nothing_adds_no_event(self):
        site = SiteFactory(name="Kocho village grave")
        update_row(site, name="Kocho village grave")
        with connection.cursor() as cursor:
            cursor.execute("UPDATE sites_site SET name = name WHERE id = %s", [site.pk])

        assert _labels(site) == ["insert"]


class TestWhoAndWhy:
    def test_events_inside_acting_carry_the_user_and_the_reason(self):
        researcher = UserFactory(username="layla")
        with acting(researcher, reason="Figures from the HRW report of February 2017"):
            site = SiteFactory()
            update_row(site, locality="Hamam al-Alil")

        for event in _events(site):
            assert event.pgh_context["user"] == researcher.pk
            assert event.pgh_context["username"] == "layla"
            assert event.pgh_context["reason"] == "Figures from the HRW report of February 2017"

    def test_one_action_shares_one_context(self):
        with acting(UserFactory(), reason="Entered from the seed article"):
            site = SiteFactory()
            organization = OrganizationFactory()

        assert _events(site)[0].pgh_context_id == _events(organization)[0].pgh_context_id

    def test_a_management_command_without_a_user_still_records_its_reason(self):
        with acting(None, reason="Nightly import of the Spanish map of graves"):
            site = SiteFactory(spanish=True)

        context = _events(site)[0].pgh_context
        assert context["reason"] == "Nightly import of the Spanish map of graves"
        assert "user" not in context

    def test_changes_outside_acting_have_no_context(self):
        site = SiteFactory()
        assert _events(site)[0].pgh_context is None


DOMAIN_APPS = ("sources", "sites", "testimony")


def _event_models(apps_only=None):
    return sorted(
        (
            model
            for model in apps.get_models()
            if hasattr(model, "pgh_tracked_model")
            and (apps_only is None or model.pgh_tracked_model._meta.app_label in apps_only)
        ),
        key=lambda model: model._meta.label,
    )


def test_every_domain_model_is_tracked():
    tracked = {model.pgh_tracked_model for model in _event_models()}
    domain = {
        model
        for model in apps.get_models()
        if model._meta.app_label in DOMAIN_APPS and not hasattr(model, "pgh_tracked_model")
    }
    assert domain - tracked == set()


@pytest.mark.parametrize("event_model", _event_models(DOMAIN_APPS), ids=lambda model: model._meta.label)
def test_event_tables_refuse_update_and_delete(event_model):
    obj = FACTORY_FOR_MODEL[event_model.pgh_tracked_model]()
    table = event_model._meta.db_table
    assert event_model.objects.filter(pgh_obj_id=obj.pk).exists()

    with refused_by_database(f"rows from {table} table"):
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET pgh_label = 'rewritten' WHERE pgh_obj_id = %s", [obj.pk])
    with refused_by_database(f"rows from {table} table"):
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE pgh_obj_id = %s", [obj.pk])


def test_every_event_table_of_every_app_carries_the_append_only_trigger():
    tables = sorted(model._meta.db_table for model in _event_models())
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT c.relname FROM pg_class c JOIN pg_trigger t ON t.tgrelid = c.oid
            WHERE c.relname = ANY(%s) AND t.tgname LIKE 'pgtrigger_append_only_%%' AND t.tgenabled <> 'D'
            ORDER BY c.relname
            """,
            [tables],
        )
        assert [name for (name,) in cursor.fetchall()] == tables
