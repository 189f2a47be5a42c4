"""Account actions: writes to users and their roles, done one way for every caller."""

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from gravesdb.core import roles
from gravesdb.core.history import acting

DEMO_SUPERUSER = "admin"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    password: str


def _demo_username(role: str) -> str:
    return role.lower().replace(" ", "_")


def demo_accounts_create(*, actor=None, reason: str = "Demo accounts for a local trial") -> list[DemoAccount]:
    """Create or reset one staff account per role, plus a superuser, with fresh passwords.

    Every call hands out new random passwords, so credentials printed by an earlier
    run stop working; there is never a fixed demo password to find in the code.
    Only for a local trial: callers must refuse to run this outside DEBUG.
    """
    User = get_user_model()
    wanted = [(_demo_username(role), role) for role in roles.ROLE_PERMISSIONS] + [(DEMO_SUPERUSER, "Superuser")]
    accounts = []
    with transaction.atomic(), acting(actor, reason=reason):
        for username, role in wanted:
            user, _ = User.objects.get_or_create(username=username)
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.is_active = True
            user.is_staff = True
            user.is_superuser = username == DEMO_SUPERUSER
            user.save()
            user.groups.set([] if user.is_superuser else [Group.objects.get(name=role)])
            accounts.append(DemoAccount(username=username, role=role, password=password))
    return accounts
