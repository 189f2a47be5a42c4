"""The site and estimate filters: each question returns the sites a researcher expects, once each."""

import pytest
from django.utils import timezone

from gravesdb.core.choices import Sensitivity
from gravesdb.sites.choices import CountType, ProtectionStatus, SiteStatus, SiteType
from gravesdb.sites.filtersets import SiteFilterSet, VictimEstimateFilterSet
from gravesdb.sites.models import Site, VictimEstimate
from tests.factories import (
    CitationFactory,
    OrganizationFactory,
    SiteCitationFactory,
    SiteFactory,
    SourceFactory,
    VictimEstimateFactory,
)

pytestmark = pytest.mark.django_db


def _names(params):
    filterset = SiteFilterSet(params, queryset=Site.objects.all())
    assert filterset.is_valid(), filterset.errors
    return sorted(filterset.qs.values_list("name", flat=True))


@pytest.fixture
def khasfa():
    return SiteFactory(
        name="Khasfa sinkhole",
        site_type=SiteType.SINKHOLE,
        status=SiteStatus.VERIFIED,
        protection_status=ProtectionStatus.FENCED,
        second_level_area="Mosul District",
        alleged_perpetrator="Islamic State",
        period="2014-06/2016-12",
        sensitivity=Sensitivity.PUBLIC,
    )


@pytest.fixture
def viznar():
    return SiteFactory(spanish=True, name="Barranco de Víznar", site_type=SiteType.TRENCH, sensitivity=Sensitivity.RESTRICTED)


def test_filters_on_the_site_itself(khasfa, viznar):
    assert _names({"country": "ES"}) == ["Barranco de Víznar"]
    assert _names({"country": "IQ", "first_level_area": "iq-ni"}) == ["Khasfa sinkhole"]
    assert _names({"second_level_area": "mosul"}) == ["Khasfa sinkhole"]
    assert _names({"status": "verified"}) == ["Khasfa sinkhole"]
    assert _names({"site_type": "trench"}) == ["Barranco de Víznar"]
    assert _names({"protection_status": "fenced"}) == ["Khasfa sinkhole"]
    assert _names({"perpetrator": "nationalist"}) == ["Barranco de Víznar"]
    assert _names({"sensitivity": "restricted"}) == ["Barranco de Víznar"]


def test_period_filters_keep_sites_whose_period_overlaps(khasfa, viznar):
    assert _names({"period_from": "2015"}) == ["Khasfa sinkhole"]
    assert _names({"period_to": "1936-09"}) == ["Barranco de Víznar"]
    assert _names({"period_from": "1936", "period_to": "2014-06"}) == ["Barranco de Víznar", "Khasfa sinkhole"]
    assert _names({"period_from": "2017"}) == []


def test_an_unreadable_date_is_a_form_error_not_a_crash(khasfa):
    filterset = SiteFilterSet({"period_from": "last spring"}, queryset=Site.objects.all())
    assert not filterset.is_valid()
    assert "period_from" in filterset.errors


def test_count_type_and_at_least_n_victims_count_each_site_once(khasfa, viznar):
    for best in (100, 250, 4000):
        VictimEstimateFactory(site=khasfa, count_type=CountType.REPORTED, best=best)
    VictimEstimateFactory(site=viznar, count_type=CountType.EXHUMED, low=None, best=None, high=120)
    assert _names({"count_type": "reported"}) == ["Khasfa sinkhole"]
    assert _names({"count_type": "exhumed"}) == ["Barranco de Víznar"]
    assert _names({"min_victims": "120"}) == ["Barranco de Víznar", "Khasfa sinkhole"]
    assert _names({"min_victims": "300"}) == ["Khasfa sinkhole"]
    assert _names({"min_victims": "5000"}) == []


def test_a_withdrawn_figure_no_longer_reaches_at_least_n(khasfa):
    kept = VictimEstimateFactory(site=khasfa, low=None, best=40, high=None)
    withdrawn = VictimEstimateFactory(site=khasfa, low=None, best=None, high=3000)
    VictimEstimate.objects.filter(pk=withdrawn.pk).update(archived_at=timezone.now())
    assert _names({"min_victims": "40"}) == ["Khasfa sinkhole"]
    assert _names({"min_victims": "1000"}) == []  # as the reconciled range shown beside it: 40, not 3,000
    assert Site.objects.with_reconciled_range().get(pk=kept.site_id).reconciled_high == 40


def test_organisation_filter_covers_figures_produced_and_sources_published(khasfa, viznar):
    hrw = OrganizationFactory(name="Human Rights Watch")
    aranzadi = OrganizationFactory(name="Sociedad de Ciencias Aranzadi")
    VictimEstimateFactory(site=khasfa, producing_organization=hrw)
    SiteCitationFactory(site=viznar, citation=CitationFactory(source=SourceFactory(publisher=aranzadi)))
    assert _names({"organization": str(hrw.pk)}) == ["Khasfa sinkhole"]
    assert _names({"organization": str(aranzadi.pk)}) == ["Barranco de Víznar"]


def test_source_filter_finds_sites_cited_directly_or_through_an_estimate(khasfa, viznar):
    article = SourceFactory(title="Iraqi forces advance in western Mosul")
    VictimEstimateFactory(site=khasfa, citation=CitationFactory(source=article))
    VictimEstimateFactory(site=khasfa, citation=CitationFactory(source=article))
    SiteCitationFactory(site=viznar, citation=CitationFactory(source=article))
    SiteFactory(name="Uncited grave")
    assert _names({"source": str(article.pk)}) == ["Barranco de Víznar", "Khasfa sinkhole"]


def test_estimate_filters(khasfa, viznar):
    hrw = OrganizationFactory(name="Human Rights Watch")
    VictimEstimateFactory(site=khasfa, producing_organization=hrw, as_of="2016-11", count_type=CountType.REPORTED)
    VictimEstimateFactory(site=viznar, as_of="2019", count_type=CountType.EXHUMED, best=None, high=120)

    def sites(params):
        filterset = VictimEstimateFilterSet(params, queryset=VictimEstimate.objects.all())
        assert filterset.is_valid(), filterset.errors
        return sorted(filterset.qs.values_list("site__name", flat=True))

    assert sites({"site": khasfa.reference_code}) == ["Khasfa sinkhole"]
    assert sites({"organization": str(hrw.pk)}) == ["Khasfa sinkhole"]
    assert sites({"count_type": "exhumed"}) == ["Barranco de Víznar"]
    assert sites({"as_of_from": "2018"}) == ["Barranco de Víznar"]
    assert sites({"as_of_to": "2016"}) == ["Khasfa sinkhole"]
    assert sites({"as_of_to": "2015"}) == []


def test_withdrawn_estimates_and_citations_match_no_filter(khasfa):
    hrw = OrganizationFactory(name="Human Rights Watch")
    report = SourceFactory(title="Withdrawn report")
    withdrawn = VictimEstimateFactory(
        site=khasfa, count_type=CountType.IDENTIFIED, producing_organization=hrw, citation=CitationFactory(source=report)
    )
    cited = SiteCitationFactory(site=khasfa, citation=CitationFactory(source=SourceFactory(publisher=hrw)))
    params = [{"count_type": "identified"}, {"organization": str(hrw.pk)}, {"source": str(report.pk)}]
    assert [_names(p) for p in params] == [["Khasfa sinkhole"]] * 3
    VictimEstimate.objects.filter(pk=withdrawn.pk).update(archived_at=timezone.now())
    type(cited).objects.filter(pk=cited.pk).update(archived_at=timezone.now())
    assert [_names(p) for p in params] == [[], [], []]
