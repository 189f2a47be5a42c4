"""What the exchange keeps: saved column mappings and the jobs that import or export files."""

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils.translation import gettext_lazy as _

from gravesdb.core import history
from gravesdb.core.models import RecordedModel
from gravesdb.sources.models import Organization


def _private_storage():
    # Job files (uploads waiting to be imported, finished exports) are evidence in
    # transit: they live in a 0600 folder outside any web root, served only by a view
    # that checks the job belongs to the user.
    return storages["exchange"]


class MappingTarget(models.TextChoices):
    ORGANIZATIONS = "organizations", _("Organisations")
    SOURCES = "sources", _("Sources")
    CITATIONS = "citations", _("Citations")
    SITES = "sites", _("Sites")
    ESTIMATES = "estimates", _("Victim estimates")
    LIST = "list", _("Flat list (one row per grave: sites, estimates, status, sources)")


@history.track()
class ColumnMapping(RecordedModel):
    """How one organisation's files map onto gravesdb's columns, kept for its next file.

    ``spec`` is the parsed mapping; ``text`` keeps the file as the data manager wrote
    it, comments included, so the mapping can be reviewed like any other document.
    """

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="column_mappings",
        help_text=_("Whose files this mapping reads; blank for a mapping anyone may use."),
    )
    target = models.CharField(_("imports into"), max_length=16, choices=MappingTarget.choices)
    name = models.CharField(_("name"), max_length=255)
    spec = models.JSONField(_("mapping"), default=dict)
    text = models.TextField(_("mapping as written (YAML)"), blank=True)

    class Meta(RecordedModel.Meta):
        ordering = ["organization__name", "target", "name"]
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        constraints = [
            models.UniqueConstraint(fields=["organization", "target", "name"], name="column_mapping_unique"),
            models.CheckConstraint(condition=~models.Q(name=""), name="column_mapping_name_not_blank"),
        ]

    def __str__(self):
        owner = self.organization.name if self.organization_id else _("any organisation")
        return f"{self.name} ({self.get_target_display()}, {owner})"


class JobKind(models.TextChoices):
    IMPORT = "import", _("Import")
    EXPORT = "export", _("Export")
    SITE_REPORT = "site_report", _("Site report")
    ESTIMATES_REPORT = "estimates_report", _("Estimates report")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class ExchangeJob(models.Model):
    """One import or export, run now or by the background worker, with its progress and result."""

    kind = models.CharField(_("kind"), max_length=20, choices=JobKind.choices)
    status = models.CharField(_("status"), max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    input_name = models.CharField(_("file name"), max_length=255, blank=True)
    input_file = models.FileField(_("uploaded file"), storage=_private_storage, upload_to="jobs/in/", blank=True)
    result_file = models.FileField(_("result"), storage=_private_storage, upload_to="jobs/out/", blank=True)
    manifest_file = models.FileField(_("manifest"), storage=_private_storage, upload_to="jobs/out/", blank=True)
    progress_done = models.PositiveIntegerField(_("rows done"), default=0)
    progress_total = models.PositiveIntegerField(_("rows in all"), null=True, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("import or export job")
        verbose_name_plural = _("import and export jobs")

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.status == JobStatus.SUCCEEDED else 0
        return min(100, int(100 * self.progress_done / self.progress_total))
