"""Streaming writers for CSV, XLSX, JSON and GeoJSON, byte-identical for the same rows.

Rows arrive one at a time from a server-side cursor and leave the same way, so a
100,000-site export holds one row in memory, not the table. Every cell is turned
into text one way (``cell_text``) so the same database always gives the same bytes;
XLSX packages are rewritten with fixed timestamps for the same reason. Text that a
spreadsheet would execute is escaped with a leading ' in CSV and XLSX (OWASP).
"""

import csv
import datetime
import io
import json
import re
import shutil
import tempfile
import zipfile
from decimal import Decimal

from .files import escape_formula

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_DOC_TIME = datetime.datetime(2000, 1, 1)
FORMATS = ("csv", "xlsx", "json", "geojson")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "geojson": "application/geo+json",
}


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).isoformat(timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "; ".join(cell_text(v) for v in value)
    return str(value)


def json_value(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float):
        return value
    return cell_text(value)


class Writer:
    def __init__(self, stream, headers: list[str]):
        self.stream = stream
        self.headers = headers

    def write(self, row):
        raise NotImplementedError

    def close(self):
        pass


class CSVWriter(Writer):
    def __init__(self, stream, headers, *, excel=False):
        super().__init__(stream, headers)
        self.text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
        if excel:
            self.text.write("\ufeff")  # Excel reads UTF-8 (Arabic, Kurdish) only with a BOM
        self.csv = csv.writer(self.text, lineterminator="\r\n")
        self.csv.writerow(headers)

    def write(self, row):
        self.csv.writerow([cell_text(v) if _is_number(v) else escape_formula(cell_text(v)) for v in row])

    def close(self):
        self.text.flush()
        self.text.detach()


def _is_number(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


class JSONWriter(Writer):
    def __init__(self, stream, headers):
        super().__init__(stream, headers)
        self.first = True
        self.stream.write(b"[")

    def write(self, row):
        record = {h: json_value(v) for h, v in zip(self.headers, row)}
        self.stream.write((b"\n" if self.first else b",\n") + json.dumps(record, ensure_ascii=False).encode())
        self.first = False

    def close(self):
        self.stream.write(b"\n]\n")


class GeoJSONWriter(JSONWriter):
    """A FeatureCollection QGIS opens: the report's columns as properties, the site as a point."""

    def __init__(self, stream, headers):
        Writer.__init__(self, stream, headers)
        self.first = True
        self.lat, self.lon = headers.index("latitude"), headers.index("longitude")
        stream.write(b'{"type": "FeatureCollection", "crs": {"type": "name", "properties": '
                     b'{"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}, "features": [')

    def write(self, row):
        lat, lon = row[self.lat], row[self.lon]
        geometry = None if lat is None or lon is None else {"type": "Point", "coordinates": [float(lon), float(lat)]}
        feature = {
            "type": "Feature",
            "geometry": geometry,
            "properties": {h: json_value(v) for h, v in zip(self.headers, row)},
        }
        self.stream.write((b"\n" if self.first else b",\n") + json.dumps(feature, ensure_ascii=False).encode())
        self.first = False

    def close(self):
        self.stream.write(b"\n]}\n")


class XLSXWriter(Writer):
    """openpyxl's write-only mode streams rows to a temporary file, not to memory."""

    def __init__(self, stream, headers):
        super().__init__(stream, headers)
        import openpyxl

        self.book = openpyxl.Workbook(write_only=True)
        self.book.properties.created = self.book.properties.modified = FIXED_DOC_TIME
        self.book.properties.creator = "gravesdb"
        self.sheet = self.book.create_sheet("report")
        self.sheet.append(headers)

    def write(self, row):
        self.sheet.append([v if _is_number(v) else escape_formula(cell_text(v)) for v in row])

    def close(self):
        with tempfile.TemporaryFile() as raw:
            self.book.save(raw)
            raw.seek(0)
            _deterministic_zip(raw, self.stream)


def _deterministic_zip(source, target):
    """Copy a zip package entry by entry with fixed times, so equal content gives equal bytes."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            with zin.open(info) as entry, zout.open(fixed, "w") as out:
                if info.filename == "docProps/core.xml":
                    out.write(_fixed_core_properties(entry.read()))
                else:
                    shutil.copyfileobj(entry, out, 1024 * 1024)


def _fixed_core_properties(xml: bytes) -> bytes:
    # openpyxl stamps "modified" with the time of saving whatever was set before.
    return re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>2000-01-01T00:00:00Z\g<2>", xml)


def writer_for(file_format: str, stream, headers, *, excel=False) -> Writer:
    if file_format == "csv":
        return CSVWriter(stream, headers, excel=excel)
    if file_format == "xlsx":
        return XLSXWriter(stream, headers)
    if file_format == "json":
        return JSONWriter(stream, headers)
    if file_format == "geojson":
        return GeoJSONWriter(stream, headers)
    raise ValueError(f"unknown format {file_format!r}; choose one of {', '.join(FORMATS)}")
