"""The seed fixture: the article's three graves, every figure traceable to its sentence.

The fixture is what a new user sees first, so it must hold only what the article
says, cite it word for word, and be safe to load twice (``manage.py demo`` loads it
on every start).
"""

import pghistory.models
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from gravesdb.sites.models import Site, SiteStatusChange, VictimEstimate
from gravesdb.sources.models import Citation, Source
from gravesdb.testimony import models as testimony_models
from gravesdb.testimony.models import Consent, Witness, WitnessIdentity

ARTICLE = (settings.BASE_DIR / "seeds" / "000_1256969dcf356d46.txt").read_text(encoding="utf-8")
PARAGRAPHS = ARTICLE.split("\n")
DOMAIN_APPS = ["core", "sources", "sites", "testimony"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed():
    call_command("loaddata", "seed", verbosity=0)


def _event_count() -> int:
    return sum(
        model.objects.count() for model in apps.get_models() if issubclass(model, pghistory.models.Event)
    )


def _all_rows() -> dict[str, list[dict]]:
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for label in DOMAIN_APPS
        for model in apps.get_app_config(label).get_models()
    }


def _paragraph(locator: str) -> str:
    kind, number = locator.split()
    assert kind == "paragraph"
    return PARAGRAPHS[int(number) - 1]


def test_seed_holds_the_three_graves_the_article_describes(seed):
    sites = {site.reference_code: site for site in Site.objects.all()}
    assert list(sites) == ["IQ-NI-0001", "IQ-NI-0002", "IQ-NI-0003"]
    assert sites["IQ-NI-0001"].name == "Khasfa sinkhole"
    assert sites["IQ-NI-0001"].site_type == "sinkhole"
    assert sites["IQ-NI-0003"].site_type == "building"
    assert all(site.latitude is None and site.location_precision == "unknown" for site in sites.values())

    estimates = {
        (e.site.reference_code, e.count_type, e.low, e.best, e.high, e.qualifier, e.as_of)
        for e in VictimEstimate.objects.select_related("site")
    }
    # "some 4,000" is approximate, "at least 300" leaves the high open, "100 beheaded bodies" is a count.
    assert estimates == {
        ("IQ-NI-0001", "reported", None, 4000, None, "approximate", "2017-02"),
        ("IQ-NI-0002", "reported", 300, None, None, "at_least", "2016-11"),
        ("IQ-NI-0003", "reported", None, 100, None, "exact", "2016-11"),
    }
    policemen = VictimEstimate.objects.get(site__reference_code="IQ-NI-0002")
    assert policemen.producing_organization.name == "Human Rights Watch"

    assert list(Witness.objects.values_list("pseudonym", flat=True)) == ["W-0001"]
    testimony = testimony_models.Testimony.objects.get()
    assert [site.reference_code for site in testimony.sites.all()] == ["IQ-NI-0001"]
    assert Source.objects.count() == 1


def test_the_villager_testimony_has_no_consent_so_it_cannot_be_shared(seed):
    testimony = testimony_models.Testimony.objects.get()
    assert testimony.consent is None
    assert testimony.is_shareable is False
    assert not Consent.objects.exists()


def test_every_cited_passage_is_the_articles_own_words_at_its_locator(seed):
    used = set()
    for link in ("sites", "estimates", "testimonies", "status_changes"):
        used |= set(Citation.objects.filter(**{f"{link}__isnull": False}))
    assert used == set(Citation.objects.all()), "the fixture holds no citation that nothing uses"
    for citation in used:
        assert citation.quote in _paragraph(citation.locator), citation.locator

    # Sites and estimates cite whole sentences, so a reader sees the figure in its context.
    site_quotes = Citation.objects.filter(sites__isnull=False).values_list("quote", flat=True)
    estimate_quotes = VictimEstimate.objects.values_list("citation__quote", flat=True)
    assert set(site_quotes) | set(estimate_quotes) <= set(PARAGRAPHS)
    for site in Site.objects.all():
        assert site.citations.filter(supports__contains=["existence"]).exists(), site.reference_code
    assert all(change.citation_id for change in SiteStatusChange.objects.all())


def test_the_witness_name_the_article_gives_is_stored_nowhere_in_plaintext(seed):
    """The fixture ships no identity (a name is sealed with each installation's own key);
    once the protection officer records it, no table, history included, holds it readable."""
    assert not WitnessIdentity.objects.exists()
    WitnessIdentity.objects.create(witness=Witness.objects.get(), legal_name="Mahmoud", contact="")

    assert WitnessIdentity.objects.get().legal_name == "Mahmoud"
    leaks = [label for label, values in _all_rows().items() if "Mahmoud" in repr(values)]
    assert leaks == []


def test_a_second_load_changes_no_row_and_records_no_history(seed):
    rows, events = _all_rows(), _event_count()
    assert events > 0, "the first load is recorded"

    call_command("loaddata", "seed", verbosity=0)

    assert _all_rows() == rows
    assert _event_count() == events


def test_codes_generated_after_the_seed_continue_its_series(seed):
    site = Site.objects.create(name="A grave entered after the seed", country="IQ", first_level_area="IQ-NI")
    witness = Witness.objects.create(role="survivor")
    assert site.reference_code == "IQ-NI-0004"
    assert witness.pseudonym == "W-0002"


def test_khasfa_reconciles_to_about_4000_from_one_source(seed):
    khasfa = Site.objects.with_reconciled_range().get(reference_code="IQ-NI-0001")
    assert (khasfa.reconciled_low, khasfa.reconciled_high) == (4000, 4000)
    assert khasfa.source_count == 1
    assert khasfa.latest_exhumed is None
