"""`policydesk policy check|show|render|explain`: the policy file from the shell (stable contract)."""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from policydesk.desk_policy import policy_path
from policydesk.policy.export import policy_as_json
from policydesk.policy.loading import PolicyError, load_policy
from policydesk.policy.model import LANGUAGES, Policy
from policydesk.policy.render import render
from policydesk.policy.triage import RequestError, explain, parse_request


class Command(BaseCommand):
    help = "Check, show, render or explain the support policy."
    requires_system_checks = ()  # a broken policy must still be checkable

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser(
            "check", help="Validate a policy file: exit 0 if valid, 1 with every error if not."
        )
        check.add_argument("path", nargs="?")
        show = sub.add_parser("show", help="The resolved policy.")
        show.add_argument("--json", action="store_true", required=True, help="As JSON (the only format).")
        show.add_argument("path", nargs="?")
        page = sub.add_parser("render", help="The public support-policy page.")
        page.add_argument("--lang", choices=LANGUAGES, required=True)
        page.add_argument("--format", choices=["md", "html"], default="md")
        page.add_argument("path", nargs="?")
        why = sub.add_parser(
            "explain", help="The decision for one request, with the clause behind each part."
        )
        why.add_argument("--policy", dest="path")
        why.add_argument("request", nargs="?", help="A triage input object as JSON (default: read stdin).")
        why.add_argument("--plan")
        why.add_argument("--region")
        why.add_argument("--topic")
        why.add_argument("--created-at")
        why.add_argument("--channel", default="web")
        what_if = sub.add_parser(
            "simulate", help="Replay stored tickets under another policy: attainment per plan and office."
        )
        what_if.add_argument("--policy", dest="path", required=True)
        what_if.add_argument("--from", dest="start", type=date.fromisoformat, required=True)
        what_if.add_argument("--to", dest="end", type=date.fromisoformat, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        path = options.get("path") or policy_path()
        try:
            policy = load_policy(path)
        except PolicyError as error:
            for issue in error.issues:
                self.stdout.write(str(issue))
            if options["action"] != "check":
                self.stderr.write(f"{path}: the policy is not valid ({len(error.issues)} errors)")
            sys.exit(1)
        getattr(self, "handle_" + options["action"])(policy, options)

    def handle_check(self, policy: Policy, options: dict[str, Any]) -> None:
        self.stdout.write(
            f"{policy.source}: valid: policy {policy.id} version {policy.version}: "
            f"{len(policy.plans)} plans, {len(policy.offices)} offices, {len(policy.calendars)} calendars, "
            f"{len(policy.regions)} regions, {len(policy.request_types)} request types, "
            f"{len(policy.out_of_scope)} out-of-scope topics"
        )

    def handle_show(self, policy: Policy, options: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(policy_as_json(policy), ensure_ascii=False, indent=2))

    def handle_render(self, policy: Policy, options: dict[str, Any]) -> None:
        self.stdout.write(render(policy, options["lang"], options["format"]), ending="")

    def handle_simulate(self, policy: Policy, options: dict[str, Any]) -> None:
        from policydesk.reports.simulate import format_report, simulate

        try:
            report = simulate(policy, options["start"], options["end"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(format_report(report), ending="")

    def handle_explain(self, policy: Policy, options: dict[str, Any]) -> None:
        if options["plan"]:
            data: object = {
                "id": "explain",
                "plan": options["plan"],
                "region": options["region"],
                "topic": options["topic"],
                "created_at": options["created_at"],
                "channel": options["channel"],
            }
        else:
            text = options["request"] if options["request"] is not None else sys.stdin.read()
            try:
                data = json.loads(text)
            except json.JSONDecodeError as error:
                raise CommandError(f"the request is not JSON: {error}", returncode=1) from None
            if isinstance(data, dict):
                data.setdefault("id", "explain")
        try:
            request = parse_request(policy, data)
        except RequestError as error:
            raise CommandError(str(error), returncode=1) from None
        for line in explain(policy, request):
            self.stdout.write(line)
