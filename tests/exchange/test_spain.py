"""Spain's national list, whole: both encodings, the map points, totals as in the file."""

from pathlib import Path

import pytest
from django.db.models import Count, Sum

from gravesdb.exchange.mapping import load_mapping
from gravesdb.exchange.services import records_import
from gravesdb.sites.models import Site, SiteStatusChange, VictimEstimate
from gravesdb.sources.models import Citation, Source

ROOT = Path(__file__).resolve().parents[2]
DATA = next(
    (p for p in (ROOT.parent / "shared" / "data" / "spain-mapa-fosas", ROOT / ".." / "shared" / "data" / "spain-mapa-fosas") if p.is_dir()),
    None,
)
MAPPINGS = ROOT / "fixtures" / "mappings"

pytestmark = pytest.mark.skipif(DATA is None, reason="the shared Spanish list is not beside the checkout")


def load(name):
    return load_mapping((MAPPINGS / name).read_text(encoding="utf-8"))


def test_the_whole_spanish_list_imports_exactly_as_published(db, data_manager, fingerprint):
    mapping = load("spain-mapa-fosas.yaml")
    raw = records_import(
        model="list", data=(DATA / "fosas_datosgob_2015_raw_cp1252_semicolon.csv").read_bytes(),
        file_name="fosas_datosgob_2015_raw_cp1252_semicolon.csv", actor=data_manager, mapping=mapping,
    )
    assert raw.ok, raw.errors[:5]
    assert (raw.encoding, raw.delimiter) == ("cp1252", ";")
    assert raw.counts == {"new": 2640, "updated": 0, "unchanged": 0, "refused": 0}

    # Totals equal the file's: blanks stay unknown (no estimate), zeros stay zero.
    totals = {
        row["count_type"]: (row["n"], row["total"])
        for row in VictimEstimate.objects.values("count_type").annotate(n=Count("pk"), total=Sum("best"))
    }
    assert totals == {"estimated": (1509, 58242), "exhumed": (1881, 122790), "identified": (1458, 54099)}
    assert VictimEstimate.objects.filter(best=0).exists()
    # Repeated registry numbers are one site with several status steps, never duplicates.
    assert Site.objects.count() == 2610
    several = Site.objects.annotate(steps=Count("status_changes")).filter(steps__gt=1)
    assert several.exists()
    assert Site.objects.filter(status="remains_transferred").count() == 505
    # "Exhumed" above "believed buried" is kept as reported: 887 believed, 890 exhumed.
    castellon = Citation.objects.get(locator="542/2009 CAST").estimates.values_list("count_type", "best")
    assert set(castellon) == {("estimated", 887), ("exhumed", 890)}
    # Every estimate cites the list, located by its registry number, produced by the reporting body.
    source = Source.objects.get(title__startswith="Fosas o lugares de enterramiento")
    assert not VictimEstimate.objects.exclude(citation__source=source).exists()
    assert VictimEstimate.objects.filter(producing_organization__name="Patrimonio Nacional").exists()

    # The UTF-8, comma-separated copy is the same list: it finds every record unchanged.
    before = fingerprint()
    utf8 = records_import(model="list", data=(DATA / "fosas.csv").read_bytes(), file_name="fosas.csv",
                          actor=data_manager, mapping=mapping)
    assert utf8.ok, utf8.errors[:5]
    assert utf8.counts == {"new": 0, "updated": 0, "unchanged": 2640, "refused": 0}
    assert fingerprint() == before

    # The ministry's map points add coordinates, with their precision, to the same sites.
    points = records_import(
        model="list", data=(DATA / "mapa_fosas_points.geojson").read_bytes(), file_name="mapa_fosas_points.geojson",
        actor=data_manager, mapping=load("spain-mapa-fosas-points.yaml"),
    )
    assert points.ok, points.errors[:5]
    located = Site.objects.filter(latitude__isnull=False)
    assert located.count() == 2361
    assert set(located.values_list("location_precision", flat=True)) == {"approximate"}
    assert SiteStatusChange.objects.filter(site__in=located).exists()
