from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "workspace"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="workspace:site_list", permanent=False), name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="workspace:login"), name="logout"),
    path("sites/", views.site_list, name="site_list"),
    path("sites/map/", views.site_map, name="site_map"),
    path("sites/<str:reference_code>/", views.site_dossier, name="site_dossier"),
    path("organisations/<uuid:pk>/", views.organization_detail, name="organization_detail"),
    path("sources/<uuid:pk>/", views.source_detail, name="source_detail"),
]
