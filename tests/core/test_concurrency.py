"""Two people editing one record: the second save is refused and shown what changed."""

import pytest
from django import forms
from django.db import connection
from django.urls import reverse

from gravesdb.core.history import acting
from gravesdb.core.models import ConcurrentEdit
from gravesdb.sites.models import Site, SiteRelation, VictimEstimate
from tests.factories import (
    ConsentPartnerFactory,
    SiteCitationFactory,
    SiteFactory,
    SiteRelationFactory,
    TestimonyCitationFactory,
    TestimonyFactory,
    TestimonySiteFactory,
    UserFactory,
    VictimEstimateFactory,
    WitnessIdentityFactory,
)

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


def _form_values(form) -> dict:
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, list) and not isinstance(field, forms.MultipleChoiceField):
            value = ",".join(value)
        if value is not None:
            data[form.add_prefix(name)] = value
    return data


def _change_form(client, record):
    """What the change page would post back untouched: the record's fields and every inline row."""
    page = client.get(reverse(f"admin:{record._meta.app_label}_{record._meta.model_name}_change", args=[record.pk]))
    data = _form_values(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(key): value for key, value in management.initial.items()})
        for form in formset.initial_forms:
            data.update(_form_values(form))
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


def test_a_change_form_posted_without_its_version_is_refused(client_for, researcher):
    """A hand-made or scripted POST cannot skip the check by leaving the hidden field out."""
    site = SiteFactory(name="Badush prison grave", locality="")
    url = reverse("admin:sites_site_change", args=[site.pk])
    client = client_for(researcher)
    form = _change_form(client, site)
    assert form["expected_version"] == site.version
    del form["expected_version"]

    refused = client.post(url, {**form, "locality": "Badush"})
    assert refused.status_code == 200
    assert "did not say which version of the record it was opened at" in refused.content.decode()
    site.refresh_from_db()
    assert site.locality == ""
    # The add form asks for no version: there is nothing yet to have changed.
    assert 'name="expected_version"' not in client.get(reverse("admin:sites_site_add")).content.decode()


def _row_prefix(form, record):
    """The inline prefix ("estimates-0") of ``record``'s row in a posted change form."""
    return next(key.removesuffix("-id") for key, value in form.items() if key.endswith("-id") and str(value) == str(record.pk))


def test_a_stale_inline_row_is_refused_with_what_changed_and_nothing_is_saved(client_for, researcher):
    estimate = VictimEstimateFactory(best=120, wording="about 120", site__name="Hamam al-Alil grave", site__locality="")
    site = estimate.site
    url = reverse("admin:sites_site_change", args=[site.pk])
    client = client_for(researcher)
    mine = _change_form(client, site)
    row = _row_prefix(mine, estimate)
    assert mine[f"{row}-expected_version"] == estimate.version

    with acting(UserFactory(username="amira"), reason="Corrected from the exhumation report"):
        VictimEstimate.objects.filter(pk=estimate.pk).update(best=150, wording="about 150")

    mine.update({"locality": "Hamam al-Alil", f"{row}-high": "200", "change_reason": "Upper bound from the report"})
    refused = client.post(url, mine)
    assert refused.status_code == 200
    assert "Someone else saved this victim estimate while you were editing it (amira)" in refused.content.decode()
    assert "best: “120” → “150”" in refused.content.decode()
    estimate.refresh_from_db()
    site.refresh_from_db()
    assert (estimate.best, estimate.high, site.locality) == (150, None, "")

    # Reloaded, the same change goes through on top of amira's.
    fresh = _change_form(client, site)
    row = _row_prefix(fresh, estimate)
    fresh.update({"locality": "Hamam al-Alil", f"{row}-high": "200", "change_reason": "Upper bound from the report"})
    assert client.post(url, fresh).status_code == 302
    estimate.refresh_from_db()
    assert (estimate.best, estimate.high) == (150, 200)


