from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MacrosConfig(AppConfig):
    name = "policydesk.macros"
    verbose_name = _("Macros")

    def ready(self) -> None:
        from policydesk.macros.bulk import macro_change
        from policydesk.tickets.bulk import register_change
        from policydesk.tickets.models import BulkJob

        register_change(BulkJob.Action.MACRO, macro_change)  # `tickets` cannot import `macros`
