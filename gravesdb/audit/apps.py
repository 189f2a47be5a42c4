from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class AuditConfig(AppConfig):
    name = "gravesdb.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self):
        from . import guards

        # After every migrate, once all apps' tables exist: a history table or an
        # evidentiary model added by a later migration gets its guards at once.
        post_migrate.connect(guards.install_after_migrate, sender=self, dispatch_uid="gravesdb.audit.guards")
        pre_migrate.connect(guards.release_column_triggers, sender=self, dispatch_uid="gravesdb.audit.release")
