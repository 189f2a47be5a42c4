"""Every choice field refuses, in the database, a value its choices do not list.

Imports, bulk updates and raw SQL skip form validation; a value outside the
choices would then fall out of every filter and every count by kind.
"""

import pytest
from django.apps import apps

from tests.core.db import refused_by_database, update_row
from tests.factories import FACTORY_FOR_MODEL

DOMAIN_APPS = ("sources", "sites", "testimony")

WITHOUT_CHECK = {
    "sources.Organization.kind",
    "sources.Source.kind",
    "sites.Site.site_type",
    "sites.Site.deposition",
    "sites.Site.remains_state",
    "sites.Site.protection_status",
    "sites.SiteRelation.kind",
    "testimony.Witness.sex",
    "testimony.Witness.role",
    "testimony.Witness.risk_level",
    "testimony.Consent.method",
}


def _text_choice_fields():
    for model in apps.get_models():
        if model._meta.app_label not in DOMAIN_APPS or model._meta.label.endswith("Event"):
            continue
        for field in model._meta.concrete_fields:
            if field.choices and field.get_internal_type() == "CharField":
                label = f"{model._meta.label}.{field.name}"
                marks = []
                if label in WITHOUT_CHECK:
                    marks = [pytest.mark.xfail(strict=True, raises=pytest.fail.Exception,
                                               reason="Database gap: no check constraint lists this field's choices.")]
                yield pytest.param(model, field.name, id=label, marks=marks)


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "field_name"), list(_text_choice_fields()))
def test_a_value_outside_the_choices_is_refused(model, field_name):
    obj = FACTORY_FOR_MODEL[model]()
    unlisted = "zz-bogus"[: obj._meta.get_field(field_name).max_length]
    with refused_by_database(""):
        update_row(obj, **{field_name: unlisted})
