"""Confidential records are invisible, not read-only, wherever a researcher looks in the admin."""

import pytest
from django.urls import reverse

from gravesdb.sites.models import Site, VictimEstimate
from tests.factories import (
    CitationFactory,
    ConsentFactory,
    SiteCitationFactory,
    SiteFactory,
    SiteRelationFactory,
    SiteStatusChangeFactory,
    TestimonyCitationFactory,
    TestimonyFactory,
    TestimonySiteFactory,
    VictimEstimateFactory,
    WitnessFactory,
)

pytestmark = pytest.mark.django_db

SECRET_SITE = "Unpublished trench near Tal Afar"
SECRET_QUOTE = "The trench behind the silo at Tal Afar holds about 80 bodies."
SECRET_STATEMENT = "I saw them fill the second trench at night."


@pytest.fixture
def confidential_site():
    site = SiteFactory(name=SECRET_SITE, alternative_names=["Tal Afar silo"], sensitivity="confidential")
    estimate = VictimEstimateFactory(site=site, citation=CitationFactory(quote=SECRET_QUOTE), victim_profile="farmers")
    SiteCitationFactory(site=site, citation=estimate.citation)
    SiteStatusChangeFactory(site=site, to_status=site.status, reason="Reported by a confidential informant")
    return site


def _page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_a_researcher_meets_no_trace_of_a_confidential_site(client_for, researcher, confidential_site):
    public = SiteFactory(name="Khasfa sinkhole", sensitivity="public")
    SiteRelationFactory(from_site=public, to_site=confidential_site, kind="secondary_grave_of")
    client = client_for(researcher)

    pages = [
        _page(client, reverse("admin:sites_site_changelist")),
        _page(client, reverse("admin:sites_site_changelist"), q="Tal Afar"),
        _page(client, reverse("admin:sites_site_changelist"), q="silo"),
        _page(client, reverse("admin:sites_victimestimate_changelist")),
        _page(client, reverse("admin:sites_victimestimate_changelist"), q="farmers"),
        _page(client, reverse("admin:sites_sitestatuschange_changelist")),
        _page(client, reverse("admin:sites_siterelation_changelist")),
        _page(client, reverse("admin:sources_citation_changelist")),
        _page(client, reverse("admin:sources_citation_changelist"), q="silo"),
        _page(client, reverse("admin:sites_site_change", args=[public.pk])),
        _page(client, reverse("admin:sites_site_history", args=[public.pk])),
    ]
    for page in pages:
        assert SECRET_SITE not in page and confidential_site.reference_code not in page
        assert SECRET_QUOTE not in page and "confidential informant" not in page
    assert "Khasfa sinkhole" in pages[0]

    # The site's own pages answer as if it did not exist.
    for view in ("change", "history"):
        response = client.get(reverse(f"admin:sites_site_{view}", args=[confidential_site.pk]))
        assert response.status_code == 302 and response.url == reverse("admin:index")


def test_the_admin_count_leaves_confidential_sites_out(client_for, researcher, auditor, confidential_site):
    SiteFactory.create_batch(2, sensitivity="restricted")
    url = reverse("admin:sites_site_changelist")
    assert "2 sites" in _page(client_for(researcher), url)
    assert "3 sites" in _page(client_for(auditor), url)


@pytest.mark.parametrize(
    ("model_name", "field_name"),
    [("victimestimate", "site"), ("siterelation", "to_site"), ("sitecitation", "site")],
)
def test_autocompletes_offer_no_confidential_site(client_for, researcher, auditor, confidential_site, model_name, field_name):
    url = reverse("admin:autocomplete")
    params = {"app_label": "sites", "model_name": model_name, "field_name": field_name, "term": "Tal Afar"}
    assert client_for(researcher).get(url, params).json()["results"] == []
    found = client_for(auditor).get(url, params).json()["results"]
    assert [result["id"] for result in found] == [str(confidential_site.pk)]


