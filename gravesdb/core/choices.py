"""Choices shared by more than one part of the domain."""

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
