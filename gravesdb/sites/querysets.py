"""Reads that matter: the reconciled range, computed one way for every caller.

Figures from different sources are kept side by side, never averaged. The
reconciled range is their spread: the lowest bound anyone gave to the highest,
open where a source left its side open and nobody closed it beyond, plus how many
independent sources stand behind them. Running totals count only at their latest.
Every value is a correlated subquery, so filters on the site list (which may join
estimates themselves) cannot multiply rows, and a page costs one query whatever its
length. ``figures`` holds the same rules for one estimate; docs/data-model.md
states them in words.
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
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Upper

from .choices import COUNT_TYPE_RANK, EXCLUSIVE, OPEN_ABOVE, OPEN_BELOW, BoundKind, CountType
from .figures import FIRST_DAY, LAST_DAY

# How alike a search and a name must be (pg_trgm word similarity, 0–1) to count as a match:
# one letter added or dropped in a six-letter name still passes, a different name does not.
TRIGRAM_THRESHOLD = 0.5


def _site_estimates(model):
    # Archived figures (withdrawn, entered by mistake) no longer count towards any range.
    return model.objects.filter(site=OuterRef("pk"), archived_at__isnull=True).order_by().values("site")


def chronological_order():
    """``figures.chronological_key`` as an ordering: the one order of as-of dates everywhere."""
    return [
        Coalesce("as_of_earliest", Value(FIRST_DAY)).asc(),
        Coalesce("as_of_latest", Value(LAST_DAY)).asc(),
        F("created_at").asc(),
        F("id").asc(),
    ]


def _chronology():
    return [
        Coalesce("as_of_earliest", Value(FIRST_DAY)),
        Coalesce("as_of_latest", Value(LAST_DAY)),
        F("created_at"),
        F("id"),
    ]


def in_effect():
    """Current estimates that are not a running total superseded by a later one.

    A running total ("435 exhumed so far") is one of a series: the same count type at
    the same site by the same producer (an organisation, or a producer as stated).
    Only the latest of the series, by ``chronological_order``, counts; the earlier
    ones stay on the record and on the dossier as the series.
    """
    return Q(archived_at__isnull=True) & ~Q(_Superseded())


class _Superseded(Expression):
    """A running total that a later, current one of its series follows.

    Written as SQL rather than as a nested queryset: a site list row reads it in seven
    subqueries, and Django took some 20 ms a page to build and compile them as nested
    querysets, several times what PostgreSQL takes to run the page. The table is named,
    not aliased, so the as-of reports' history CTE of that name stands in for it.
    ``_ReconciledEnd`` writes the same SQL over its own alias.
    """

    conditional = True
    output_field = models.BooleanField()
    COLUMNS = ["is_cumulative", "site_id", "count_type", "producer_description", "producing_organization_id",
               "as_of_earliest", "as_of_latest", "created_at", "id"]
    TEMPLATE = (
        "({is_cumulative} AND EXISTS (SELECT 1 FROM {table} superseding"
        " WHERE superseding.site_id = {site_id} AND superseding.count_type = {count_type}"
        " AND superseding.producer_description = {producer_description}"
        " AND superseding.producing_organization_id IS NOT DISTINCT FROM {producing_organization_id}"
        " AND superseding.is_cumulative AND superseding.archived_at IS NULL"
        " AND (COALESCE(superseding.as_of_earliest, %s), COALESCE(superseding.as_of_latest, %s),"
        " superseding.created_at, superseding.id)"
        " > (COALESCE({as_of_earliest}, %s), COALESCE({as_of_latest}, %s), {created_at}, {id})))"
    )

    def __init__(self):
        super().__init__()
        self.columns = [F(name) for name in self.COLUMNS]

    def get_source_expressions(self):
        return self.columns

    def set_source_expressions(self, exprs):
        self.columns = list(exprs)

    def as_sql(self, compiler, connection):
        compiled = {name: compiler.compile(column)[0] for name, column in zip(self.COLUMNS, self.columns)}
        return _superseded_sql(compiled.__getitem__)


def _superseded_sql(column) -> tuple[str, list]:
    """``_Superseded`` as SQL, ``column(name)`` giving the SQL of the estimate's own columns."""
    return _Superseded.TEMPLATE.format(
        table='"sites_victimestimate"', **{name: column(name) for name in _Superseded.COLUMNS}
    ), [FIRST_DAY, LAST_DAY, FIRST_DAY, LAST_DAY]


