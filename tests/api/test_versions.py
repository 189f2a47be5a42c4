"""Two partners edit one record through the API: the second is told, not overwritten."""

import pytest
from django.urls import reverse

from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_a_write_from_a_stale_read_is_refused_with_what_changed(api_for, data_manager, researcher):
    organization = OrganizationFactory(notes="")
    url = reverse("api:organization-detail", args=[organization.pk])
    first, second = api_for(researcher), api_for(data_manager)

    read = second.get(url).json()
    assert first.patch(url, {"notes": "Renamed its office in Erbil."}, format="json").status_code == 200

    stale = second.patch(url, {"notes": "Works in Nineveh.", "version": read["version"]}, format="json")
    assert stale.status_code == 409
    body = stale.json()
    assert body["your_version"] == read["version"] and body["current_version"] == read["version"] + 1
    assert body["changed_by"] == ["researcher"] and "notes" in body["changed_fields"]
    organization.refresh_from_db()
    assert organization.notes == "Renamed its office in Erbil."

    fresh = second.get(url).json()
    answer = second.patch(url, {"notes": "Works in Nineveh."}, format="json", HTTP_IF_MATCH=f'"{fresh["version"]}"')
    assert answer.status_code == 200
    organization.refresh_from_db()
    assert organization.notes == "Works in Nineveh."


def test_a_version_that_is_not_a_number_is_a_clear_400(api_for, data_manager):
    organization = OrganizationFactory()
    url = reverse("api:organization-detail", args=[organization.pk])
    answer = api_for(data_manager).patch(url, {"notes": "x", "version": "yesterday"}, format="json")
    assert answer.status_code == 400 and "version" in answer.json()
