"""docs/backup.md, run as written: a dump of a seeded database restores into a fresh one
that passes verify_audit_log with the same checkpoint and gives the same site report."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from tests.security.pg_dump import pg_dump_binary

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _database_url(name: str) -> str:
    settings = connection.settings_dict
    host = settings["HOST"] or settings["OPTIONS"].get("host", "")
    if host.startswith("/"):
        return f"postgresql://{settings['USER']}:@/{name}?host={host}"
    return f"postgresql://{settings['USER']}:{settings.get('PASSWORD') or ''}@{host}:{settings['PORT'] or 5432}/{name}"


def _admin(sql: str) -> None:
    params = {**connection.get_connection_params(), "dbname": "postgres"}
    params.pop("options", None)
    session = psycopg2.connect(**params)
    session.autocommit = True
    with session.cursor() as cursor:
        cursor.execute(sql)
    session.close()


def _manage(database: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": _database_url(database), "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _checkpoint(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("Latest checkpoint")).split(": ", 1)[1]


@pytest.fixture
def databases():
    names = (f"backup_source_{os.getpid()}", f"backup_restored_{os.getpid()}")
    for name in names:
        _admin(f"DROP DATABASE IF EXISTS {name}")
        _admin(f"CREATE DATABASE {name}")
    yield names
    for name in names:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_restored_dump_verifies_and_gives_the_identical_site_report(databases, tmp_path):
    source, restored = databases
    _manage(source, "migrate", "--no-input")
    _manage(source, "loaddata", "seed")
    before = _checkpoint(_manage(source, "verify_audit_log"))
    _manage(source, "export_site_report", "--output", str(tmp_path / "before.csv"))

    settings = connection.settings_dict
    host = settings["HOST"] or settings["OPTIONS"].get("host", "")
    common = ["--host", host, "--username", settings["USER"]]
    if settings["PORT"]:
        common += ["--port", str(settings["PORT"])]
    dump = tmp_path / "gravesdb.dump"
    subprocess.run(
        [pg_dump_binary(), *common, "--format", "custom", "--no-owner", "--file", str(dump), source],
        check=True,
        capture_output=True,
    )
    pg_restore = str(Path(pg_dump_binary()).with_name("pg_restore"))
    subprocess.run(
        [pg_restore, *common, "--no-owner", "--exit-on-error", "--dbname", restored, str(dump)],
        check=True,
        capture_output=True,
    )

    after = _manage(restored, "verify_audit_log")
    assert "Result:          INTACT" in after
    assert _checkpoint(after) == before
    _manage(restored, "export_site_report", "--output", str(tmp_path / "after.csv"))
    report = (tmp_path / "before.csv").read_bytes()
    assert report.count(b"\n") > 1
    assert (tmp_path / "after.csv").read_bytes() == report
