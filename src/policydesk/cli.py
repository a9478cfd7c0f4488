"""The `policydesk` command: Django's manage.py with policydesk's settings preset."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a policydesk command (`policydesk help` lists them)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policydesk.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["policydesk", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
