"""Importing lists: idempotent, matched by UUID then natural key, attributed, honestly counted."""

import csv
import io

import openpyxl
import pghistory.models
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gravesdb.exchange.models import ColumnMapping, MappingTarget
from gravesdb.exchange.reports import export_records
from gravesdb.exchange.resources import VictimEstimateResource
from gravesdb.exchange.saved_mappings import column_mapping_save
from gravesdb.exchange.services import records_import
from gravesdb.sites.models import Site, SiteStatusChange, VictimEstimate
from gravesdb.sources.models import Organization
from tests.factories import VictimEstimateFactory

from .conftest import ORGANIZATION

SITES = (
    "reference_code,name,alternative_names,country,first_level_area,latitude,longitude,site_type,status\n"
    "IQ-NI-0042,Khasfa sinkhole,al-Khasfa; الخسفة,IQ,IQ-NI,36.188000,43.139000,sinkhole,reported\n"
    ",Badush prison grave,سجن بادوش,IQ,IQ-NI,36.396000,42.948000,trench,verified\n"
)


def run(actor, text, model="sites", **kwargs):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return records_import(model=model, data=data, file_name=kwargs.pop("file_name", f"{model}.csv"), actor=actor, **kwargs)


def test_new_and_updated_rows_are_counted(world, data_manager):
    first = run(data_manager, SITES)
    assert first.ok, first.errors
    assert first.counts == {"new": 1, "updated": 1, "unchanged": 0, "refused": 0}
    badush = Site.objects.get(name="Badush prison grave")
    assert badush.reference_code.startswith("IQ-NI-")
    assert badush.alternative_names == ["سجن بادوش"]


def test_rows_are_matched_by_uuid_before_reference_code(world, data_manager, fingerprint):
    text = f"id,name,country\n{world['khasfa'].pk},Khasfa sinkhole (al-Khasfa),IQ\n"
    outcome = run(data_manager, text)
    assert outcome.counts["updated"] == 1
    world["khasfa"].refresh_from_db()
    assert world["khasfa"].name == "Khasfa sinkhole (al-Khasfa)"
    before = fingerprint()
    again = run(data_manager, text)
    assert again.counts == {"new": 0, "updated": 0, "unchanged": 1, "refused": 0}
    assert fingerprint() == before


def test_a_new_site_gets_its_status_recorded_as_a_first_step(world, data_manager):
    run(data_manager, SITES)
    badush = Site.objects.get(name="Badush prison grave")
    assert badush.status == "verified"
    step = SiteStatusChange.objects.get(site=badush)
    assert (step.from_status, step.to_status) == ("", "verified")


def test_a_status_change_in_a_file_becomes_a_recorded_step(world, data_manager):
    outcome = run(data_manager, "reference_code,name,country,status\nIQ-NI-0042,Khasfa sinkhole,IQ,verified\n")
    assert outcome.ok, outcome.errors
    world["khasfa"].refresh_from_db()
    assert world["khasfa"].status == "verified"
    assert SiteStatusChange.objects.filter(site=world["khasfa"], from_status="reported", to_status="verified").exists()


def test_history_names_the_importing_user_and_the_file(world, data_manager):
    outcome = run(data_manager, SITES, file_name="partner-list.csv")
    badush = Site.objects.get(name="Badush prison grave")
    event = pghistory.models.Events.objects.tracks(badush).order_by("pgh_created_at").first()
    assert event.pgh_context["username"] == data_manager.username
    assert event.pgh_context["reason"] == f"Imported from partner-list.csv (SHA-256 {outcome.sha256})"


def test_one_bad_row_rejects_the_whole_file(world, data_manager, fingerprint):
    before = fingerprint()
    outcome = run(data_manager, SITES + "Grave with no country,,,,,,,,\n")
    assert not outcome.ok
    assert outcome.counts["refused"] == 1 and outcome.counts["new"] == 1
    assert fingerprint() == before


def test_dry_run_counts_without_saving(world, data_manager, fingerprint):
    before = fingerprint()
    outcome = run(data_manager, SITES, dry_run=True)
    assert outcome.ok and outcome.counts["new"] == 1
    assert "Dry run" in outcome.summary()
    assert fingerprint() == before


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1256"])
def test_arabic_names_survive_each_encoding(world, data_manager, encoding):
    text = "name;country;alternative_names\nمقبرة بادوش;IQ;سجن بادوش\n"
    outcome = run(data_manager, text.encode(encoding))
    assert outcome.ok, outcome.errors
    assert outcome.encoding == encoding and outcome.delimiter == ";"
    assert Site.objects.filter(name="مقبرة بادوش", alternative_names=["سجن بادوش"]).exists()


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_spanish_names_survive_windows_and_latin_encodings(world, data_manager, encoding):
    text = "Name\tCountry\tFirst level area\tLocality\nFosa de Víznar\tES\tES-AN\tVíznar\n\n\n"
    outcome = run(data_manager, text.encode(encoding), encoding=encoding)
    assert outcome.ok, outcome.errors
    assert outcome.delimiter == "\t"
    assert Site.objects.filter(name="Fosa de Víznar", locality="Víznar").exists()


