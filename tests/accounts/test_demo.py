"""The demo: one account per role with passwords that change on every run, never in production."""

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from gravesdb.accounts.services import demo_accounts_create
from gravesdb.core import roles

pytestmark = pytest.mark.django_db


def test_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo")
    assert not get_user_model().objects.exists()


def test_each_role_gets_a_staff_account_that_can_log_in():
    accounts = demo_accounts_create()

    by_role = {account.role: account for account in accounts}
    assert set(by_role) == set(roles.ROLE_PERMISSIONS) | {"Superuser"}
    for role in roles.ROLE_PERMISSIONS:
        user = authenticate(username=by_role[role].username, password=by_role[role].password)
        assert user is not None and user.is_staff and not user.is_superuser
        assert list(user.groups.values_list("name", flat=True)) == [role]
    admin = authenticate(username="admin", password=by_role["Superuser"].password)
    assert admin is not None and admin.is_superuser


def test_a_second_run_resets_the_accounts_and_voids_the_old_passwords():
    first = {a.username: a.password for a in demo_accounts_create()}
    second = {a.username: a.password for a in demo_accounts_create()}

    assert get_user_model().objects.count() == len(first)
    for username, old_password in first.items():
        assert authenticate(username=username, password=old_password) is None
        assert authenticate(username=username, password=second[username]) is not None
