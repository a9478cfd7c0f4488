from django.apps import AppConfig


class StatusConfig(AppConfig):
    name = "policydesk.status"
    verbose_name = "Status page"
