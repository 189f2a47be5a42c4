"""Benchmark of duplicate-site detection at national scale, and its quality on the labelled pairs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gravesdb_bench_dedup DEBUG=1 \\
        .venv/bin/python bench/dedup.py --sites 100000 --seed 1

Creates the database if it is missing, migrates it, fills it with a synthetic
record (``manage.py generate_synthetic``), then times ``find_duplicate_sites`` over
every site and prints the pairs scored against the all-pairs count. The
labelled pairs (tests/dedup/data/labelled_pairs.csv) are then hidden among
those sites, screened again, and rolled back, and precision and recall are
printed. The report is also written to bench/output/dedup.txt.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gravesdb.settings")
os.environ.setdefault("DEBUG", "1")


def _ensure_database():
    import dj_database_url
    import psycopg2

    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own, e.g. .../gravesdb_bench_dedup")
    config = dj_database_url.parse(url)
    connection = psycopg2.connect(
        dbname="postgres", user=config["USER"], password=config["PASSWORD"], host=config["HOST"], port=config["PORT"] or 5432
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
    connection.close()


class Rollback(Exception):
    pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    _ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from gravesdb.dedup.services import PROPOSAL_THRESHOLD, find_duplicate_sites
    from gravesdb.sites.models import Site
    from tests.dedup.labelled import load_labelled_pairs, quality

    lines = []

    def say(text):
        print(text, flush=True)
        lines.append(text)

    call_command("migrate", verbosity=0)
    existing = Site.objects.count()
    if existing < args.sites:
        started = time.perf_counter()
        call_command("generate_synthetic", sites=args.sites - existing, seed=args.seed)
        say(f"generated {args.sites - existing} sites with manage.py generate_synthetic in {time.perf_counter() - started:.0f} s")

    cpu = time.process_time()
    search = find_duplicate_sites()
    cpu = time.process_time() - cpu
    say(f"sites screened:        {search.sites_screened:,}")
    say(f"pairs scored:          {search.pairs_scored:,}")
    say(f"all pairs:             {search.all_pairs:,}")
    say(f"share of all pairs:    {search.pairs_scored / max(search.all_pairs, 1):.6%}")
    say(f"candidates (>= {PROPOSAL_THRESHOLD}): {len(search.candidates):,}")
    say(f"time:                  {search.seconds:.1f} s wall, {cpu:.1f} s CPU in Python")
    say("phases (wall):         " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in search.phases.items()))
    say(f"load average:          {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (others' work inflates wall time)")

    try:
        with transaction.atomic():
            pairs = load_labelled_pairs()
            hidden = find_duplicate_sites()
            result = quality(hidden.candidates, pairs)
            raise Rollback
    except Rollback:
        pass
    same = sum(p.same for p in pairs)
    say(f"labelled pairs:        {len(pairs)} ({same} duplicates, {len(pairs) - same} near misses), among {hidden.sites_screened:,} sites")
    say(f"precision:             {result.precision:.3f}")
    say(f"recall:                {result.recall:.3f}")
    for pair in result.false_negatives:
        say(f"  missed: #{pair.number} {pair.variant}: {pair.site_a.name} / {pair.site_b.name}")
    for pair in result.false_positives:
        say(f"  wrongly proposed: #{pair.number} {pair.variant}: {pair.site_a.name} / {pair.site_b.name}")

    output = ROOT / "bench" / "output"
    output.mkdir(parents=True, exist_ok=True)
    (output / "dedup.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
