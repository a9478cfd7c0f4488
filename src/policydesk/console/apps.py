from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "policydesk.console"
    verbose_name = "Agent console"
