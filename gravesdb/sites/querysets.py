"""Reads that matter: the reconciled range, computed one way for every caller.

Figures from different sources are kept side by side, never averaged. The
reconciled range is their spread: the lowest figure anyone gave to the highest,
plus how many independent sources stand behind them. Every value is a correlated
subquery, so filters on the site list (which may join estimates themselves)
cannot multiply rows, and a page costs one query whatever its length.
"""

import re

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, TrigramWordSimilarity
from django.db import connections, models
from django.db.models import (
    Case,
    Count,
    Expression,
    ExpressionWrapper,
    F,
    Func,
    Lookup,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Upper

from .choices import COUNT_TYPE_RANK, CountType

# How alike a search and a name must be (pg_trgm word similarity, 0–1) to count as a match:
# one letter added or dropped in a six-letter name still passes, a different name does not.
TRIGRAM_THRESHOLD = 0.5


def _site_estimates(model):
    # Archived figures (withdrawn, entered by mistake) no longer count towards any range.
    return model.objects.filter(site=OuterRef("pk"), archived_at__isnull=True).order_by().values("site")


class VictimEstimateQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Estimates of the sites ``user`` may see: a figure discloses its site."""
        from .models import Site

        if not user.has_perm("sites.view_victimestimate"):
            return self.none()
        return self.filter(site__in=Site.objects.visible_to(user).values("pk"))

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
        Restricted sites are the team's working record: visible to every role that
        reads sites, but never published (``publishable``). Anonymous users hold no
        permission and see nothing.
        """
        from gravesdb.core.choices import Sensitivity

        if not user.has_perm("sites.view_site"):
            return self.none()
        if not user.has_perm("sites.view_confidential_site"):
            return self.exclude(sensitivity=Sensitivity.CONFIDENTIAL)
        return self

    def publishable(self):
        """Sites that may leave the organisation: public and partner exports start here.

        Only sites marked public; restricted and confidential ones stay inside. Their
        coordinates still go out coarsened (``with_shown_location(exact=False)``).
        """
        from gravesdb.core.choices import Sensitivity

        return self.filter(sensitivity=Sensitivity.PUBLIC)

    def with_shown_location(self, *, exact: bool):
        """``shown_latitude``/``shown_longitude``/``location_coarsened`` for lists and exports.

        The same point as ``locations.shown_location`` gives for one site, computed
        in the database so a 100,000-row export needs no Python per row; pass
        ``exact=locations.can_see_exact_location(user)``, and ``False`` for every
        public or partner export.
        """
        from .locations import coarsened_expression

        if exact:
            return self.annotate(
                shown_latitude=F("latitude"), shown_longitude=F("longitude"), location_coarsened=Value(False)
            )
        return self.annotate(
            shown_latitude=coarsened_expression("latitude", bound=90),
            shown_longitude=coarsened_expression("longitude", bound=180),
            location_coarsened=ExpressionWrapper(Q(latitude__isnull=False), output_field=models.BooleanField()),
        )

    def with_any_name_containing(self, term: str):
        """Sites whose name, any alternative name or reference code contains ``term``.

        Transliterations are how researchers look sites up (Khasfa, al-Khasfa, الخسفة),
        so alternative names count as much as the main one.
        """
        return self.filter(Q(search_names__icontains=term) | Q(reference_code__icontains=term))

    def search(self, term: str):
        """Sites whose names or code match ``term``, best match first (``search_rank``).

        Full-text search with PostgreSQL's ``simple`` configuration works on every
        server (no extension): it splits "al-Khasfa" into "al" and "khasfa" and keeps
        Arabic words whole, and each word is matched as a prefix so "Khasf" finds
        Khasfa. A substring match catches the rest (خسفة inside الخسفة). Where the
        ``pg_trgm`` extension is installed, trigram similarity also finds spellings
        no one recorded (Khasfah for Khasfa).

        Every test reads the stored search columns, which indexes hold (the full-text
        document always, trigrams where ``pg_trgm`` is installed), so neither finding
        nor ranking thousands of matches parses any site's names. How the matches are
        read depends on the query they end up in (``_NameMatch``).
        """
        words = _search_words(term)
        if not words:
            return self.annotate(search_rank=Value(0.0, output_field=models.FloatField()))
        query = SearchQuery(" & ".join(f"{word}:*" for word in words), search_type="raw", config="simple")
        term = term.strip()
        match = Q(search_names__icontains=term) | Q(reference_code__icontains=term) | Q(search_document=query)
        # Every word starts a word of the names: shorter names first, as the word covers
        # more of them. Other matches (a fragment inside a word, a spelling nobody
        # recorded) come after, the likelier spelling first where pg_trgm can tell.
        other = Value(0.0)
        if trigram_available(self.db):
            similar_to = Value(" ".join(words))
            # %> is word_similarity >= pg_trgm.word_similarity_threshold, which trigram_available()
            # has set to TRIGRAM_THRESHOLD; unlike a comparison with >=, the index can answer it.
            match |= TrigramWordSimilar(Upper("search_names"), similar_to)
            other = TrigramWordSimilarity(similar_to, Upper("search_names"))
        rank = Case(
            When(search_document=query, then=1 + SearchRank(F("search_document"), query, normalization=Value(1))),
            default=other,
            output_field=models.FloatField(),
        )
        codes = ArraySubquery(self.model.objects.filter(match).order_by().values("reference_code"))
        return self.filter(_NameMatch(match, _InArray(F("reference_code"), codes))).annotate(search_rank=rank)

    def with_reconciled_range(self):
        """The reconciled range with how it was reached: the strongest count's type, how
        many estimates and sources stand behind it, and the latest exhumed count."""
        from .models import VictimEstimate

        estimates = _site_estimates(VictimEstimate)
        strongest = VictimEstimate.objects.filter(site=OuterRef("pk"), archived_at__isnull=True).strongest_first()
        latest_exhumed = VictimEstimate.objects.filter(
            site=OuterRef("pk"), count_type=CountType.EXHUMED, archived_at__isnull=True
        )
        return self.with_reconciled_figures().annotate(
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
                latest_exhumed.most_recent_first().annotate(v=_best_figure()).values("v")[:1],
                output_field=models.IntegerField(),
            ),
        )

    def with_reconciled_figures(self):
        """``reconciled_low``/``reconciled_high``/``reconciled_best`` alone: what a map marker
        needs, each a subquery a row, where the whole range costs seven."""
        from .models import VictimEstimate

        estimates = _site_estimates(VictimEstimate)
        strongest = VictimEstimate.objects.filter(site=OuterRef("pk"), archived_at__isnull=True).strongest_first()
        return self.annotate(
            reconciled_low=Subquery(
                estimates.annotate(v=Min(Coalesce("low", "best", "high"))).values("v"),
                output_field=models.IntegerField(),
            ),
            reconciled_high=Subquery(
                estimates.annotate(v=Max(estimate_figure())).values("v"),
                output_field=models.IntegerField(),
            ),
            reconciled_best=Subquery(
                strongest.annotate(v=_best_figure()).values("v")[:1],
                output_field=models.IntegerField(),
            ),
        )


