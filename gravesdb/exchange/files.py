"""Reading the files other organisations send: tolerant of real lists, closed to hostile ones.

Real lists come as Windows-1252 or Windows-1256 CSV with semicolons, UTF-8 with or
without a byte-order mark, XLSX saved by any spreadsheet, JSON and GeoJSON. Hostile
or broken files come too: a fake workbook, a zip bomb, binary garbage, a CSV with
10,000 columns or a 10 MB cell. Everything is refused here, with a message a data
manager can act on, before a single row reaches the database.

Every format becomes the same thing, a ``Table`` of text cells, so one import path
(django-import-export's Resources) follows whatever came in.
"""

import csv
import datetime
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

# A spreadsheet executes a cell that starts with one of these (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_RATIO = 100  # uncompressed / compressed size of one workbook part
XLSX_RATIO_FLOOR = 1024 * 1024  # small parts may compress very well without harm
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "cp1256", "latin-1")
DELIMITERS = (",", ";", "\t")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


class FileRefused(Exception):
    """The file as a whole cannot be read; nothing was imported."""


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    # The row number a spreadsheet shows for each row (the header is row 1).
    row_numbers: list[int]
    format: str
    encoding: str = ""
    delimiter: str = ""
    notes: list[str] = field(default_factory=list)


def limits():
    return {
        "bytes": settings.GRAVESDB_IMPORT_MAX_BYTES,
        "columns": settings.GRAVESDB_IMPORT_MAX_COLUMNS,
        "field": settings.GRAVESDB_IMPORT_MAX_FIELD_CHARS,
    }


def read_table(data: bytes, *, name: str = "", file_format: str = "", encoding: str = "") -> Table:
    """Turn an uploaded file into a Table, or refuse it with a plain message."""
    limit = limits()["bytes"]
    if len(data) > limit:
        raise FileRefused(
            _("The file is %(size)s; files over %(limit)s are refused (setting GRAVESDB_IMPORT_MAX_BYTES).")
            % {"size": _megabytes(len(data)), "limit": _megabytes(limit)}
        )
    if not data.strip():
        raise FileRefused(_("The file is empty."))
    file_format = (file_format or guess_format(name, data)).lower()
    if file_format == "xlsx":
        return _read_xlsx(data)
    if data.startswith(b"PK\x03\x04"):
        raise FileRefused(_("This is a zip archive or workbook, not a %(format)s file.") % {"format": file_format.upper()})
    text, encoding = decode(data, encoding)
    if _CONTROL.search(text):
        raise FileRefused(_("This file contains binary data, not text; it is not a CSV, JSON or GeoJSON table."))
    if file_format in ("json", "geojson"):
        return _read_json(text, encoding)
    return _read_csv(text, encoding)


def guess_format(name: str, data: bytes) -> str:
    lowered = name.lower()
    for extension in ("xlsx", "geojson", "json", "tsv", "csv"):
        if lowered.endswith("." + extension):
            return "csv" if extension == "tsv" else extension
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] in (b"[", b"{"):
        return "json"
    return "csv"


def decode(data: bytes, encoding: str = "") -> tuple[str, str]:
    """Decode with the chosen encoding, or detect UTF-8 (± BOM), Windows-1252/1256 or Latin-1."""
    if encoding:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise FileRefused(_("“%(encoding)s” is not an encoding gravesdb knows.") % {"encoding": encoding}) from None
        except UnicodeDecodeError as error:
            raise FileRefused(
                _("The file is not valid %(encoding)s (byte %(position)d); choose another encoding.")
                % {"encoding": encoding, "position": error.start}
            ) from None
        return text.removeprefix("\ufeff"), encoding
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    arabic = data.decode("cp1256")
    if _looks_arabic(arabic):
        return arabic, "cp1256"
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _looks_arabic(text: str) -> bool:
    """Arabic text decoded as Windows-1256 gives whole Arabic words; Spanish or French
    decoded the same way gives Latin words with Arabic letters stuck inside them."""
    words = [w for w in re.findall(r"\w+", text) if _ARABIC.search(w)]
    if not words:
        return False
    mixed = sum(1 for w in words if _LATIN_LETTER.search(w))
    return mixed <= len(words) // 10


