"""The site report over the web: exactly the site list's filter, as the role may see it, verifiable."""

import csv
import hashlib
import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gravesdb.core.choices import Sensitivity
from gravesdb.exchange.jobs import job_run
from gravesdb.exchange.models import ExchangeJob, JobKind
from gravesdb.sites.choices import CountType, SiteStatus
from tests.factories import OrganizationFactory, SiteFactory, UserFactory, VictimEstimateFactory

URL = "/exchange/site-report/"


def download(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    text = download(response).decode("utf-8")
    return [row["reference_code"] for row in csv.DictReader(io.StringIO(text, newline=""))]


def listed(client, params) -> list[str]:
    """The reference codes the workspace site list shows for these filters, all on one page."""
    page = client.get(reverse("workspace:site_list"), {**params, "per_page": 200})
    assert page.status_code == 200
    return sorted(site.reference_code for site, *_ in page.context["rows"])


@pytest.fixture
def varied(world):
    """Sites that each filter tells apart: countries, statuses, count types, organisations, names."""
    other = OrganizationFactory(name="Fundación Aranzadi")
    spanish = SiteFactory(spanish=True, reference_code="ES-AN-0007", name="Barranco de Víznar", status=SiteStatus.VERIFIED)
    VictimEstimateFactory(site=spanish, count_type=CountType.EXHUMED, best=250, producing_organization=other)
    VictimEstimateFactory(site=spanish, count_type=CountType.EXHUMED, best=120, producing_organization=other)
    badush = SiteFactory(reference_code="IQ-NI-0050", name="Badush prison trench", status=SiteStatus.VERIFIED)
    VictimEstimateFactory(site=badush, count_type=CountType.IDENTIFIED, best=12)
    SiteFactory(reference_code="IQ-NI-0051", name="Archived grave", archived_at=timezone.now())
    return {**world, "other": other}


FILTERS = [
    {"status": SiteStatus.VERIFIED},
    {"country": "ES"},
    {"count_type": CountType.EXHUMED},
    {"min_victims": "200"},
    {"q": "Khasfa"},
    {"period_from": "1936", "period_to": "1939"},
    {"country": "IQ", "status": SiteStatus.REPORTED},
]


def test_the_export_holds_exactly_the_sites_the_list_shows(varied, auditor, client_for):
    client = client_for(auditor)
    everything = codes(client.get(URL))
    assert everything == listed(client, {}) and "IQ-NI-0051" not in everything
    for params in [*FILTERS, {"organization": str(varied["other"].pk)}]:
        exported = codes(client.get(URL, params))
        assert exported == listed(client, params), params
        assert 0 < len(exported) < len(everything), params


def test_the_download_streams_as_an_attachment_named_by_date(world, auditor, client_for):
    response = client_for(auditor).get(URL, {"country": "IQ"})
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="site-report-{today}.csv"'
    assert "no-store" in response["Cache-Control"]
    assert download(response).startswith(b"reference_code,name,")


def test_the_query_count_does_not_grow_with_the_rows(world, auditor, client_for):
    client = client_for(auditor)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            codes(client.get(URL, {"country": "IQ"}))
        return len(captured)

    few = queries()
    for _ in range(30):
        VictimEstimateFactory(site=SiteFactory())
    assert queries() == few


def test_a_researcher_gets_no_confidential_site_and_only_coarsened_points(world, researcher, auditor, client_for):
    SiteFactory(reference_code="IQ-NI-0099", name="Secret grave", sensitivity=Sensitivity.CONFIDENTIAL)
    client = client_for(researcher)
    text = download(client.get(URL, {"country": "IQ"})).decode()
    assert "IQ-NI-0099" not in text and "Secret grave" not in text
    khasfa = next(row for row in csv.DictReader(io.StringIO(text)) if row["reference_code"] == "IQ-NI-0042")
    assert khasfa["location_precision"] == "coarsened"
    assert (khasfa["latitude"], khasfa["longitude"]) == ("36.150000", "43.150000")
    client.force_login(auditor)
    text = download(client.get(URL, {"country": "IQ"})).decode()
    assert "IQ-NI-0099" in text and "36.188000" in text


def test_without_the_export_permission_the_answer_is_403(world, client):
    reader = UserFactory(username="reader", is_staff=False)
    reader.user_permissions.add(*Permission.objects.filter(content_type__app_label="sites", codename__startswith="view_"))
    client.force_login(reader)
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"manifest": "1"}).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302  # to the login page


