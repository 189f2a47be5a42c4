"""API endpoints: the admin's permissions, the pages' FilterSets and visibility, cursor pages.

Nothing is hard-deleted through the API (evidence is archived, see the protection
rules), so no endpoint accepts DELETE. Every queryset starts from what the reader
may see, so an object outside it is a 404, not a 403 that confirms it exists.
"""

from django.db import transaction
from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from gravesdb.core.choices import choice_label
from gravesdb.sites.figures import range_text
from gravesdb.sites.filtersets import SiteFilterSet, VictimEstimateFilterSet
from gravesdb.sites.locations import can_see_exact_location, shown_location
from gravesdb.sites.models import SiteCitation, VictimEstimate
from gravesdb.sources.filtersets import CitationFilterSet, OrganizationFilterSet, SourceFilterSet
from gravesdb.sources.models import Organization, Source
from gravesdb.testimony.filtersets import TestimonyFilterSet, WitnessFilterSet
from gravesdb.testimony.models import TestimonySite, Witness, WitnessIdentity
from gravesdb.workspace.dossier import dossier_urls
from gravesdb.workspace.map import marker_radius
from gravesdb.workspace.selectors import visible_citations, visible_sites, visible_testimonies

from . import serializers, versions
from .geojson import GeoJSONPagination, GeoJSONRenderer, SiteFeatureCollectionSerializer
from .permissions import IdentityPermissions


class RecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, read, create and change; answers with the record as the list shows it.

    Lists come in cursor pages in creation order (``?ordering=-updated_at`` gives
    what changed last, for a partner's sync).
    """

    filter_backends = [DjangoFilterBackend, OrderingFilter]
    schema = versions.VersionedRecordSchema()
    ordering_fields = ["created_at", "updated_at"]
    ordering = ["created_at"]

    def perform_create(self, serializer):
        serializer.save()
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def update(self, request, *args, **kwargs):
        """Apply a PUT or PATCH only on top of the version the client read.

        The order is the refusals': a record the reader may not see is a 404, an
        update naming no version a 428, invalid data a 400, and a version that is no
        longer current a 409 with what changed and who changed it. The row stays
        locked from the check to the save, so nobody can slip a change in between.
        """
        record = self.get_object()
        expected = versions.version_named(request)
        serializer = self.get_serializer(record, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            versions.check_version(record, expected)
            serializer.save()
        return Response(self.get_serializer(self.get_queryset().get(pk=record.pk)).data)

    def finalize_response(self, request, response, *args, **kwargs):
        """A single record's answer carries its version as the ETag, ready for If-Match."""
        data = getattr(response, "data", None)
        one_record = getattr(self, "action", None) in versions.SINGLE_RECORD_ACTIONS and isinstance(data, dict)
        if one_record and response.status_code < 300 and "version" in data:
            response["ETag"] = versions.etag(data["version"])
        return super().finalize_response(request, response, *args, **kwargs)


class SiteViewSet(RecordViewSet):
    serializer_class = serializers.SiteSerializer
    filterset_class = SiteFilterSet
    # No ordering on coordinates: sorting by an exact value would let a reader who
    # sees coarsened points recover them one comparison at a time.
    ordering_fields = ["reference_code", "name", "created_at", "updated_at"]
    ordering = ["reference_code"]

    def get_queryset(self):
        return visible_sites(self.request.user).with_reconciled_range()

    @extend_schema(request=serializers.SiteStatusChangeSerializer, responses={201: serializers.SiteSerializer})
    @action(detail=True, methods=["post"], url_path="status-changes")
    def status_changes(self, request, pk=None):
        """Move the site along its life cycle, as one dated, cited step."""
        site = self.get_object()
        change = serializers.SiteStatusChangeSerializer(data=request.data, context=self.get_serializer_context())
        change.is_valid(raise_exception=True)
        change.save_change(site)
        return Response(self.get_serializer(self.get_queryset().get(pk=site.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={(200, "application/geo+json"): SiteFeatureCollectionSerializer},
        description="The filtered sites with a location, as a GeoJSON FeatureCollection in cursor pages.",
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="geojson",
        renderer_classes=[GeoJSONRenderer],
        pagination_class=GeoJSONPagination,
    )
    def geojson(self, request):
        # A marker needs the figures and the point, not the counts behind the range or the
        # record's text: three subqueries a row instead of seven.
        sites = (
            self.filter_queryset(visible_sites(request.user).with_reconciled_figures())
            .filter(latitude__isnull=False)
            .only(*MAP_FIELDS)
        )
        page = self.paginate_queryset(sites)
        exact = can_see_exact_location(request.user)
        dossier_url = dossier_urls()
        features = [_site_feature(site, exact=exact, url=dossier_url(site.reference_code)) for site in page]
        # Counted on the first page only: a map following 20 pages need not count 20 times.
        first_page = self.paginator.cursor_query_param not in request.query_params
        return self.paginator.get_paginated_response(features, count=sites.count() if first_page else None)


MAP_FIELDS = ["id", "reference_code", "name", "status", "latitude", "longitude", "location_precision"]


def _site_feature(site, *, exact: bool, url: str) -> dict:
    location = shown_location(site, exact=exact)
    return {
        "type": "Feature",
        "id": str(site.pk),
        "geometry": {"type": "Point", "coordinates": [float(location.longitude), float(location.latitude)]},
        "properties": {
            "reference_code": site.reference_code,
            "name": site.name,
            "status": site.status,
            "status_label": str(choice_label(site, "status")),
            "reconciled_best": site.reconciled_best,
            "reconciled_low": site.reconciled_low,
            "reconciled_low_bound": site.reconciled_low_bound,
            "reconciled_high": site.reconciled_high,
            "reconciled_high_bound": site.reconciled_high_bound,
            "reconciled_range": range_text(site),
            "marker_radius": marker_radius(site.reconciled_best),
            "precision": location.precision,
            "radius_m": location.radius_m,
            "coarsened": location.coarsened,
            "location_note": "" if location.coarsened else str(choice_label(site, "location_precision")),
            "url": url,
        },
    }


class VictimEstimateViewSet(RecordViewSet):
    serializer_class = serializers.VictimEstimateSerializer
    filterset_class = VictimEstimateFilterSet

    def get_queryset(self):
        return (
            VictimEstimate.objects.visible_to(self.request.user)
            .filter(site__in=visible_sites(self.request.user), archived_at__isnull=True)
            .with_superseded()
            .select_related("site", "citation")
        )


class OrganizationViewSet(RecordViewSet):
    serializer_class = serializers.OrganizationSerializer
    filterset_class = OrganizationFilterSet
    queryset = Organization.objects.filter(archived_at__isnull=True)


class SourceViewSet(RecordViewSet):
    serializer_class = serializers.SourceSerializer
    filterset_class = SourceFilterSet
    queryset = Source.objects.filter(archived_at__isnull=True)


class CitationViewSet(RecordViewSet):
    serializer_class = serializers.CitationSerializer
    filterset_class = CitationFilterSet

    def get_queryset(self):
        return visible_citations(self.request.user)


class SiteCitationViewSet(RecordViewSet):
    serializer_class = serializers.SiteCitationSerializer

    def get_queryset(self):
        return SiteCitation.objects.filter(site__in=visible_sites(self.request.user), archived_at__isnull=True)


class WitnessViewSet(RecordViewSet):
    serializer_class = serializers.WitnessSerializer
    filterset_class = WitnessFilterSet

    def get_queryset(self):
        return Witness.objects.visible_to(self.request.user).filter(archived_at__isnull=True)


class WitnessIdentityViewSet(RecordViewSet):
    """Legal names and contacts: only for those the admin shows them to."""

    serializer_class = serializers.WitnessIdentitySerializer
    permission_classes = [IdentityPermissions]

    def get_queryset(self):
        return WitnessIdentity.objects.visible_to(self.request.user).select_related("witness")


class TestimonyViewSet(RecordViewSet):
    serializer_class = serializers.TestimonySerializer
    filterset_class = TestimonyFilterSet

    def get_queryset(self):
        user = self.request.user
        return (
            visible_testimonies(user)
            .select_related("witness")
            .prefetch_related(
                Prefetch(
                    "site_links",
                    queryset=TestimonySite.objects.filter(site__in=visible_sites(user)).order_by("site__reference_code"),
                    to_attr="visible_site_links",
                )
            )
        )


class TokenView(APIView):
    """Issue or revoke the caller's API token; only from a logged-in browser session.

    A token is handed out to a session, not for a username and password, so every
    way in goes through the login page and whatever second factor it demands.
    """

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: serializers.TokenSerializer})
    def post(self, request):
        token, _created = Token.objects.get_or_create(user=request.user)
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
