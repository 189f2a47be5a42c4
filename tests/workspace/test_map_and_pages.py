"""The map page, and the organisation and source pages."""

import re

import pytest
from django.urls import reverse

from gravesdb.core.choices import Sensitivity
from tests.factories import CitationFactory, OrganizationFactory, SiteFactory, SourceFactory, VictimEstimateFactory

pytestmark = pytest.mark.django_db


def test_the_map_loads_the_filtered_sites_with_assets_served_by_gravesdb(client_for, researcher, settings):
    settings.MAP_TILES_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    page = client_for(researcher).get(reverse("workspace:site_map"), {"status": "verified", "page": 3}).content.decode()
    assert f'data-geojson-url="{reverse("api:site-geojson")}?status=verified"' in page
    assert 'data-tiles-url="https://tiles.example.org/{z}/{x}/{y}.png"' in page
    scripts = re.findall(r'<script[^>]* src="([^"]+)"', page)
    assert scripts and all(src.startswith("/static/") for src in scripts), scripts
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert all(href.startswith("/static/") for href in stylesheets), stylesheets
    assert "<script>" not in page  # no inline script: the page works under a strict CSP


def test_the_map_assets_are_installed(client_for, researcher):
    from django.contrib.staticfiles import finders

    for path in ("leaflet/leaflet.js", "leaflet.markercluster/leaflet.markercluster.js", "workspace/site_map.js"):
        assert finders.find(path), path


def test_organisation_page_lists_the_figures_it_produced_on_visible_sites(client_for, researcher):
    hrw = OrganizationFactory(name="Human Rights Watch")
    VictimEstimateFactory(site=SiteFactory(name="Open grave"), producing_organization=hrw, best=300)
    VictimEstimateFactory(
        site=SiteFactory(name="Hidden grave", sensitivity=Sensitivity.CONFIDENTIAL), producing_organization=hrw
    )
    page = client_for(researcher).get(reverse("workspace:organization_detail", args=[hrw.pk])).content.decode()
    assert "Human Rights Watch" in page and "Open grave" in page and "Hidden grave" not in page


def test_source_page_quotes_only_passages_behind_visible_records(client_for, researcher):
    article = SourceFactory(title="Iraqi forces advance in western Mosul")
    VictimEstimateFactory(
        site=SiteFactory(name="Open grave"), citation=CitationFactory(source=article, quote="At least 300 policemen.")
    )
    VictimEstimateFactory(
        site=SiteFactory(name="Hidden grave", sensitivity=Sensitivity.CONFIDENTIAL),
        citation=CitationFactory(source=article, quote="The secret pit behind the school."),
    )
    page = client_for(researcher).get(reverse("workspace:source_detail", args=[article.pk])).content.decode()
    assert "At least 300 policemen." in page and "Open grave" in page
    assert "The secret pit behind the school." not in page and "Hidden grave" not in page
