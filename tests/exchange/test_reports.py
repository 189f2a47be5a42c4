"""The auditor's reports: reproducible, verifiable, safe to open, and partial only in the open."""

import csv
import hashlib
import io
import json
import shutil
import subprocess

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gravesdb.core.choices import Sensitivity
from gravesdb.exchange.reports import SITE_REPORT_COLUMNS, ReportRequest, export_report
from tests.factories import SiteFactory, TestimonyFactory, TestimonySiteFactory, UserFactory, VictimEstimateFactory


def report(user, tmp_path, name="report.csv", **kwargs):
    file_format = kwargs.pop("file_format", "csv")
    path = tmp_path / name
    outcome = export_report(ReportRequest(user=user, **kwargs), path=path, file_format=file_format)
    return outcome, path


def rows(path):
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))


def test_the_same_database_gives_the_same_bytes_and_a_verifiable_manifest(world, auditor, tmp_path):
    first, path1 = report(auditor, tmp_path, "one.csv")
    second, path2 = report(auditor, tmp_path, "two.csv")
    assert path1.read_bytes() == path2.read_bytes()
    manifest = first.manifest_path.read_text(encoding="utf-8").splitlines()
    assert manifest[0] == f"{hashlib.sha256(path1.read_bytes()).hexdigest()}  one.csv"
    assert "# rows: 2" in manifest
    assert "# exported by: auditor" in manifest
    assert "# withheld: nothing" in manifest
    assert [r["reference_code"] for r in rows(path1)] == ["IQ-NI-0042", "IQ-NI-0043"]


def test_one_row_per_site_with_the_reconciled_range_and_counts(world, auditor, tmp_path):
    VictimEstimateFactory(site=world["khasfa"], count_type="exhumed", low=None, best=3500, high=None)
    testimony = TestimonyFactory(sensitivity=Sensitivity.RESTRICTED)
    TestimonySiteFactory(testimony=testimony, site=world["khasfa"])
    _outcome, path = report(auditor, tmp_path)
    khasfa = rows(path)[0]
    assert list(khasfa) == SITE_REPORT_COLUMNS
    assert (khasfa["reconciled_low"], khasfa["reconciled_high"]) == ("3500", "4000")
    assert (khasfa["reconciled_best"], khasfa["reconciled_best_count_type"]) == ("3500", "exhumed")
    assert (khasfa["estimate_count"], khasfa["source_count"], khasfa["testimony_count"]) == ("2", "2", "1")
    assert "Nineveh Documentation Centre" in khasfa["organizations"]
    assert khasfa["alternative_names"] == "al-Khasfa; Khafsa; الخسفة"


def test_confidential_sites_are_withheld_from_roles_that_cannot_see_them_and_the_manifest_says_so(world, researcher, auditor, tmp_path):
    SiteFactory(name="Secret grave", sensitivity=Sensitivity.CONFIDENTIAL, reference_code="IQ-NI-0099")
    outcome, path = report(researcher, tmp_path)
    assert "IQ-NI-0099" not in path.read_text(encoding="utf-8")
    assert "1 confidential sites (the exporting user may not see them)" in outcome.withheld
    assert "# withheld: 1 confidential sites" in outcome.manifest_path.read_text(encoding="utf-8")
    _outcome, path = report(auditor, tmp_path, "auditor.csv")
    assert "IQ-NI-0099" in path.read_text(encoding="utf-8")


def test_readers_without_the_permission_get_coarsened_marked_points(world, auditor, tmp_path):
    user = UserFactory(username="partner")
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_site", "export_site"]))
    outcome, path = report(user, tmp_path)
    _exact_outcome, exact_path = report(auditor, tmp_path, "exact.csv")
    exact = {r["reference_code"]: r for r in rows(exact_path)}
    for row in rows(path):
        if exact[row["reference_code"]]["latitude"] == "":
            continue
        assert row["location_precision"] == "coarsened"
        assert (row["latitude"], row["longitude"]) != (exact[row["reference_code"]]["latitude"], exact[row["reference_code"]]["longitude"])
        assert abs(float(row["latitude"]) - float(exact[row["reference_code"]]["latitude"])) <= 0.05 + 1e-9
        assert abs(float(row["longitude"]) - float(exact[row["reference_code"]]["longitude"])) <= 0.05 + 1e-9
    assert "exact coordinates of 2 sites, coarsened" in outcome.withheld[0]


