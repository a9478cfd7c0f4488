"""`policydesk demo`: load the demo desk (idempotent) and print its logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from policydesk.tickets.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load demo organisations, agents and customers (does nothing if they exist)."

    def handle(self, *args: Any, **options: Any) -> None:
        logins = load_demo(timezone.now())
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.email:32} {login.what}")
