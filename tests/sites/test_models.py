"""Sites, estimates, status changes and relations: what the database refuses and stores."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from gravesdb.sites.choices import ALLOWED_TRANSITIONS, SiteStatus
from gravesdb.sites.models import Site, SiteCitation, SiteRelation, SiteStatusChange, VictimEstimate
from tests.core.db import refused_by_database, update_row
from tests.factories import (
    CitationFactory,
    SiteCitationFactory,
    SiteFactory,
    SiteRelationFactory,
    SiteStatusChangeFactory,
    VictimEstimateFactory,
)

pytestmark = pytest.mark.django_db


def _messages(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


class TestVictimEstimateConstraints:
    def test_an_estimate_needs_at_least_one_figure(self):
        estimate = VictimEstimateFactory(low=None, best=300, high=None)
        with refused_by_database("estimate_has_a_figure"):
            update_row(estimate, best=None)

    @pytest.mark.parametrize(
        ("figures", "constraint"),
        [
            ({"low": 500, "best": 300, "high": None}, "estimate_low_le_best"),
            ({"low": None, "best": 4000, "high": 3000}, "estimate_best_le_high"),
            ({"low": 5000, "best": None, "high": 4000}, "estimate_low_le_high"),
        ],
        ids=["low>best", "best>high", "low>high"],
    )
    def test_figures_must_be_ordered_low_best_high(self, figures, constraint):
        estimate = VictimEstimateFactory(low=None, best=300, high=None)
        with refused_by_database(constraint):
            update_row(estimate, **figures)

    @pytest.mark.parametrize(
        ("figures", "constraint"),
        [
            ({"qualifier": "at_least", "low": 300, "best": None, "high": 400}, "estimate_open_above_has_no_high"),
            ({"qualifier": "more_than", "low": 100, "best": None, "high": 400}, "estimate_open_above_has_no_high"),
            ({"qualifier": "up_to", "low": 10, "best": None, "high": 4000}, "estimate_open_below_has_no_low"),
            ({"qualifier": "fewer_than", "low": 10, "best": None, "high": 50}, "estimate_open_below_has_no_low"),
            ({"qualifier": "exact", "low": 300, "best": None, "high": None}, "estimate_closed_figure_complete"),
            ({"qualifier": "approximate", "is_approximate": True, "low": None, "best": None, "high": 300}, "estimate_closed_figure_complete"),
            ({"qualifier": "at_least", "low": 300, "is_approximate": True}, "estimate_approximate_follows_qualifier"),
            ({"qualifier": "approximate", "is_approximate": False}, "estimate_approximate_follows_qualifier"),
            ({"qualifier": "roughly"}, "estimate_qualifier_valid"),
        ],
    )
    def test_the_qualifier_and_the_figures_agree(self, figures, constraint):
        estimate = VictimEstimateFactory(low=None, best=300, high=None)
        with refused_by_database(constraint):
            update_row(estimate, **figures)

    @pytest.mark.parametrize("field", ["low", "best", "high"])
    def test_counts_cannot_be_negative(self, field):
        estimate = VictimEstimateFactory(**{"low": None, "best": None, "high": None, field: 10})
        with refused_by_database(f"sites_victimestimate_{field}_check"):
            update_row(estimate, **{field: -1})

    def test_unknown_count_type_is_refused(self):
        estimate = VictimEstimateFactory()
        with refused_by_database("estimate_count_type_valid"):
            update_row(estimate, count_type="guessed")

    def test_as_of_cannot_end_before_it_starts(self):
        estimate = VictimEstimateFactory()
        with refused_by_database("estimate_as_of_ordered"):
            update_row(estimate, as_of_earliest=datetime.date(2017, 3, 1), as_of_latest=datetime.date(2017, 2, 1))

    def test_an_estimate_is_never_a_bare_number(self):
        estimate = VictimEstimateFactory()
        with refused_by_database("citation_id"):
            with connection.cursor() as cursor:
                cursor.execute("UPDATE sites_victimestimate SET citation_id = NULL WHERE id = %s", [estimate.pk])

    def test_a_single_figure_and_an_ordered_range_are_accepted(self):
        VictimEstimate.objects.bulk_create(
            [
                VictimEstimateFactory.build(site=SiteFactory(), low=None, best=None, high=4000,
                                            citation=CitationFactory(), producing_organization=None),
                VictimEstimateFactory.build(site=SiteFactory(), low=300, best=300, high=4000,
                                            citation=CitationFactory(), producing_organization=None),
            ]
        )
        assert VictimEstimate.objects.count() == 2


class TestVictimEstimateValidation:
    def test_blank_estimate_is_explained(self):
        estimate = VictimEstimateFactory.build(low=None, best=None, high=None)
        with pytest.raises(ValidationError) as error:
            estimate.clean()
        assert "Give at least one of low, best and high" in _messages(error.value)

    def test_disordered_figures_are_explained(self):
        estimate = VictimEstimateFactory.build(low=500, best=300, high=None)
        with pytest.raises(ValidationError) as error:
            estimate.clean()
        assert "low ≤ best ≤ high" in _messages(error.value)

    def test_invalid_as_of_date_is_explained(self):
        estimate = VictimEstimateFactory.build(as_of="sometime")
        with pytest.raises(ValidationError) as error:
            estimate.full_clean(exclude=["site", "citation", "producing_organization"])
        assert "“sometime” is not an EDTF date" in str(error.value.message_dict["as_of"])

    @pytest.mark.parametrize(
        ("qualifier", "low", "best", "high", "text"),
        [
            ("exact", None, 100, None, "100"),
            ("exact", 20, None, 30, "20–30"),
            ("exact", 20, 25, 30, "25 (20–30)"),
            ("approximate", None, 4000, None, "~4,000"),
            ("at_least", 300, None, None, "≥ 300"),
            ("at_least", 300, 400, None, "≥ 300, best 400"),
            ("more_than", 100, None, None, "> 100"),
            ("up_to", None, None, 4000, "≤ 4,000"),
            ("fewer_than", None, None, 50, "< 50"),
            ("unclassified", 300, None, None, "low 300 (not classified)"),
            ("unclassified", None, 300, None, "300 (not classified)"),
        ],
    )
    def test_figures_read_as_the_source_bounded_them(self, qualifier, low, best, high, text):
        estimate = VictimEstimateFactory.build(qualifier=qualifier, low=low, best=best, high=high)
        assert estimate.figures == text


class TestSiteConstraints:
    @pytest.mark.parametrize(
        ("coordinates", "constraint"),
        [
            ({"latitude": Decimal("91")}, "site_latitude_range"),
            ({"latitude": Decimal("-90.000001")}, "site_latitude_range"),
            ({"longitude": Decimal("-181")}, "site_longitude_range"),
            ({"longitude": Decimal("180.5")}, "site_longitude_range"),
        ],
        ids=["latitude 91", "latitude below -90", "longitude -181", "longitude 180.5"],
    )
    def test_coordinates_must_lie_on_earth(self, coordinates, constraint):
        site = SiteFactory()
        with refused_by_database(constraint):
            update_row(site, **coordinates)

    @pytest.mark.parametrize("missing", ["latitude", "longitude"])
    def test_one_coordinate_alone_is_refused(self, missing):
        site = SiteFactory()
        with refused_by_database("site_coordinates_both_or_neither"):
            update_row(site, **{missing: None})

    def test_area_must_lie_in_the_sites_country(self):
        site = SiteFactory(country="IQ", first_level_area="IQ-NI")
        with refused_by_database("site_area_within_country"):
            update_row(site, first_level_area="ES-MD")

    def test_country_must_be_two_capital_letters(self):
        site = SiteFactory(first_level_area="")
        with refused_by_database("site_country_iso_alpha2"):
            update_row(site, country="iq")

    def test_period_cannot_end_before_it_starts(self):
        site = SiteFactory()
        with refused_by_database("site_period_end_after_start"):
            update_row(site, period_earliest=datetime.date(2014, 12, 1), period_latest=datetime.date(2014, 6, 1))

    def test_name_cannot_be_blank(self):
        site = SiteFactory()
        with refused_by_database("site_name_not_blank"):
            update_row(site, name="")

    @pytest.mark.parametrize(
        ("field", "constraint"),
        [
            ("status", "site_status_valid"),
            ("sensitivity", "site_sensitivity_valid"),
            ("location_precision", "site_location_precision_valid"),
        ],
    )
    def test_unknown_choice_is_refused(self, field, constraint):
        with refused_by_database(constraint):
            Site.objects.bulk_create([SiteFactory.build(**{field: "rumoured"})])

    def test_a_citation_is_linked_to_a_site_once(self):
        link = SiteCitationFactory()
        with refused_by_database("site_citation_unique"):
            SiteCitation.objects.bulk_create([SiteCitation(site=link.site, citation=link.citation)])


class TestSiteValidation:
    def _errors(self, **fields) -> dict:
        with pytest.raises(ValidationError) as error:
            SiteFactory.build(**fields).full_clean()
        return error.value.message_dict

    def test_invalid_edtf_period_is_explained(self):
        errors = self._errors(period="sometime")
        assert "“sometime” is not an EDTF date" in str(errors["period"])

    def test_unknown_country_is_explained(self):
        errors = self._errors(country="XX", first_level_area="")
        assert "“XX” is not an ISO 3166-1 alpha-2 country code" in str(errors["country"])

    def test_unknown_subdivision_is_explained(self):
        errors = self._errors(first_level_area="IQ-ZZ")
        assert "“IQ-ZZ” is not an ISO 3166-2 subdivision code" in str(errors["first_level_area"])

    def test_area_in_another_country_is_explained(self):
        errors = self._errors(country="IQ", first_level_area="ES-MD")
        assert "The area must lie in the site's country." in str(errors["first_level_area"])

    def test_one_coordinate_alone_is_explained(self):
        errors = self._errors(longitude=None)
        assert "Give both latitude and longitude, or neither." in str(errors)

    def test_latitude_out_of_range_is_explained(self):
        errors = self._errors(latitude=Decimal("91"))
        assert "latitude" in errors


    def test_a_new_site_passes_model_validation(self):
        SiteFactory.build().full_clean()

    @pytest.mark.parametrize(
        ("factory", "field", "value"),
        [(SiteFactory, "period", "2014-12/2014-06"), (VictimEstimateFactory, "as_of", "2017-03/2017-01")],
        ids=["site period", "estimate as of"],
    )
    def test_a_reversed_interval_is_explained_before_saving(self, factory, field, value):
        obj = factory.build(**{field: value})
        with pytest.raises(ValidationError):
            obj.full_clean(exclude=["reference_code", "site", "citation", "producing_organization"])

    @pytest.mark.parametrize("case", ["forbidden step", "relation to itself"])
    def test_life_cycle_and_relation_errors_read_as_sentences(self, case):
        site = SiteFactory()
        if case == "forbidden step":
            obj = SiteStatusChangeFactory.build(site=site, from_status="reported", to_status="protected", citation=None)
        else:
            obj = SiteRelationFactory.build(from_site=site, to_site=site, citation=None)
        with pytest.raises(ValidationError) as error:
            obj.full_clean()
        assert "Constraint “" not in str(error.value)


class TestPeriodOfUse:
    """The EDTF string keeps what the source said; the stored days let the list filter on it."""

    @pytest.mark.parametrize(
        ("period", "earliest", "latest"),
        [
            ("2014-06/2014-12", datetime.date(2014, 6, 1), datetime.date(2014, 12, 31)),
            ("2014?", datetime.date(2014, 1, 1), datetime.date(2014, 12, 31)),
            ("2014-08", datetime.date(2014, 8, 1), datetime.date(2014, 8, 31)),
            ("2014-06/..", datetime.date(2014, 6, 1), None),
            ("2014-06/", datetime.date(2014, 6, 1), None),  # unknown end: not a guessed one
            ("/2016-11", None, datetime.date(2016, 11, 30)),
            ("", None, None),
        ],
    )
    def test_period_is_stored_with_its_first_and_last_day(self, period, earliest, latest):
        site = SiteFactory(period=period)
        stored = Site.objects.values("period", "period_earliest", "period_latest").get(pk=site.pk)
        assert stored == {"period": period, "period_earliest": earliest, "period_latest": latest}

    def test_changing_the_period_moves_the_stored_days(self):
        site = SiteFactory(period="2014?")
        site.period = "2016-10/2017-02"
        site.save()
        site.refresh_from_db()
        assert (site.period_earliest, site.period_latest) == (datetime.date(2016, 10, 1), datetime.date(2017, 2, 28))

    def test_sites_can_be_filtered_by_period(self):
        inside = SiteFactory(period="2014-06/2014-12")
        SiteFactory(period="1936-08/1936-12", spanish=True)
        in_2014 = Site.objects.filter(period_earliest__lte=datetime.date(2014, 8, 3),
                                      period_latest__gte=datetime.date(2014, 8, 3))
        assert list(in_2014) == [inside]


class TestStatusLifeCycle:
    """Bournemouth Protocol: reported → verified → protected → …; destroyed or transferred from any."""

    def _step(self, site, from_status, to_status):
        return SiteStatusChange(site=site, from_status=from_status, to_status=to_status,
                                changed_on="2017-03", reason="Seen by the survey team.")

    def test_a_transition_the_cycle_forbids_is_refused(self):
        site = SiteFactory(status=SiteStatus.REPORTED)
        with refused_by_database("site_status_change_allowed_by_life_cycle"):
            SiteStatusChange.objects.bulk_create([self._step(site, "reported", "protected")])

    @pytest.mark.parametrize(
        ("from_status", "to_status"),
        [
            ("reported", "verified"),
            ("verified", "protected"),
            ("under_investigation", "exhumed_partially"),
            ("exhumed_partially", "under_investigation"),
            ("exhumed_fully", "closed"),
            ("reported", "destroyed"),
            ("protected", "destroyed"),
            ("closed", "remains_transferred"),
        ],
    )
    def test_steps_the_cycle_allows_are_accepted_and_move_the_site(self, from_status, to_status):
        site = SiteFactory(status=from_status)
        SiteStatusChange.objects.bulk_create([self._step(site, from_status, to_status)])
        site.refresh_from_db()
        assert site.status == to_status

    def test_a_site_may_first_be_recorded_mid_cycle(self):
        site = SiteFactory(status=SiteStatus.EXHUMED_FULLY, spanish=True)
        SiteStatusChangeFactory(site=site, from_status="", to_status=SiteStatus.EXHUMED_FULLY)
        site.refresh_from_db()
        assert site.status == SiteStatus.EXHUMED_FULLY

    @pytest.mark.parametrize("final", ["destroyed", "remains_transferred"])
    def test_nothing_follows_destruction_or_transfer(self, final):
        assert not [dst for src, dst in ALLOWED_TRANSITIONS if src == final]
        site = SiteFactory(status=final)
        with refused_by_database("site_status_change_allowed_by_life_cycle"):
            SiteStatusChange.objects.bulk_create([self._step(site, final, "verified")])

    def test_a_status_change_needs_a_reason(self):
        site = SiteFactory(status=SiteStatus.REPORTED)
        step = self._step(site, "reported", "verified")
        step.reason = ""
        with refused_by_database("site_status_change_reason_given"):
            SiteStatusChange.objects.bulk_create([step])

    def test_a_site_status_cannot_be_set_without_a_recorded_step(self):
        site = SiteFactory(status=SiteStatus.REPORTED)
        with refused_by_database("site status changes only through a recorded status change"):
            update_row(site, status=SiteStatus.VERIFIED)

    def test_a_step_must_start_from_the_sites_current_status(self):
        site = SiteFactory(status=SiteStatus.REPORTED)
        with refused_by_database("does not start from the site's current status"):
            SiteStatusChange.objects.bulk_create([self._step(site, "verified", "protected")])
        site.refresh_from_db()
        assert site.status == SiteStatus.REPORTED

    def test_only_the_first_record_may_lack_a_previous_status(self):
        first = SiteStatusChangeFactory(from_status="", to_status=SiteStatus.REPORTED)
        with refused_by_database("only the first status record of a site may have no previous status"):
            SiteStatusChange.objects.bulk_create([self._step(first.site, "", "reported")])

    def test_the_first_record_must_match_the_sites_status(self):
        site = SiteFactory(status=SiteStatus.REPORTED)
        with refused_by_database("it must be the site's recorded status"):
            SiteStatusChange.objects.bulk_create([self._step(site, "", "closed")])

    def test_a_recorded_step_cannot_be_rewritten(self):
        change = SiteStatusChangeFactory()
        with refused_by_database("Cannot update rows from sites_sitestatuschange table"):
            update_row(change, reason="Rewritten later.")


class TestSiteRelationConstraints:
    def test_a_site_cannot_be_related_to_itself(self):
        relation = SiteRelationFactory()
        with refused_by_database("site_relation_not_to_itself"):
            update_row(relation, to_site=relation.from_site)

    def test_the_same_relation_is_recorded_once(self):
        relation = SiteRelationFactory()
        with refused_by_database("site_relation_unique"):
            SiteRelation.objects.bulk_create(
                [SiteRelation(from_site=relation.from_site, kind=relation.kind, to_site=relation.to_site)]
            )

    def test_remains_count_cannot_be_negative(self):
        relation = SiteRelationFactory(kind="remains_transferred_to", remains_count=120)
        with refused_by_database("sites_siterelation_remains_count_check"):
            update_row(relation, remains_count=-120)

    def test_kozluk_to_cancari_road_secondary_grave_is_accepted(self):
        kozluk = SiteFactory(country="BA", first_level_area="", name="Kozluk", alternative_names=[])
        cancari = SiteFactory(country="BA", first_level_area="", name="Čančari Road 3", alternative_names=[])
        relation = SiteRelationFactory(from_site=cancari, kind="secondary_grave_of", to_site=kozluk, date="1995-09?")
        assert str(relation) == f"{cancari} secondary grave of {kozluk}"
