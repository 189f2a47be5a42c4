"""A site's dossier: the whole story on one page, within what the reader may see."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from gravesdb.core.choices import Sensitivity
from gravesdb.core.history import acting
from gravesdb.sites.choices import FigureQualifier
from gravesdb.sites.models import Site
from gravesdb.testimony.models import WitnessIdentity
from tests.factories import (
    SiteFactory,
    TestimonySiteFactory,
    VictimEstimateFactory,
)

pytestmark = pytest.mark.django_db


def _dossier(site):
    return reverse("workspace:site_dossier", args=[site.reference_code])


@pytest.fixture
def seed(db):
    call_command("loaddata", "seed", verbosity=0)
    return Site.objects.get(name="Khasfa sinkhole")


def test_khasfa_dossier_shows_the_estimate_its_quote_and_the_testimony_by_pseudonym(client_for, researcher, seed):
    page = client_for(researcher).get(_dossier(seed)).content.decode()
    assert "Khasfa sinkhole" in page
    assert "4,000" in page and "some 4,000 IS victims" in page
    assert "The bodies of some 4,000 IS victims have been buried in the Khasfa sinkhole" in page
    assert "Reconciled range" in page and "1 source" in page
    assert "W-0001" in page
    for identity in WitnessIdentity.objects.all():
        assert identity.legal_name not in page


def test_the_range_chart_draws_one_bar_per_estimate_with_the_best_marked(client_for, researcher):
    site = SiteFactory()
    VictimEstimateFactory(site=site, low=200, best=300, high=450, qualifier=FigureQualifier.EXACT, as_of="2017-01")
    VictimEstimateFactory(site=site, best=4000, qualifier=FigureQualifier.APPROXIMATE, as_of="2017-02")
    response = client_for(researcher).get(_dossier(site))
    chart = response.context["chart"]
    assert len(chart.rows) == 3  # the reconciled range, then each estimate
    reconciled, ranged, single = chart.rows
    assert reconciled.reconciled and reconciled.bar_width > 2 and not reconciled.arrows
    assert ranged.bar_x < ranged.best_x < ranged.bar_x + ranged.bar_width and not ranged.approximate
    assert single.bar_width == 2 and single.best_x is not None and single.approximate  # a point: the dot alone
    assert "<svg" in response.content.decode()


def test_a_confidential_site_does_not_exist_for_a_researcher(client_for, researcher, auditor):
    site = SiteFactory(sensitivity=Sensitivity.CONFIDENTIAL)
    assert client_for(researcher).get(_dossier(site)).status_code == 404
    assert client_for(auditor).get(_dossier(site)).status_code == 200


def test_confidential_testimony_is_left_out_for_readers_without_the_permission(client_for, researcher, auditor):
    site = SiteFactory()
    TestimonySiteFactory(site=site, testimony__summary="Seen from the road at night.", testimony__sensitivity="restricted")
    TestimonySiteFactory(site=site, testimony__summary="Named the commander.", testimony__sensitivity="confidential")
    researcher_page = client_for(researcher).get(_dossier(site)).content.decode()
    assert "Seen from the road at night." in researcher_page and "Named the commander." not in researcher_page
    assert "Named the commander." in client_for(auditor).get(_dossier(site)).content.decode()


def test_edit_controls_only_for_those_who_may_edit(client_for, researcher, auditor):
    site = SiteFactory()
    assert "Edit this site" in client_for(researcher).get(_dossier(site)).content.decode()
    auditor_page = client_for(auditor).get(_dossier(site)).content.decode()
    assert "Edit this site" not in auditor_page and "Add an estimate" not in auditor_page


def test_the_timeline_says_who_changed_what_and_why(client_for, researcher):
    site = SiteFactory(alleged_perpetrator="unknown")
    with acting(researcher, reason="Corrected from the HRW report"):
        site.alleged_perpetrator = "Islamic State"
        site.save()
    timeline = client_for(researcher).get(_dossier(site)).context["timeline"]
    update = next(row for row in timeline if row["label"] == "update")
    assert update["user"] == "researcher" and update["reason"] == "Corrected from the HRW report"
    assert ("alleged_perpetrator", "unknown", "Islamic State") in update["changes"]


def test_the_timeline_hides_coordinates_from_readers_without_exact_location(client, coarse_reader):
    site = SiteFactory(latitude="36.188123", longitude="43.139456")
    with acting(None, reason="Moved after a field visit"):
        site.latitude = "36.190001"
        site.save()
    client.force_login(coarse_reader)
    page = client.get(_dossier(site)).content.decode()
    assert "36.188123" not in page and "36.190001" not in page
    assert "(hidden)" in page


def test_a_merged_site_leads_to_the_site_it_was_merged_into(client_for, researcher):
    survivor = SiteFactory()
    duplicate = SiteFactory()
    Site.objects.filter(pk=duplicate.pk).update(merged_into=survivor)
    response = client_for(researcher).get(_dossier(duplicate))
    assert response.status_code == 302 and response["Location"] == _dossier(survivor)


def test_the_dossier_prints_cleanly(client_for, researcher):
    page = client_for(researcher).get(_dossier(SiteFactory())).content.decode()
    assert 'workspace/print.css" media="print"' in page
