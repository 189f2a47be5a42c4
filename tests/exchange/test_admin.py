"""Import and export in the admin: buttons by permission, preview before saving, reports by selection."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gravesdb.exchange.models import ColumnMapping, ExchangeJob, JobStatus
from gravesdb.sites.models import Site
from tests.factories import SiteFactory, TestimonySiteFactory

SITES_CSV = b"name,country,first_level_area\nGrave near Badush,IQ,IQ-NI\n"


def upload(client, content=SITES_CSV, name="sites.csv", **extra):
    return client.post(
        reverse("admin:sites_site_import"), {"import_file": SimpleUploadedFile(name, content), **extra}
    )


def test_the_auditor_sees_export_but_not_import(world, auditor, client_for):
    client = client_for(auditor)
    page = client.get(reverse("admin:sites_site_changelist")).content.decode()
    assert reverse("admin:sites_site_export") in page
    assert reverse("admin:sites_site_import") not in page
    assert client.get(reverse("admin:sites_site_import")).status_code == 403


def test_import_previews_then_saves_only_on_confirmation(world, data_manager, client_for):
    client = client_for(data_manager)
    preview = upload(client)
    assert preview.status_code == 200
    outcome = preview.context["outcome"]
    assert outcome.ok and outcome.counts["new"] == 1
    assert not Site.objects.filter(name="Grave near Badush").exists()
    job = preview.context["job"]
    confirmed = client.post(reverse("admin:sites_site_process_import"), {"job": job.pk, "rows": 1})
    assert confirmed.status_code == 302
    assert Site.objects.filter(name="Grave near Badush").exists()
    assert ExchangeJob.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED


def test_a_bad_file_shows_its_problems_and_offers_no_confirmation(world, data_manager, client_for):
    page = upload(client_for(data_manager), b"name,country,latitude,longitude\nGrave,IQ,123,43\n")
    content = page.content.decode()
    assert "Row 2, column “latitude”: 123 is out of range" in content
    assert "Confirm import" not in content


def test_unknown_columns_are_mapped_once_and_saved_for_the_organisation(world, data_manager, client_for):
    client = client_for(data_manager)
    partner = b"Nombre,Pais\nFosa de Viznar,ES\n"
    preview = upload(client, partner, organization=world["organization"].pk)
    assert "mapping_form" in preview.context
    job = preview.context["job"]
    mapped = client.post(
        reverse("admin:sites_site_import"),
        {"map_job": job.pk, "column_0": "name", "column_1": "country", "save_as": "NDC sites"},
    )
    assert mapped.context["outcome"].ok
    saved = ColumnMapping.objects.get(organization=world["organization"], name="NDC sites")
    assert saved.spec["columns"] == {"name": "Nombre", "country": "Pais"}
    again = upload(client, b"Nombre,Pais\nFosa de Alfacar,ES\n", organization=world["organization"].pk)
    assert again.context["outcome"].ok


def test_the_site_report_action_exports_exactly_the_filtered_sites(world, auditor, client_for):
    spanish = SiteFactory(spanish=True, reference_code="ES-AN-0007", name="Barranco de Víznar")
    client = client_for(auditor)
    url = reverse("admin:sites_site_changelist") + "?country__exact=ES"
    # "Select all N" on a filtered list: the page's ticked box plus select_across.
    response = client.post(url, {"action": "site_report_csv", "select_across": "1", "index": "0", "_selected_action": [spanish.pk]})
    assert response.status_code == 302
    job = ExchangeJob.objects.get(requested_by=auditor)
    assert job.status == JobStatus.SUCCEEDED
    download = client.get(reverse("admin:exchange_exchangejob_download", args=[job.pk, "result"]))
    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert [r["reference_code"] for r in rows] == ["ES-AN-0007"]
    manifest = b"".join(client.get(reverse("admin:exchange_exchangejob_download", args=[job.pk, "manifest"])).streaming_content)
    assert b"country__exact=ES" in manifest and b"1 sites selected" in manifest


def test_nobody_downloads_another_persons_export(world, auditor, researcher, client_for):
    client = client_for(auditor)
    client.post(
        reverse("admin:sites_site_changelist"),
        {"action": "site_report_csv", "index": "0", "_selected_action": [world["khasfa"].pk]},
    )
    job = ExchangeJob.objects.get(requested_by=auditor)
    client.force_login(researcher)
    assert client.get(reverse("admin:exchange_exchangejob_download", args=[job.pk, "result"])).status_code == 403


def test_the_export_button_escapes_formulas(world, auditor, client_for):
    SiteFactory(reference_code="IQ-NI-0777", name="=1+1")
    response = client_for(auditor).post(reverse("admin:sites_site_export"), {"format": "0", "resource": "0"})
    assert response.status_code == 200
    assert "'=1+1" in response.content.decode()


def test_a_report_of_one_selected_site_does_not_count_its_confidential_testimonies(world, researcher, client_for):
    TestimonySiteFactory(site=world["khasfa"])
    client = client_for(researcher)
    client.post(
        reverse("admin:sites_site_changelist"),
        {"action": "site_report_csv", "index": "0", "_selected_action": [world["khasfa"].pk]},
    )
    job = ExchangeJob.objects.get(requested_by=researcher)
    manifest = b"".join(
        client.get(reverse("admin:exchange_exchangejob_download", args=[job.pk, "manifest"])).streaming_content
    ).decode()
    assert "links to confidential testimonies, if any, not counted" in manifest
    assert "1 links to confidential testimonies" not in manifest
