from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "policydesk.tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from policydesk.tickets import checks  # noqa: F401 - registers the system checks
