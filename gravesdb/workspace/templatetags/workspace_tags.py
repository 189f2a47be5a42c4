from django import template
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.translation import gettext as _

from gravesdb.core.choices import choice_label
from gravesdb.sites.figures import range_text

register = template.Library()


register.filter("choice_label", choice_label)


@register.filter
def count_or_dash(value):
    return "—" if value is None else f"{value:,}"


@register.simple_tag
def reconciled_range(site):
    """The spread of the figures, open where a source left a side open: "300–4,000", "≥ 300"."""
    return range_text(site)


@register.filter
def distance(metres):
    if metres >= 1000:
        return _("%(km)s km") % {"km": f"{metres / 1000:,.0f}"}
    return _("%(m)s m") % {"m": metres}


@register.simple_tag
def location_text(location, site):
    """The point as this reader may see it, and how precise it is: a list cell or a dossier line.

    A tag rather than an included template: an include costs a list 0.1 ms a row.
    """
    if not location.is_known:
        return "—"
    point = format_html("{}, {}", localize(location.latitude), localize(location.longitude))
    if location.coarsened:
        note = _("coarsened: within %(distance)s") % {"distance": distance(location.radius_m)}
        return format_html('{}<br><small class="coarsened">{}</small>', point, note)
    if location.precision != "exact":
        return format_html("{}<br><small>{}</small>", point, choice_label(site, "location_precision"))
    return point
