"""How the map draws a site: colour by status, size by the reconciled best count."""

import math

from gravesdb.sites.choices import SiteStatus

# Colours a reader tells apart (checked for colour-blind viewers: ColorBrewer "Dark2"/"Set1"),
# each dark enough for white text at WCAG AA in the legend.
STATUS_COLOURS = {
    SiteStatus.REPORTED: "#b35806",
    SiteStatus.VERIFIED: "#7a4fa3",
    SiteStatus.PROTECTED: "#1b7837",
    SiteStatus.UNDER_INVESTIGATION: "#2166ac",
    SiteStatus.EXHUMED_PARTIALLY: "#01665e",
    SiteStatus.EXHUMED_FULLY: "#005a32",
    SiteStatus.CLOSED: "#4d4d4d",
    SiteStatus.DESTROYED: "#b2182b",
    SiteStatus.REMAINS_TRANSFERRED: "#8c510a",
}
MIN_RADIUS_PX, MAX_RADIUS_PX = 5, 22


def marker_radius(best: int | None) -> int:
    """Marker radius in pixels, growing with the log of the count so 10 and 10,000 both read."""
    if not best:
        return MIN_RADIUS_PX
    return min(MAX_RADIUS_PX, MIN_RADIUS_PX + round(3 * math.log10(best)))
