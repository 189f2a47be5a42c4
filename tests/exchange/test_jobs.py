"""Large imports and exports wait in a PostgreSQL table for the worker; the result stays for download."""

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import override_settings

from gravesdb.exchange.jobs import job_start, runs_in_background
from gravesdb.exchange.models import ExchangeJob, JobKind, JobStatus
from gravesdb.sites.models import Site
from tests.factories import UserFactory


@override_settings(GRAVESDB_EXCHANGE_BACKGROUND_ROWS=1)
def test_more_rows_than_the_threshold_go_to_the_background():
    assert runs_in_background(2) and not runs_in_background(1)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_queued_import_runs_in_the_worker_and_reports_progress():
    # A transactional test starts without the role groups (flushed), so the actor is a superuser.
    data_manager = UserFactory(username="manager", is_superuser=True)
    job = ExchangeJob.objects.create(
        kind=JobKind.IMPORT, requested_by=data_manager, input_name="sites.csv", parameters={"model": "sites"}
    )
    rows = "".join(f"Grave {i} near Badush,IQ,IQ-NI\n" for i in range(1200))
    job.input_file.save("sites.csv", ContentFile(("name,country,first_level_area\n" + rows).encode()))
    job_start(job, background=True)
    assert ExchangeJob.objects.get(pk=job.pk).status == JobStatus.QUEUED
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, (job.error, job.summary)
    assert job.summary["counts"]["new"] == 1200
    assert job.progress_done >= 1000
    assert Site.objects.filter(name__startswith="Grave ").count() == 1200


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_queued_site_report_keeps_its_file_and_manifest():
    auditor = UserFactory(username="auditor", is_superuser=True)
    job = ExchangeJob.objects.create(kind=JobKind.SITE_REPORT, requested_by=auditor, parameters={"format": "csv"})
    job_start(job, background=True)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result_file.open("rb").read().startswith(b"reference_code,")
    assert job.manifest_file.open("rb").read().decode().splitlines()[0].endswith(job.result_file.name.rsplit("/", 1)[-1])