def test_spreadsheet_formulas_are_escaped(world, auditor, client_for):
    SiteFactory(reference_code="IQ-NI-0777", name='=HYPERLINK("http://evil.example","x")')
    client = client_for(auditor)
    row = next(r for r in csv.DictReader(io.StringIO(download(client.get(URL)).decode())) if r["reference_code"] == "IQ-NI-0777")
    assert row["name"] == '\'=HYPERLINK("http://evil.example","x")'
    sheet = openpyxl.load_workbook(io.BytesIO(download(client.get(URL, {"format": "xlsx"})))).active
    assert '\'=HYPERLINK("http://evil.example","x")' in [row[1] for row in sheet.iter_rows(values_only=True)]


def test_the_manifest_verifies_the_download_and_names_the_filter_and_what_was_withheld(world, researcher, client_for):
    SiteFactory(reference_code="IQ-NI-0099", sensitivity=Sensitivity.CONFIDENTIAL)
    client = client_for(researcher)
    report = download(client.get(URL, {"country": "IQ", "status": SiteStatus.REPORTED}))
    response = client.get(URL, {"country": "IQ", "status": SiteStatus.REPORTED, "manifest": "1"})
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="site-report-{today}.csv.sha256"'
    manifest = response.content.decode().splitlines()
    assert manifest[0] == f"{hashlib.sha256(report).hexdigest()}  site-report-{today}.csv"
    assert "# rows: 1" in manifest
    assert "# exported by: researcher" in manifest
    assert "# filters: workspace site list; country=IQ; status=reported" in manifest
    withheld = next(line for line in manifest if line.startswith("# withheld: "))
    assert "exact coordinates of 1 sites, coarsened" in withheld
    # That confidential sites are left out is said; how many match the filter is not (it would disclose them).
    assert "confidential sites, if any" in withheld and "1 confidential" not in withheld


def test_the_estimates_report_lists_the_estimates_of_the_filtered_sites(varied, auditor, client_for):
    client = client_for(auditor)
    response = client.get(URL, {"country": "ES", "estimates": "1"})
    assert response["Content-Disposition"].endswith(f'filename="estimates-report-{timezone.localdate().isoformat()}.csv"')
    rows = list(csv.DictReader(io.StringIO(download(response).decode())))
    assert sorted((r["site_reference_code"], r["best"]) for r in rows) == [("ES-AN-0007", "120"), ("ES-AN-0007", "250")]


def test_excel_csv_starts_with_a_bom(world, auditor, client_for):
    assert download(client_for(auditor).get(URL, {"excel": "1"})).startswith("\ufeffreference_code".encode())


@pytest.mark.parametrize(
    "params, field",
    [
        ({"country": "XX"}, "country"),
        ({"status": "buried"}, "status"),
        ({"min_victims": "many"}, "min_victims"),
        ({"min_victims": "-5"}, "min_victims"),
        ({"period_from": "last spring"}, "period_from"),
        ({"organization": "0c0ffee0-0000-4000-8000-0000000000ff"}, "organization"),
        ({"contry": "IQ"}, "contry"),
        ({"format": "pdf"}, "format"),
        ({"estimates": "yes"}, "estimates"),
        ({"estimates": "1", "format": "geojson"}, "no locations"),
    ],
)
def test_bad_input_is_refused_with_400_and_its_errors_never_with_the_table(world, auditor, client_for, params, field):
    response = client_for(auditor).get(URL, params)
    assert response.status_code == 400
    page = response.content.decode()
    assert field in page
    assert "IQ-NI-0042" not in page


def test_a_large_report_is_confirmed_then_queued_and_its_job_holds_the_filtered_file(varied, auditor, client_for, settings, django_capture_on_commit_callbacks):
    settings.GRAVESDB_EXCHANGE_BACKGROUND_ROWS = 1
    client = client_for(auditor)
    params = {"status": SiteStatus.VERIFIED}
    confirm = client.get(URL, params)
    assert confirm.status_code == 200 and not ExchangeJob.objects.exists()
    assert 'method="post"' in confirm.content.decode() and "2 rows" in confirm.content.decode()
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(f"{URL}?status={SiteStatus.VERIFIED}")
    job = ExchangeJob.objects.get(requested_by=auditor)
    assert response.status_code == 302 and response["Location"] == reverse("admin:exchange_exchangejob_change", args=[job.pk])
    assert job.kind == JobKind.SITE_REPORT and len(queued) == 1
    job_run(job.pk)  # what the worker does with the queued task
    job.refresh_from_db()
    exported = [row["reference_code"] for row in csv.DictReader(io.StringIO(job.result_file.open("rb").read().decode()))]
    assert exported == listed(client, params)
    assert "# filters: workspace site list; status=verified" in job.manifest_file.open("rb").read().decode()
