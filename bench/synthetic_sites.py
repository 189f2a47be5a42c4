"""A deterministic synthetic record for the deduplication benchmark (bench/dedup.py).

Used only while ``manage.py generate_synthetic`` (the exchange issue) is not
available. Names are built from Arabic syllables written both ways, so the same
village name recurs across governorates (as it does in Iraq), and about 5% of
sites are planted duplicates of another: the same grave as another list would
record it (Arabic script, the article, a vowel, a point a few hundred metres
off, another precision). Each site has about 5 estimates citing 2 citations.
"""

import random
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction

from gravesdb.core import edtf

from gravesdb.sites.models import Site, VictimEstimate
from gravesdb.sources.models import Citation, Source

# (Latin, Arabic) syllables; a name is two or three of them.
SYLLABLES = [
    ("kha", "خا"), ("sa", "سا"), ("ba", "با"), ("du", "دو"), ("shi", "شي"), ("ra", "را"), ("ma", "ما"),
    ("na", "نا"), ("ha", "ها"), ("ja", "جا"), ("ta", "تا"), ("qa", "قا"), ("za", "زا"), ("la", "لا"),
    ("fa", "فا"), ("da", "دا"), ("ka", "كا"), ("wa", "وا"), ("mu", "مو"), ("ni", "ني"), ("ri", "ري"),
    ("bu", "بو"), ("sha", "شا"), ("gha", "غا"), ("su", "سو"), ("li", "لي"), ("tu", "تو"), ("hu", "حو"),
]
CODAS = [("", ""), ("r", "ر"), ("n", "ن"), ("sh", "ش"), ("l", "ل"), ("f", "ف"), ("k", "ك"), ("m", "م")]
AREAS = {
    # first-level area: (centre latitude, centre longitude, spread in degrees, weight)
    "IQ-NI": (36.2, 42.8, 0.9, 30), "IQ-AN": (33.6, 42.5, 1.4, 15), "IQ-SD": (34.6, 43.7, 0.6, 12),
    "IQ-KI": (35.4, 44.0, 0.4, 8), "IQ-DI": (34.0, 45.0, 0.6, 8), "IQ-BG": (33.3, 44.4, 0.3, 10),
    "IQ-BB": (32.5, 44.5, 0.4, 7), "IQ-DA": (36.9, 43.0, 0.4, 5), "IQ-AR": (36.2, 44.1, 0.5, 5),
}
PRECISIONS = [("exact", 15), ("approximate", 40), ("locality", 30), ("district", 10), ("unknown", 5)]
TYPES = ["pit", "trench", "sinkhole", "well", "building", "cemetery", "open_ground", "other"]
PERIODS = ["2014-06/2014-12", "2014-08", "2014", "2015", "2014/2016", "2016-10/2017-07", "2017", "1988", "1991", ""]
SUFFIXES = ["", "", "", " mass grave", " grave 1", " grave 2", " school", " farm", " well"]
ROUNDING = {"exact": 6, "approximate": 3, "locality": 2, "district": 1}


def _base_names(rng, count):
    names = set()
    while len(names) < count:
        parts = rng.sample(SYLLABLES, rng.choice([2, 2, 3]))
        coda = rng.choice(CODAS)
        latin = "".join(p[0] for p in parts) + coda[0]
        arabic = "".join(p[1] for p in parts) + coda[1]
        names.add((latin.capitalize(), arabic))
    return sorted(names)


def _weighted(rng, pairs):
    values, weights = zip(*pairs)
    return rng.choices(values, weights=weights)[0]


def _variant(rng, latin, arabic):
    """How another list would spell the same name."""
    choice = rng.randrange(5)
    if choice == 0:
        return arabic, []
    if choice == 1:
        return f"al-{latin}", []
    if choice == 2:
        return latin.replace("a", "e", 1), []
    if choice == 3:
        return latin.replace("u", "ou"), [arabic]
    return f"El {latin}", []


