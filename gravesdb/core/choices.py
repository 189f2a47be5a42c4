"""Choices shared by more than one part of the domain."""

import functools

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sensitivity(models.TextChoices):
    """How widely a record may travel; enforced by the protection layer."""

    PUBLIC = "public", _("Public")
    RESTRICTED = "restricted", _("Restricted")
    CONFIDENTIAL = "confidential", _("Confidential")


def choice_checks(prefix: str, **fields) -> list[models.CheckConstraint]:
    """Check constraints that keep each choice field within its choices, in the database.

    Imports, bulk updates and raw SQL skip form validation; a value outside the
    choices would fall out of every filter and every count by kind. Pass
    ``name=(Choices, True)`` for a field that may also be blank.
    """
    constraints = []
    for field, spec in fields.items():
        choices, allow_blank = spec if isinstance(spec, tuple) else (spec, False)
        condition = models.Q(**{f"{field}__in": choices.values})
        if allow_blank:
            condition |= models.Q(**{field: ""})
        constraints.append(
            models.CheckConstraint(
                condition=condition,
                name=f"{prefix}_{field}_valid",
                violation_error_message=_("Choose one of the listed values."),
            )
        )
    return constraints


def choice_label(record, field_name):
    """What ``record.get_<field_name>_display()`` shows, for lists and map data.

    Django's method translates every label of the field to find one (some 40 µs);
    a list of 200 sites asks it four times a row.
    """
    field = record._meta.get_field(field_name)
    value = getattr(record, field.attname)
    return _choice_labels(field).get(value, value)


@functools.cache
def _choice_labels(field) -> dict:
    return dict(field.flatchoices)  # labels stay lazy: each is translated when shown
