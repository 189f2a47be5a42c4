"""Production settings refuse to start without their keys, except for the code's static checks."""

import subprocess
import sys

import pytest
from django.conf import settings

BARE = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}


def _manage(*args):
    return subprocess.run(
        [sys.executable, "manage.py", *args], env=BARE, capture_output=True, text=True, cwd=settings.BASE_DIR,
        timeout=300,
    )


@pytest.mark.parametrize("command", [["check"], ["makemigrations", "--check", "--dry-run"]])
def test_static_checks_run_with_no_key_in_the_environment(command):
    result = _manage(*command)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("command", [["migrate", "--plan"], ["makemigrations", "--dry-run"], ["showmigrations"]])
def test_every_other_command_refuses_to_start_without_the_keys(command):
    result = _manage(*command)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.django_db
def test_page_queries_start_no_parallel_workers_and_no_jit():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), current_setting('max_parallel_workers_per_gather')")
        assert cursor.fetchone() == ("off", "0")
