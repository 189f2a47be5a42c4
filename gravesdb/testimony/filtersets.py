"""Filters for witnesses and testimonies: by pseudonym and attributes, never by identity.

There is deliberately no filter on a witness's legal name or contact: a search
that answers "is X a witness?" would disclose the identity it is meant to hide.
"""

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from gravesdb.core.choices import Sensitivity

from .choices import RiskLevel, Sex, WitnessRole
from .models import Testimony, TestimonySite, Witness


class WitnessFilterSet(django_filters.FilterSet):
    pseudonym = django_filters.CharFilter(lookup_expr="iexact", label=_("Pseudonym code"))
    role = django_filters.ChoiceFilter(choices=WitnessRole.choices, label=_("Role"))
    sex = django_filters.ChoiceFilter(choices=Sex.choices, label=_("Sex"))
    risk_level = django_filters.ChoiceFilter(choices=RiskLevel.choices, label=_("Risk level"))

    class Meta:
        model = Witness
        fields = []


class TestimonyFilterSet(django_filters.FilterSet):
    site = django_filters.CharFilter(method="filter_site", label=_("Site reference code"))
    witness = django_filters.CharFilter(field_name="witness__pseudonym", lookup_expr="iexact", label=_("Witness pseudonym"))
    sensitivity = django_filters.ChoiceFilter(choices=Sensitivity.choices, label=_("Sensitivity"))
    language = django_filters.CharFilter(label=_("Language (BCP 47)"))
    is_shareable = django_filters.BooleanFilter(label=_("Shareable"))

    class Meta:
        model = Testimony
        fields = []

    def filter_site(self, queryset, name, value):
        concerns = TestimonySite.objects.filter(testimony=OuterRef("pk"), site__reference_code=value.strip().upper())
        return queryset.filter(Exists(concerns))
