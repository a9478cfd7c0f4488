from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "policydesk.search"
    verbose_name = _("Search")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db import connections
        from django.db.backends.signals import connection_created

        from policydesk.search import receivers
        from policydesk.search.backends import register_functions

        receivers.connect()
        connection_created.connect(register_functions, dispatch_uid="search.register_functions")
        for connection in connections.all(initialized_only=True):  # opened before this ran
            if connection.connection is not None:
                register_functions(self, connection)
