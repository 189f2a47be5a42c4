"""Fixtures shared across the suite: users in each role, logged-in admin clients."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group

from gravesdb.core import roles
from tests.factories import UserFactory


def _member(role: str, username: str):
    if not Group.objects.filter(name=role).exists():
        # A transactional test (the browser tests' live server) flushes every table
        # on teardown, the groups of the data migration included.
        roles.sync_role_groups(apps)
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def researcher(db):
    return _member(roles.RESEARCHER, "researcher")


@pytest.fixture
def auditor(db):
    return _member(roles.AUDITOR, "auditor")


@pytest.fixture
def data_manager(db):
    return _member(roles.DATA_MANAGER, "datamanager")


@pytest.fixture
def protection_officer(db):
    return _member(roles.WITNESS_PROTECTION_OFFICER, "protection")


@pytest.fixture
def client_for(client):
    """Log the test client in as the given user: ``client_for(auditor)``."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def policemen(db):
    """The seed's grave of "at least 300 policemen": the figure whose high no source gave."""
    from django.core.management import call_command

    from gravesdb.sites.models import Site

    call_command("loaddata", "seed", verbosity=0)
    return Site.objects.get(reference_code="IQ-NI-0002")