def test_archived_and_merged_sites_are_left_out_by_default(world, auditor, tmp_path):
    type(world["college"]).objects.filter(pk=world["college"].pk).update(archived_at="2020-01-01T00:00Z")
    outcome, path = report(auditor, tmp_path)
    assert [r["reference_code"] for r in rows(path)] == ["IQ-NI-0042"]
    assert outcome.withheld == ["1 archived or merged sites (left out by default)"]
    _outcome, path = report(auditor, tmp_path, "all.csv", include_archived=True)
    assert len(rows(path)) == 2


def test_spreadsheet_formulas_are_escaped_in_csv_and_xlsx(world, auditor, tmp_path):
    hostile = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]
    for i, name in enumerate(hostile):
        SiteFactory(name=name, reference_code=f"IQ-NI-{500 + i:04d}")
    _outcome, path = report(auditor, tmp_path)
    names = [r["name"] for r in rows(path)]
    for name in hostile:
        assert "'" + name in names
    SiteFactory(spanish=True, reference_code="ES-AN-0001")
    _outcome, path = report(auditor, tmp_path, "with-spain.csv")
    spain = next(r for r in rows(path) if r["reference_code"] == "ES-AN-0001")
    assert float(spain["longitude"]) < 0  # numbers are numbers, never escaped
    _outcome, path = report(auditor, tmp_path, "report.xlsx", file_format="xlsx")
    sheet = openpyxl.load_workbook(path).active
    cells = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    for name in hostile:
        assert "'" + name.replace("\r", "\n") in cells  # XML turns a stored CR into LF on reading
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_xlsx_json_and_geojson_are_byte_identical_too(world, auditor, tmp_path):
    for file_format in ("xlsx", "json", "geojson"):
        _a, one = report(auditor, tmp_path, f"a.{file_format}", file_format=file_format)
        _b, two = report(auditor, tmp_path, f"b.{file_format}", file_format=file_format)
        assert one.read_bytes() == two.read_bytes(), file_format


