"""Every factory saves a valid row, so tests elsewhere can trust them as a starting point."""

import pytest

from tests import factories

ALL_FACTORIES = [factories.UserFactory, *factories.FACTORY_FOR_MODEL.values()]


@pytest.mark.django_db
@pytest.mark.parametrize("factory", ALL_FACTORIES, ids=lambda f: f.__name__)
def test_factory_builds_a_row_that_passes_model_validation(factory):
    obj = factory()
    obj.full_clean()
    assert type(obj).objects.filter(pk=obj.pk).exists()


@pytest.mark.django_db
def test_spanish_sites_lie_in_andalusia():
    site = factories.SiteFactory(spanish=True)
    site.full_clean()
    assert (site.country, site.first_level_area) == ("ES", "ES-AN")
    assert site.reference_code.startswith("ES-AN-")
    assert site.name in {place["name"] for place in factories.SPANISH_PLACES}
