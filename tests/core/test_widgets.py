"""Long selects are written in Python; they must read exactly as Django's own."""

import re

from django import forms

from gravesdb.core.widgets import LongSelect

CHOICES = [("", "---------"), ("IQ", "Iraq"), ("BA", "Bosnia & <Herzegovina>"), ("IQ", "Iraq again")]


def _normalised(html: str) -> str:
    tags = re.findall(r"<[^>]+>|[^<]+", re.sub(r">\s+<", "><", str(html)).strip())
    # Attribute order is not meaning: compare each tag's attributes as a set.
    return [(tag.split()[0], sorted(tag.strip("<>").split()[1:])) if tag.startswith("<") else tag for tag in tags]


def test_the_markup_is_djangos_with_one_option_selected_and_text_escaped():
    attrs = {"id": "id_country", "aria-describedby": "id_country_help"}
    ours = LongSelect(choices=CHOICES).render("country", "IQ", attrs=attrs)
    djangos = forms.Select(choices=CHOICES).render("country", "IQ", attrs=attrs)
    assert _normalised(ours) == _normalised(djangos)
    assert ours.count(" selected") == 1
    assert "Bosnia &amp; &lt;Herzegovina&gt;" in ours


def test_groups_and_no_value():
    grouped = [("", "---------"), ("Middle East", [("IQ", "Iraq"), ("SY", "Syria")])]
    ours = LongSelect(choices=grouped).render("country", None)
    assert _normalised(ours) == _normalised(forms.Select(choices=grouped).render("country", None))
    assert '<optgroup label="Middle East">' in ours
    assert " selected" in ours.split("</option>")[0]  # the empty choice, as Django marks it
