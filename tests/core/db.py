"""Database helpers shared by the model tests of every app: refusals, raw writes."""

import contextlib

import pytest
from django.db import IntegrityError, InternalError, connection, transaction


@contextlib.contextmanager
def refused_by_database(reason: str):
    """Expect PostgreSQL itself to refuse the block's statements, naming ``reason``.

    ``reason`` is the constraint's name or the trigger's message, so a test fails
    if the row is refused for some other cause than the invariant it is about.
    The savepoint keeps the test's transaction usable after the refusal.
    """
    with pytest.raises((IntegrityError, InternalError)) as refusal:
        with transaction.atomic():
            yield
    assert reason in str(refusal.value), str(refusal.value)


def update_row(obj, **values) -> int:
    """Write straight to the row, skipping save() and model validation."""
    return type(obj).objects.filter(pk=obj.pk).update(**values)


def delete_as_administrator(table: str, *, where: str, params: list) -> None:
    """Delete rows as a database administrator would, past the guards on evidence tables.

    Evidence is archived, never deleted, and the database refuses DELETE on its
    tables; tests that must prove what happens after a row vanishes anyway (a
    reference code is still not reused) step around every trigger for one statement.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            cursor.execute(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608 - test-only, fixed names
        finally:
            cursor.execute("SET LOCAL session_replication_role = origin")
