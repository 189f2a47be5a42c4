"""Optimistic locking over HTTP: an update must name the version it was based on.

A record's ``version`` is raised by the database on every change. A client reads it
(the ``version`` field, or the ``ETag`` header of a detail response) and sends it
back with a PUT or PATCH, as ``If-Match: "<version>"`` or ``"version"`` in the body.
An update that names no version could overwrite, unseen, what a colleague saved
a moment earlier, so it is refused with 428 Precondition Required; one that names
an older version is refused with 409 Conflict and what changed since.
"""

import re
from collections.abc import Mapping

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError

from gravesdb.core.models import ConcurrentEdit

from . import serializers

_VERSION = re.compile(r"[1-9][0-9]{0,17}")
# Actions whose answer is one record, so its version can travel as the ETag.
SINGLE_RECORD_ACTIONS = frozenset({"retrieve", "create", "update", "partial_update", "status_changes"})
UPDATE_ACTIONS = frozenset({"update", "partial_update"})


class VersionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "version_required"
    # The current version is deliberately not offered: a client that copied it into
    # a retry would overwrite exactly the changes this refusal protects.
    default_detail = (
        'Send the version of the record you read: an If-Match: "<version>" header (the ETag of the record), '
        'or "version": <version> in the body. Updates without it are refused so that nobody overwrites '
        "changes they have not seen."
    )


class StaleVersion(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "stale_version"

    def __init__(self, stale: ConcurrentEdit):
        super().__init__()
        changes = stale.changes()
        # Set directly, not through APIException's coercion, so versions stay numbers.
        # Field names only: the values may be ones this reader may not see.
        self.detail = {
            "detail": "The record changed since you read it; reload it and apply your change again.",
            "your_version": stale.expected_version,
            "current_version": stale.current_version,
            "changed_by": changes.get("by", []),
            "changed_fields": [name for name, _then, _now in changes.get("fields", [])],
        }


def version_named(request) -> int:
    """The version the client says it read, from ``If-Match`` or the body's ``version``.

    Raises ``VersionRequired`` (428) when neither is sent, and a 400 when a value is
    not a version or the two disagree.
    """
    named = []
    header = request.headers.get("If-Match", "").strip()
    if header:
        named.append(_parsed(header.removeprefix("W/").strip('"'), "If-Match"))
    body = request.data.get("version") if isinstance(request.data, Mapping) else None
    if body not in (None, ""):
        named.append(_parsed(body, "version"))
    if not named:
        raise VersionRequired()
    if len(set(named)) > 1:
        raise ValidationError({"version": ["If-Match and the body's version name different versions."]})
    return named[0]


def _parsed(value, where: str) -> int:
    text = str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not _VERSION.fullmatch(text.strip()):
        raise ValidationError({"version": [f"{where} must name one version, a whole number from 1 (e.g. \"3\")."]})
    return int(text)


def check_version(record, expected: int) -> None:
    """Lock ``record``'s row for the rest of the transaction; 409 if it moved past ``expected``."""
    try:
        type(record).lock_version(record.pk, expected_version=expected)
    except ConcurrentEdit as stale:
        raise StaleVersion(stale) from stale


def etag(version: int) -> str:
    return f'"{version}"'


class VersionedRecordSchema(AutoSchema):
    """Documents the version precondition: If-Match in, ETag out, 409 and 428 on updates."""

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        action = getattr(self.view, "action", None)
        if action in UPDATE_ACTIONS:
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description='The version you read, as its ETag ("3"). Required unless the body carries '
                    '"version"; without either the update is refused with 428.',
                )
            )
        if action in SINGLE_RECORD_ACTIONS:
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    response=[200, 201],
                    description='The record\'s version, quoted ("3"): send it back as If-Match to update.',
                )
            )
        return parameters

    def get_response_serializers(self):
        responses = super().get_response_serializers()
        if getattr(self.view, "action", None) not in UPDATE_ACTIONS:
            return responses
        return {
            200: responses,
            409: OpenApiResponse(
                serializers.StaleVersionSerializer,
                description="The record changed since the version you sent; nothing was written.",
            ),
            428: OpenApiResponse(
                serializers.VersionRequiredSerializer,
                description="No version was sent (If-Match or body version); nothing was written.",
            ),
        }
