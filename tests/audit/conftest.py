import contextlib

import pytest
from django.db import connection

from gravesdb.core.history import acting
from tests.factories import SiteFactory, UserFactory


@contextlib.contextmanager
def triggers_off():
    """What a superuser can do to the raw tables: write with every trigger switched off."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            yield cursor
        finally:
            cursor.execute("SET session_replication_role = origin")


@pytest.fixture
def tamper():
    """Run SQL straight against the tables as a superuser bypassing the triggers."""

    def run(sql, params=()):
        with connection.cursor() as cursor:
            # The test's changes are not committed, so the chain head has not moved
            # yet; move it now, as a commit would, so tampering happens afterwards.
            cursor.execute("SET CONSTRAINTS gravesdb_audit_head IMMEDIATE")
            cursor.execute("SET CONSTRAINTS gravesdb_audit_head DEFERRED")
        with triggers_off() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    return run


@pytest.fixture
def history(db):
    """A few attributed changes: a site entered, renamed and given a locality."""
    editor = UserFactory(username="editor")
    with acting(editor, reason="Entered from the 2017 article"):
        site = SiteFactory(name="Khasfa")
    with acting(editor, reason="Spelling as in the survey"):
        site.name = "al-Khasfa"
        site.save()
    with acting(editor, reason="Village named in testimony"):
        site.locality = "Khasfa village"
        site.save()
    return site
