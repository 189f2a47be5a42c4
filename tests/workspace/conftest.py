import pytest
from django.contrib.auth.models import Permission

from tests.factories import UserFactory


@pytest.fixture
def coarse_reader(db):
    """A reader who may see sites but not their exact coordinates (a partner's account)."""
    user = UserFactory(username="partner", is_staff=False)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["sites", "sources"], codename__startswith="view_"
        ).exclude(codename__in=["view_exact_location", "view_confidential_site"])
    )
    return user
