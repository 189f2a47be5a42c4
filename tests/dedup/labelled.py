"""The labelled pairs of tests/dedup/data/labelled_pairs.csv: loading them and scoring the finder on them.

Shared by the tests (which hold a floor on precision and recall) and by
bench/dedup.py (which prints both, with the pairs hidden among 100,000 sites).
docs/dedup.md says how the pairs were made.
"""

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from gravesdb.sites.choices import CountType
from gravesdb.sites.models import Site, VictimEstimate
from gravesdb.sources.choices import SourceKind
from gravesdb.sources.models import Citation, Source

PAIRS_FILE = Path(__file__).parent / "data" / "labelled_pairs.csv"


@dataclass
class LabelledPair:
    number: int
    same: bool
    variant: str
    site_a: Site
    site_b: Site


@dataclass
class Quality:
    true_positives: list
    false_positives: list
    false_negatives: list

    @property
    def precision(self) -> float:
        proposed = len(self.true_positives) + len(self.false_positives)
        return len(self.true_positives) / proposed if proposed else 1.0

    @property
    def recall(self) -> float:
        duplicates = len(self.true_positives) + len(self.false_negatives)
        return len(self.true_positives) / duplicates if duplicates else 1.0


def load_labelled_pairs(path: Path = PAIRS_FILE) -> list[LabelledPair]:
    """Create both sites of every pair, each with one estimate citing its list's source."""
    sources: dict[str, Source] = {}
    pairs = []
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            sites = [_site(row, side, sources) for side in ("a", "b")]
            pairs.append(LabelledPair(int(row["pair"]), row["label"] == "same", row["variant"], *sites))
    return pairs


def _site(row, side, sources) -> Site:
    value = lambda column: row[f"{column}_{side}"]  # noqa: E731
    area = value("area")
    site = Site.objects.create(
        name=value("name"),
        alternative_names=[n for n in value("alt").split("|") if n],
        country=area.split("-")[0],
        first_level_area=area,
        latitude=Decimal(value("lat")) if value("lat") else None,
        longitude=Decimal(value("lon")) if value("lon") else None,
        location_precision=value("precision"),
        period=value("period"),
        site_type=value("type"),
    )
    key = value("source")
    if key not in sources:
        sources[key] = Source.objects.create(title=f"List {key}", kind=SourceKind.REPORT)
    citation = Citation.objects.create(source=sources[key], locator=f"pair {row['pair']}", quote=f"{site.name} ({key})")
    VictimEstimate.objects.create(site=site, count_type=CountType.REPORTED, best=100, citation=citation)
    return site


def quality(candidates, pairs: list[LabelledPair]) -> Quality:
    proposed = {frozenset((c.site_a, c.site_b)) for c in candidates}
    result = Quality([], [], [])
    for pair in pairs:
        found = frozenset((pair.site_a.pk, pair.site_b.pk)) in proposed
        if found and pair.same:
            result.true_positives.append(pair)
        elif found:
            result.false_positives.append(pair)
        elif pair.same:
            result.false_negatives.append(pair)
    return result