class _NameMatch(Expression):
    """A name search's condition, written for the query it ends up in.

    Counting the matches, or ranking them for a page of best matches, reads them
    from the search indexes once (``direct``). A page in another order (a partner's
    cursor through the API, the map's) must not: PostgreSQL, guessing that matches
    are spread evenly, would walk the code index testing every site until the page
    fills, and codes start with the country, so an Arabic name may come only after
    every Spanish site (a second for a rare name among 100,000). Such a page gathers
    the matching codes first (``gathered``, an InitPlan) and reads its rows through
    the code index in order, stopping when the page is full.
    """

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, direct, gathered):
        super().__init__()
        self.direct, self.gathered = direct, gathered

    def get_source_expressions(self):
        return [self.direct, self.gathered]

    def set_source_expressions(self, exprs):
        self.direct, self.gathered = exprs

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        resolved = self.copy()
        resolved.direct = self.direct.resolve_expression(query, allow_joins, reuse, summarize, for_save)
        resolved.gathered = self.gathered.resolve_expression(query, allow_joins, reuse, summarize, for_save)
        return resolved

    def as_sql(self, compiler, connection):
        query = compiler.query
        ordering = query.order_by or (query.get_meta().ordering if query.default_ordering else ())
        first = ordering[0] if ordering else None
        by_rank = (first.lstrip("-") if isinstance(first, str) else getattr(first, "expression", None)) in (
            "search_rank",
            F("search_rank"),
        )
        return compiler.compile(self.gathered if query.is_sliced and not by_rank else self.direct)


class _InArray(Lookup):
    """``lhs = ANY(array)``: an array subquery runs once, as an InitPlan, and the outer
    query is planned around its result; ``IN (subquery)`` would be merged into the
    outer query and planned with it."""

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


def _search_words(term: str) -> list[str]:
    """The words of a search, lower-cased; punctuation dropped so no tsquery syntax gets through."""
    return [word.lower() for word in re.findall(r"\w+", term or "")][:8]


def _best_figure():
    """The one figure an estimate stands for: its best, else an end of its range."""
    return Coalesce("best", "high", "low")


def estimate_figure():
    """The largest figure an estimate gives; ``estimate_site_figure_idx`` holds it per site."""
    return Coalesce("high", "best", "low")


def site_names():
    """A site's name and alternative names as one text: the stored ``Site.search_names``.

    ``array_to_string`` is only STABLE, so no generated column may hold it;
    ``sites_site_names`` (migration ``sites.0007``) is the same join declared IMMUTABLE.
    """
    return Func(F("name"), F("alternative_names"), function="sites_site_names", output_field=models.TextField())


def search_document():
    """The full-text document of a site: the stored ``Site.search_document``, indexed by
    ``site_search_document_idx``."""
    return SearchVector(site_names(), "reference_code", config="simple")


def trigram_available(alias: str = "default") -> bool:
    """Whether ``pg_trgm`` is installed in this database (the embedded server has no contrib).

    Asked each time rather than cached: it is one catalogue lookup, and an
    administrator may install the extension while gravesdb runs. Where it is
    installed, the same statement sets this session's word-similarity threshold to
    ``TRIGRAM_THRESHOLD``: that setting is what pg_trgm's indexable ``%>`` compares
    with, so the indexed match and the documented threshold cannot drift apart.
    """
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')"
            " THEN set_config('pg_trgm.word_similarity_threshold', %s, false) IS NOT NULL ELSE false END",
            [str(TRIGRAM_THRESHOLD)],
        )
        return cursor.fetchone()[0]
