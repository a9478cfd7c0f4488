from django.apps import AppConfig


class WatchConfig(AppConfig):
    name = "policydesk.watch"
    verbose_name = "SLA watch and on-call paging"
