from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("gravesdb.api.urls")),
    # The researchers' workspace; "/" opens its site list.
    path("", include("gravesdb.workspace.urls")),
]