class _ReconciledEnd(Expression):
    """One end of a site's reconciled range, or how it stands (``BoundKind``), as one subquery.

    For each current estimate in effect: the lowest and highest number it allows (NULL
    where its wording leaves that side open), an exclusive bound compared half a unit
    inside its figure, so "more than 100" ranks above "at least 100" and below "at least
    101" without storing a shifted number. The low is open when an estimate leaves its
    low open ("up to 4,000") and no estimate closes it at or below every figure that
    estimate gives, its best included; likewise the high, for "at least". ``figures``
    and docs/data-model.md state the same rules.

    Written as SQL: the same aggregates built as Django expressions took some 25 ms a
    page to resolve, for a query PostgreSQL runs in 3 ms.
    """

    AGGREGATES = """
        SELECT min(lower_rank) AS lowest,
               min(LEAST(upper_rank, best)) FILTER (WHERE open_below) AS lowest_open_below,
               max(upper_rank) AS highest,
               max(GREATEST(lower_rank, best)) FILTER (WHERE open_above) AS highest_open_above
        FROM (SELECT e.best,
                     e.qualifier IN %s AS open_below,
                     e.qualifier IN %s AS open_above,
                     CASE WHEN e.qualifier IN %s THEN NULL ELSE COALESCE(e.low, e.best, e.high) END
                         + CASE WHEN e.qualifier IN %s THEN 0.5 ELSE 0 END AS lower_rank,
                     CASE WHEN e.qualifier IN %s THEN NULL ELSE COALESCE(e.high, e.best, e.low) END
                         - CASE WHEN e.qualifier IN %s THEN 0.5 ELSE 0 END AS upper_rank
              FROM "sites_victimestimate" e
              WHERE e.site_id = {site} AND e.archived_at IS NULL AND NOT {superseded}) figures
    """
    OPEN_LOW = "(lowest_open_below IS NOT NULL AND (lowest IS NULL OR lowest_open_below < lowest))"
    OPEN_HIGH = "(highest_open_above IS NOT NULL AND (highest IS NULL OR highest_open_above > highest))"
    OUTPUTS = {
        "low": (f"CASE WHEN {OPEN_LOW} THEN NULL ELSE floor(lowest)::integer END", models.IntegerField()),
        "high": (f"CASE WHEN {OPEN_HIGH} THEN NULL ELSE ceil(highest)::integer END", models.IntegerField()),
        "low_bound": (
            f"CASE WHEN {OPEN_LOW} THEN %s WHEN lowest IS NULL THEN NULL"
            " WHEN lowest = floor(lowest) THEN %s ELSE %s END",
            models.CharField(),
        ),
        "high_bound": (
            f"CASE WHEN {OPEN_HIGH} THEN %s WHEN highest IS NULL THEN NULL"
            " WHEN highest = ceil(highest) THEN %s ELSE %s END",
            models.CharField(),
        ),
    }

    def __init__(self, end, site=None):
        self.end = end
        super().__init__(output_field=self.OUTPUTS[end][1])
        self.site = site if site is not None else F("pk")

    def get_source_expressions(self):
        return [self.site]

    def set_source_expressions(self, exprs):
        (self.site,) = exprs

    def as_sql(self, compiler, connection):
        site, site_params = compiler.compile(self.site)
        superseded, superseded_params = _superseded_sql(lambda name: f"e.{name}")
        output, _field = self.OUTPUTS[self.end]
        kinds = [BoundKind.OPEN.value, BoundKind.INCLUSIVE.value, BoundKind.EXCLUSIVE.value] if "bound" in self.end else []
        below, above, exclusive = (tuple(q.value for q in group) for group in (OPEN_BELOW, OPEN_ABOVE, EXCLUSIVE))
        qualifiers = [below, above, below, exclusive, above, exclusive]
        sql = f"(SELECT {output} FROM ({self.AGGREGATES.format(site=site, superseded=superseded)}) ends)"
        return sql, [*kinds, *qualifiers, *site_params, *superseded_params]


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

    def in_effect(self):
        return self.filter(in_effect())

    def with_superseded(self):
        """``is_superseded``: a running total a later one of its series replaced."""
        return self.annotate(
            is_superseded=ExpressionWrapper(
                Q(archived_at__isnull=True) & Q(_Superseded()), output_field=models.BooleanField()
            )
        )

    def giving_a_best_figure(self):
        return self.annotate(best_figure_value=_best_figure()).filter(best_figure_value__isnull=False)

    def chronological(self):
        return self.order_by(*chronological_order())

    def by_site(self):
        """Site by site (by reference code), each site's count types in turn, each in date order."""
        return self.order_by("site__reference_code", "count_type", *chronological_order())

    def strongest_first(self):
        """Identified before exhumed before estimated before reported; the latest first within a type."""
        return self.with_rank().order_by(
            models.F("count_type_rank").desc(), *[key.desc() for key in _chronology()]
        )

    def most_recent_first(self):
        return self.order_by(*[key.desc() for key in _chronology()])


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
        latest_exhumed = _best_candidates(VictimEstimate).filter(count_type=CountType.EXHUMED)
        return self.with_reconciled_figures().annotate(
            reconciled_best_count_type=Subquery(
                _best_candidates(VictimEstimate).strongest_first().values("count_type")[:1],
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
                latest_exhumed.most_recent_first().values("best_figure_value")[:1],
                output_field=models.IntegerField(),
            ),
        )

    def with_reconciled_figures(self):
        """The reconciled range alone, what a map marker needs: ``reconciled_low`` and
        ``reconciled_high`` (NULL where that end is open), ``reconciled_low_bound`` and
        ``reconciled_high_bound`` (``BoundKind``: inclusive, exclusive or open; NULL for a
        site with no figure), and ``reconciled_best``, the best figure of the strongest,
        latest estimate that gives one."""
        from .models import VictimEstimate

        return self.annotate(
            reconciled_low=_ReconciledEnd("low"),
            reconciled_low_bound=_ReconciledEnd("low_bound"),
            reconciled_high=_ReconciledEnd("high"),
            reconciled_high_bound=_ReconciledEnd("high_bound"),
            reconciled_best=Subquery(
                _best_candidates(VictimEstimate).strongest_first().values("best_figure_value")[:1],
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
    """``figures.best_figure``: the best, or a range whose ends agree; never a bound alone."""
    return Case(
        When(best__isnull=False, then=F("best")),
        When(low=F("high"), then=F("low")),
        default=Value(None),
        output_field=models.IntegerField(),
    )


def _best_candidates(model):
    return model.objects.filter(site=OuterRef("pk")).filter(in_effect()).giving_a_best_figure()


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
