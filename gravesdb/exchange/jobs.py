"""Imports and exports as jobs: run now when small, queued for the worker when large.

A job keeps its uploaded file and its result in private storage, so a 100,000-row
export started in the admin can be downloaded when it is done, and its manifest
beside it. Progress is written on a connection of its own, outside the import's
transaction, so the admin shows it while the work is still uncommitted.
"""

import datetime
import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ExchangeJob, JobKind, JobStatus
from .reports import ReportRequest, export_records, export_report
from .resources import EXPORTABLE
from .services import records_import


def runs_in_background(rows: int) -> bool:
    return rows > settings.GRAVESDB_EXCHANGE_BACKGROUND_ROWS


def job_start(job: ExchangeJob, *, background: bool) -> ExchangeJob:
    """Queue the job for the worker (``manage.py db_worker``), or run it now."""
    if background:
        from .tasks import run_exchange_job

        transaction.on_commit(lambda: run_exchange_job.enqueue(job.pk))
        return job
    job_run(job.pk)
    job.refresh_from_db()
    return job


def report_job_start(*, requested_by, kind: str, parameters: dict, background: bool) -> ExchangeJob:
    """Queue (or run) a site or estimates report asked for in the admin or on the site list.

    Its manifest says what was left out without counting what the requester may
    not see: under a filter they typed, or a selection of one site, that count
    would disclose confidential records.
    """
    job = ExchangeJob.objects.create(
        kind=kind, requested_by=requested_by, parameters={**parameters, "count_unseen": False}
    )
    return job_start(job, background=background)


class _Progress:
    """Writes progress through its own autocommit connection, so others see it at once."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.raw = None

    def __call__(self, done: int, total: int | None):
        if self.raw is None:
            self.raw = connection.get_new_connection(connection.get_connection_params())
            self.raw.autocommit = True
        with self.raw.cursor() as cursor:
            cursor.execute(
                "UPDATE exchange_exchangejob SET progress_done = %s, progress_total = COALESCE(%s, progress_total) WHERE id = %s",
                [done, total, self.job_id],
            )

    def close(self):
        if self.raw is not None:
            self.raw.close()


def job_run(job_id: int) -> None:
    job = ExchangeJob.objects.get(pk=job_id)
    ExchangeJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=timezone.now())
    progress = _Progress(job.pk)
    try:
        summary, failed = _perform(job, progress)
        ExchangeJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED if failed else JobStatus.SUCCEEDED,
            summary=summary,
            finished_at=timezone.now(),
        )
    except Exception as error:  # a job must end in a state the admin can show
        ExchangeJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error=str(error), finished_at=timezone.now())
        raise
    finally:
        progress.close()


def _token() -> str:
    # Part of the file name, so the stored name is the one the manifest names (storage would
    # otherwise rename a file whose name is taken).
    return uuid.uuid4().hex[:12]


def _actor(job):
    return get_user_model().objects.get(pk=job.requested_by_id)


def _perform(job: ExchangeJob, progress) -> tuple[dict, bool]:
    parameters = job.parameters
    user = _actor(job)
    if job.kind == JobKind.IMPORT:
        with job.input_file.open("rb") as stream:
            data = stream.read()
        outcome = records_import(
            model=parameters["model"],
            data=data,
            file_name=job.input_name,
            actor=user,
            dry_run=parameters.get("dry_run", False),
            mapping=parameters.get("mapping"),
            encoding=parameters.get("encoding", ""),
            progress=progress,
        )
        return outcome.as_dict(), not outcome.ok
    file_format = parameters.get("format", "csv")
    with tempfile.TemporaryDirectory() as folder:
        if job.kind in (JobKind.SITE_REPORT, JobKind.ESTIMATES_REPORT):
            estimates = job.kind == JobKind.ESTIMATES_REPORT
            name = f"{'estimates' if estimates else 'site'}-report-{job.pk}-{_token()}.{file_format}"
            request = ReportRequest(
                user=user,
                estimates=estimates,
                as_of=datetime.date.fromisoformat(parameters["as_of"]) if parameters.get("as_of") else None,
                site_ids=parameters.get("site_ids"),
                site_filter=parameters.get("site_filter", ""),
                description=parameters.get("description", ""),
                count_unseen=parameters.get("count_unseen", True),
            )
            outcome = export_report(request, path=Path(folder) / name, file_format=file_format,
                                    excel=parameters.get("excel", False), progress=progress)
        else:
            resource = EXPORTABLE[parameters["model"]](user=user)
            name = f"{parameters['model']}-{job.pk}-{_token()}.{file_format}"
            outcome = export_records(resource, path=Path(folder) / name, file_format=file_format, ids=parameters.get("ids"),
                                     description=parameters.get("description", ""), progress=progress)
        with outcome.path.open("rb") as result, outcome.manifest_path.open("rb") as manifest:
            job.result_file.save(outcome.path.name, File(result), save=False)
            job.manifest_file.save(outcome.manifest_path.name, File(manifest), save=False)
        ExchangeJob.objects.filter(pk=job.pk).update(result_file=job.result_file.name, manifest_file=job.manifest_file.name)
        summary = {
            "rows": outcome.rows,
            "sha256": outcome.sha256,
            "withheld": outcome.withheld,
            "summary": _("%(rows)d rows exported.") % {"rows": outcome.rows},
        }
        return summary, False