def generate(*, sites: int, seed: int, duplicate_share: float = 0.05) -> int:
    """Insert ``sites`` sites (with estimates) and return how many were planted as duplicates."""
    rng = random.Random(seed)
    bases = _base_names(rng, max(200, sites // 20))
    areas = list(AREAS)
    area_weights = [AREAS[a][3] for a in areas]
    sources = [Source(title=f"Synthetic list {n}", kind="report") for n in range(max(20, sites // 50))]
    rows, planted = [], 0
    for _ in range(sites):
        if rows and rng.random() < duplicate_share:
            original = rng.choice(rows)
            latin = original["latin"]
            name, alternatives = _variant(rng, latin, original["arabic"])
            precision = _weighted(rng, PRECISIONS)
            lat = original["lat"] + rng.uniform(-0.004, 0.004) if original["lat"] is not None else None
            lon = original["lon"] + rng.uniform(-0.004, 0.004) if original["lon"] is not None else None
            row = {**original, "name": name, "alternatives": alternatives, "precision": precision, "lat": lat, "lon": lon}
            planted += 1
        else:
            latin, arabic = rng.choice(bases)
            area = rng.choices(areas, weights=area_weights)[0]
            centre_lat, centre_lon, spread, _weight = AREAS[area]
            precision = _weighted(rng, PRECISIONS)
            placed = precision != "unknown"
            suffix = rng.choice(SUFFIXES)
            row = {
                "latin": latin,
                "arabic": arabic,
                "name": latin + suffix,
                "alternatives": [arabic] if rng.random() < 0.3 else [],
                "area": area,
                "lat": rng.gauss(centre_lat, spread / 2) if placed else None,
                "lon": rng.gauss(centre_lon, spread / 2) if placed else None,
                "precision": precision,
                "period": rng.choice(PERIODS),
                "type": rng.choice(TYPES),
            }
        rows.append(row)

    serials = defaultdict(int, _last_serials())
    for row in rows:
        serials[row["area"]] += 1
        row["code"] = f"{row['area']}-{serials[row['area']]:06d}"
    with transaction.atomic(), connection.cursor() as cursor:
        # Setting up the benchmark's data is not what it measures: the history and
        # audit triggers (an audit entry chained per event) are switched off for this
        # transaction, so codes are given here instead of by the database.
        cursor.execute("SET LOCAL session_replication_role = replica")
        Source.objects.bulk_create(sources, batch_size=5000)
        for start in range(0, len(rows), 5000):
            _insert(rows[start : start + 5000], sources, rng)
    return planted


def _last_serials():
    serials = {}
    for code in Site.objects.values_list("reference_code", flat=True):
        prefix, _dash, number = code.rpartition("-")
        if number.isdigit():
            serials[prefix] = max(serials.get(prefix, 0), int(number))
    return serials


def _coordinate(value, precision, limit):
    if value is None:
        return None
    value = max(-limit, min(limit, value))
    return Decimal(str(round(value, ROUNDING.get(precision, 6))))


def _insert(rows, sources, rng):
    created = Site.objects.bulk_create([_site(row) for row in rows], batch_size=5000)
    citations, estimates = [], []
    for site in created:
        own = [
            Citation(source=rng.choice(sources), locator=f"row {rng.randrange(1, 5000)}", quote=f"{site.name}: figures")
            for _ in range(2)
        ]
        citations.extend(own)
        for _ in range(rng.choice([3, 4, 5, 6, 7])):
            best = int(rng.paretovariate(1.2) * 10)
            estimates.append(
                VictimEstimate(site=site, count_type=rng.choice(["reported", "estimated", "exhumed"]), best=best, citation=rng.choice(own))
            )
    Citation.objects.bulk_create(citations, batch_size=5000)
    VictimEstimate.objects.bulk_create(estimates, batch_size=5000)


def _site(row):
    site = Site(
        reference_code=row["code"],
        name=row["name"],
        alternative_names=row["alternatives"],
        country="IQ",
        first_level_area=row["area"],
        latitude=_coordinate(row["lat"], row["precision"], 90),
        longitude=_coordinate(row["lon"], row["precision"], 180),
        location_precision=row["precision"],
        period=row["period"],
        site_type=row["type"],
    )
    site.period_earliest, site.period_latest = edtf.bounds(site.period)
    return site
