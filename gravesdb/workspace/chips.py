"""Active filters as removable chips: what the list is showing, and one click to undo each."""

from dataclasses import dataclass

from django import forms


@dataclass(frozen=True)
class Chip:
    name: str
    label: str
    value: str
    remove_query: str


def active_filter_chips(filterset, params) -> list[Chip]:
    """One chip per filter the reader set, labelled as the form labels it.

    Choice values are shown by their label and records by their name, so a chip
    reads "Status: Verified", not "status=verified". Removing a chip keeps every
    other filter and the sort, and goes back to the first page.
    """
    form = filterset.form
    cleaned = form.cleaned_data if form.is_valid() else {}
    chips = []
    for name, field in form.fields.items():
        raw = params.get(name, "")
        if raw in ("", None):
            continue
        remaining = params.copy()
        remaining.pop(name, None)
        remaining.pop("page", None)
        chips.append(Chip(name, str(field.label), _display(field, raw, cleaned.get(name)), remaining.urlencode()))
    return chips


def _display(field, raw, cleaned) -> str:
    if isinstance(field, forms.ModelChoiceField):
        return str(cleaned) if cleaned is not None else raw
    if isinstance(field, forms.ChoiceField):
        return str(dict(field.choices).get(raw, raw))
    widget_choices = getattr(field.widget, "choices", None)
    if widget_choices:
        return str(dict(widget_choices).get(raw, raw))
    return raw
