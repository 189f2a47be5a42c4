"""Filter forms as every reader can use them: typed text keeps its own direction, help is announced."""

from django import forms


def accessible(form):
    """Mark free-text inputs ``dir="auto"`` (Arabic and Latin spellings each render the
    right way round) and tie each help text to its control for screen readers."""
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.TextInput):
            field.widget.attrs.setdefault("dir", "auto")
        if field.help_text:
            field.widget.attrs["aria-describedby"] = f"{form[name].auto_id}_help"
    return form