def test_a_row_changed_elsewhere_but_not_written_here_does_not_block_the_save(client_for, researcher):
    """Only rows the save would write are checked: a row left alone overwrites nothing."""
    estimate = VictimEstimateFactory(notes="", site__locality="")
    site = estimate.site
    form = _change_form(client_for(researcher), site)
    # The notes are not on the site's page, so this row posts back unchanged.
    VictimEstimate.objects.filter(pk=estimate.pk).update(notes="Checked against the morgue list.")

    response = client_for(researcher).post(reverse("admin:sites_site_change", args=[site.pk]), {**form, "locality": "Badush"})
    assert response.status_code == 302
    estimate.refresh_from_db()
    site.refresh_from_db()
    assert (site.locality, estimate.notes) == ("Badush", "Checked against the morgue list.")


def test_an_inline_row_posted_without_its_version_is_refused(client_for, researcher):
    estimate = VictimEstimateFactory(best=120)
    site = estimate.site
    client = client_for(researcher)
    form = _change_form(client, site)
    row = _row_prefix(form, estimate)
    del form[f"{row}-expected_version"]

    refused = client.post(reverse("admin:sites_site_change", args=[site.pk]), {**form, f"{row}-best": "999"})
    assert refused.status_code == 200
    assert "did not say which version of the record it was opened at" in refused.content.decode()
    estimate.refresh_from_db()
    assert estimate.best == 120


def test_a_stale_row_cannot_be_deleted_either(admin_client):
    """Deleting a row someone has just corrected would lose the correction unseen."""
    relation = SiteRelationFactory(remains_count=None)
    site = relation.from_site
    form = _change_form(admin_client, site)
    row = _row_prefix(form, relation)
    SiteRelation.objects.filter(pk=relation.pk).update(remains_count=12)

    refused = admin_client.post(reverse("admin:sites_site_change", args=[site.pk]), {**form, f"{row}-DELETE": "on"})
    assert refused.status_code == 200
    assert "Someone else saved this site relation while you were editing it" in refused.content.decode()
    assert SiteRelation.objects.filter(pk=relation.pk).exists()


@pytest.mark.parametrize(
    "record",
    [
        lambda: VictimEstimateFactory(site=SiteRelationFactory().from_site).site,
        lambda: SiteCitationFactory().site,
        lambda: TestimonyFactory(witness=WitnessIdentityFactory().witness).witness,
        lambda: ConsentPartnerFactory().consent,
        lambda: TestimonyCitationFactory(testimony=TestimonySiteFactory().testimony).testimony,
    ],
    ids=["site", "site-citations", "witness", "consent", "testimony"],
)
def test_every_editable_inline_row_carries_its_version(admin_client, record):
    record = record()
    page = admin_client.get(reverse(f"admin:{record._meta.app_label}_{record._meta.model_name}_change", args=[record.pk]))
    html = page.content.decode()
    rows = 0
    for inline in page.context["inline_admin_formsets"]:
        for form in inline.formset.initial_forms:
            if not inline.has_change_permission:
                assert form.add_prefix("expected_version") not in html  # read-only rows: nothing to check
                continue
            rows += 1
            assert f'type="hidden" name="{form.add_prefix("expected_version")}" value="{form.instance.version}"' in html
    assert rows >= 1


def test_the_diff_does_not_show_values_the_editor_may_not_see(client_for, researcher):
    """A researcher sees districts, not spots: a stale save must not reveal the coordinates either."""
    site = SiteFactory(latitude="36.188123", longitude="43.139456", locality="")
    form = _change_form(client_for(researcher), site)
    with acting(UserFactory(username="amira"), reason="GPS survey"):
        Site.objects.filter(pk=site.pk).update(latitude="36.199871", name="Survey name")

    refused = client_for(researcher).post(reverse("admin:sites_site_change", args=[site.pk]), {**form, "locality": "Badush"})
    page = refused.content.decode()
    assert "Someone else saved this record while you were editing it (amira)" in page
    assert "“Survey name”" in page and "latitude: (not shown to you)" in page
    assert "36.199871" not in page and "36.188123" not in page
