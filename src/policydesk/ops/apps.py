from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "policydesk.ops"
    label = "ops"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from policydesk.ops import logs

        logs.install()  # every log record carries the request id and ticket number
