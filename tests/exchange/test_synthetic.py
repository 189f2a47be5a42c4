"""generate_synthetic: realistic, skewed, and the same for the same seed."""

from django.db import transaction
from django.db.models import Count

from gravesdb.exchange.management.commands.generate_synthetic import Synthetic
from gravesdb.sites.choices import OPEN_ABOVE, OPEN_BELOW, FigureQualifier
from gravesdb.sites.models import Site, SiteStatusChange, VictimEstimate
from gravesdb.testimony.models import Testimony


def snapshot():
    return (
        list(Site.objects.order_by("reference_code").values_list("reference_code", "name", "alternative_names", "latitude")),
        list(VictimEstimate.objects.order_by("id").values_list("id", "count_type", "best")),
    )


def test_the_same_seed_builds_the_same_database(db):
    with transaction.atomic():
        Synthetic(7).build(300)
        first = snapshot()
        transaction.set_rollback(True)
    Synthetic(7).build(300)
    assert snapshot() == first
    assert Site.objects.count() == 300
    assert 3 <= VictimEstimate.objects.count() / 300 <= 7
    assert 0.5 <= Testimony.objects.count() / 300 <= 1.5
    assert SiteStatusChange.objects.count() == 300
    assert Site.objects.filter(name__regex=r"[\u0600-\u06ff]").exists() or Site.objects.filter(
        alternative_names__icontains="ال").exists()
    # skewed: a few sites carry far more estimates than the median one
    per_site = sorted(Site.objects.annotate(n=Count("estimates")).values_list("n", flat=True))
    assert per_site[-1] >= 4 * per_site[len(per_site) // 2]


def test_figures_are_worded_as_sources_word_them(db):
    Synthetic(3).build(300)
    estimates = VictimEstimate.objects.all()
    by_qualifier = dict(estimates.values_list("qualifier").annotate(n=Count("pk")))
    assert set(by_qualifier) == set(FigureQualifier.values)
    assert by_qualifier["exact"] + by_qualifier["approximate"] > 0.6 * estimates.count()
    # A bound is the side it bounds; the other side stays open, and it is no best figure.
    assert not estimates.filter(qualifier__in=OPEN_ABOVE).exclude(low__isnull=False, best=None, high=None).exists()
    assert not estimates.filter(qualifier__in=OPEN_BELOW).exclude(low=None, best=None, high__isnull=False).exists()
    # is_approximate follows the qualifier, as save() would have made it (bulk_create skips save()).
    assert not estimates.filter(qualifier="approximate", is_approximate=False).exists()
    assert not estimates.exclude(qualifier__in=["approximate", "unclassified"]).filter(is_approximate=True).exists()
    assert estimates.filter(is_cumulative=True, count_type__in=["exhumed", "identified"]).exists()
    assert not estimates.filter(is_cumulative=True, count_type__in=["reported", "estimated"]).exists()