def _read_csv(text: str, encoding: str) -> Table:
    first_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=lambda d: (first_line.count(d), d == ","))
    max_field = limits()["field"]
    previous_limit = csv.field_size_limit(max_field)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        records = _bounded_records(reader)
        headers = next(records, None)
        if headers is None:
            raise FileRefused(_("The file is empty."))
        _check_width(len(headers), 1)
        rows, numbers = [], []
        for number, record in enumerate(records, start=2):
            if len(record) > len(headers) and any(cell.strip() for cell in record[len(headers):]):
                _check_width(len(record), number)
                raise FileRefused(
                    _("Row %(row)d has %(cells)d cells but the header has %(headers)d columns: check the delimiter and quotes.")
                    % {"row": number, "cells": len(record), "headers": len(headers)}
                )
            rows.append([_unescape(cell) for cell in record[: len(headers)]])
            numbers.append(number)
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise FileRefused(
                _("A cell is longer than %(limit)s characters (setting GRAVESDB_IMPORT_MAX_FIELD_CHARS); the file is refused.")
                % {"limit": f"{max_field:,}"}
            ) from None
        raise FileRefused(_("The CSV cannot be read: %(error)s.") % {"error": error}) from None
    finally:
        csv.field_size_limit(previous_limit)
    return _table(headers, rows, numbers, "csv", encoding=encoding, delimiter=delimiter)


def _bounded_records(reader):
    for record in reader:
        _check_width(len(record), reader.line_num)
        yield record


def _check_width(width: int, row: int) -> None:
    limit = limits()["columns"]
    if width > limit:
        raise FileRefused(
            _("Row %(row)d has %(width)s columns; at most %(limit)s are accepted (setting GRAVESDB_IMPORT_MAX_COLUMNS).")
            % {"row": row, "width": f"{width:,}", "limit": limit}
        )


def _read_xlsx(data: bytes) -> Table:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        raise FileRefused(_("This is not a real XLSX workbook (it is not a valid zip package).")) from None
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise FileRefused(_("This zip file is not an XLSX workbook (no workbook inside)."))
    expanded_limit = 4 * limits()["bytes"]
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > expanded_limit or (info.file_size > XLSX_RATIO_FLOOR and ratio > XLSX_MAX_RATIO):
            raise FileRefused(
                _("The workbook expands to far more than its size (a “zip bomb”); it is refused.")
            )
    import openpyxl  # defusedxml is required (checks.py), so XML entity bombs are refused too

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        records = sheet.iter_rows(values_only=True)
        header_cells = next(records, None)
        if header_cells is None:
            raise FileRefused(_("The workbook's first sheet is empty."))
        _check_width(len(header_cells), 1)
        headers = [_cell_text(value) for value in header_cells]
        rows, numbers = [], []
        for number, record in enumerate(records, start=2):
            _check_width(len(record), number)
            cells = [_unescape(_cell_text(value)) for value in record]
            if len(cells) > len(headers) and any(cells[len(headers):]):
                raise FileRefused(
                    _("Row %(row)d has cells beyond the last titled column.") % {"row": number}
                )
            rows.append(cells[: len(headers)])
            numbers.append(number)
        book.close()
    except FileRefused:
        raise
    except Exception as error:  # openpyxl and defusedxml raise many unrelated types
        cause = _root_cause(error)
        if type(cause).__module__.startswith("defusedxml"):
            raise FileRefused(
                _("The workbook declares XML entities (an “XML bomb”: %(error)s); it is refused.")
                % {"error": type(cause).__name__}
            ) from None
        raise FileRefused(_("The workbook cannot be read (%(error)s).") % {"error": type(cause).__name__}) from None
    return _table(headers, rows, numbers, "xlsx")


def _root_cause(error: BaseException) -> BaseException:
    seen = set()
    while (error.__cause__ or error.__context__) is not None and id(error) not in seen:
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return error


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time(0) else value.isoformat()
    if isinstance(value, (datetime.date, Decimal, int)):
        return str(value)
    text = str(value)
    if len(text) > limits()["field"]:
        raise FileRefused(
            _("A cell is longer than %(limit)s characters (setting GRAVESDB_IMPORT_MAX_FIELD_CHARS); the file is refused.")
            % {"limit": f"{limits()['field']:,}"}
        )
    return text


