"""Evidence leaves the live record only by archiving, with a reason, and can come back."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from gravesdb.core.services import record_archive, record_restore
from gravesdb.sites.models import Site, VictimEstimate
from tests.core.db import refused_by_database
from tests.factories import CitationFactory, ConsentFactory, SiteFactory, SourceFactory, TestimonyFactory, VictimEstimateFactory

pytestmark = pytest.mark.django_db


def test_archiving_a_site_keeps_it_and_takes_its_estimates_along(data_manager):
    site = SiteFactory(name="Khasfa")
    estimate = VictimEstimateFactory(site=site, best=4000)
    record_archive(record=site, actor=data_manager, reason="Duplicate entry of IQ-NI-0002")

    site.refresh_from_db()
    estimate.refresh_from_db()
    assert site.archived_by == data_manager and site.archive_reason == "Duplicate entry of IQ-NI-0002"
    assert estimate.archived_at == site.archived_at and estimate.site == site
    assert not Site.objects.current().filter(pk=site.pk).exists()


def test_restoring_brings_back_what_was_archived_with_it_and_nothing_else(data_manager):
    site = SiteFactory()
    kept_archived = VictimEstimateFactory(site=site)
    record_archive(record=kept_archived, actor=data_manager, reason="Figure misread")
    estimate = VictimEstimateFactory(site=site)
    record_archive(record=site, actor=data_manager, reason="Entered by mistake")

    record_restore(record=site, actor=data_manager, reason="It was not a mistake")
    site.refresh_from_db()
    assert site.archived_at is None
    assert VictimEstimate.objects.get(pk=estimate.pk).archived_at is None
    assert VictimEstimate.objects.get(pk=kept_archived.pk).archive_reason == "Figure misread"


def test_archive_needs_the_permission_and_a_reason(researcher, data_manager):
    site = SiteFactory()
    with pytest.raises(PermissionDenied):
        record_archive(record=site, actor=researcher, reason="Looks wrong")
    with pytest.raises(ValidationError, match="Give the reason"):
        record_archive(record=site, actor=data_manager, reason="  ")
    site.refresh_from_db()
    assert site.archived_at is None


@pytest.mark.parametrize(
    "factory", [SiteFactory, VictimEstimateFactory, SourceFactory, CitationFactory, TestimonyFactory, ConsentFactory]
)
def test_the_database_refuses_to_delete_evidence(factory):
    record = factory()
    with refused_by_database("evidence is archived, never deleted"):
        type(record).objects.filter(pk=record.pk).delete()
    assert type(record).objects.filter(pk=record.pk).exists()


def test_a_superuser_erasure_is_possible_only_when_named_and_is_recorded(db):
    from django.db import connection

    from gravesdb.audit.models import AuditEntry

    estimate = VictimEstimateFactory()
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('gravesdb.hard_delete_reason', 'Court order 12/2026', true)")
        cursor.execute("DELETE FROM sites_victimestimate WHERE id = %s", [estimate.pk])
        cursor.execute("SELECT set_config('gravesdb.hard_delete_reason', '', true)")
    entry = AuditEntry.objects.filter(object_id=str(estimate.pk)).latest("seq")
    assert (entry.label, entry.reason) == ("delete", "Court order 12/2026")


def test_no_delete_button_or_action_for_evidence_even_for_a_data_manager(client_for, data_manager):
    site = SiteFactory()
    client = client_for(data_manager)
    changelist = client.get(reverse("admin:sites_site_changelist")).content.decode()
    assert 'value="delete_selected"' not in changelist
    assert 'value="archive_selected"' in changelist
    change = client.get(reverse("admin:sites_site_change", args=[site.pk])).content.decode()
    assert reverse("admin:sites_site_delete", args=[site.pk]) not in change
    assert client.post(reverse("admin:sites_site_delete", args=[site.pk]), {"post": "yes"}).status_code == 403
    assert Site.objects.filter(pk=site.pk).exists()


def test_estimates_cannot_be_deleted_from_the_site_page(client_for, data_manager):
    site = SiteFactory()
    VictimEstimateFactory(site=site)
    page = client_for(data_manager).get(reverse("admin:sites_site_change", args=[site.pk]))
    estimates = next(f for f in page.context["inline_admin_formsets"] if f.formset.model is VictimEstimate)
    assert not estimates.formset.can_delete


def test_a_data_manager_archives_and_restores_through_the_admin_with_a_reason(client_for, data_manager):
    site = SiteFactory(name="Khasfa")
    client = client_for(data_manager)
    url = reverse("admin:sites_site_changelist")
    chosen = {"action": "archive_selected", "_selected_action": [str(site.pk)]}

    asked = client.post(url, chosen)
    assert asked.status_code == 200 and "Reason" in asked.content.decode()
    assert client.post(url, {**chosen, "confirm": "yes", "reason": ""}).status_code == 200
    site.refresh_from_db()
    assert site.archived_at is None

    done = client.post(url, {**chosen, "confirm": "yes", "reason": "Duplicate of IQ-NI-0002"})
    assert done.status_code == 302
    site.refresh_from_db()
    assert site.archive_reason == "Duplicate of IQ-NI-0002"

    assert "Khasfa" not in client.get(url).content.decode()
    assert "Khasfa" in client.get(url, {"archived": "yes"}).content.decode()

    # Restoring is done from the list of archived records, as a Data manager would.
    restored = client.post(
        url + "?archived=yes", {"action": "restore_selected", "_selected_action": [str(site.pk)], "confirm": "yes", "reason": "Not a duplicate"}
    )
    assert restored.status_code == 302
    site.refresh_from_db()
    assert site.archived_at is None
    assert "Khasfa" in client.get(url).content.decode()


def test_a_researcher_is_not_offered_archiving(client_for, researcher):
    site = SiteFactory()
    client = client_for(researcher)
    url = reverse("admin:sites_site_changelist")
    assert 'value="archive_selected"' not in client.get(url).content.decode()
    client.post(url, {"action": "archive_selected", "_selected_action": [str(site.pk)], "confirm": "yes", "reason": "x"})
    site.refresh_from_db()
    assert site.archived_at is None


def test_an_archived_figure_no_longer_counts_in_the_reconciled_range(data_manager):
    site = SiteFactory()
    VictimEstimateFactory(site=site, low=300, best=None, high=None)
    mistaken = VictimEstimateFactory(site=site, low=None, best=None, high=40000)
    record_archive(record=mistaken, actor=data_manager, reason="Typo: 4,000 in the source")
    row = Site.objects.with_reconciled_range().get(pk=site.pk)
    assert (row.reconciled_low, row.reconciled_high, row.estimate_count) == (300, 300, 1)