def test_a_researcher_cannot_attach_a_figure_to_a_confidential_site_by_its_id(client_for, researcher, confidential_site):
    citation = CitationFactory()
    response = client_for(researcher).post(
        reverse("admin:sites_victimestimate_add"),
        {"site": str(confidential_site.pk), "count_type": "reported", "best": "80", "citation": str(citation.pk)},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert VictimEstimate.objects.filter(site=confidential_site).count() == 1


def test_the_auditor_sees_the_confidential_site_everywhere(client_for, auditor, confidential_site):
    client = client_for(auditor)
    assert SECRET_SITE in _page(client, reverse("admin:sites_site_changelist"), q="silo")
    assert SECRET_QUOTE in _page(client, reverse("admin:sources_citation_changelist"))
    assert SECRET_SITE in _page(client, reverse("admin:sites_site_change", args=[confidential_site.pk]))


def test_a_citation_shared_with_a_visible_site_stays_visible(client_for, researcher, confidential_site):
    shared = confidential_site.estimates.get().citation
    SiteCitationFactory(site=SiteFactory(sensitivity="public"), citation=shared)
    unattached = CitationFactory(quote="Not yet attached to anything.")
    page = _page(client_for(researcher), reverse("admin:sources_citation_changelist"))
    assert SECRET_QUOTE[:60] in page and unattached.quote in page


def test_a_researcher_meets_no_trace_of_a_confidential_testimony(client_for, researcher, auditor):
    witness = WitnessFactory()
    consent = ConsentFactory(witness=witness)
    TestimonyFactory(witness=witness, consent=consent, sensitivity="restricted", summary="Heard shots from the road.")
    secret = TestimonyFactory(witness=witness, consent=consent, sensitivity="confidential", statement=SECRET_STATEMENT)
    TestimonyCitationFactory(testimony=secret, citation=CitationFactory(quote=SECRET_STATEMENT))
    hidden_witness = TestimonyFactory(sensitivity="confidential").witness
    client = client_for(researcher)

    witness_list = _page(client, reverse("admin:testimony_witness_changelist"))
    pages = [
        witness_list,
        _page(client, reverse("admin:testimony_testimony_changelist")),
        _page(client, reverse("admin:testimony_testimony_changelist"), q="fill the second trench"),
        _page(client, reverse("admin:testimony_witness_change", args=[witness.pk])),
        _page(client, reverse("admin:testimony_witness_history", args=[witness.pk])),
        _page(client, reverse("admin:sources_citation_changelist")),
    ]
    for page in pages:
        assert SECRET_STATEMENT not in page and hidden_witness.pseudonym not in page
    assert witness.pseudonym in witness_list
    assert '<td class="field-testimony_count">1</td>' in witness_list, "the count leaves the confidential one out"
    assert client.get(reverse("admin:testimony_testimony_change", args=[secret.pk])).status_code == 302

    auditor_list = _page(client_for(auditor), reverse("admin:testimony_witness_changelist"))
    assert hidden_witness.pseudonym in auditor_list and '<td class="field-testimony_count">2</td>' in auditor_list


def test_anonymous_visitors_are_sent_to_log_in(client):
    SiteFactory(sensitivity="public")
    response = client.get(reverse("admin:sites_site_changelist"))
    assert response.status_code == 302 and "/login/" in response.url
    assert Site.objects.visible_to(_anonymous()).count() == 0


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def test_the_organisation_filter_names_no_one_known_only_from_confidential_figures(
    client_for, researcher, auditor, confidential_site
):
    secret_reporter = confidential_site.estimates.get().producing_organization
    VictimEstimateFactory(site=SiteFactory(sensitivity="public"))
    assert secret_reporter.name not in _page(client_for(researcher), reverse("admin:sites_site_changelist"))
    assert secret_reporter.name in _page(client_for(auditor), reverse("admin:sites_site_changelist"))


def test_a_sites_history_does_not_reveal_a_link_to_a_confidential_testimony(client_for, researcher, auditor):
    site = SiteFactory(sensitivity="public")
    secret = TestimonyFactory(sensitivity="confidential")
    link = TestimonySiteFactory(testimony=secret, site=site)
    url = reverse("admin:sites_site_history", args=[site.pk])
    assert str(secret.pk) not in _page(client_for(researcher), url)
    assert str(link.testimony_id) in _page(client_for(auditor), url)
