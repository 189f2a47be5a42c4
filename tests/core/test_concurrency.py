"""Two people editing one record: the second save is refused and shown what changed."""

import pytest
from django.db import connection
from django.urls import reverse

from gravesdb.core.history import acting
from gravesdb.core.models import ConcurrentEdit
from gravesdb.sites.models import Site
from tests.factories import SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_database_bumps_the_version_on_every_path():
    site = SiteFactory(locality="Badush")
    assert site.version == 1
    Site.objects.filter(pk=site.pk).update(locality="Badush village")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE sites_site SET description = 'raw' WHERE id = %s", [site.pk])
        cursor.execute("UPDATE sites_site SET version = 1 WHERE id = %s", [site.pk])
    site.refresh_from_db()
    # Setting the version by hand does not rewind it: every changed row moves it forward.
    assert site.version == 4


def test_a_save_from_a_stale_version_is_refused_and_explains_what_changed():
    site = SiteFactory(name="Khasfa")
    mine = Site.objects.get(pk=site.pk)
    with acting(UserFactory(username="amira"), reason="Survey spelling"):
        Site.objects.filter(pk=site.pk).update(name="al-Khasfa")

    mine.locality = "Khasfa village"
    with pytest.raises(ConcurrentEdit) as refusal:
        mine.save_checked(expected_version=mine.version)
    changes = refusal.value.changes()
    assert changes["by"] == ["amira"]
    assert ("name", "Khasfa", "al-Khasfa") in changes["fields"]
    site.refresh_from_db()
    assert (site.name, site.locality) == ("al-Khasfa", site.locality)


def test_a_save_from_the_current_version_goes_through_and_advances_it():
    site = SiteFactory()
    site.locality = "Badush"
    site.save_checked(expected_version=1)
    assert site.version == 2
    assert Site.objects.get(pk=site.pk).locality == "Badush"


def _change_form(client, site):
    page = client.get(reverse("admin:sites_site_change", args=[site.pk]))
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, list):
            value = ",".join(value)
        if value is not None:
            data[name] = value
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({management.add_prefix(key): value for key, value in management.initial.items()})
    return data


def test_the_admin_refuses_the_second_of_two_overlapping_saves_with_a_diff(client_for, researcher, data_manager):
    site = SiteFactory(name="Badush prison grave", locality="")
    url = reverse("admin:sites_site_change", args=[site.pk])
    first, second = client_for(researcher), None
    first_form = _change_form(first, site)
    from django.test import Client

    second = Client()
    second.force_login(data_manager)
    second_form = _change_form(second, site)

    first_form.update(name="Badush prison mass grave", change_reason="UNAMI report")
    assert first.post(url, first_form).status_code == 302

    second_form.update(locality="Badush", change_reason="Village named by witness")
    refused = second.post(url, second_form)
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Someone else saved this record while you were editing it (researcher)" in page
    assert "name: “Badush prison grave” → “Badush prison mass grave”" in page
    site.refresh_from_db()
    assert (site.name, site.locality) == ("Badush prison mass grave", "")

    # After reloading, the same change goes through.
    fresh = _change_form(second, site)
    fresh.update(locality="Badush", change_reason="Village named by witness")
    assert second.post(url, fresh).status_code == 302
    site.refresh_from_db()
    assert (site.name, site.locality) == ("Badush prison mass grave", "Badush")
