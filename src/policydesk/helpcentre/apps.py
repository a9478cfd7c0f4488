from django.apps import AppConfig


class HelpCentreConfig(AppConfig):
    name = "policydesk.helpcentre"
    verbose_name = "Help centre"
