"""List mappings: a partner's words for how a figure is bounded, translated into qualifiers, never guessed."""

import pytest

from gravesdb.exchange.mapping import load_mapping
from gravesdb.exchange.services import records_import
from gravesdb.sites.models import VictimEstimate

from .conftest import ORGANIZATION

MAPPING = f"""
format: gravesdb/list-mapping/1
namespace: 6f1d3c2e-8a4b-4f0e-9d7c-2b5a1e0c9f11
key: "{{ID}}"
source:
  title: Partner list of graves
  kind: dataset
  publisher: {ORGANIZATION}
citation:
  locator: "{{ID}}"
site:
  name: "{{NAME}}"
  country: IQ
estimates:
  figures:
    - from: VICTIMS
      count_type: reported
      qualifier:
        from: HOW MANY
        values:
          at least: at_least
          más de: more_than
          najmanje: at_least
          about: approximate
          hasta: up_to
          exactly: exact
      cumulative:
        from: SO FAR
        values: {{so far: true, final: false}}
        blank: false
    - from: EXHUMED
      count_type: exhumed
      approximate: true
"""

LIST = (
    "ID,NAME,VICTIMS,HOW MANY,SO FAR,EXHUMED\n"
    "1,Policemen's grave,300,At least,,\n"
    "2,Quarry,100,más de,,\n"
    "3,Kamenolom,40,Najmanje,so far,\n"
    "4,Sinkhole,4000,about,,4000\n"
    "5,Ravine,20,hasta,final,\n"
    "6,College,100,exactly,,\n"
    "7,Well,12,,,\n"
)


def run(actor, text, mapping=MAPPING):
    return records_import(model="list", data=text.encode("utf-8"), file_name="partner.csv", actor=actor,
                          mapping=load_mapping(mapping))


def test_words_become_qualifiers_and_a_bound_goes_to_the_side_it_bounds(world, data_manager):
    outcome = run(data_manager, LIST)
    assert outcome.ok, [str(e) for e in outcome.errors]
    figures = {
        (e.site.name, e.count_type): (e.low, e.best, e.high, e.qualifier, e.is_approximate, e.is_cumulative)
        for e in VictimEstimate.objects.select_related("site").filter(site__name__in=[
            "Policemen's grave", "Quarry", "Kamenolom", "Sinkhole", "Ravine", "College", "Well"])
    }
    assert figures == {
        ("Policemen's grave", "reported"): (300, None, None, "at_least", False, False),
        ("Quarry", "reported"): (100, None, None, "more_than", False, False),
        ("Kamenolom", "reported"): (40, None, None, "at_least", False, True),
        ("Sinkhole", "reported"): (None, 4000, None, "approximate", True, False),
        ("Sinkhole", "exhumed"): (None, 4000, None, "approximate", True, False),  # approximate: true
        ("Ravine", "reported"): (None, None, 20, "up_to", False, False),
        ("College", "reported"): (None, 100, None, "exact", False, False),
        ("Well", "reported"): (None, 12, None, "unclassified", False, False),  # no word: nobody read it yet
    }
    again = run(data_manager, LIST)
    assert again.ok and again.counts == {"new": 0, "updated": 0, "unchanged": 7, "refused": 0}


def test_an_unknown_word_is_refused_by_row_and_column_and_nothing_is_imported(world, data_manager, fingerprint):
    before = fingerprint()
    outcome = run(data_manager, LIST + "8,Pit,300,casi,,\n")
    assert [(e.row, e.column) for e in outcome.errors] == [(9, "HOW MANY")]
    assert "“casi” is not one of the values the mapping knows: at least, más de" in outcome.errors[0].message
    assert fingerprint() == before


def test_a_running_total_word_the_mapping_does_not_know_names_its_column(world, data_manager, fingerprint):
    before = fingerprint()
    outcome = run(data_manager, LIST + "8,Pit,300,at least,maybe,\n")
    assert [(e.row, e.column) for e in outcome.errors] == [(9, "SO FAR")]
    assert fingerprint() == before


def test_a_fixed_qualifier_and_running_total_apply_to_every_row(world, data_manager):
    figures = MAPPING.index("  figures:")
    mapping = MAPPING[:figures] + (
        "  figures:\n"
        "    - from: VICTIMS\n"
        "      count_type: exhumed\n"
        "      qualifier: up_to\n"
        "      cumulative: true\n"
    )
    outcome = run(data_manager, "ID,NAME,VICTIMS\n1,Ravine,20\n2,Quarry,35\n", mapping)
    assert outcome.ok, [str(e) for e in outcome.errors]
    assert sorted(VictimEstimate.objects.filter(count_type="exhumed").values_list("low", "best", "high", "qualifier", "is_cumulative")) == [
        (None, None, 20, "up_to", True), (None, None, 35, "up_to", True)]


@pytest.mark.parametrize("change, message", [
    (("approximate: true", "approximate: true\n      qualifier: exact"), "has both “approximate: true” and a qualifier"),
    (("about: approximate", "about: roughly"), "gives the qualifier “roughly”; a qualifier is one of unclassified"),
])
def test_a_mapping_that_gets_qualifiers_wrong_is_refused_before_any_row(world, data_manager, fingerprint, change, message):
    before = fingerprint()
    outcome = run(data_manager, LIST, MAPPING.replace(*change))
    assert [(e.row, e.column) for e in outcome.errors] == [(0, "")]
    assert message in outcome.errors[0].message
    assert fingerprint() == before
