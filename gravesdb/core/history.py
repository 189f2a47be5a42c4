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
