"""Mappings saved per organisation: map a partner's columns once, reuse them for its next file."""

from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from gravesdb.core.history import acting
from gravesdb.sources.models import Organization

from .actors import history_context
from .mapping import MappingError, is_list_mapping, load_mapping
from .models import ColumnMapping, MappingTarget


def column_mapping_save(*, organization: Organization | None, target: str, name: str, text: str, actor) -> ColumnMapping:
    """Keep a mapping (as written, and parsed) for the organisation's next file."""
    spec = load_mapping(text)
    if target != MappingTarget.LIST and is_list_mapping(spec):
        target = MappingTarget.LIST
    with transaction.atomic(), acting(actor, reason=_("Column mapping saved: %(name)s") % {"name": name}, **history_context(actor)):
        mapping, _created = ColumnMapping.objects.get_or_create(
            organization=organization, target=target, name=name, defaults={"spec": spec, "text": text}
        )
        mapping.spec, mapping.text = spec, text
        mapping.stamp(actor)
        mapping.full_clean()
        mapping.save()
    return mapping


def saved_mapping(*, organization: Organization, target: str) -> ColumnMapping | None:
    """The organisation's most recently saved mapping for this kind of file."""
    return ColumnMapping.objects.filter(organization=organization, target=target).order_by("-updated_at").first()


def mapping_for_import(*, model: str, path: str | None, organization: str | None, save_as: str | None, actor) -> dict | None:
    org = None
    if organization:
        try:
            org = Organization.objects.get(name=organization)
        except Organization.DoesNotExist:
            raise MappingError(_("There is no organisation “%(name)s”.") % {"name": organization}) from None
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise MappingError(_("The mapping file cannot be read: %(error)s") % {"error": error}) from None
        if save_as:
            return column_mapping_save(organization=org, target=model, name=save_as, text=text, actor=actor).spec
        return load_mapping(text)
    if save_as:
        raise MappingError(_("--save-mapping needs --mapping FILE."))
    if org is not None:
        saved = saved_mapping(organization=org, target=model)
        return saved.spec if saved else None
    return None
