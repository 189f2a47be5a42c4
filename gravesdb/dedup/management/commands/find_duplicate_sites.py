"""List candidate duplicate sites, best first, with the parts of each score."""

import csv

from django.core.management.base import BaseCommand, CommandError

from gravesdb.dedup.matching import WEIGHTS
from gravesdb.dedup.services import PROPOSAL_THRESHOLD, find_duplicate_sites
from gravesdb.sites.models import Site


class Command(BaseCommand):
    help = "Screen current sites for duplicates and print the candidate pairs as CSV."

    def add_arguments(self, parser):
        parser.add_argument("--country", help="Only sites in this ISO 3166-1 country, e.g. IQ.")
        parser.add_argument("--area", help="Only sites in this ISO 3166-2 first-level area, e.g. IQ-NI.")
        parser.add_argument("--min-score", type=float, default=PROPOSAL_THRESHOLD, help="Lowest score to list (0-1).")
        parser.add_argument("--limit", type=int, help="List at most this many pairs.")

    def handle(self, *args, country=None, area=None, min_score, limit=None, **options):
        if not 0 <= min_score <= 1:
            raise CommandError("--min-score must lie between 0 and 1.")
        sites = Site.objects.all()
        if country:
            sites = sites.filter(country=country.upper())
        if area:
            sites = sites.filter(first_level_area=area.upper())
        search = find_duplicate_sites(sites=sites, min_score=min_score)
        candidates = search.candidates[:limit] if limit else search.candidates
        codes = dict(
            Site.objects.filter(pk__in={c.site_a for c in candidates} | {c.site_b for c in candidates}).values_list(
                "pk", "reference_code"
            )
        )
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["site_a", "site_b", "score", *WEIGHTS])
        for candidate in candidates:
            writer.writerow(
                [
                    codes[candidate.site_a],
                    codes[candidate.site_b],
                    f"{candidate.score:.3f}",
                    *(f"{part.value:.2f} {part.detail}" for part in candidate.parts),
                ]
            )
        self.stderr.write(
            f"{search.sites_screened} sites screened, {search.pairs_scored} pairs scored of {search.all_pairs} "
            f"possible, {len(search.candidates)} candidates at score >= {min_score} in {search.seconds:.1f} s"
        )
