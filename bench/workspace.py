"""How the workspace's filtered pages scale: 100,000 sites against 1,000.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gravesdb_bench_ws DEBUG=1 \\
        .venv/bin/python bench/workspace.py --small 1000 --large 100000 --seed 1

Builds two databases of its own (``<name>_1000`` and ``<name>_100000`` beside the
one in DATABASE_URL) if they are missing, fills each with a synthetic record
(``manage.py generate_synthetic``), migrates and vacuums them, then times the site
list page, the GeoJSON endpoint and the API list for the same filters on both,
in-process through Django's test client as an auditor, and prints each median and
the large/small ratio (target: ≤ 1.5), with the query count and the sites on each
page: a narrow filter fills less than a page on the small database, and each row
costs time to render. The report is also written to bench/output/workspace.txt.

One process serves each database, and the two take turns request by request, so a
change in the machine's speed during the run (other jobs, CPU frequency) weighs on
both sides of each ratio alike instead of on whichever database ran at the time.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bench" / "output" / "workspace.txt"

# Filters a researcher would use, from broad to narrow; the page size is the same on both.
FILTERS = {
    "one governorate": "first_level_area=IQ-NI",
    "governorate + type + at least 10 victims": "first_level_area=IQ-NI&site_type=pit&min_victims=10",
    "name search": "q=kha",
}
ENDPOINTS = {
    "site list page": "/sites/?{filters}&per_page=50",
    "GeoJSON (map data)": "/api/sites/geojson/?{filters}&page_size=50",
    "API site list": "/api/sites/?{filters}&page_size=50",
}


def _database_url(base: str, sites: int) -> str:
    head, _, name = base.rpartition("/")
    return f"{head}/{name}_{sites}"


def _ensure(url: str, sites: int, seed: int) -> None:
    """Create, migrate and fill the database in a child process (settings are per process)."""
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
    subprocess.run([sys.executable, __file__, "--fill", str(sites), "--seed", str(seed)], env=env, check=True)


def _fill(sites: int, seed: int) -> None:
    import dj_database_url
    import psycopg2

    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    server = psycopg2.connect(
        dbname="postgres", user=config["USER"], password=config["PASSWORD"], host=config["HOST"], port=config["PORT"] or 5432
    )
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
    server.close()

    _setup_django()
    from django.core.management import call_command
    from django.db import connection

    from gravesdb.sites.models import Site

    call_command("migrate", verbosity=0)
    if not Site.objects.exists():
        print(f"filling {config['NAME']} with {sites:,} synthetic sites…", flush=True)
        started = time.perf_counter()
        call_command("generate_synthetic", sites=sites, seed=seed)
        call_command("migrate", verbosity=0)  # idempotent; keeps role groups current
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        # What autovacuum does on a live server after a bulk insert or a migration that
        # rewrites a table (this one may run without it): statistics, and the visibility
        # map index-only scans rely on. Quick when there is nothing to do.
        cursor.execute("VACUUM ANALYZE")


def _setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gravesdb.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()


def _serve() -> None:
    """Answer the parent line by line: a URL in, its seconds, query count and rows out."""
    _setup_django()
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from gravesdb.core import roles

    auditor, _ = User.objects.get_or_create(username="bench-auditor", defaults={"is_staff": True})
    auditor.groups.add(Group.objects.get(name=roles.AUDITOR))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(auditor)
    print("ready", flush=True)
    for line in sys.stdin:
        command, url = line.rstrip("\n").split(" ", 1)
        if command == "count":
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            print(f"{len(queries)} {_rows(response)}", flush=True)
            continue
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, url
        print(f"{elapsed:.6f}", flush=True)


def _rows(response) -> int:
    """Sites on the page: a filter that matches fewer than a page on the small database renders fewer rows."""
    if response["Content-Type"].startswith("text/html"):
        return response.content.count(b'<td class="code">')
    data = response.json()
    return len(data.get("features", data.get("results", [])))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--fill", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        return _fill(args.fill, args.seed)
    if args.serve:
        return _serve()

    base = os.environ.get("DATABASE_URL")
    if not base:
        sys.exit("Set DATABASE_URL to a database name of the benchmark's own, e.g. .../gravesdb_bench_ws")
    servers = {}
    for sites in (args.small, args.large):
        url = _database_url(base, sites)
        _ensure(url, sites, args.seed)
        servers[sites] = subprocess.Popen(
            [sys.executable, __file__, "--serve"],
            env={**os.environ, "DATABASE_URL": url, "DEBUG": "1"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        while servers[sites].stdout.readline().strip() != "ready":
            pass

    def ask(sites, command, url):
        server = servers[sites]
        server.stdin.write(f"{command} {url}\n")
        server.stdin.flush()
        return server.stdout.readline().split()

    results = {}
    for endpoint, template in ENDPOINTS.items():
        for label, filters in FILTERS.items():
            url = template.format(filters=filters)
            timings = {sites: [] for sites in servers}
            for turn in range(3 + args.repeats):  # three warm-up turns
                for sites in servers:
                    seconds = float(ask(sites, "time", url)[0])
                    if turn >= 3:
                        timings[sites].append(seconds)
            for sites in servers:
                queries, rows = ask(sites, "count", url)
                results[(sites, endpoint, label)] = (statistics.median(timings[sites]), int(queries), int(rows))
    for server in servers.values():
        server.stdin.close()
        server.wait()

    lines = [
        f"Workspace benchmark: {args.large:,} sites against {args.small:,} (seed {args.seed}), median of {args.repeats}",
        f"{'endpoint':<20} {'filter':<42} {'small s':>8} {'large s':>8} {'ratio':>6} {'queries':>8} {'rows':>7}",
    ]
    for endpoint in ENDPOINTS:
        for label in FILTERS:
            small, small_queries, small_rows = results[(args.small, endpoint, label)]
            large, large_queries, large_rows = results[(args.large, endpoint, label)]
            queries, rows = f"{small_queries}/{large_queries}", f"{small_rows}/{large_rows}"
            lines.append(
                f"{endpoint:<20} {label:<42} {small:>8.4f} {large:>8.4f} {large / small:>6.2f} {queries:>8} {rows:>7}"
            )
    report = "\n".join(lines)
    print(report)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(report + "\n")


if __name__ == "__main__":
    main()
