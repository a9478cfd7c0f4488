from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SatisfactionConfig(AppConfig):
    name = "policydesk.satisfaction"
    verbose_name = _("Customer satisfaction")

    def ready(self) -> None:
        from policydesk.satisfaction import receivers

        receivers.connect()
