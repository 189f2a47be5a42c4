"""Qualifiers for the estimates recorded before they existed, read from their wording.

Only wording that says one thing is classified: one qualifier phrase standing right
before the one number of the wording ("at least 300 policemen", "some 4,000"), or a
count that opens the wording ("100 beheaded bodies"), and only where that number is
the figure stored in the field the qualifier reads. Anything else stays
unclassified, and is shown as such, for a person to decide. "So far" and "to date"
mark a running total. Each change is written to the history with the reason below;
the words are frozen here, as they stood when this migration was written.
"""

import re

import pghistory
from django.db import migrations

REASON = (
    "Classified from its wording by migration sites.0015 (honest figures): the wording names one "
    "qualifier before the stored figure."
)

NUMBER = r"(\d{1,3}(?:[,.\s]\d{3})+|\d+)"
PHRASES = {
    "at_least": r"at least|no fewer than|no less than|not less than|a minimum of|al menos|por lo menos|como mínimo|najmanje",
    "more_than": r"more than|over|upwards of|in excess of|más de|više od|preko",
    "up_to": r"up to|as many as|at most|no more than|hasta|najviše",
    "fewer_than": r"fewer than|less than|under|menos de|manje od",
    "approximate": (
        r"about|some|around|roughly|approximately|nearly|almost|an estimated|circa|c\.|~|unos|unas|"
        r"alrededor de|aproximadamente|cerca de|oko|približno"
    ),
    "exact": r"exactly|precisely|exactamente|tačno|točno",
}
RUNNING_TOTAL = re.compile(r"\b(so far|to date|thus far|hasta ahora|hasta la fecha|do sada|dosad)\b", re.IGNORECASE)


def _numbers(wording):
    return [int(re.sub(r"[,.\s]", "", n)) for n in re.findall(NUMBER, wording)]


def classify(wording, low, best, high):
    """The qualifier the wording states for these figures, or None where it is not plain."""
    text = " ".join((wording or "").split())
    numbers = _numbers(text)
    if len(numbers) != 1:
        return None
    (number,) = numbers
    found = {
        qualifier
        for qualifier, phrase in PHRASES.items()
        if re.search(rf"(?<!\w)(?:{phrase})\s*{NUMBER}", text, re.IGNORECASE)
    }
    if not found and re.match(rf"\s*{NUMBER}\s+\D+$", text):
        found = {"exact"}
    anywhere = {q for q, phrase in PHRASES.items() if re.search(rf"(?<!\w)(?:{phrase})(?!\w)", text, re.IGNORECASE)}
    if len(found) != 1 or anywhere - found:
        return None
    (qualifier,) = found
    if qualifier in ("at_least", "more_than"):
        return qualifier if high is None and (low if low is not None else best) == number else None
    if qualifier in ("up_to", "fewer_than"):
        return qualifier if low is None and (high if high is not None else best) == number else None
    return qualifier if best == number else None


def classify_estimates(apps, schema_editor):
    VictimEstimate = apps.get_model("sites", "VictimEstimate")
    changes = {}
    for estimate in VictimEstimate.objects.filter(qualifier="unclassified").iterator():
        qualifier = classify(estimate.wording, estimate.low, estimate.best, estimate.high)
        cumulative = bool(RUNNING_TOTAL.search(estimate.wording or ""))
        if qualifier or cumulative:
            changes.setdefault((qualifier, cumulative), []).append(estimate.pk)
    with pghistory.context(reason=REASON):
        for (qualifier, cumulative), ids in changes.items():
            fields = {"is_cumulative": cumulative} if cumulative else {}
            if qualifier:
                fields |= {"qualifier": qualifier, "is_approximate": qualifier == "approximate"}
            VictimEstimate.objects.filter(pk__in=ids).update(**fields)


class Migration(migrations.Migration):

    dependencies = [
        ("sites", "0014_figure_qualifiers"),
    ]

    operations = [
        migrations.RunPython(classify_estimates, migrations.RunPython.noop),
    ]
