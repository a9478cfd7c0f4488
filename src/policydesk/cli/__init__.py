"""The `policydesk` command: Django's manage.py with policydesk's settings preset.

As a Django app it also holds the commands that stand above every other app: the policy tools
(`policy`, `sla`, `triage`: the policy core, the desk's policy file and the reports' simulation)
and `rundesk`, which starts the whole desk."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a policydesk command (`policydesk help` lists them)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policydesk.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["policydesk", *(sys.argv[1:] if argv is None else argv)])
