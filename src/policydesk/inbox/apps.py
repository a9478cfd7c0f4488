from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "policydesk.inbox"
    verbose_name = _("Agent notifications")

    def ready(self) -> None:
        from policydesk.inbox import receivers

        receivers.connect()
