"""Every change bumps a record's version, also on a table with generated columns, and migrations still run."""

import pytest
from django.db import DatabaseError, connection, transaction

from gravesdb.audit import guards
from gravesdb.sites.models import Site
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def test_a_change_bumps_the_version_and_a_no_op_does_not():
    site = SiteFactory(name="Khasfa sinkhole")
    Site.objects.filter(pk=site.pk).update(name="Khasfa sinkhole")
    assert Site.objects.get(pk=site.pk).version == site.version
    Site.objects.filter(pk=site.pk).update(name="al-Khasfa")
    assert Site.objects.get(pk=site.pk).version == site.version + 1


def test_a_migration_may_change_a_column_the_trigger_names():
    alter = "ALTER TABLE sites_site ALTER COLUMN locality TYPE varchar(300)"
    with pytest.raises(DatabaseError, match="used in a trigger definition"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(alter)
    guards.release_column_triggers(sender=None)  # what pre_migrate does
    with connection.cursor() as cursor:
        cursor.execute(alter)
    guards.install()  # what post_migrate does
    site = SiteFactory()
    Site.objects.filter(pk=site.pk).update(locality="Mosul")
    assert Site.objects.get(pk=site.pk).version == site.version + 1
