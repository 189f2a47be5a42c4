"""Merging duplicate sites: nothing lost, one audited action, undone exactly."""

from decimal import Decimal

import pghistory.models
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from gravesdb.core.choices import Sensitivity
from gravesdb.dedup.models import SiteMerge
from gravesdb.dedup.services import merge_undo, site_links, sites_merge
from gravesdb.exchange.reports import ReportRequest, export_report
from gravesdb.exchange.services import records_import
from gravesdb.sites.choices import CountType, LocationPrecision, SiteStatus
from gravesdb.sites.models import Site, SiteCitation, SiteRelation, SiteStatusChange, VictimEstimate
from gravesdb.sites.services import site_change_status
from gravesdb.testimony import models as testimony
from tests.factories import (
    CitationFactory,
    SiteCitationFactory,
    SiteFactory,
    SiteRelationFactory,
    SourceFactory,
    TestimonySiteFactory,
    VictimEstimateFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def khasfa(data_manager):
    """The Khasfa sinkhole as three lists recorded it: a UN report, an NGO, a newspaper."""
    un = SiteFactory(
        name="Khasfa sinkhole",
        alternative_names=["al-Khasfa"],
        latitude=Decimal("36.188000"),
        longitude=Decimal("43.139000"),
        location_precision=LocationPrecision.APPROXIMATE,
        sensitivity=Sensitivity.RESTRICTED,
    )
    ngo = SiteFactory(
        name="الخسفة",
        alternative_names=["Khafsa"],
        latitude=Decimal("36.190100"),
        longitude=Decimal("43.141500"),
        location_precision=LocationPrecision.EXACT,
        sensitivity=Sensitivity.CONFIDENTIAL,
        description="",
    )
    paper = SiteFactory(
        name="Khasfa",
        alternative_names=[],
        latitude=None,
        longitude=None,
        location_precision=LocationPrecision.UNKNOWN,
        sensitivity=Sensitivity.PUBLIC,
    )
    for site in (un, ngo, paper):
        site_change_status(site=site, to_status=SiteStatus.REPORTED, changed_on="2017-02", reason="Reported", actor=data_manager)
    return un, ngo, paper


def _merge(survivor, merged, actor, **kwargs):
    return sites_merge(survivor=survivor, merged=merged, reason="One sinkhole under three spellings", actor=actor, **kwargs)


def _evidence_rows():
    """Every row that says something about a site, without the columns a save stamps."""
    stamped = {"updated_at", "updated_by_id", "version"}
    rows = []
    for model in [Site, *site_links()]:
        for row in model.objects.order_by("pk").values():
            rows.append((model._meta.label, {k: v for k, v in row.items() if k not in stamped}))
    return rows


def _reports(user, folder) -> tuple[bytes, bytes]:
    """The auditor's site report and estimates report (gravesdb.exchange), as the bytes of their CSV files."""
    files = []
    for estimates in (False, True):
        path = folder / f"report-{estimates}-{len(list(folder.iterdir()))}.csv"
        export_report(ReportRequest(user=user, estimates=estimates), path=path)
        files.append(path.read_bytes())
    return tuple(files)


class TestMerge:
    def test_every_estimate_citation_testimony_and_relation_moves_to_the_survivor(self, khasfa, data_manager):
        un, ngo, paper = khasfa
        estimates = [VictimEstimateFactory(site=s) for s in (un, ngo, ngo, paper)]
        site_citation = SiteCitationFactory(site=ngo)
        testimony_link = TestimonySiteFactory(site=paper)
        relation = SiteRelationFactory(from_site=ngo)

        _merge(un, [ngo, paper], data_manager)

        assert set(VictimEstimate.objects.filter(site=un)) == set(estimates)
        assert SiteCitation.objects.get(pk=site_citation.pk).site == un
        assert testimony.TestimonySite.objects.get(pk=testimony_link.pk).site == un
        assert SiteRelation.objects.get(pk=relation.pk).from_site == un

    def test_merged_away_sites_stay_as_redirects_and_their_codes_resolve(self, khasfa, data_manager):
        un, ngo, paper = khasfa
        _merge(un, [ngo, paper], data_manager)

        assert Site.objects.count() == 3
        assert set(Site.objects.current()) == {un}
        for site in (ngo, paper):
            site.refresh_from_db()
            assert site.merged_into == un
            assert Site.objects.resolve_code(site.reference_code) == un

    def test_a_code_resolves_through_a_chain_of_merges(self, khasfa, data_manager):
        un, ngo, paper = khasfa
        _merge(ngo, [paper], data_manager)
        _merge(un, [ngo], data_manager)

        assert Site.objects.resolve_code(paper.reference_code) == un

    def test_the_survivor_keeps_every_name_and_the_strictest_sensitivity(self, khasfa, data_manager):
        un, ngo, paper = khasfa
        _merge(un, [ngo, paper], data_manager)

        un.refresh_from_db()
        assert un.name == "Khasfa sinkhole"
        assert un.alternative_names == ["al-Khasfa", "Khafsa", "الخسفة", "Khasfa"]
        assert un.sensitivity == Sensitivity.CONFIDENTIAL

    def test_values_are_chosen_field_by_field(self, khasfa, data_manager):
        un, ngo, paper = khasfa
        _merge(un, [ngo, paper], data_manager, choices={"name": paper, "location": ngo})

        un.refresh_from_db()
        assert un.name == "Khasfa"
        assert (un.latitude, un.longitude, un.location_precision) == (
            Decimal("36.190100"),
            Decimal("43.141500"),
            LocationPrecision.EXACT,
        )
        assert "Khasfa sinkhole" in un.alternative_names

    def test_a_citation_both_sites_carry_stays_once_on_the_survivor(self, khasfa, data_manager):
        un, ngo, _paper = khasfa
        citation = CitationFactory()
        SiteCitationFactory(site=un, citation=citation)
        duplicate = SiteCitationFactory(site=ngo, citation=citation)

        merge = _merge(un, [ngo], data_manager)

        assert SiteCitation.objects.filter(site=un, citation=citation).count() == 1
        assert SiteCitation.objects.get(pk=duplicate.pk).site == ngo, "kept, not deleted"
        assert [row["pk"] for row in merge.before["kept_rows"]] == [str(duplicate.pk)]

    def test_a_relation_between_the_duplicates_is_kept_not_turned_into_a_loop(self, khasfa, data_manager):
        un, ngo, _paper = khasfa
        relation = SiteRelationFactory(from_site=ngo, to_site=un)

        merge = _merge(un, [ngo], data_manager)

        relation.refresh_from_db()
        assert (relation.from_site, relation.to_site) == (ngo, un)
        assert "itself" in merge.before["kept_rows"][0]["why"]

    def test_status_histories_stay_with_their_sites_and_are_listed_in_the_record(self, khasfa, data_manager):
        un, ngo, _paper = khasfa
        site_change_status(site=ngo, to_status=SiteStatus.VERIFIED, changed_on="2017-03", reason="Visited", actor=data_manager)
        ngo_steps = list(SiteStatusChange.objects.filter(site=ngo).values_list("pk", flat=True))

        merge = _merge(un, [ngo], data_manager)

        assert list(SiteStatusChange.objects.filter(site=ngo).values_list("pk", flat=True)) == ngo_steps
        un.refresh_from_db()
        assert un.status == SiteStatus.REPORTED
        history = merge.before["status_histories"][str(ngo.pk)]
        assert history == {"status": SiteStatus.VERIFIED, "status_changes": [str(pk) for pk in ngo_steps]}

    def test_the_merge_is_one_audited_action_with_the_full_before_state(self, khasfa, data_manager):
        un, ngo, paper = khasfa
        estimate = VictimEstimateFactory(site=ngo)

        merge = _merge(un, [ngo, paper], data_manager)

        assert merge.created_by == data_manager
        assert merge.before["sites"][str(ngo.pk)]["name"] == "الخسفة"
        assert merge.before["moved_rows"] == [
            {
                "model": "sites.victimestimate",
                "pk": str(estimate.pk),
                "fields": {"site": str(ngo.pk)},
                "updated_at": estimate.updated_at.isoformat(),
                "updated_by": None,
                "version": 1,
            }
        ]
        events = pghistory.models.Events.objects.filter(pgh_context_id=_context_of(merge))
        labels = {event.pgh_model for event in events}
        assert {"sites.SiteEvent", "sites.VictimEstimateEvent", "dedup.SiteMergeEvent"} <= labels
        for event in events:
            assert event.pgh_context["username"] == data_manager.username
            assert event.pgh_context["reason"] == "One sinkhole under three spellings"

    def test_only_a_data_manager_may_merge(self, khasfa, researcher):
        un, ngo, _paper = khasfa
        with pytest.raises(PermissionDenied):
            _merge(un, [ngo], researcher)
        ngo.refresh_from_db()
        assert ngo.merged_into is None

    def test_a_merged_away_site_cannot_be_merged_again(self, khasfa, data_manager):
        un, ngo, paper = khasfa
        _merge(un, [ngo], data_manager)
        with pytest.raises(ValidationError):
            _merge(paper, [ngo], data_manager)

    def test_a_failed_merge_changes_nothing(self, khasfa, data_manager):
        un, ngo, _paper = khasfa
        VictimEstimateFactory(site=ngo)
        before = _evidence_rows()
        with pytest.raises(ValidationError):
            _merge(un, [ngo], data_manager, choices={"name": CitationFactory()})
        assert _evidence_rows() == before


def _context_of(merge):
    return SiteMerge.pgh_event_model.objects.get(pgh_obj=merge, pgh_label="insert").pgh_context_id


class TestCountsAfterMerge:
    def test_the_survivors_range_covers_every_lists_figures(self, khasfa, data_manager):
        un, ngo, paper = khasfa
        VictimEstimateFactory(site=un, count_type=CountType.REPORTED, low=None, best=4000, high=None)
        VictimEstimateFactory(site=ngo, count_type=CountType.ESTIMATED, low=3000, best=3500, high=5000)
        VictimEstimateFactory(site=paper, count_type=CountType.REPORTED, low=None, best=None, high=6000)

        _merge(un, [ngo, paper], data_manager)

        site = Site.objects.with_reconciled_range().get(pk=un.pk)
        assert (site.reconciled_low, site.reconciled_high) == (3000, 6000)
        assert site.estimate_count == 3

    def test_one_original_source_copied_by_two_lists_counts_once(self, khasfa, data_manager):
        """Two organisations took "some 4,000" from the same Reuters story: one source, not two."""
        un, ngo, _paper = khasfa
        reuters = SourceFactory(title="Reuters, 18 February 2017")
        VictimEstimateFactory(site=un, best=4000, citation=CitationFactory(source=reuters, locator="para. 3"))
        VictimEstimateFactory(site=ngo, best=4000, citation=CitationFactory(source=reuters, locator="para. 4"))
        VictimEstimateFactory(site=ngo, best=3500)

        _merge(un, [ngo], data_manager)

        site = Site.objects.with_reconciled_range().get(pk=un.pk)
        assert site.estimate_count == 3
        assert site.source_count == 2


class TestUndo:
    def test_undo_restores_the_sites_exactly_and_the_report_is_byte_identical(self, khasfa, data_manager, tmp_path):
        un, ngo, paper = khasfa
        citation = CitationFactory()
        for site in (un, ngo, paper):
            VictimEstimateFactory(site=site)
        SiteCitationFactory(site=un, citation=citation)
        SiteCitationFactory(site=ngo, citation=citation)
        SiteCitationFactory(site=paper)
        TestimonySiteFactory(site=ngo)
        SiteRelationFactory(from_site=paper, to_site=ngo)
        SiteRelationFactory(from_site=ngo)
        rows_before, reports_before = _evidence_rows(), _reports(data_manager, tmp_path)

        merge = _merge(un, [ngo, paper], data_manager, choices={"name": ngo, "location": ngo, "period": paper})
        site_report, estimates_report = _reports(data_manager, tmp_path)
        assert site_report != reports_before[0] and estimates_report != reports_before[1]
        merge_undo(merge=merge, reason="Two graves after all: the survey found a second pit", actor=data_manager)

        assert _evidence_rows() == rows_before
        assert _reports(data_manager, tmp_path) == reports_before
        merge.refresh_from_db()
        assert merge.is_undone and merge.undone_by == data_manager
        assert Site.objects.resolve_code(ngo.reference_code) == ngo

    def test_undo_is_refused_while_a_later_merge_depends_on_it(self, khasfa, data_manager):
        un, ngo, paper = khasfa
        first = _merge(un, [ngo], data_manager)
        _merge(un, [paper], data_manager)
        with pytest.raises(ValidationError, match="later merge"):
            merge_undo(merge=first, reason="Wrong", actor=data_manager)

    def test_undo_is_refused_when_the_survivor_was_edited_since(self, khasfa, data_manager):
        un, ngo, _paper = khasfa
        merge = _merge(un, [ngo], data_manager)
        un.refresh_from_db()
        un.description = "Fenced by the municipality in 2018."
        un.save()
        with pytest.raises(ValidationError, match="description"):
            merge_undo(merge=merge, reason="Wrong", actor=data_manager)

    def test_only_a_data_manager_may_undo(self, khasfa, data_manager, researcher):
        un, ngo, _paper = khasfa
        merge = _merge(un, [ngo], data_manager)
        with pytest.raises(PermissionDenied):
            merge_undo(merge=merge, reason="Wrong", actor=researcher)

    def test_a_merge_is_undone_once(self, khasfa, data_manager):
        un, ngo, _paper = khasfa
        merge = _merge(un, [ngo], data_manager)
        merge_undo(merge=merge, reason="Wrong", actor=data_manager)
        with pytest.raises(ValidationError, match="already"):
            merge_undo(merge=merge, reason="Wrong", actor=data_manager)


def test_status_changes_still_refuse_updates_after_a_merge(khasfa, data_manager):
    """The merge leaves status history alone because the database forbids rewriting it."""
    un, ngo, _paper = khasfa
    _merge(un, [ngo], data_manager)
    with pytest.raises(Exception), transaction.atomic():
        SiteStatusChange.objects.filter(site=ngo).update(site=un)


def test_every_link_to_a_site_is_moved_except_status_history_and_redirects():
    moved = {model._meta.label: sorted(fields) for model, fields in site_links().items()}
    assert {label: fields for label, fields in moved.items() if label.startswith(("sites.", "testimony."))} == {
        "sites.SiteCitation": ["site"],
        "sites.SiteRelation": ["from_site", "to_site"],
        "sites.VictimEstimate": ["site"],
        "testimony.TestimonySite": ["site"],
    }


def test_an_import_naming_a_merged_away_code_lands_on_the_survivor(khasfa, data_manager):
    un, ngo, paper = khasfa
    _merge(ngo, [paper], data_manager)
    _merge(un, [ngo], data_manager)
    citation = CitationFactory()
    text = f"site,count_type,best,as_of,citation\n{paper.reference_code},reported,120,2017-03,{citation.pk}\n"

    outcome = records_import(model="estimates", data=text.encode(), file_name="partner.csv", actor=data_manager)

    assert outcome.ok, outcome.errors
    assert VictimEstimate.objects.get(citation=citation).site == un


def test_resolve_code_raises_for_an_unknown_code():
    with pytest.raises(Site.DoesNotExist):
        Site.objects.resolve_code("IQ-NI-9999")

