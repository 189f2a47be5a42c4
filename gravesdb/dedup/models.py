"""The record of deduplication: merges (undoable) and judgements that two sites differ."""

import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gravesdb.core import history
from gravesdb.core.models import RecordedModel
from gravesdb.sites.models import Site


class ExactJSONEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder, but times keep their microseconds (it cuts them to milliseconds).

    An undo restores provenance timestamps from the merge record; a rounded time
    would make the restored row differ from the one that was merged.
    """

    def default(self, o):
        if isinstance(o, datetime.datetime):
            return o.isoformat()
        if isinstance(o, datetime.time):
            return o.isoformat()
        return super().default(o)


@history.track()
class SiteMerge(RecordedModel):
    """One merge of duplicate sites into a survivor: who, when, why, and everything needed to undo it.

    ``before`` holds the full prior state (every merged site's fields and, for
    every row that was moved, the site it pointed to and its provenance), so the
    merge can be undone exactly and still be read after it was undone.
    ``created_by``/``created_at`` say who merged and when.
    """

    survivor = models.ForeignKey(
        Site, verbose_name=_("surviving site"), on_delete=models.PROTECT, related_name="merges_survived"
    )
    merged_sites = models.ManyToManyField(
        Site, through="SiteMergeMember", verbose_name=_("merged-away sites"), related_name="merges_absorbed_into"
    )
    reason = models.TextField(_("reason"))
    field_choices = models.JSONField(
        _("values chosen"),
        default=dict,
        encoder=ExactJSONEncoder,
        help_text=_("For each group of fields, the site whose value the survivor took.")
    )
    before = models.JSONField(_("state before the merge"), default=dict, encoder=ExactJSONEncoder, editable=False)
    after = models.JSONField(_("survivor after the merge"), default=dict, encoder=ExactJSONEncoder, editable=False)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True, editable=False)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    undo_reason = models.TextField(_("reason for undoing"), blank=True)

    class Meta(RecordedModel.Meta):
        ordering = ["-created_at"]
        verbose_name = _("site merge")
        verbose_name_plural = _("site merges")
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="site_merge_reason_given"),
            models.CheckConstraint(
                condition=Q(undone_at__isnull=True) | ~Q(undo_reason=""), name="site_merge_undo_reason_given"
            ),
        ]

    def __str__(self):
        return _("Merge into %(site)s") % {"site": self.survivor}

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None


@history.track()
class SiteMergeMember(RecordedModel):
    merge = models.ForeignKey(SiteMerge, on_delete=models.PROTECT, related_name="members")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="merge_memberships")

    class Meta(RecordedModel.Meta):
        verbose_name = _("merged-away site")
        verbose_name_plural = _("merged-away sites")
        constraints = [models.UniqueConstraint(fields=["merge", "site"], name="site_merge_member_unique")]

    def __str__(self):
        return str(self.site)


@history.track()
class DistinctSitesJudgement(RecordedModel):
    """A person looked at two proposed duplicates and found two different graves.

    Stored once per unordered pair (the smaller id first), and honoured after
    either site is merged into another: the survivor inherits the judgement.
    """

    site_a = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    site_b = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("why they differ"))

    class Meta(RecordedModel.Meta):
        ordering = ["-created_at"]
        verbose_name = _("not-the-same-site judgement")
        verbose_name_plural = _("not-the-same-site judgements")
        constraints = [
            models.CheckConstraint(condition=Q(site_a__lt=F("site_b")), name="distinct_sites_ordered_pair"),
            models.UniqueConstraint(fields=["site_a", "site_b"], name="distinct_sites_unique"),
            models.CheckConstraint(condition=~Q(reason=""), name="distinct_sites_reason_given"),
        ]

    def __str__(self):
        return _("%(a)s is not %(b)s") % {"a": self.site_a, "b": self.site_b}
