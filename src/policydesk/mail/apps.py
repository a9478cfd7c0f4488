from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "policydesk.mail"
    verbose_name = "Email channel"
