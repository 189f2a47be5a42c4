"""Who a management command acts as, so the command line obeys the same roles as the admin.

``--user USERNAME`` acts as that account. Without it, a command acts as a named
system role (exports: the Auditor's rights; imports: the Data manager's), which the
history records as "system (Data manager role)": whoever runs manage.py already holds
the database, so the role only decides what an export shows and how history reads.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from gravesdb.core import roles


class SystemRole:
    """A stand-in user holding exactly one role's permissions; never saved, never logs in."""

    # Not an account: provenance fields stay blank and the history names the role instead.
    is_authenticated = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, role: str):
        self.role = role
        self.permissions = roles.ROLE_PERMISSIONS[role]

    def has_perm(self, permission, obj=None) -> bool:
        return permission in self.permissions

    def get_username(self) -> str:
        return f"system ({self.role} role)"

    def __str__(self):
        return self.get_username()


def history_context(actor) -> dict:
    """Extra history context for an actor that is not an account (see acting())."""
    if isinstance(actor, SystemRole):
        return {"username": actor.get_username()}
    return {}


def command_actor(username: str | None, *, default_role: str):
    if not username:
        return SystemRole(default_role)
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist:
        raise CommandError(f"There is no active user “{username}”.") from None
