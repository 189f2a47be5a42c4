from django.urls import path

from . import views

app_name = "exchange"

urlpatterns = [
    path("site-report/", views.site_report, name="site_report"),
]