def test_geojson_carries_the_same_properties_as_the_csv(world, auditor, tmp_path):
    _outcome, path = report(auditor, tmp_path, "report.geojson", file_format="geojson")
    collection = json.loads(path.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    feature = collection["features"][0]
    assert list(feature["properties"]) == SITE_REPORT_COLUMNS
    assert feature["geometry"] == {"type": "Point", "coordinates": [43.139, 36.188]}


def test_the_query_count_does_not_grow_with_the_number_of_sites(world, auditor, tmp_path):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            report(auditor, tmp_path)
        return len(captured)

    queries()  # the user's permissions are read once, then cached
    few = queries()
    for i in range(15):
        site = SiteFactory(reference_code=f"IQ-NI-{600 + i:04d}")
        VictimEstimateFactory(site=site)
    assert queries() == few


def test_the_estimates_report_cites_its_sources(world, auditor, tmp_path):
    _outcome, path = report(auditor, tmp_path, estimates=True)
    (estimate,) = rows(path)
    assert estimate["site_reference_code"] == "IQ-NI-0042"
    assert estimate["source_title"] == "Mass graves found near Mosul"
    assert (estimate["citation_locator"], estimate["citation_quote"]) == ("para. 3", "Some 4,000 bodies were found.")
    assert estimate["producing_organization"] == "Nineveh Documentation Centre"


def test_as_of_a_day_before_anything_existed_is_empty_and_says_what_it_is(world, auditor, tmp_path):
    import datetime

    outcome, path = report(auditor, tmp_path, as_of=datetime.date(2000, 1, 1))
    assert outcome.rows == 0
    assert "end of 2000-01-01" in outcome.manifest_path.read_text(encoding="utf-8")
    _today, today = report(auditor, tmp_path, "today.csv", as_of=datetime.date.today())
    _now, now = report(auditor, tmp_path, "now.csv")
    assert today.read_bytes() == now.read_bytes()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_as_of_rebuilds_the_report_from_the_history(auditor, tmp_path):
    import datetime

    site = SiteFactory(reference_code="IQ-NI-0042", name="Khasfa sinkhole")
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        moment = cursor.fetchone()[0] + datetime.timedelta(microseconds=1)
    type(site).objects.filter(pk=site.pk).update(name="Khasfa sinkhole (renamed)")
    SiteFactory(reference_code="IQ-NI-0043", name="Added later")
    _outcome, path = report(auditor, tmp_path, as_of=moment)
    assert [(r["reference_code"], r["name"]) for r in rows(path)] == [("IQ-NI-0042", "Khasfa sinkhole")]
    # A name search on a past day reads the names of that day.
    _outcome, path = report(auditor, tmp_path, "then.csv", as_of=moment, site_filter="q=sinkhole")
    assert [r["name"] for r in rows(path)] == ["Khasfa sinkhole"]
    _outcome, path = report(auditor, tmp_path, "renamed.csv", as_of=moment, site_filter="q=renamed")
    assert rows(path) == []


def test_the_command_writes_the_file_and_its_manifest(world, tmp_path, capsys):
    output = tmp_path / "sites.csv"
    call_command("export_site_report", "--output", str(output), "--excel")
    assert output.read_bytes().startswith(b"\xef\xbb\xbf")
    assert (tmp_path / "sites.csv.sha256").read_text().startswith(hashlib.sha256(output.read_bytes()).hexdigest())
    assert "system (Auditor role)" in (tmp_path / "sites.csv.sha256").read_text()
    assert "2 rows written" in capsys.readouterr().out


def _site_row(path, file_format, code):
    """One site's row, as the file in ``file_format`` gives it back."""
    if file_format == "csv":
        return next(r for r in rows(path) if r["reference_code"] == code)
    if file_format == "xlsx":
        header, *values = openpyxl.load_workbook(path).active.iter_rows(values_only=True)
        return next(dict(zip(header, v)) for v in values if v[0] == code)
    document = json.loads(path.read_text(encoding="utf-8"))
    if file_format == "geojson":
        document = [feature["properties"] for feature in document["features"]]
    return next(r for r in document if r["reference_code"] == code)


def _policemen(path, file_format):
    """The seed's "at least 300 policemen" site."""
    return _site_row(path, file_format, "IQ-NI-0002")


# What each qualifier reconciles to, alone: (figures given, low, low bound, high, high bound, best).
QUALIFIED = {
    "exact": ({"best": 100}, 100, "inclusive", 100, "inclusive", 100),
    "approximate": ({"best": 4000}, 4000, "inclusive", 4000, "inclusive", 4000),
    "at_least": ({"low": 300}, 300, "inclusive", None, "open", None),
    "more_than": ({"low": 100}, 100, "exclusive", None, "open", None),
    "up_to": ({"high": 4000}, None, "open", 4000, "inclusive", None),
    "fewer_than": ({"high": 50}, None, "open", 50, "exclusive", None),
    "unclassified": ({"low": 300}, 300, "inclusive", 300, "inclusive", None),
}


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json", "geojson"])
@pytest.mark.parametrize("qualifier", list(QUALIFIED))
def test_each_qualifier_exports_its_bounds_in_every_format(db, auditor, tmp_path, qualifier, file_format):
    figures_given, *expected = QUALIFIED[qualifier]
    site = SiteFactory(latitude=36.3, longitude=43.1)
    VictimEstimateFactory(site=site, qualifier=qualifier, **{"low": None, "best": None, "high": None, **figures_given})
    _outcome, path = report(auditor, tmp_path, f"report.{file_format}", file_format=file_format)
    row = _site_row(path, file_format, site.reference_code)
    got = [row[c] for c in ("reconciled_low", "reconciled_low_bound", "reconciled_high", "reconciled_high_bound",
                            "reconciled_best")]
    if file_format == "csv":
        expected = ["" if v is None else str(v) for v in expected]
    assert got == expected
    _outcome, path = report(auditor, tmp_path, "estimates.csv", estimates=True)
    (estimate,) = [r for r in rows(path) if r["site_reference_code"] == site.reference_code]
    assert estimate["qualifier"] == qualifier


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json", "geojson"])
def test_at_least_300_exports_an_open_high_and_no_best_in_every_format(db, auditor, tmp_path, file_format):
    call_command("loaddata", "seed", verbosity=0)
    _outcome, path = report(auditor, tmp_path, f"report.{file_format}", file_format=file_format)
    policemen = _policemen(path, file_format)
    empty = "" if file_format == "csv" else None
    as_number = str if file_format == "csv" else int
    assert policemen["reconciled_low"] == as_number(300)
    assert (policemen["reconciled_low_bound"], policemen["reconciled_high_bound"]) == ("inclusive", "open")
    assert policemen["reconciled_high"] == empty  # open: not 300, and not a figure anyone gave
    assert policemen["reconciled_best"] == empty  # a bound is never a best figure
    assert list(policemen)[-2:] == ["reconciled_low_bound", "reconciled_high_bound"]


def test_the_as_of_report_reads_qualifiers_from_the_history(db, auditor, tmp_path):
    import datetime

    call_command("loaddata", "seed", verbosity=0)
    _outcome, path = report(auditor, tmp_path, as_of=datetime.date.today())
    policemen = next(r for r in rows(path) if r["reference_code"] == "IQ-NI-0002")
    assert (policemen["reconciled_low"], policemen["reconciled_high"], policemen["reconciled_best"]) == ("300", "", "")
    assert policemen["reconciled_high_bound"] == "open"
    _outcome, path = report(auditor, tmp_path, "estimates.csv", estimates=True, as_of=datetime.date.today())
    estimate = next(r for r in rows(path) if r["site_reference_code"] == "IQ-NI-0002")
    assert (estimate["low"], estimate["high"], estimate["qualifier"]) == ("300", "", "at_least")


def test_the_manifest_says_how_to_read_an_empty_high_and_the_qualifiers(db, auditor, tmp_path):
    call_command("loaddata", "seed", verbosity=0)
    outcome, _path = report(auditor, tmp_path)
    manifest = outcome.manifest_path.read_text(encoding="utf-8").splitlines()
    notes = {line.split(":", 1)[0].strip("# "): line for line in manifest[manifest.index("# columns:") + 1 :]}
    assert list(notes) == ["reconciled_low", "reconciled_high", "reconciled_best", "reconciled_low_bound", "reconciled_high_bound"]
    assert "reconciled_high_bound “open”" in notes["reconciled_high"] and "no figure at all" in notes["reconciled_high"]
    outcome, _estimates = report(auditor, tmp_path, "estimates.csv", estimates=True)
    manifest = outcome.manifest_path.read_text(encoding="utf-8")
    assert "at_least = At least (no upper bound)" in manifest and "unclassified = Not classified yet" in manifest
    assert "#   is_superseded: " in manifest and "#   is_cumulative: " in manifest


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="GNU sha256sum is not installed")
def test_sha256sum_verifies_the_file_and_skips_the_column_notes(world, auditor, tmp_path):
    outcome, path = report(auditor, tmp_path, "estimates.csv", estimates=True)
    checked = subprocess.run(["sha256sum", "-c", "--strict", outcome.manifest_path.name], cwd=tmp_path,
                             capture_output=True, text=True, check=False)
    assert (checked.returncode, checked.stdout.strip()) == (0, "estimates.csv: OK"), checked.stderr
    path.write_bytes(path.read_bytes() + b"tampered\r\n")
    tampered = subprocess.run(["sha256sum", "-c", outcome.manifest_path.name], cwd=tmp_path, capture_output=True, check=False)
    assert tampered.returncode == 1


