"""Writers in parallel transactions extend one chain; none can fork it.

The writers are separate database sessions committing for real, as parallel web
requests would. They write through raw SQL connections rather than a
transactional test, whose flush would empty the role groups other tests need;
what they committed is removed afterwards the way only a superuser could.
"""

import threading
import uuid

import psycopg2
import pytest
from django.db import connection

from gravesdb.audit.chain import verify
from gravesdb.audit.models import AuditEntry, ChainHead

pytestmark = pytest.mark.django_db

WRITERS = 4
ROWS_EACH = 5
INSERT = """
    INSERT INTO sources_organization
        (id, name, acronym, kind, country, website, notes, created_at, updated_at)
    VALUES (%s, %s, '', 'ngo', '', '', '', now(), now())
"""


def _session():
    return psycopg2.connect(**connection.get_connection_params())


@pytest.fixture
def committed_by_writers():
    head = ChainHead.objects.get(pk=1)
    prefix = f"parallel-{uuid.uuid4().hex[:8]}"
    yield prefix
    cleanup = _session()
    with cleanup, cleanup.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM sources_organizationevent WHERE name LIKE %s", [f"{prefix}%"])
        cursor.execute("DELETE FROM sources_organization WHERE name LIKE %s", [f"{prefix}%"])
        cursor.execute("DELETE FROM audit_auditentry WHERE seq > %s", [head.seq])
        cursor.execute("UPDATE audit_chainhead SET seq = %s, hash = %s WHERE id = 1", [head.seq, head.hash])
    cleanup.close()


def test_parallel_writers_extend_a_single_unbroken_chain(committed_by_writers):
    start = threading.Barrier(WRITERS)
    errors = []

    def write(writer):
        session = _session()
        try:
            start.wait(timeout=30)
            for n in range(ROWS_EACH):
                with session, session.cursor() as cursor:
                    cursor.execute(INSERT, [str(uuid.uuid4()), f"{committed_by_writers} {writer}-{n}"])
        except Exception as error:  # collected: an exception in a thread would be lost
            errors.append(error)
        finally:
            session.close()

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    entries = AuditEntry.objects.filter(object_model="sources.Organization", label="insert")
    assert entries.count() == WRITERS * ROWS_EACH
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    # No two entries claim the same predecessor: the chain did not fork.
    assert AuditEntry.objects.values("prev_hash").distinct().count() == len(seqs)
    report = verify()
    assert report.ok, (report.broken, report.findings)
