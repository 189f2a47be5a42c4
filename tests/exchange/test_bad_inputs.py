"""The bad-input corpus: each file is a realistic mistake or attack, refused whole with a
message that names the problem, and the database is left exactly as it was."""

import gzip
from pathlib import Path

import pytest
from django.test import override_settings

from gravesdb.exchange.services import records_import

CORPUS = Path(__file__).parent / "bad_inputs"

EXPECTED = {
    "estimates__unknown_site_code.csv": (3, "site", "There is no site with reference code “IQ-NI-9999”."),
    "estimates__low_greater_than_high.csv": (2, "", "low ≤ best ≤ high"),
    "estimates__best_above_high.csv": (2, "", "low ≤ best ≤ high"),
    "estimates__unknown_count_type.csv": (2, "count_type", "“guessed” is not one of the allowed values: reported, estimated, exhumed, identified."),
    "estimates__as_of_in_the_future.csv": (2, "as_of", "2999-01 is in the future."),
    "estimates__malformed_number.csv": (2, "best", "“3OO” is not a whole number."),
    "estimates__thousands_separator.csv": (2, "best", "has a thousands separator; write the count as digits only (4000)"),
    "estimates__negative_count.csv": (2, "best", "“-12” is negative"),
    "estimates__no_figure_at_all.csv": (2, "", "Give at least one of low, best and high"),
    "estimates__unknown_organization.csv": (2, "producing_organization", "There is no organisation “Ministry of Nowhere”."),
    "estimates__malformed_uuid.csv": (2, "citation", "“not-a-uuid” is not a record id (a UUID)."),
    "estimates__repeated_row_id.csv": (3, "id", "This row repeats the record of row 2"),
    "estimates__not_yes_or_no.csv": (2, "is_approximate", "“maybe” is not yes or no"),
    "sites__latitude_out_of_range.csv": (2, "latitude", "123.4 is out of range: it must lie between -90 and 90."),
    "sites__longitude_not_a_number.csv": (2, "longitude", "is not a number."),
    "sites__unknown_site_type.csv": (2, "site_type", "“mass pit” is not one of the allowed values: pit, trench"),
    "sites__country_name_not_code.csv": (2, "country", "is not an ISO 3166-1 alpha-2 country code"),
    "sites__area_outside_country.csv": (2, "first_level_area", "The area must lie in the site's country."),
    "sites__one_coordinate_only.csv": (2, "", "Give both latitude and longitude, or neither."),
    "sites__period_not_edtf.csv": (2, "period", "is not an EDTF date"),
    "sites__status_goes_backwards.csv": (2, "status", "cannot go from “Exhumed (fully)” to “Reported”"),
    "sites__reference_code_changed.csv": (2, "reference_code", "Reference code never changes once recorded."),
    "sites__unknown_columns.csv": (0, "", "These columns match nothing in gravesdb: nbr of victims."),
    "sites__duplicate_headers.csv": (0, "", "Two columns have the same title, “name” and “Name”."),
    "sites__header_only.csv": (0, "", "The file has a header row but no data rows: it would import nothing."),
    "sites__empty.csv": (0, "", "The file is empty."),
    "sites__wrong_delimiter_extra_cells.csv": (0, "", "Row 2 has 9 cells but the header has 8 columns"),
    "citations__quote_rewritten.csv": (2, "quote", "A citation's source, locator and quote never change"),
    "organizations__country_not_iso.json": (2, "country", "is not an ISO 3166-1 alpha-2 country code"),
    "sites__json_not_a_list.json": (0, "", "The JSON must be a list of objects"),
    "sites__json_malformed.json": (0, "", "The JSON cannot be read"),
    "sites__geojson_polygon.geojson": (0, "", "Feature 1 is a Polygon; only points give a site's location."),
    "sites__binary_garbage.csv": (0, "", "This file contains binary data, not text"),
    "sites__executable_renamed.csv": (0, "", "This file contains binary data, not text"),
    "sites__fake_workbook.xlsx": (0, "", "This is not a real XLSX workbook"),
    "sites__zip_not_workbook.xlsx": (0, "", "This zip file is not an XLSX workbook"),
    "sites__zip_bomb.xlsx": (0, "", "expands to far more than its size"),
    "sites__xml_entity_bomb.xlsx": (0, "", "The workbook declares XML entities (an “XML bomb”: EntitiesForbidden); it is refused."),
    "sites__ten_thousand_columns.csv.gz": (0, "", "Row 1 has 10,000 columns; at most 200 are accepted"),
    "sites__ten_megabyte_field.csv.gz": (0, "", "A cell is longer than 262,144 characters"),
    "sites__over_the_size_limit.csv": (0, "", "files over 0.0 MB are refused (setting GRAVESDB_IMPORT_MAX_BYTES)"),
}


def test_every_file_in_the_corpus_has_an_expectation():
    files = {p.name for p in CORPUS.iterdir() if p.is_file()}
    assert files == set(EXPECTED)
    assert len(files) >= 25


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_is_refused_whole_and_changes_nothing(name, world, data_manager, fingerprint):
    row, column, message = EXPECTED[name]
    data = (CORPUS / name).read_bytes()
    file_name = name
    if name.endswith(".gz"):
        data, file_name = gzip.decompress(data), name.removesuffix(".gz")
    model = name.split("__")[0]
    before = fingerprint()
    limit = 1000 if "size_limit" in name else 50 * 1024 * 1024
    with override_settings(GRAVESDB_IMPORT_MAX_BYTES=limit):
        outcome = records_import(model=model, data=data, file_name=file_name, actor=data_manager)
    assert not outcome.ok
    assert any(
        problem.row == row and problem.column == column and message in problem.message for problem in outcome.errors
    ), [str(p) for p in outcome.errors]
    assert "Nothing was imported" in outcome.summary()
    assert fingerprint() == before
