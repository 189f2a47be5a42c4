"""The database's refusals, in words: which column, and what is wrong with it.

Check constraints and triggers are the last guard of every invariant; when an
imported row trips one, the data manager should read "low is greater than high",
not ``new row violates check constraint "estimate_low_le_high"``.
"""

from django.utils.translation import gettext as _

CONSTRAINTS = {
    "estimate_low_le_best": ("low", _("low is greater than best")),
    "estimate_best_le_high": ("best", _("best is greater than high")),
    "estimate_low_le_high": ("low", _("low is greater than high")),
    "estimate_has_a_figure": ("best", _("give at least one of low, best and high")),
    "estimate_count_type_valid": ("count_type", _("unknown count type")),
    "estimate_as_of_ordered": ("as_of", _("the as-of date ends before it starts")),
    # A qualifier the figures contradict: the words name the file's columns and values, as an import fixes them.
    "estimate_qualifier_valid": ("qualifier", _("unknown qualifier")),
    "estimate_open_above_has_no_high": (
        "qualifier",
        _("at_least and more_than leave the high open: give the figure as low and leave high empty, "
          "or choose another qualifier"),
    ),
    "estimate_open_below_has_no_low": (
        "qualifier",
        _("up_to and fewer_than leave the low open: give the figure as high and leave low empty, "
          "or choose another qualifier"),
    ),
    "estimate_closed_figure_complete": (
        "qualifier",
        _("an exact or approximate figure needs a best figure, or both low and high; a lone low or high is a "
          "bound: choose at_least or up_to"),
    ),
    "estimate_approximate_follows_qualifier": (
        "is_approximate", _("is_approximate is true exactly when the qualifier is approximate")
    ),
    "site_latitude_range": ("latitude", _("latitude out of range (-90 to 90)")),
    "site_longitude_range": ("longitude", _("longitude out of range (-180 to 180)")),
    "site_coordinates_both_or_neither": ("latitude", _("give both latitude and longitude, or neither")),
    "site_country_iso_alpha2": ("country", _("the country must be an ISO 3166-1 alpha-2 code such as IQ or ES")),
    "site_area_within_country": ("first_level_area", _("the area must lie in the site's country")),
    "site_period_end_after_start": ("period", _("the period ends before it starts")),
    "site_name_not_blank": ("name", _("a site needs a name")),
    "sites_site_reference_code_key": ("reference_code", _("another site already has this reference code")),
    "organization_country_iso_alpha2": ("country", _("the country must be an ISO 3166-1 alpha-2 code")),
    "sources_organization_name_key": ("name", _("another organisation already has this name")),
    "citation_quote_not_blank": ("quote", _("a citation needs the exact quote")),
    "citation_credibility_1_6": ("credibility", _("credibility must be 1 to 6")),
    "source_title_not_blank": ("title", _("a source needs a title")),
}


def plain_database_error(error) -> tuple[str, str]:
    cause = getattr(error, "__cause__", None)
    diag = getattr(cause, "diag", None)
    constraint = getattr(diag, "constraint_name", None) or ""
    if constraint in CONSTRAINTS:
        column, message = CONSTRAINTS[constraint]
        return column, str(message)
    for name, (column, message) in CONSTRAINTS.items():
        if name in str(error):
            return column, str(message)
    primary = getattr(diag, "message_primary", None) or str(error).splitlines()[0]
    return "", primary
