"""Writers in parallel transactions extend one chain; none can fork it."""

import threading

import pytest
from django.db import connection, transaction

from gravesdb.audit.chain import verify
from gravesdb.audit.models import AuditEntry
from gravesdb.core.history import acting
from tests.factories import SiteFactory, UserFactory

WRITERS = 4
SITES_EACH = 5


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_extend_a_single_unbroken_chain():
    users = [UserFactory(username=f"writer{n}") for n in range(WRITERS)]
    start = threading.Barrier(WRITERS)
    errors = []

    def write(user):
        try:
            start.wait(timeout=30)
            for n in range(SITES_EACH):
                with transaction.atomic(), acting(user, reason=f"parallel entry {n}"):
                    SiteFactory(name=f"{user.username} site {n}")
        except Exception as error:  # reported below; a thread's exception would be lost
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert AuditEntry.objects.filter(reason__startswith="parallel entry").count() == WRITERS * SITES_EACH
    assert AuditEntry.objects.values("prev_hash").distinct().count() == len(seqs)
    report = verify()
    assert report.ok, (report.broken, report.findings)
