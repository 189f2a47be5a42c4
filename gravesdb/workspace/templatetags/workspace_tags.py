import functools

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def choice_label(record, field_name):
    """What ``record.get_<field_name>_display()`` shows, for lists.

    Django's method translates every label of the field to find one (some 40 µs);
    a list of 200 sites asks it four times a row.
    """
    field = record._meta.get_field(field_name)
    value = getattr(record, field.attname)
    return _choice_labels(field).get(value, value)


@functools.cache
def _choice_labels(field) -> dict:
    return dict(field.flatchoices)  # labels stay lazy: each is translated when shown


@register.filter
def count_or_dash(value):
    return "—" if value is None else f"{value:,}"


@register.simple_tag
def reconciled_range(site):
    """Lowest to highest figure any source gave, e.g. "300–4,000"; one figure when they agree."""
    if site.reconciled_low is None:
        return "—"
    if site.reconciled_low == site.reconciled_high:
        return f"{site.reconciled_low:,}"
    return f"{site.reconciled_low:,}–{site.reconciled_high:,}"


@register.filter
def distance(metres):
    if metres >= 1000:
        return _("%(km)s km") % {"km": f"{metres / 1000:,.0f}"}
    return _("%(m)s m") % {"m": metres}


@register.simple_tag
def chart_width(row):
    return round(max(row.high_x - row.low_x, 2), 1)
