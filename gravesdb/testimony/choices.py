from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Not stated")


class WitnessRole(models.TextChoices):
    SURVIVOR = "survivor", _("Survivor")
    EYEWITNESS = "eyewitness", _("Eyewitness")
    RELATIVE = "relative", _("Relative")
    LOCAL_RESIDENT = "local_resident", _("Local resident")
    OFFICIAL = "official", _("Official")
    PERPETRATOR = "perpetrator", _("Perpetrator")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    SEVERE = "severe", _("Severe")


class ConsentScope(models.TextChoices):
    """How far a testimony may travel, from narrowest to widest."""

    DOCUMENTATION_ONLY = "documentation_only", _("Documentation only")
    NAMED_PARTNERS = "named_partners", _("Share with named partners")
    LEGAL_PROCEEDINGS = "legal_proceedings", _("Legal proceedings")
    PUBLIC_PSEUDONYM = "public_pseudonym", _("Public, under pseudonym")


# Scopes under which a testimony may leave the recording organisation at all.
SHAREABLE_SCOPES = frozenset(
    {ConsentScope.NAMED_PARTNERS, ConsentScope.LEGAL_PROCEEDINGS, ConsentScope.PUBLIC_PSEUDONYM}
)


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("Written, signed")
    ORAL_RECORDED = "oral_recorded", _("Oral, audio-recorded")
    ORAL_WITNESSED = "oral_witnessed", _("Oral, before a witness")
    THUMBPRINT = "thumbprint", _("Thumbprint")
    PUBLISHED = "published", _("Statement already public (press, court record)")
