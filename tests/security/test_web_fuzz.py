"""Junk in, a 4xx or a form with errors out: never a 500, never a changed row.

Hypothesis generates field values a form or endpoint was not built for (NUL
bytes, right-to-left text, huge numbers, malformed dates and UUIDs, nested JSON)
and posts them to the admin's forms and the API. Any change to any tracked table
adds an audit entry, so an unchanged audit log proves no row changed.
"""

import json

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gravesdb.audit.models import AuditEntry
from gravesdb.sites.models import Site
from tests.factories import CitationFactory, SiteFactory, SourceFactory

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

JUNK_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20).map(lambda s: s + "\x00"),
    st.sampled_from(["", " ", "null", "-1", "1e309", "9" * 40, "2017-13-45", "2017-02/", "00000000-0000", "IQ-ZZ", "‮evil"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.just("x" * 600),
)
JUNK_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | JUNK_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)

ADMIN_FORMS = [
    ("admin:sites_site_add", ["name", "country", "first_level_area", "latitude", "longitude", "period", "status", "sensitivity"]),
    ("admin:sites_victimestimate_add", ["site", "count_type", "low", "best", "high", "as_of", "citation"]),
    ("admin:sources_source_add", ["title", "kind", "publication_date", "url", "accessed_on", "reliability", "publisher"]),
    ("admin:sources_citation_add", ["source", "locator", "quote", "supports", "credibility"]),
    ("admin:sources_organization_add", ["name", "acronym", "kind", "country", "website"]),
    ("admin:testimony_testimony_add", ["witness", "interviewed_on", "language", "summary", "sensitivity", "consent"]),
]
API_ENDPOINTS = ["api:site-list", "api:estimate-list", "api:source-list", "api:citation-list", "api:organization-list"]


def _refused_without_change(response, before):
    assert response.status_code < 500, response.content[:500]
    if response.status_code not in (201, 302):
        assert AuditEntry.objects.count() == before


def _inline_management(prefixes):
    data = {}
    for prefix in prefixes:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


@pytest.mark.parametrize("url_name, fields", ADMIN_FORMS, ids=[name for name, _ in ADMIN_FORMS])
def test_admin_add_forms_answer_junk_without_a_500(client_for, data_manager, url_name, fields):
    client = client_for(data_manager)
    url = reverse(url_name)
    page = client.get(url)
    prefixes = [formset.formset.prefix for formset in page.context["inline_admin_formsets"]]

    @FUZZ
    @given(values=st.fixed_dictionaries({field: JUNK_TEXT for field in fields}), reason=JUNK_TEXT)
    def post_junk(values, reason):
        before = AuditEntry.objects.count()
        response = client.post(url, {**_inline_management(prefixes), **values, "change_reason": reason})
        _refused_without_change(response, before)

    post_junk()


def test_admin_change_forms_answer_junk_without_a_500(client_for, data_manager):
    site = SiteFactory()
    client = client_for(data_manager)
    url = reverse("admin:sites_site_change", args=[site.pk])
    page = client.get(url)
    prefixes = [formset.formset.prefix for formset in page.context["inline_admin_formsets"]]

    @FUZZ
    @given(
        values=st.fixed_dictionaries({name: JUNK_TEXT for name in ["name", "latitude", "longitude", "period", "country"]}),
        # Mostly the current version, so junk reaches the save; sometimes junk in its place.
        version=st.one_of(st.none(), st.none(), JUNK_TEXT),
        step=st.fixed_dictionaries({"to_status": JUNK_TEXT, "changed_on": JUNK_TEXT, "reason": JUNK_TEXT}),
    )
    def post_junk(values, version, step):
        before = AuditEntry.objects.count()
        if version is None:
            version = str(Site.objects.values_list("version", flat=True).get(pk=site.pk))
        data = {**_inline_management(prefixes), **values, "expected_version": version, "change_reason": "fuzz\x00"}
        data.update({"status_changes-TOTAL_FORMS": "1", **{f"status_changes-0-{k}": v for k, v in step.items()}})
        response = client.post(url, data)
        _refused_without_change(response, before)

    post_junk()


