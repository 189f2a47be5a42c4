"""Evidence files (scans, reports, recordings): limits at upload, permission to read, proof of integrity.

Files live under MEDIA_ROOT, outside any web root; nothing serves that folder.
They are read only through ``serve_attachment``, which finds the record that holds
the file and checks the reader may see that record. A file's SHA-256 and size are
recorded when it is uploaded (``file_sha256``/``file_size`` beside the file field),
so ``verify_attachments`` can later prove it unchanged or show it was replaced.
"""

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.apps import apps
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import models
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .models import RecordedModel

# Markup a browser would render and run, whatever the file's name says.
_ACTIVE_CONTENT = (b"<!doctype html", b"<html", b"<svg", b"<script", b"<?xml-stylesheet")


def validate_attachment(upload) -> None:
    """Refuse files too large, of a type not on the list, or carrying web markup."""
    limit = settings.GRAVESDB_ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("This file is %(size)s; the limit is %(limit)s."),
            code="too_large",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
        )
    extension = PurePosixPath(upload.name or "").suffix.lower().lstrip(".")
    allowed = settings.GRAVESDB_ATTACHMENT_EXTENSIONS
    if extension not in allowed:
        raise ValidationError(
            _("Files of type “.%(extension)s” are not accepted. Accepted: %(allowed)s."),
            code="type_not_allowed",
            params={"extension": extension or "?", "allowed": ", ".join(sorted(allowed))},
        )
    head = upload.read(1024).lstrip().lower()
    upload.seek(0)
    if head.startswith(_ACTIVE_CONTENT):
        raise ValidationError(_("This file contains web page markup, which is not accepted."), code="active_content")


def digest(field_file) -> tuple[str, int]:
    """SHA-256 and size, read in chunks so large recordings fit in memory."""
    sha256 = hashlib.sha256()
    size = 0
    with field_file.storage.open(field_file.name, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            sha256.update(chunk)
            size += len(chunk)
    return sha256.hexdigest(), size


def attachment_fields():
    """(model, file field) for every evidence file that records its hash beside it."""
    for model in apps.get_models():
        if not issubclass(model, RecordedModel):
            continue
        names = {f.name for f in model._meta.fields}
        for field in model._meta.fields:
            if isinstance(field, models.FileField) and {"file_sha256", "file_size"} <= names:
                yield model, field


def serve_attachment(request, path: str):
    """Hand a file to a reader allowed to see the record it belongs to; 404 to anyone else."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    for model, field in attachment_fields():
        record = model._base_manager.filter(**{field.name: path}).first()
        if record is None:
            continue
        opts = model._meta
        allowed = request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}")
        visible_to = getattr(model._default_manager, "visible_to", None)
        if allowed and visible_to is not None:
            allowed = visible_to(request.user).filter(pk=record.pk).exists()
        if not allowed:
            break
        file = getattr(record, field.name)
        response = FileResponse(file.open("rb"), as_attachment=True, filename=PurePosixPath(file.name).name)
        # Even if a browser ignored the download, nothing in the file may run here.
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        response.headers["Content-Type"] = "application/octet-stream"
        return response
    raise Http404(_("No such file, or you may not see the record it belongs to."))


@dataclass
class AttachmentCheck:
    record: RecordedModel
    name: str
    problem: str

    def __str__(self):
        return f"{self.record._meta.label} {self.record.pk} ({self.name}): {self.problem}"


def verify_attachments():
    """Yield (checked count so far, problem or None) for every stored evidence file."""
    for model, field in attachment_fields():
        records = model._base_manager.exclude(**{field.name: ""}).order_by("pk")
        for record in records.iterator(chunk_size=500):
            file = getattr(record, field.name)
            if not file.storage.exists(file.name):
                yield AttachmentCheck(record, file.name, "the file is missing")
                continue
            sha256, size = digest(file)
            if sha256 != record.file_sha256:
                yield AttachmentCheck(record, file.name, f"SHA-256 is {sha256}, recorded {record.file_sha256 or '(none)'}")
            elif size != record.file_size:
                yield AttachmentCheck(record, file.name, f"size is {size} bytes, recorded {record.file_size}")
            else:
                yield None
