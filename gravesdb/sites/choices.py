from django.db import models
from django.utils.translation import gettext_lazy as _


class LocationPrecision(models.TextChoices):
    EXACT = "exact", _("Exact")
    APPROXIMATE = "approximate", _("Approximate (under 1 km)")
    LOCALITY = "locality", _("Locality")
    DISTRICT = "district", _("District")
    UNKNOWN = "unknown", _("Unknown")


class SiteType(models.TextChoices):
    PIT = "pit", _("Pit")
    TRENCH = "trench", _("Trench")
    SINKHOLE = "sinkhole", _("Sinkhole")
    WELL = "well", _("Well")
    BUILDING = "building", _("Building")
    CEMETERY = "cemetery", _("Cemetery")
    OPEN_GROUND = "open_ground", _("Open ground")
    OTHER = "other", _("Other")


class Deposition(models.TextChoices):
    """How the remains were deposited (Bournemouth Protocol)."""

    BURIED = "buried", _("Buried")
    SUBMERGED = "submerged", _("Submerged")
    SURFACE_SCATTERED = "surface_scattered", _("Surface-scattered")
    UNKNOWN = "unknown", _("Unknown")


class RemainsState(models.TextChoices):
    COMPLETE = "complete", _("Complete")
    COMMINGLED = "commingled", _("Commingled")
    FRAGMENTED = "fragmented", _("Fragmented")
    BURNED = "burned", _("Burned")
    UNKNOWN = "unknown", _("Unknown")


class ProtectionStatus(models.TextChoices):
    UNPROTECTED = "unprotected", _("Unprotected")
    MARKED = "marked", _("Marked")
    FENCED = "fenced", _("Fenced")
    GUARDED = "guarded", _("Guarded")
    DISTURBED = "disturbed", _("Disturbed")
    UNKNOWN = "unknown", _("Unknown")


class SiteStatus(models.TextChoices):
    """The Bournemouth Protocol's life cycle of a mass grave."""

    REPORTED = "reported", _("Reported")
    VERIFIED = "verified", _("Verified")
    PROTECTED = "protected", _("Protected")
    UNDER_INVESTIGATION = "under_investigation", _("Under investigation (excavation)")
    EXHUMED_PARTIALLY = "exhumed_partially", _("Exhumed (partly)")
    EXHUMED_FULLY = "exhumed_fully", _("Exhumed (fully)")
    CLOSED = "closed", _("Closed")
    DESTROYED = "destroyed", _("Destroyed")
    REMAINS_TRANSFERRED = "remains_transferred", _("Remains transferred elsewhere")


_S = SiteStatus
_CYCLE = {
    _S.REPORTED: {_S.VERIFIED},
    _S.VERIFIED: {_S.PROTECTED},
    _S.PROTECTED: {_S.UNDER_INVESTIGATION},
    _S.UNDER_INVESTIGATION: {_S.EXHUMED_PARTIALLY, _S.EXHUMED_FULLY},
    _S.EXHUMED_PARTIALLY: {_S.UNDER_INVESTIGATION, _S.CLOSED},
    _S.EXHUMED_FULLY: {_S.CLOSED},
    _S.CLOSED: set(),
    _S.DESTROYED: set(),
    _S.REMAINS_TRANSFERRED: set(),
}
_ANY_TIME = {_S.DESTROYED, _S.REMAINS_TRANSFERRED}

# (from, to) pairs the cycle allows; a site may also be first recorded in any status,
# since lists reach us mid-cycle (Spain's records graves already exhumed).
ALLOWED_TRANSITIONS = frozenset(
    [(src, dst) for src, targets in _CYCLE.items() for dst in targets]
    + [(src, dst) for src in _S for dst in _ANY_TIME if src not in _ANY_TIME]
)


class CountType(models.TextChoices):
    """What a figure counts, from weakest to strongest evidence."""

    REPORTED = "reported", _("Reported")
    ESTIMATED = "estimated", _("Estimated")
    EXHUMED = "exhumed", _("Exhumed")
    IDENTIFIED = "identified", _("Identified")


class FigureQualifier(models.TextChoices):
    """How the source bounded its figure: the words "at least", "about", "up to", made exact.

    An open side is not a number the source left out by accident: "at least 300" says
    nothing about how many more there may be, so no report may close it at 300. A
    "more than" or "fewer than" figure is the bound itself, stored as given and marked
    exclusive, never shifted by one. Estimates recorded before qualifiers existed stay
    unclassified until someone reads their wording; they are shown as such.
    """

    UNCLASSIFIED = "unclassified", _("Not classified yet")
    EXACT = "exact", _("Exact (a count, or exactly)")
    APPROXIMATE = "approximate", _("Approximate (about, some, roughly)")
    AT_LEAST = "at_least", _("At least (no upper bound)")
    MORE_THAN = "more_than", _("More than (no upper bound, figure excluded)")
    UP_TO = "up_to", _("Up to (no lower bound)")
    FEWER_THAN = "fewer_than", _("Fewer than (no lower bound, figure excluded)")


# Qualifiers that leave one side of the range open, and those whose figure is itself excluded.
OPEN_ABOVE = (FigureQualifier.AT_LEAST, FigureQualifier.MORE_THAN)
OPEN_BELOW = (FigureQualifier.UP_TO, FigureQualifier.FEWER_THAN)
EXCLUSIVE = (FigureQualifier.MORE_THAN, FigureQualifier.FEWER_THAN)
# A closed figure is read as a whole range or one count: a lone low or high would be a bound.
CLOSED = (FigureQualifier.EXACT, FigureQualifier.APPROXIMATE)


class BoundKind(models.TextChoices):
    """How one end of a reconciled range stands: as the site report's ``*_bound`` columns say."""

    INCLUSIVE = "inclusive", _("inclusive")
    EXCLUSIVE = "exclusive", _("exclusive")
    OPEN = "open", _("open")


# Rank used to pick the figure of the strongest evidence: identified > exhumed > estimated > reported.
COUNT_TYPE_RANK = {CountType.REPORTED: 1, CountType.ESTIMATED: 2, CountType.EXHUMED: 3, CountType.IDENTIFIED: 4}


class SiteRelationKind(models.TextChoices):
    SECONDARY_GRAVE_OF = "secondary_grave_of", _("Secondary grave of")
    REMAINS_TRANSFERRED_TO = "remains_transferred_to", _("Remains transferred to")
    PART_OF_COMPLEX = "part_of_complex", _("Part of complex")
