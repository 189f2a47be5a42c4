from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "gravesdb.exchange"
    label = "exchange"
    verbose_name = _("Import and export")

    def ready(self):
        from . import checks  # noqa: F401  (registers the defusedxml check)
