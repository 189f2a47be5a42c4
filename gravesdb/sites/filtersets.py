"""The questions researchers ask of sites and estimates, defined once.

The workspace pages, the API and anything else that filters sites use these
FilterSets, so "sites in Nineveh with an exhumed count of at least 300" means
the same rows wherever it is asked. Filters on related rows use ``EXISTS``
rather than joins, so a site with five matching estimates is still one row and
the page's count is the number of sites.
"""

import functools

import django_filters
import pycountry
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from gravesdb.core import edtf
from gravesdb.core.choices import Sensitivity
from gravesdb.core.widgets import LongSelect
from gravesdb.sources.models import Organization, Source

from .choices import CountType, LocationPrecision, ProtectionStatus, SiteStatus, SiteType
from .models import Site, SiteCitation, VictimEstimate
from .querysets import estimate_figure


@functools.cache
def country_choices():
    """ISO 3166-1 countries by name; built once, as the list only changes with pycountry."""
    return tuple(sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda choice: choice[1]))


def subdivision_choices(country: str):
    return sorted(
        ((s.code, f"{s.name} ({s.code})") for s in pycountry.subdivisions.get(country_code=country) or []),
        key=lambda choice: choice[1],
    )


class EDTFDayField(forms.CharField):
    """A date typed as a researcher would (EDTF: 2014, 2014-06, 2014-06-10), cleaned to one day.

    ``bound`` 0 gives the earliest day the value can mean, 1 the latest, so "from
    2014" starts on 1 January and "to 2014" ends on 31 December.
    """

    def __init__(self, *, bound: int, **kwargs):
        self.bound = bound
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": _("e.g. 2014 or 2014-06"), "size": 10}))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return edtf.bounds(value.strip())[self.bound]
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error


class EDTFDayFilter(django_filters.CharFilter):
    field_class = EDTFDayField


class SiteFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_search",
        label=_("Name or code"),
        help_text=_("Any spelling: Khasfa, al-Khasfa, الخسفة, or a reference code."),
    )
    country = django_filters.ChoiceFilter(choices=country_choices, label=_("Country"), widget=LongSelect)
    first_level_area = django_filters.CharFilter(method="filter_first_level_area", label=_("Area (ISO 3166-2)"))
    second_level_area = django_filters.CharFilter(lookup_expr="icontains", label=_("District"))
    status = django_filters.ChoiceFilter(choices=SiteStatus.choices, label=_("Status"))
    site_type = django_filters.ChoiceFilter(choices=SiteType.choices, label=_("Site type"))
    protection_status = django_filters.ChoiceFilter(choices=ProtectionStatus.choices, label=_("Protection"))
    count_type = django_filters.ChoiceFilter(
        choices=CountType.choices, method="filter_count_type", label=_("Has a count of type")
    )
    organization = django_filters.ModelChoiceFilter(
        queryset=Organization.objects.only("id", "name", "acronym").order_by("name"),
        method="filter_organization",
        label=_("Organisation"),
        widget=LongSelect,
        help_text=_("Produced a figure, or published a source cited, for the site."),
    )
    source = django_filters.ModelChoiceFilter(
        queryset=Source.objects.all(),
        method="filter_source",
        label=_("Source"),
        widget=forms.HiddenInput,
    )
    perpetrator = django_filters.CharFilter(
        field_name="alleged_perpetrator", lookup_expr="icontains", label=_("Alleged perpetrator")
    )
    period_from = EDTFDayFilter(method="filter_period_from", bound=0, label=_("Period from"))
    period_to = EDTFDayFilter(method="filter_period_to", bound=1, label=_("Period to"))
    min_victims = django_filters.NumberFilter(
        method="filter_min_victims",
        label=_("At least N victims"),
        min_value=0,
        help_text=_("Some source gives a figure of at least this many."),
    )
    sensitivity = django_filters.ChoiceFilter(choices=Sensitivity.choices, label=_("Sensitivity"))
    location_precision = django_filters.ChoiceFilter(choices=LocationPrecision.choices, label=_("Location precision"))

    class Meta:
        model = Site
        fields = []

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        country = (data or {}).get("country")
        if country and pycountry.countries.get(alpha_2=country):
            # With a country chosen, its subdivisions fit in a list; without one there
            # are 5,000 of them, so a code is typed instead.
            self.filters["first_level_area"].extra["widget"] = LongSelect(
                choices=[("", "---------"), *subdivision_choices(country)]
            )

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_first_level_area(self, queryset, name, value):
        return queryset.filter(first_level_area=value.strip().upper())

    # Estimates and citations archived with a reason (withdrawn) no longer say anything
    # about a site: they match no filter, as they count in no range the list shows.
    def filter_count_type(self, queryset, name, value):
        return queryset.filter(Exists(_current(VictimEstimate).filter(site=OuterRef("pk"), count_type=value)))

    @extend_schema_field(OpenApiTypes.UUID)
    def filter_organization(self, queryset, name, value):
        produced = _current(VictimEstimate).filter(site=OuterRef("pk")).filter(
            Q(producing_organization=value) | Q(citation__source__publisher=value)
        )
        published = _current(SiteCitation).filter(site=OuterRef("pk"), citation__source__publisher=value)
        return queryset.filter(Exists(produced) | Exists(published))

    @extend_schema_field(OpenApiTypes.UUID)
    def filter_source(self, queryset, name, value):
        estimates = _current(VictimEstimate).filter(site=OuterRef("pk"), citation__source=value)
        citations = _current(SiteCitation).filter(site=OuterRef("pk"), citation__source=value)
        return queryset.filter(Exists(estimates) | Exists(citations))

    def filter_period_from(self, queryset, name, day):
        # Periods that overlap the range count; an open end counts as reaching it.
        return queryset.filter(
            Q(period_latest__gte=day) | Q(period_latest__isnull=True, period_earliest__isnull=False)
        )

    def filter_period_to(self, queryset, name, day):
        return queryset.filter(
            Q(period_earliest__lte=day) | Q(period_earliest__isnull=True, period_latest__isnull=False)
        )

    def filter_min_victims(self, queryset, name, value):
        # The reconciled high is the largest figure of any current estimate, so "at least N"
        # is "some current estimate reaches N", which EXISTS answers from the index
        # estimate_site_figure_idx without computing any site's range. An archived
        # (withdrawn) figure counts no more here than in the range the list shows.
        reaching = _current(VictimEstimate).filter(site=OuterRef("pk")).alias(
            figure=estimate_figure()
        ).filter(figure__gte=value)
        return queryset.filter(Exists(reaching))


def _current(model):
    return model.objects.filter(archived_at__isnull=True)


class VictimEstimateFilterSet(django_filters.FilterSet):
    site = django_filters.CharFilter(field_name="site__reference_code", label=_("Site reference code"))
    count_type = django_filters.ChoiceFilter(choices=CountType.choices, label=_("Count type"))
    organization = django_filters.ModelChoiceFilter(
        field_name="producing_organization", queryset=Organization.objects.all(), label=_("Producing organisation")
    )
    source = django_filters.ModelChoiceFilter(
        field_name="citation__source", queryset=Source.objects.all(), label=_("Source")
    )
    as_of_from = EDTFDayFilter(method="filter_as_of_from", bound=0, label=_("As of, from"))
    as_of_to = EDTFDayFilter(method="filter_as_of_to", bound=1, label=_("As of, to"))

    class Meta:
        model = VictimEstimate
        fields = ["qualifier", "is_cumulative"]

    def filter_as_of_from(self, queryset, name, day):
        return queryset.filter(as_of_latest__gte=day)

    def filter_as_of_to(self, queryset, name, day):
        return queryset.filter(as_of_earliest__lte=day)
