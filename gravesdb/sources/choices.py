from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganizationKind(models.TextChoices):
    NGO = "ngo", _("NGO")
    UN_BODY = "un_body", _("UN body")
    GOVERNMENT = "government", _("Government")
    POLICE_MILITARY = "police_military", _("Police / military")
    MEDIA = "media", _("Media")
    FORENSIC_TEAM = "forensic_team", _("Forensic team")
    ACADEMIC = "academic", _("Academic")
    COMMUNITY_GROUP = "community_group", _("Community group")


class SourceKind(models.TextChoices):
    REPORT = "report", _("Report")
    NEWS_ARTICLE = "news_article", _("News article")
    PRESS_RELEASE = "press_release", _("Press release")
    INTERVIEW_RECORD = "interview_record", _("Interview record")
    FORENSIC_REPORT = "forensic_report", _("Forensic report")
    COURT_DOCUMENT = "court_document", _("Court document")
    SATELLITE_IMAGERY = "satellite_imagery", _("Satellite imagery")
    SOCIAL_MEDIA_POST = "social_media_post", _("Social-media post")
    DATASET = "dataset", _("Dataset or list")
    OTHER = "other", _("Other")


class SourceReliability(models.TextChoices):
    """Admiralty (NATO) code, first half: how far the source has been reliable before."""

    A = "A", _("A – Completely reliable")
    B = "B", _("B – Usually reliable")
    C = "C", _("C – Fairly reliable")
    D = "D", _("D – Not usually reliable")
    E = "E", _("E – Unreliable")
    F = "F", _("F – Reliability cannot be judged")


class InformationCredibility(models.IntegerChoices):
    """Admiralty (NATO) code, second half: how credible this one piece of information is."""

    CONFIRMED = 1, _("1 – Confirmed by other sources")
    PROBABLY_TRUE = 2, _("2 – Probably true")
    POSSIBLY_TRUE = 3, _("3 – Possibly true")
    DOUBTFUL = 4, _("4 – Doubtful")
    IMPROBABLE = 5, _("5 – Improbable")
    CANNOT_BE_JUDGED = 6, _("6 – Truth cannot be judged")


class SupportedField(models.TextChoices):
    """Which parts of a record a citation vouches for."""

    EXISTENCE = "existence", _("Existence of the grave")
    LOCATION = "location", _("Location")
    PERIOD = "period", _("Period")
    PERPETRATOR = "perpetrator", _("Perpetrator")
    COUNT = "count", _("Count")
    VICTIM_PROFILE = "victim_profile", _("Victim profile")
    MANNER_OF_DEATH = "manner_of_death", _("Manner of death")
    STATUS = "status", _("Status")
    RELATION = "relation", _("Relation to another site")
    TESTIMONY = "testimony", _("Testimony")
