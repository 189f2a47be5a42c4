"""Invisible, not read-only: one rule for what a user may know exists, applied everywhere.

Each sensitive model's QuerySet answers ``visible_to(user)`` (sites, testimonies,
witnesses, consents, identities, estimates). Records hung on them — a site's
citations and status changes, a testimony's links — are visible through them:
``restrict_to_visible`` keeps a row only if every record it points to through the
named fields is visible, or, for shared records such as citations, if anything it
supports is. The admin mixin below applies the same function to lists, search
results, autocompletes (Django's autocomplete view asks the target admin's
``get_queryset``), inline rows, foreign-key choices and history, so a confidential
record cannot surface through the one path somebody forgot.
"""

from django.apps import apps
from django.db.models import Q
from django.template.response import TemplateResponse


def _visible_queryset(model, user):
    queryset = model._default_manager.all()
    return queryset.visible_to(user) if hasattr(queryset, "visible_to") else queryset


def _target(model, path: str):
    for name in path.split("__"):
        model = model._meta.get_field(name).related_model
    return model


def restrict_to_visible(queryset, user, *, through=(), through_any=()):
    """``queryset`` less what ``user`` may not know of.

    ``through``: fields (or paths) to records that must all be visible (an
    estimate's site). ``through_any``: paths to the records a shared row supports
    (a citation's sites and testimonies); the row stays if it supports nothing yet
    or at least one record the user may see.
    """
    if hasattr(queryset, "visible_to"):
        queryset = queryset.visible_to(user)
    model = queryset.model
    for path in through:
        queryset = queryset.filter(**{f"{path}__in": _visible_queryset(_target(model, path), user).values("pk")})
    if through_any:
        supports_any, supports_visible = Q(), Q()
        for path in through_any:
            links = model._default_manager.filter(**{f"{path}__isnull": False})
            visible = _visible_queryset(_target(model, path), user).values("pk")
            supports_any |= Q(pk__in=links.values("pk"))
            supports_visible |= Q(pk__in=links.filter(**{f"{path}__in": visible}).values("pk"))
        queryset = queryset.filter(~supports_any | supports_visible)
    return queryset


class VisibilityAdminMixin:
    """Admins and inlines show only what the user may know exists (see the module docstring).

    ``visible_through``/``visible_through_any`` are passed to ``restrict_to_visible``;
    ``history_hidden_fields`` maps a field to the permission needed to see its values
    in the history (a site's coordinates).
    """

    visible_through: tuple[str, ...] = ()
    visible_through_any: tuple[str, ...] = ()
    history_hidden_fields: dict[str, str] = {}

    def get_queryset(self, request):
        return restrict_to_visible(
            super().get_queryset(request),
            request.user,
            through=self.visible_through,
            through_any=self.visible_through_any,
        )

    def _limit_choices(self, formfield, request):
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = restrict_to_visible(formfield.queryset, request.user)
        return formfield

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return self._limit_choices(super().formfield_for_foreignkey(db_field, request, **kwargs), request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return self._limit_choices(super().formfield_for_manytomany(db_field, request, **kwargs), request)

    def history_view(self, request, object_id, extra_context=None):
        """The record's history less the events of records the user may not see, and hidden fields."""
        response = super().history_view(request, object_id, extra_context)
        if isinstance(response, TemplateResponse) and "events" in (response.context_data or {}):
            response.context_data["events"] = self.visible_history(request, response.context_data["events"])
        return response

    def visible_history(self, request, rows):
        """Drop events of records the user may not see, and of links that name one; mask hidden fields."""
        user = request.user
        hidden_fields = {field for field, perm in self.history_hidden_fields.items() if not user.has_perm(perm)}
        models = {model.__name__: model for model in apps.get_models()}
        wanted, pointers = {}, []
        for row in rows:
            refs = _records_named(models.get(row["model"]), row)
            for model, pk in refs:
                wanted.setdefault(model, set()).add(str(pk))
            pointers.append(refs)
        visible = {
            model: {str(pk) for pk in _visible_queryset(model, user).filter(pk__in=ids).values_list("pk", flat=True)}
            for model, ids in wanted.items()
        }
        shown = []
        for row, refs in zip(rows, pointers):
            if any(str(pk) not in visible[model] for model, pk in refs):
                continue
            if hidden_fields:
                row = {**row, "changes": [change for change in row["changes"] if change[0] not in hidden_fields]}
            shown.append(row)
        return shown


def _has_visibility(model) -> bool:
    return hasattr(model._default_manager.all(), "visible_to")


def _records_named(model, row) -> list:
    """The sensitive records a history row is about: its own, or for a link row, those it links."""
    if model is None:
        return []
    if _has_visibility(model):
        return [(model, row["object_id"])]
    refs = []
    for field in model._meta.concrete_fields:
        target = field.related_model
        if field.many_to_one and target is not None and _has_visibility(target):
            for name, old, new in row["changes"]:
                if name in (field.name, field.attname):
                    refs += [(target, value) for value in (old, new) if value]
    return refs