def test_headers_match_whatever_their_case_and_spacing(world, data_manager):
    outcome = run(data_manager, " NAME ,Country, First_Level  Area\nGrave near Badush,IQ,IQ-NI\n")
    assert outcome.ok, outcome.errors
    assert Site.objects.filter(name="Grave near Badush", first_level_area="IQ-NI").exists()


def test_xlsx_and_json_import_like_csv(world, data_manager):
    book = openpyxl.Workbook()
    book.active.append(["name", "country", "latitude", "longitude"])
    book.active.append(["Kocho village grave", "IQ", 36.216, 41.783])
    buffer = io.BytesIO()
    book.save(buffer)
    assert run(data_manager, buffer.getvalue(), file_name="sites.xlsx").ok
    assert str(Site.objects.get(name="Kocho village grave").latitude) == "36.216000"
    assert run(data_manager, '[{"name": "Sinjar grave", "country": "IQ"}]', file_name="sites.json").ok
    assert Site.objects.filter(name="Sinjar grave").exists()


def test_estimates_import_with_natural_keys_keeps_blanks_unknown_and_zeros_zero(world, data_manager):
    text = (
        "site,count_type,low,best,high,as_of,producing_organization,citation\n"
        f"IQ-NI-0042,exhumed,,0,,2017-03,{ORGANIZATION},{world['citation'].pk}\n"
        f"IQ-NI-0042,estimated,3000,,5000,2017-02,,{world['citation'].pk}\n"
    )
    outcome = run(data_manager, text, model="estimates")
    assert outcome.ok, outcome.errors
    exhumed = VictimEstimate.objects.get(site=world["khasfa"], count_type="exhumed")
    assert (exhumed.low, exhumed.best, exhumed.high) == (None, 0, None)
    assert exhumed.producing_organization == world["organization"]


def test_organisations_match_by_name(world, data_manager):
    outcome = run(data_manager, f"name,kind,country\n{ORGANIZATION},ngo,IQ\n", model="organizations")
    assert outcome.ok
    assert Organization.objects.filter(name=ORGANIZATION).count() == 1


def test_a_saved_mapping_reads_a_partners_own_headers(world, data_manager):
    text = "Nombre de la fosa,País,Tipo\nFosa de Víznar,ES,trench\n"
    assert not run(data_manager, text).ok
    mapping = column_mapping_save(
        organization=world["organization"],
        target=MappingTarget.SITES,
        name="NDC site list",
        text="columns:\n  name: Nombre de la fosa\n  country: País\n  site_type: Tipo\n",
        actor=data_manager,
    )
    outcome = run(data_manager, text, mapping=ColumnMapping.objects.get(pk=mapping.pk).spec)
    assert outcome.ok, outcome.errors
    assert Site.objects.filter(name="Fosa de Víznar", site_type="trench").exists()


def test_the_command_saves_and_reuses_an_organisations_mapping(world, data_manager, tmp_path, capsys):
    data = tmp_path / "ndc.csv"
    data.write_text("Nombre,País\nFosa de Víznar,ES\n", encoding="utf-8")
    mapping = tmp_path / "ndc.yaml"
    mapping.write_text("# NDC's site list\ncolumns:\n  name: Nombre\n  country: País\n", encoding="utf-8")
    call_command("import_records", "sites", str(data), "--mapping", str(mapping), "--organization", ORGANIZATION,
                 "--save-mapping", "NDC sites", "--user", data_manager.username)
    assert "1 new" in capsys.readouterr().out
    saved = ColumnMapping.objects.get(organization=world["organization"], name="NDC sites")
    assert saved.text.startswith("# NDC's site list")
    data.write_text("Nombre,País\nFosa de Alfacar,ES\n", encoding="utf-8")
    call_command("import_records", "sites", str(data), "--organization", ORGANIZATION, "--user", data_manager.username)
    assert Site.objects.filter(name="Fosa de Alfacar").exists()


def test_the_command_refuses_a_user_without_import_permission(world, auditor, tmp_path):
    data = tmp_path / "sites.csv"
    data.write_text(SITES, encoding="utf-8")
    with pytest.raises(CommandError, match="may not import"):
        call_command("import_records", "sites", str(data), "--user", auditor.username)
    with pytest.raises(CommandError, match="may not import"):
        call_command("import_records", "list", str(data), "--user", auditor.username)


def test_the_command_fails_loudly_and_saves_nothing_on_a_bad_file(world, data_manager, tmp_path, fingerprint):
    data = tmp_path / "sites.csv"
    data.write_text("name,country,latitude,longitude\nGrave,IQ,123,43\n", encoding="utf-8")
    before = fingerprint()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_records", "sites", str(data))
    assert fingerprint() == before


