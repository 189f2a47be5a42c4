"""The background task: django-tasks with its database backend, so the queue is a PostgreSQL
table and the worker is ``python manage.py db_worker`` (no broker to install or run)."""

from django_tasks import task

from .jobs import job_run


@task()
def run_exchange_job(job_id: int) -> None:
    job_run(job_id)
