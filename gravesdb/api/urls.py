from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import views

app_name = "api"

router = DefaultRouter()
router.register("sites", views.SiteViewSet, basename="site")
router.register("estimates", views.VictimEstimateViewSet, basename="estimate")
router.register("site-citations", views.SiteCitationViewSet, basename="site-citation")
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("sources", views.SourceViewSet, basename="source")
router.register("citations", views.CitationViewSet, basename="citation")
router.register("witnesses", views.WitnessViewSet, basename="witness")
router.register("witness-identities", views.WitnessIdentityViewSet, basename="witness-identity")
router.register("testimonies", views.TestimonyViewSet, basename="testimony")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up code as a script file, not inline,
    # so the docs page works under the Content Security Policy (no 'unsafe-inline').
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("", include(router.urls)),
]
