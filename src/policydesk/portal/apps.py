from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "policydesk.portal"
    verbose_name = "Customer portal"