def test_the_estimates_report_lists_each_series_in_date_order_and_marks_superseded_totals(world, auditor, tmp_path):
    khasfa, organization = world["khasfa"], world["organization"]
    for as_of, best in (("2019", 435), ("2018-11-06", 300), ("2018-11", 250)):
        VictimEstimateFactory(site=khasfa, count_type="exhumed", best=best, as_of=as_of, is_cumulative=True,
                              producing_organization=organization, citation=world["citation"])
    VictimEstimateFactory(site=khasfa, count_type="estimated", low=1000, best=None, high=None, qualifier="more_than",
                          as_of="2017", citation=world["citation"])
    _outcome, path = report(auditor, tmp_path, estimates=True)
    report_rows = rows(path)
    assert list(report_rows[0])[-3:] == ["qualifier", "is_cumulative", "is_superseded"]
    assert [(r["count_type"], r["as_of"], r["best"], r["is_cumulative"], r["is_superseded"]) for r in report_rows] == [
        ("estimated", "2017", "", "false", "false"),
        ("exhumed", "2018-11", "250", "true", "true"),
        ("exhumed", "2018-11-06", "300", "true", "true"),
        ("exhumed", "2019", "435", "true", "false"),
        ("reported", "2017-02", "4000", "false", "false"),
    ]
    assert (report_rows[0]["low"], report_rows[0]["high"], report_rows[0]["qualifier"]) == ("1000", "", "more_than")
