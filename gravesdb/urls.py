from django.contrib import admin
from django.urls import include, path

from gravesdb.core.attachments import serve_attachment

urlpatterns = [
    path("admin/", admin.site.urls),
    path("account/two-factor/", include("gravesdb.core.two_factor")),
    path("attachments/<path:path>", serve_attachment, name="attachment"),
    path("api/", include("gravesdb.api.urls")),
    path("exchange/", include("gravesdb.exchange.urls")),
    # The researchers' workspace; "/" opens its site list.
    path("", include("gravesdb.workspace.urls")),
]
