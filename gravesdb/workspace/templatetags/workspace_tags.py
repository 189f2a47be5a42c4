from django import template
from django.utils.translation import gettext as _

register = template.Library()


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