# One estimate of each qualifier, with the figures its wording gives.
QUALIFIED = {
    "unclassified": {"low": None, "best": None, "high": 50},
    "exact": {"low": None, "best": 100, "high": None},
    "approximate": {"low": 3000, "best": 4000, "high": 5000},
    "at_least": {"low": 300, "best": None, "high": None},
    "more_than": {"low": 100, "best": None, "high": None},
    "up_to": {"low": None, "best": None, "high": 4000},
    "fewer_than": {"low": None, "best": None, "high": 20},
}


def test_each_qualifier_and_running_total_round_trips_through_export_and_import(world, data_manager, tmp_path):
    for qualifier, figures in QUALIFIED.items():
        VictimEstimateFactory(site=world["college"], qualifier=qualifier, is_cumulative=qualifier == "at_least",
                              citation=world["citation"], wording=qualifier, **figures)
    first = tmp_path / "first.csv"
    export_records(VictimEstimateResource(user=data_manager), path=first)
    exported = {r["wording"]: r for r in csv.DictReader(io.StringIO(first.read_text(encoding="utf-8")))}
    assert {w: (r["low"], r["best"], r["high"], r["qualifier"]) for w, r in exported.items() if w in QUALIFIED} == {
        q: tuple("" if v is None else str(v) for v in f.values()) + (q,) for q, f in QUALIFIED.items()
    }
    assert exported["at_least"]["is_cumulative"] == "true" and exported["exact"]["is_cumulative"] == "false"
    assert exported["approximate"]["is_approximate"] == "true"
    # Forget every qualifier and running total, then import the file back.
    VictimEstimate.objects.filter(site=world["college"]).update(qualifier="unclassified", is_cumulative=False)
    outcome = run(data_manager, first.read_bytes(), model="estimates")
    assert outcome.ok, [str(e) for e in outcome.errors]
    assert outcome.counts["updated"] == len(QUALIFIED) - 1  # the unclassified one was never changed
    stored = {e.wording: (e.qualifier, e.is_approximate, e.is_cumulative) for e in VictimEstimate.objects.filter(site=world["college"])}
    assert stored == {q: (q, q == "approximate", q == "at_least") for q in QUALIFIED}
    second = tmp_path / "second.csv"
    export_records(VictimEstimateResource(user=data_manager), path=second)
    assert second.read_bytes() == first.read_bytes()


def test_is_approximate_follows_the_qualifier_and_stays_as_recorded_on_unclassified_estimates(world, data_manager):
    header = "id,site,count_type,best,qualifier,is_approximate,citation\n"
    approximate = VictimEstimateFactory(site=world["college"], best=40, qualifier="approximate", citation=world["citation"])
    legacy = VictimEstimateFactory(site=world["college"], best=60, qualifier="unclassified", citation=world["citation"])
    text = header + (
        f"{approximate.pk},IQ-NI-0043,reported,40,exact,true,{world['citation'].pk}\n"
        f"{legacy.pk},IQ-NI-0043,reported,60,,true,{world['citation'].pk}\n"
    )
    outcome = run(data_manager, text, model="estimates")
    assert outcome.ok, [str(e) for e in outcome.errors]
    approximate.refresh_from_db()
    legacy.refresh_from_db()
    assert (approximate.qualifier, approximate.is_approximate) == ("exact", False)  # the qualifier decides
    assert (legacy.qualifier, legacy.is_approximate) == ("unclassified", True)  # all the file says of its wording


def test_a_qualifier_the_figures_contradict_is_refused_by_row_and_column(world, data_manager, fingerprint):
    citation = world["citation"].pk
    text = (
        "site,count_type,low,best,high,qualifier,citation\n"
        f"IQ-NI-0043,reported,,100,,exact,{citation}\n"
        f"IQ-NI-0043,reported,300,,500,at_least,{citation}\n"
        f"IQ-NI-0043,reported,10,,4000,up_to,{citation}\n"
        f"IQ-NI-0043,reported,300,,,exact,{citation}\n"
    )
    before = fingerprint()
    outcome = run(data_manager, text, model="estimates")
    assert not outcome.ok
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "qualifier"), (4, "qualifier"), (5, "qualifier")]
    assert "at_least and more_than leave the high open" in outcome.errors[0].message
    assert "up_to and fewer_than leave the low open" in outcome.errors[1].message
    assert "a lone low or high is a bound" in outcome.errors[2].message
    assert fingerprint() == before


def test_an_unknown_qualifier_is_refused_by_row_and_column(world, data_manager, fingerprint):
    text = (
        "site,count_type,best,qualifier,citation\n"
        f"IQ-NI-0043,reported,100,exact,{world['citation'].pk}\n"
        f"IQ-NI-0043,reported,100,roughly,{world['citation'].pk}\n"
    )
    before = fingerprint()
    outcome = run(data_manager, text, model="estimates")
    assert [str(e) for e in outcome.errors] == [
        (
            "Row 3, column “qualifier”: “roughly” is not one of the allowed values: unclassified, exact, approximate, "
            "at_least, more_than, up_to, fewer_than."
        )
    ]
    assert fingerprint() == before
