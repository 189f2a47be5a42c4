"""generate_synthetic: realistic, skewed, and the same for the same seed."""

from django.db import transaction
from django.db.models import Count

from gravesdb.exchange.management.commands.generate_synthetic import Synthetic
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
