import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api_for():
    """An API client authenticated as ``user`` (by token, as a partner system would be)."""

    def login(user):
        from rest_framework.authtoken.models import Token

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
        return client

    return login
