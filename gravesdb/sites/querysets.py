"""Reads that matter: the reconciled range, computed one way for every caller.

Figures from different sources are kept side by side, never averaged. The
reconciled range is their spread: the lowest figure anyone gave to the highest,
plus how many independent sources stand behind them. Every value is a correlated
subquery, so filters on the site list (which may join estimates themselves)
cannot multiply rows, and a page costs one query whatever its length.
"""

from django.db import models
from django.db.models import Case, Count, F, Func, Max, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

from .choices import COUNT_TYPE_RANK, CountType


def _site_estimates(model):
    return model.objects.filter(site=OuterRef("pk")).order_by().values("site")


class VictimEstimateQuerySet(models.QuerySet):
    def with_rank(self):
        return self.annotate(
            count_type_rank=Case(
                *[When(count_type=ct, then=Value(rank)) for ct, rank in COUNT_TYPE_RANK.items()],
                output_field=models.IntegerField(),
            )
        )

    def strongest_first(self):
        """Identified before exhumed before estimated before reported; the latest first within a type."""
        return self.with_rank().order_by(
            models.F("count_type_rank").desc(),
            models.F("as_of_latest").desc(nulls_last=True),
            models.F("created_at").desc(),
            "pk",
        )

    def most_recent_first(self):
        return self.order_by(
            models.F("as_of_latest").desc(nulls_last=True), models.F("created_at").desc(), "pk"
        )


class SiteQuerySet(models.QuerySet):
    def current(self):
        """Sites in the live record: neither archived nor merged into another site."""
        return self.filter(archived_at__isnull=True, merged_into__isnull=True)

    def resolve_code(self, code: str):
        """The site a reference code stands for today; raises DoesNotExist like get().

        A merged-away site keeps its code, and the code leads to the site it was
        merged into (through every later merge), so old lists, links and imports
        that cite it land on the surviving record. Filters already on the queryset
        (e.g. visible_to) apply to the site returned.
        """
        site = self.model.objects.get(reference_code=code.strip())
        seen = {site.pk}
        while site.merged_into_id is not None and site.merged_into_id not in seen:
            seen.add(site.merged_into_id)
            site = self.model.objects.get(pk=site.merged_into_id)
        return self.get(pk=site.pk)

    def visible_to(self, user):
        """The sites ``user`` may know exist; confidential ones are invisible, not read-only.

        Every list, count, search, export and API response starts here, so a
        confidential site cannot leak through one path that forgot a filter.
        """
        from gravesdb.core.choices import Sensitivity

        if not user.has_perm("sites.view_site"):
            return self.none()
        if not user.has_perm("sites.view_confidential_site"):
            return self.exclude(sensitivity=Sensitivity.CONFIDENTIAL)
        return self

    def with_any_name_containing(self, term: str):
        """Sites whose name, any alternative name or reference code contains ``term``.

        Transliterations are how researchers look sites up (Khasfa, al-Khasfa, الخسفة),
        so alternative names count as much as the main one.
        """
        alternative_names = Func(
            F("alternative_names"), Value(" | "), function="array_to_string", output_field=models.TextField()
        )
        return self.alias(alternative_names_text=alternative_names).filter(
            Q(name__icontains=term) | Q(reference_code__icontains=term) | Q(alternative_names_text__icontains=term)
        )

    def with_reconciled_range(self):
        from .models import VictimEstimate

        estimates = _site_estimates(VictimEstimate)
        strongest = VictimEstimate.objects.filter(site=OuterRef("pk")).strongest_first()
        latest_exhumed = VictimEstimate.objects.filter(site=OuterRef("pk"), count_type=CountType.EXHUMED)
        figure = Coalesce("best", "high", "low")
        return self.annotate(
            reconciled_low=Subquery(
                estimates.annotate(v=Min(Coalesce("low", "best", "high"))).values("v"),
                output_field=models.IntegerField(),
            ),
            reconciled_high=Subquery(
                estimates.annotate(v=Max(Coalesce("high", "best", "low"))).values("v"),
                output_field=models.IntegerField(),
            ),
            reconciled_best=Subquery(
                strongest.annotate(v=figure).values("v")[:1],
                output_field=models.IntegerField(),
            ),
            reconciled_best_count_type=Subquery(
                strongest.values("count_type")[:1],
                output_field=models.CharField(),
            ),
            estimate_count=Coalesce(
                Subquery(estimates.annotate(v=Count("pk")).values("v"), output_field=models.IntegerField()),
                0,
            ),
            source_count=Coalesce(
                Subquery(
                    estimates.annotate(v=Count("citation__source", distinct=True)).values("v"),
                    output_field=models.IntegerField(),
                ),
                0,
            ),
            latest_exhumed=Subquery(
                latest_exhumed.most_recent_first().annotate(v=figure).values("v")[:1],
                output_field=models.IntegerField(),
            ),
        )
