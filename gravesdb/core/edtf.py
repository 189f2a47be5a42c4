"""Dates as researchers know them: EDTF (ISO 8601-2) strings with stored day bounds.

A grave's period of use is rarely a day: "June to December 2014", "2014?", "the
2010s". The EDTF string keeps what the source said; the earliest and latest days
computed from it let the database filter and order without re-parsing.
"""

import datetime
import functools

import edtf
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def parse(value: str):
    try:
        return edtf.parse_edtf(value)
    except Exception as exc:  # the edtf parser raises several unrelated types
        raise ValidationError(
            _("“%(value)s” is not an EDTF date (examples: 2014-06/2014-12, 2014?, 2014-06)."),
            code="invalid_edtf",
            params={"value": value},
        ) from exc


def validate_edtf(value: str) -> None:
    if value:
        bounds(value)


def _to_date(struct) -> datetime.date | None:
    if struct is None or isinstance(struct, float):  # open-ended intervals give ±inf
        return None
    return datetime.date(struct.tm_year, struct.tm_mon, struct.tm_mday)


@functools.lru_cache(maxsize=8192)
def bounds(value: str) -> tuple[datetime.date | None, datetime.date | None]:
    """Earliest and latest day an EDTF value can mean; None for an open or unknown end.

    An unknown end ("2014-06/") is stored as open: the edtf library guesses ten
    years, which would put a guess into the record as if a source had said it.
    """
    if not value:
        return None, None
    parsed = parse(value)
    try:
        earliest, latest = _to_date(parsed.lower_strict()), _to_date(parsed.upper_strict())
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            _("“%(value)s” is an EDTF form gravesdb cannot bound; give explicit start and end."),
            code="unbounded_edtf",
            params={"value": value},
        ) from exc
    if "/" in value:
        start, end = value.split("/", 1)
        earliest = None if start in ("", "..") else earliest
        latest = None if end in ("", "..") else latest
    if earliest and latest and latest < earliest:
        raise ValidationError(
            _("“%(value)s” ends before it starts."), code="reversed_edtf", params={"value": value}
        )
    return earliest, latest