def _read_json(text: str, encoding: str) -> Table:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise FileRefused(_("The JSON cannot be read: %(error)s.") % {"error": str(error)[:200]}) from None
    if isinstance(document, dict) and document.get("type") == "FeatureCollection":
        records = [_feature_record(feature, number) for number, feature in enumerate(document.get("features") or [], 1)]
        table_format = "geojson"
    elif isinstance(document, list) and all(isinstance(item, dict) for item in document):
        records = document
        table_format = "json"
    else:
        raise FileRefused(_("The JSON must be a list of objects (one per row) or a GeoJSON FeatureCollection."))
    headers: list[str] = []
    seen = set()
    for record in records:
        for key in record:
            if key not in seen:
                seen.add(key)
                headers.append(key)
                _check_width(len(headers), 1)
    rows = [[_json_text(record.get(key)) for key in headers] for record in records]
    # JSON has no row numbers a user sees; the position in the list (from 1) plays that role,
    # offset by one so numbering matches a spreadsheet with a header row.
    return _table(headers, rows, list(range(2, len(rows) + 2)), table_format, encoding=encoding)


def _feature_record(feature, number: int) -> dict:
    if not isinstance(feature, dict):
        raise FileRefused(_("Feature %(number)d is not a GeoJSON feature.") % {"number": number})
    record = dict(feature.get("properties") or {})
    geometry = feature.get("geometry")
    if geometry:
        if geometry.get("type") != "Point":
            raise FileRefused(
                _("Feature %(number)d is a %(type)s; only points give a site's location.")
                % {"number": number, "type": geometry.get("type")}
            )
        coordinates = geometry.get("coordinates") or []
        if len(coordinates) < 2:
            raise FileRefused(_("Feature %(number)d has no coordinates.") % {"number": number})
        record["longitude"], record["latitude"] = coordinates[0], coordinates[1]
    return record


def _json_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(_json_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    if len(text) > limits()["field"]:
        raise FileRefused(
            _("A value is longer than %(limit)s characters (setting GRAVESDB_IMPORT_MAX_FIELD_CHARS); the file is refused.")
            % {"limit": f"{limits()['field']:,}"}
        )
    return text


def _table(headers, rows, numbers, table_format, *, encoding="", delimiter="") -> Table:
    headers = [str(h or "").strip() for h in headers]
    keep = [i for i, h in enumerate(headers) if h or any(i < len(row) and str(row[i]).strip() for row in rows)]
    headers = [headers[i] for i in keep]
    for i, header in enumerate(headers):
        if not header:
            raise FileRefused(_("Column %(column)d has values but no title in the header row.") % {"column": keep[i] + 1})
    seen = {}
    for header in headers:
        key = normalise_header(header)
        if key in seen:
            raise FileRefused(
                _("Two columns have the same title, “%(first)s” and “%(second)s”.") % {"first": seen[key], "second": header}
            )
        seen[key] = header
    kept_rows, kept_numbers = [], []
    for row, number in zip(rows, numbers):
        cells = [str(row[i]) if i < len(row) else "" for i in keep]
        if any(cell.strip() for cell in cells):
            kept_rows.append(cells)
            kept_numbers.append(number)
    return Table(headers, kept_rows, kept_numbers, table_format, encoding=encoding, delimiter=delimiter)


def normalise_header(header: str) -> str:
    """“Reference code”, “reference_code” and “ REFERENCE  CODE ” are one column."""
    text = unicodedata.normalize("NFKC", str(header)).casefold()
    return re.sub(r"[\s_\-]+", " ", text).strip()


def escape_formula(value):
    """A leading ' keeps a spreadsheet from executing a cell as a formula (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _unescape(cell: str) -> str:
    """Undo escape_formula, so an exported file imports back to the same values."""
    if cell.startswith("'") and cell[1:2] and cell[1:].startswith(FORMULA_TRIGGERS):
        return cell[1:]
    return cell


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
