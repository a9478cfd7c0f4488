from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "policydesk.reports"
    verbose_name = "Reports"
