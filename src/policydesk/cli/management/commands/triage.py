"""`policydesk triage`: JSON lines in, one JSON line out per line, in order (stable contract)."""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from policydesk.desk_policy import policy_path
from policydesk.policy.loading import PolicyError, load_policy
from policydesk.policy.triage import RequestError, parse_request, triage


class Command(BaseCommand):
    help = "Triage requests read as JSON lines on stdin; write one decision line per input line."
    requires_system_checks = ()

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--policy", help="Policy file (default: POLICYDESK_POLICY or the bundled one).")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["policy"] or policy_path()
        try:
            policy = load_policy(path)
        except PolicyError as error:
            for issue in error.issues:
                self.stderr.write(str(issue))
            sys.exit(1)
        failed = False
        out = sys.stdout
        for line in sys.stdin:
            if not line.strip():
                out.write(json.dumps({"id": None, "error": "empty line"}) + "\n")
                failed = True
                continue
            data: object = None
            try:
                data = json.loads(line)
                answer = triage(policy, parse_request(policy, data)).as_json()
            except json.JSONDecodeError as error:
                answer = {"id": None, "error": f"not JSON: {error}"}
            except (RequestError, ValueError, OverflowError) as error:
                ident = data.get("id") if isinstance(data, dict) else None
                answer = {"id": ident if isinstance(ident, str) else None, "error": str(error)}
            if "error" in answer:
                failed = True
            out.write(json.dumps(answer, ensure_ascii=False) + "\n")
        out.flush()
        if failed:
            sys.exit(1)
