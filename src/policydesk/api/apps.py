from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "policydesk.api"
    verbose_name = "REST API"
