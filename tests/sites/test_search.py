"""Looking a site up by any spelling: Latin, Arabic, a fragment or its reference code."""

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection

from gravesdb.sites.models import Site
from gravesdb.sites.querysets import trigram_available
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def khasfa_and_badush():
    khasfa = SiteFactory(name="Khasfa sinkhole", alternative_names=["al-Khasfa", "Khafsa", "الخسفة"])
    badush = SiteFactory(name="Badush prison grave", alternative_names=["Badoush", "سجن بادوش"])
    return khasfa, badush


def _found(term):
    return set(Site.objects.search(term).values_list("name", flat=True))


@pytest.mark.parametrize("term", ["Khasfa", "khasfa", "al-Khasfa", "Khafsa", "الخسفة", "Khasf", "sinkhole khasfa"])
def test_any_recorded_spelling_finds_the_site(khasfa_and_badush, term):
    assert _found(term) == {"Khasfa sinkhole"}


def test_a_fragment_of_an_arabic_name_finds_the_site(khasfa_and_badush):
    assert _found("خسفة") == {"Khasfa sinkhole"}
    assert _found("بادوش") == {"Badush prison grave"}


def test_the_reference_code_finds_the_site(khasfa_and_badush):
    khasfa, _ = khasfa_and_badush
    assert _found(khasfa.reference_code) == {"Khasfa sinkhole"}


def test_punctuation_in_a_search_is_text_not_query_syntax(khasfa_and_badush):
    assert _found("khasfa & | ! ( :*") == {"Khasfa sinkhole"}
    assert _found("!!!") == {"Khasfa sinkhole", "Badush prison grave"}


def test_best_match_ranks_first(khasfa_and_badush):
    SiteFactory(name="Grave near the Khasfa road", alternative_names=[])
    ranked = list(Site.objects.search("al-Khasfa").order_by("-search_rank").values_list("name", flat=True))
    assert ranked[0] == "Khasfa sinkhole"


def _pg_trgm_can_be_installed() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')")
        return cursor.fetchone()[0]


def test_without_pg_trgm_search_still_works_by_full_text(khasfa_and_badush):
    with connection.cursor() as cursor:
        cursor.execute("DROP EXTENSION IF EXISTS pg_trgm CASCADE")  # and the trigram indexes with it
    assert not trigram_available()
    assert _found("al-Khasfa") == {"Khasfa sinkhole"}
    assert _found("Khasfah") == set()  # a spelling nobody recorded needs trigrams


def test_with_pg_trgm_a_spelling_nobody_recorded_is_found(khasfa_and_badush):
    if not _pg_trgm_can_be_installed():
        pytest.skip("this PostgreSQL has no pg_trgm to install (the embedded server has no contrib)")
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    assert trigram_available()
    assert _found("Khasfah") == {"Khasfa sinkhole"}
    assert _found("Badosh") == {"Badush prison grave"}
    assert "Badush prison grave" not in _found("Khasfah")


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows would be read whole otherwise
    return queryset.explain()


def test_the_full_text_match_is_read_from_its_index(khasfa_and_badush):
    query = SearchQuery("khasfa:*", search_type="raw", config="simple")
    plan = _plan(Site.objects.filter(search_document=query).order_by())
    assert "site_search_document_idx" in plan


def test_the_stored_search_columns_follow_every_write(khasfa_and_badush):
    """PostgreSQL keeps them, so a rename by update(), bulk_create or raw SQL is found at once."""
    khasfa, badush = khasfa_and_badush
    Site.objects.filter(pk=badush.pk).update(name="Badush cement factory", alternative_names=["معمل بادوش"])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE sites_site SET alternative_names = '{Khasfah}' WHERE id = %s", [khasfa.pk])
    Site.objects.bulk_create([Site(name="Tal Afar airport grave", country="IQ", first_level_area="IQ-NI")])
    assert _found("cement") == {"Badush cement factory"}
    assert _found("معمل") == {"Badush cement factory"}
    assert _found("Khasfah") == {"Khasfa sinkhole"}
    assert Site.objects.get(pk=khasfa.pk).search_names == "Khasfa sinkhole Khasfah"  # old names gone
    assert _found("airport") == {"Tal Afar airport grave"}


def test_with_pg_trgm_every_alternative_of_a_search_is_read_from_an_index(khasfa_and_badush):
    if not trigram_available():
        pytest.skip("the trigram indexes exist only where pg_trgm is installed")
    plan = _plan(Site.objects.search("khasfa").order_by("reference_code")[:50])
    for index in ("site_search_names_trgm_idx", "site_code_trgm_idx", "site_search_document_idx"):
        assert index in plan
    assert "Seq Scan" not in plan


def test_every_shape_of_query_finds_the_same_matches(khasfa_and_badush):
    """Counts and best-match pages read the indexes directly; other pages gather codes first."""
    SiteFactory.create_batch(4, name="Khasfa road grave")
    found = Site.objects.search("khasfa")
    in_code_order = found.order_by("reference_code")[:50]
    best_first = found.order_by("-search_rank", "reference_code")[:50]
    assert found.count() == len(in_code_order) == len(best_first) == 5
    assert set(in_code_order) == set(best_first) == set(found)
    assert "= ANY(" in str(in_code_order.query)
    assert "= ANY(" not in str(best_first.query)
    assert "= ANY(" not in str(found.query)
