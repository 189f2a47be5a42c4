"""The project's URLs plus a stand-in for the exchange app's site report export."""

from django.http import HttpResponse
from django.urls import include, path

from gravesdb.urls import urlpatterns as project_urlpatterns

report_patterns = ([path("site-report/", lambda request: HttpResponse(), name="site_report")], "exchange")
urlpatterns = [path("exchange/", include(report_patterns)), *project_urlpatterns]
