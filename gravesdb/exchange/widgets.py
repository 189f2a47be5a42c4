"""Cell readers and writers that say what is wrong in words a data manager understands.

django-import-export's own widgets raise Python's messages ("invalid literal for
int() with base 10"); these raise "“12a” is not a whole number", list the allowed
values of a choice, and resolve natural keys (a site's reference code, an
organisation's name) from a cache filled once per file rather than once per row.
"""

import datetime
import re
import uuid
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.utils.translation import gettext as _
from import_export import widgets

TRUE_WORDS = {"true", "yes", "y", "1", "t", "sí", "si", "oui", "نعم"}
FALSE_WORDS = {"false", "no", "n", "0", "f", "non", "لا"}
LIST_SEPARATOR = ";"


def _text(value) -> str:
    return "" if value is None else str(value).strip()


class TextWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return "" if value is None else str(value).strip()

    def render(self, value, **kwargs):
        return "" if value is None else str(value)


class ChoiceWidget(widgets.Widget):
    """Accepts a choice's value or its label, in any case; anything else is named and refused."""

    def __init__(self, choices, default=""):
        super().__init__()
        self.values = [str(value) for value, _label in choices]
        self.lookup = {}
        for value, label in choices:
            for spelling in (value, label, str(value).replace("_", " ")):
                self.lookup[_key(spelling)] = value
        self.default = default

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return self.default
        try:
            return self.lookup[_key(text)]
        except KeyError:
            raise ValueError(
                _("“%(value)s” is not one of the allowed values: %(allowed)s.")
                % {"value": text, "allowed": ", ".join(self.values)}
            ) from None

    def render(self, value, **kwargs):
        return "" if value is None else str(value)


def _key(text) -> str:
    return re.sub(r"[\s_]+", " ", str(text)).strip().casefold()


class WholeNumberWidget(widgets.Widget):
    """Counts: blank stays unknown (None), 0 stays 0, “12a” or “-3” is refused."""

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return None
        if re.fullmatch(r"\d+(\.0+)?", text):
            return int(Decimal(text))
        if re.fullmatch(r"\d{1,3}([,. ]\d{3})+", text):
            raise ValueError(
                _("“%(value)s” has a thousands separator; write the count as digits only (%(digits)s).")
                % {"value": text, "digits": re.sub(r"\D", "", text)}
            )
        if re.fullmatch(r"-\d+(\.0+)?", text):
            raise ValueError(_("“%(value)s” is negative; counts and ages cannot be.") % {"value": text})
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": text})

    def render(self, value, **kwargs):
        return "" if value is None else str(value)


class CoordinateWidget(widgets.Widget):
    """Degrees with a dot or a decimal comma, rounded to the 6 places stored (about 0.1 m)."""

    def __init__(self, places=6, limit=90):
        super().__init__()
        self.quantum = Decimal(1).scaleb(-places)
        self.limit = limit

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return None
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": _text(value)}) from None
        if not number.is_finite() or abs(number) > self.limit:
            raise ValueError(
                _("%(value)s is out of range: it must lie between -%(limit)d and %(limit)d.")
                % {"value": _text(value), "limit": self.limit}
            )
        return number.quantize(self.quantum, rounding=ROUND_HALF_EVEN)

    def render(self, value, **kwargs):
        return "" if value is None else str(value)


class BooleanWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = _text(value).casefold()
        if not text:
            return False
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise ValueError(_("“%(value)s” is not yes or no (use true or false).") % {"value": _text(value)})

    def render(self, value, **kwargs):
        return "true" if value else "false"


class DateWidget(widgets.Widget):
    """ISO dates (2017-02-18), and never a day that has not happened yet."""

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return None
        try:
            day = datetime.date.fromisoformat(text[:10])
        except ValueError:
            raise ValueError(_("“%(value)s” is not a date like 2017-02-18.") % {"value": text}) from None
        if day > datetime.date.today():
            raise ValueError(_("%(value)s is in the future.") % {"value": day.isoformat()})
        return day

    def render(self, value, **kwargs):
        return "" if value is None else value.isoformat()


class UUIDWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return None
        try:
            return uuid.UUID(text)
        except ValueError:
            raise ValueError(_("“%(value)s” is not a record id (a UUID).") % {"value": text}) from None

    def render(self, value, **kwargs):
        return "" if value is None else str(value)


class ListWidget(widgets.Widget):
    """Several values in one cell, separated by semicolons (names may contain commas)."""

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return []
        return [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]

    def render(self, value, **kwargs):
        return f"{LIST_SEPARATOR} ".join(value or [])


class NaturalKeyWidget(widgets.Widget):
    """A foreign key written as what people call the record: a site code, an organisation name.

    ``prime()`` loads every key a file mentions in one query; a key first seen later
    (a record created earlier in the same import) is looked up once and remembered.
    """

    def __init__(self, model, field, *, label, follow=None, or_id=False):
        super().__init__()
        self.model = model
        self.field = field
        self.label = label
        self.follow = follow  # e.g. "merged_into": a merged site's code resolves to the survivor
        self.or_id = or_id  # also accept the record's UUID (lists that link rows by derived ids)
        self.cache = {}

    def _normal(self, text):
        if self.or_id:
            try:
                return uuid.UUID(text)
            except ValueError:
                return text
        if self.field == "pk":
            try:
                return uuid.UUID(text)
            except ValueError:
                raise ValueError(_("“%(value)s” is not a record id (a UUID).") % {"value": text}) from None
        return text

    def prime(self, values):
        wanted = {self._normal(_text(v)) for v in values if _text(v)} - set(self.cache)
        ids = {w for w in wanted if isinstance(w, uuid.UUID)}
        self._load("pk", list(ids))
        self._load(self.field, list(wanted - ids))

    def _load(self, field, wanted):
        for start in range(0, len(wanted), 5000):
            chunk = wanted[start : start + 5000]
            for obj in self._queryset().filter(**{f"{field}__in": chunk}):
                self.cache[getattr(obj, field)] = self._resolve(obj)

    def _queryset(self):
        queryset = self.model._default_manager.all()
        if self.follow:
            queryset = queryset.select_related(self.follow)
        return queryset

    def _resolve(self, obj):
        if self.follow:
            while getattr(obj, f"{self.follow}_id", None):
                obj = getattr(obj, self.follow)
        return obj

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return None
        key = self._normal(text)
        if key not in self.cache:
            self.prime([text])
        if key not in self.cache:
            raise ValueError(_("There is no %(label)s “%(value)s”.") % {"label": self.label, "value": text})
        return self.cache[key]

    def render(self, value, **kwargs):
        if value is None:
            return ""
        return str(getattr(value, self.field))


class ManyNaturalKeysWidget(widgets.Widget):
    """Export only: related records' keys, semicolon-separated, in a stable order."""

    def __init__(self, field):
        super().__init__()
        self.field = field

    def render(self, value, **kwargs):
        if value is None:
            return ""
        return f"{LIST_SEPARATOR} ".join(sorted(str(getattr(obj, self.field)) for obj in value.all()))
