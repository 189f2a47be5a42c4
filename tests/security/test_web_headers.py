"""The web surface: a CSP that forbids inline scripts, pages that need none, a clean deploy check."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import SiteFactory, VictimEstimateFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"(href|src|action)\s*=\s*[\"']\s*javascript:", re.IGNORECASE)


def _pages(site):
    return [
        reverse("admin:index"),
        reverse("admin:sites_site_changelist"),
        reverse("admin:sites_site_add"),
        reverse("admin:sites_site_change", args=[site.pk]),
        reverse("admin:sites_site_history", args=[site.pk]),
        reverse("admin:sites_victimestimate_changelist"),
        reverse("admin:sources_source_add"),
        reverse("admin:testimony_testimony_add"),
        reverse("admin:audit_auditentry_changelist"),
        reverse("admin:password_change"),
    ]


def test_every_response_carries_a_policy_allowing_scripts_from_this_site_only(client_for, data_manager):
    response = client_for(data_manager).get(reverse("admin:index"))
    policy = dict(
        part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";") if part.strip()
    )
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy["script-src"] and "unsafe-eval" not in policy["script-src"]


def test_the_login_page_is_covered_too(client):
    assert "script-src 'self'" in client.get(reverse("admin:login")).headers["Content-Security-Policy"]


def test_admin_pages_need_no_inline_script(client_for, admin_user):
    site = SiteFactory()
    VictimEstimateFactory(site=site)
    client = client_for(admin_user)
    for url in _pages(site):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert not INLINE_SCRIPT.findall(html), (url, INLINE_SCRIPT.findall(html))
        assert not EVENT_HANDLER.findall(html), (url, EVENT_HANDLER.findall(html)[:3])
        assert not JAVASCRIPT_URL.findall(html), url


def test_production_settings_pass_the_deploy_check_with_no_warning():
    env = {
        key: value
        for key, value in os.environ.items()
        # DJANGO_ALLOW_ASYNC_UNSAFE is the browser tests' own; production never has it.
        if key
        not in {"DEBUG", "DJANGO_SETTINGS_MODULE", "SECURE_HSTS_PRELOAD", "SECURE_SSL_REDIRECT", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="gravesdb.example.org",
        GRAVESDB_IDENTITY_KEY=os.environ.get("GRAVESDB_IDENTITY_KEY", ""),
        DJANGO_SETTINGS_MODULE="gravesdb.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
