from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "policydesk.mail"
    verbose_name = _("Email channel")

    def ready(self) -> None:
        from django.core.signals import setting_changed
        from django.utils.autoreload import file_changed

        from policydesk.mail import outgoing, receivers  # noqa: F401 - connects the signal receivers

        # Shared acknowledgement drafts are words rendered from templates: forgotten when a
        # template may have changed (the development server reloads templates in place).
        file_changed.connect(outgoing.forget_shared_drafts, dispatch_uid="policydesk.mail.drafts.file")
        setting_changed.connect(outgoing.forget_shared_drafts, dispatch_uid="policydesk.mail.drafts.settings")
