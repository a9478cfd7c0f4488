from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WatchConfig(AppConfig):
    name = "policydesk.watch"
    verbose_name = _("SLA watch and on-call paging")

    def ready(self) -> None:
        from policydesk.watch import checks, receivers

        receivers.connect()
        checks.register()
