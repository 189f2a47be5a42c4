"""Who did it and why: the context attached to every history event.

pghistory's triggers write an event row for every insert, update and delete,
whatever the code path (admin, command, bulk_create, QuerySet.update(), raw SQL).
What they cannot know by themselves is the acting person and the reason; this
module attaches both, so management commands and services record them exactly
as web requests do. All events written inside one outermost context share its
context UUID, which serves as the request id grouping one user action.
"""

import contextlib

import pghistory


def track(**options):
    """Record every insert, update and delete of the decorated model in its history table.

    The events are written by statement-level triggers: a bulk write of N rows
    records its N events in one INSERT, which the audit chain then seals under
    one lock. The trackers are made afresh for each model rather than taken from
    PGHISTORY_DEFAULT_TRACKERS: pghistory deep-copies those, and the copies'
    operations no longer compare equal to pgtrigger's, which silently turns
    statement-level triggers into broken row-level SQL.
    """
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        level=pghistory.Statement,
        **options,
    )


@contextlib.contextmanager
def acting(actor=None, *, reason: str = "", **extra):
    """Attribute every database change inside the block to ``actor`` with ``reason``."""
    context = {**extra}
    if actor is not None and getattr(actor, "pk", None) is not None:
        context["user"] = actor.pk
        context["username"] = actor.get_username()
    if reason:
        context["reason"] = reason
    with pghistory.context(**context):
        yield
