from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "policydesk.metrics"
    label = "metrics"
    verbose_name = "Metrics"
