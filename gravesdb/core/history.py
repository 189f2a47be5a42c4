"""Who did it and why: the context attached to every history event.

pghistory's triggers write an event row for every insert, update and delete,
whatever the code path (admin, command, bulk_create, QuerySet.update(), raw SQL).
What they cannot know by themselves is the acting person and the reason; this
module attaches both, so management commands and services record them exactly
as web requests do.
"""

import contextlib
import uuid

import pghistory


@contextlib.contextmanager
def acting(actor=None, *, reason: str = "", **extra):
    """Attribute every database change inside the block to ``actor`` with ``reason``."""
    context = {**extra}
    if actor is not None and getattr(actor, "pk", None) is not None:
        context["user"] = actor.pk
        context["username"] = actor.get_username()
    if reason:
        context["reason"] = reason
    context.setdefault("request_id", str(uuid.uuid4()))
    with pghistory.context(**context):
        yield
