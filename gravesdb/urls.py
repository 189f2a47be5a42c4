from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("account/two-factor/", include("gravesdb.core.two_factor")),
    path("api/", include("gravesdb.api.urls")),
    # The researchers' workspace; "/" opens its site list.
    path("", include("gravesdb.workspace.urls")),
]
