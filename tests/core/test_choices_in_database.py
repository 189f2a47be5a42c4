"""Every choice field refuses, in the database, a value its choices do not list.

Imports, bulk updates and raw SQL skip form validation; a value outside the
choices would then fall out of every filter and every count by kind.
"""

import pytest
from django.apps import apps

from tests.core.db import refused_by_database, update_row
from tests.factories import FACTORY_FOR_MODEL

DOMAIN_APPS = ("sources", "sites", "testimony")



def _text_choice_fields():
    for model in apps.get_models():
        if model._meta.app_label not in DOMAIN_APPS or model._meta.label.endswith("Event"):
            continue
        for field in model._meta.concrete_fields:
            if field.choices and field.get_internal_type() == "CharField":
                yield pytest.param(model, field.name, id=f"{model._meta.label}.{field.name}")


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "field_name"), list(_text_choice_fields()))
def test_a_value_outside_the_choices_is_refused(model, field_name):
    obj = FACTORY_FOR_MODEL[model]()
    unlisted = "zz-bogus"[: obj._meta.get_field(field_name).max_length]
    with refused_by_database(""):
        update_row(obj, **{field_name: unlisted})
