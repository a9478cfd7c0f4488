"""`policydesk demo`: load the demo desk and its help centre (idempotent) and print its logins.

It lives in the CLI app, which may know every app: the desk's people come from tickets, the
articles from the help centre."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from policydesk.cli.demo_activity import load_demo_activity
from policydesk.helpcentre.demo import load_demo_articles
from policydesk.tickets.demo import DEMO_PASSWORD, load_demo
from policydesk.tickets.models import Person


class Command(BaseCommand):
    help = (
        "Load demo organisations, agents, customers, help centre articles, tickets in every state and an "
        "incident (does nothing if they exist)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        logins = load_demo(now)
        load_demo_articles(Person.objects.get(email="admin@example.com"), now)
        load_demo_activity(now)  # tickets in every state, an incident
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.email:32} {login.what}")
