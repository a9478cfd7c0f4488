from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "policydesk.mail"
    verbose_name = _("Email channel")

    def ready(self) -> None:
        from policydesk.mail import receivers  # noqa: F401 - connects the signal receivers