@pytest.mark.parametrize("url_name", API_ENDPOINTS)
def test_api_endpoints_answer_junk_with_a_4xx(client_for, data_manager, url_name):
    client = client_for(data_manager)
    url = reverse(url_name)

    @FUZZ
    @given(body=JUNK_JSON)
    def post_junk(body):
        before = AuditEntry.objects.count()
        response = client.post(url, json.dumps(body, allow_nan=True), content_type="application/json")
        _refused_without_change(response, before)
        response = client.post(url, "{" + json.dumps(body, allow_nan=True)[:30], content_type="application/json")
        assert 400 <= response.status_code < 500

    post_junk()


def test_api_updates_answer_junk_without_a_500(client_for, data_manager):
    records = {
        "api:site-detail": SiteFactory(),
        "api:source-detail": SourceFactory(),
        "api:citation-detail": CitationFactory(),
    }
    client = client_for(data_manager)

    @FUZZ
    @given(url_name=st.sampled_from(sorted(records)), body=st.dictionaries(st.text(max_size=20), JUNK_JSON, max_size=4))
    def patch_junk(url_name, body):
        before = AuditEntry.objects.count()
        url = reverse(url_name, args=[records[url_name].pk])
        # The version just read, so the junk reaches validation instead of stopping at the 428.
        current = client.get(url)["ETag"]
        response = client.patch(url, json.dumps(body, allow_nan=True), content_type="application/json", HTTP_IF_MATCH=current)
        assert response.status_code < 500, response.content[:500]
        if response.status_code >= 400:
            assert AuditEntry.objects.count() == before

    patch_junk()


def test_api_updates_answer_a_junk_version_with_a_4xx(client_for, data_manager):
    site = SiteFactory()
    client = client_for(data_manager)
    url = reverse("api:site-detail", args=[site.pk])

    @FUZZ
    @given(if_match=JUNK_TEXT, version=JUNK_JSON)
    def patch_junk_version(if_match, version):
        before = AuditEntry.objects.count()
        body = json.dumps({"locality": "Badush", "version": version}, allow_nan=True)
        response = client.patch(url, body, content_type="application/json", HTTP_IF_MATCH=if_match.replace("\x00", ""))
        assert response.status_code < 500, response.content[:500]
        if response.status_code != 200:
            assert 400 <= response.status_code < 500 and AuditEntry.objects.count() == before

    patch_junk_version()


def test_a_malformed_link_in_an_autocomplete_field_is_a_form_error_not_a_500(client_for, data_manager):
    """Found by the fuzzing above: Django's autocomplete widget crashed redrawing a non-UUID value."""
    site = SiteFactory()
    response = client_for(data_manager).post(
        reverse("admin:sites_site_change", args=[site.pk]),
        {"name": site.name, "estimates-TOTAL_FORMS": "1", "estimates-INITIAL_FORMS": "0",
         "estimates-0-citation": "not-a-uuid", "estimates-0-count_type": "reported", "estimates-0-best": "10",
         "site_citations-TOTAL_FORMS": "1", "site_citations-INITIAL_FORMS": "0", "site_citations-0-citation": "x" * 60},
    )
    assert response.status_code == 200
    response = client_for(data_manager).post(
        reverse("admin:sites_victimestimate_add"), {"site": "x" * 60, "citation": "not-a-uuid", "best": "1"}
    )
    assert response.status_code == 200 and "errornote" in response.content.decode()


def test_an_unknown_code_with_a_percent_sign_is_a_form_error_not_a_500(client_for, data_manager):
    """Found by the fuzzing above: Django's array field crashed formatting its error message."""
    source = SourceFactory()
    response = client_for(data_manager).post(
        reverse("admin:sources_citation_add"),
        {"source": str(source.pk), "quote": "Some 4,000 bodies", "supports": ["% x"], "credibility": "2"},
    )
    assert response.status_code == 200 and "errornote" in response.content.decode()
    response = client_for(data_manager).post(
        reverse("admin:sources_citation_add"),
        {"source": str(source.pk), "quote": "Some 4,000 bodies", "supports": ["existence", "location"], "credibility": "2",
         "change_reason": "Quote from the article"},
    )
    assert response.status_code == 302
