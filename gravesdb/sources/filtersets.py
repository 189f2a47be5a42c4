"""Filters for who reports (organisations), what they published (sources) and cited passages."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import InformationCredibility, OrganizationKind, SourceKind, SourceReliability, SupportedField
from .models import Citation, Organization, Source


class OrganizationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Name or acronym"))
    kind = django_filters.ChoiceFilter(choices=OrganizationKind.choices, label=_("Kind"))
    country = django_filters.CharFilter(method="filter_country", label=_("Country (ISO code)"))

    class Meta:
        model = Organization
        fields = []

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(acronym__iexact=value))

    def filter_country(self, queryset, name, value):
        return queryset.filter(country=value.strip().upper())


class SourceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Title, author or URL"))
    kind = django_filters.ChoiceFilter(choices=SourceKind.choices, label=_("Kind"))
    publisher = django_filters.ModelChoiceFilter(queryset=Organization.objects.all(), label=_("Publisher"))
    reliability = django_filters.ChoiceFilter(choices=SourceReliability.choices, label=_("Reliability"))
    language = django_filters.CharFilter(label=_("Language (BCP 47)"))
    published_from = django_filters.DateFilter(
        field_name="publication_date_earliest", lookup_expr="gte", label=_("Published from")
    )
    published_to = django_filters.DateFilter(
        field_name="publication_date_earliest", lookup_expr="lte", label=_("Published to")
    )

    class Meta:
        model = Source
        fields = []

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(authors__icontains=value) | Q(url__icontains=value))


class CitationFilterSet(django_filters.FilterSet):
    source = django_filters.ModelChoiceFilter(queryset=Source.objects.all(), label=_("Source"))
    credibility = django_filters.TypedChoiceFilter(
        choices=InformationCredibility.choices, coerce=int, label=_("Information credibility")
    )
    supports = django_filters.ChoiceFilter(
        choices=SupportedField.choices, method="filter_supports", label=_("Supports")
    )
    q = django_filters.CharFilter(field_name="quote", lookup_expr="icontains", label=_("Words in the quote"))

    class Meta:
        model = Citation
        fields = []

    def filter_supports(self, queryset, name, value):
        return queryset.filter(supports__contains=[value])
