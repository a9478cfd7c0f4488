from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "policydesk.cli"
    verbose_name = "Command line"
