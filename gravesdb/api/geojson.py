"""Sites as GeoJSON (RFC 7946), for the workspace map and for GIS tools such as QGIS.

The collection comes in cursor pages like every list, so a 100,000-site database
answers as fast as a small one; ``next`` links to the following page and
the first page's ``count`` says how many sites the filter matches in all.
"""

from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from gravesdb.sites.choices import BoundKind

from .pagination import CursorPagination

BOUND_HELP = (
    "How that end of the reconciled range stands: 'inclusive' (the figure is possible), 'exclusive' "
    "(more or fewer than the figure), 'open' (a source left it open, as 'at least 300' does the high; "
    "the figure is then null), or null for a site with no estimate."
)


def bound_field(**kwargs):
    """One end's ``BoundKind`` of a reconciled range, as sites and map features carry it."""
    return serializers.ChoiceField(choices=BoundKind.choices, allow_null=True, help_text=BOUND_HELP, **kwargs)


class GeoJSONRenderer(JSONRenderer):
    media_type = "application/geo+json"
    format = "geojson"


class GeoJSONPagination(CursorPagination):
    page_size = 1000
    max_page_size = 5000

    def get_paginated_response(self, features, count=None):
        return Response(
            {
                "type": "FeatureCollection",
                "count": count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "features": features,
            }
        )

    def get_paginated_response_schema(self, schema):
        return schema


class PointSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["Point"])
    coordinates = serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2)


class SiteFeaturePropertiesSerializer(serializers.Serializer):
    reference_code = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    reconciled_best = serializers.IntegerField(
        allow_null=True, help_text="Null when no estimate gives a best figure: a bound alone is not one."
    )
    reconciled_low = serializers.IntegerField(
        allow_null=True, help_text="Null where the low is open or the site has no estimate."
    )
    reconciled_low_bound = bound_field()
    reconciled_high = serializers.IntegerField(
        allow_null=True, help_text="Null where the high is open or the site has no estimate."
    )
    reconciled_high_bound = bound_field()
    reconciled_range = serializers.CharField(
        help_text="The reconciled range as the site list shows it: '300–4,000', '≥ 300', '—' with no estimate."
    )
    marker_radius = serializers.IntegerField(help_text="Suggested marker radius in pixels, from the best count.")
    precision = serializers.CharField(help_text="Recorded location precision, or 'coarsened'.")
    radius_m = serializers.IntegerField(help_text="The site lies within this many metres of the point.")
    coarsened = serializers.BooleanField(help_text="True when the point was snapped to a grid for this reader.")
    location_note = serializers.CharField(allow_blank=True)
    url = serializers.CharField(help_text="The site's dossier page.")


class SiteFeatureSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["Feature"])
    id = serializers.UUIDField()
    geometry = PointSerializer()
    properties = SiteFeaturePropertiesSerializer()


class SiteFeatureCollectionSerializer(serializers.Serializer):
    """Documents the collection's shape for the OpenAPI schema."""

    type = serializers.ChoiceField(choices=["FeatureCollection"])
    count = serializers.IntegerField(allow_null=True, help_text="Sites matching the filter; on the first page only.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    features = SiteFeatureSerializer(many=True)
