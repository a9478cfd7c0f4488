"""`policydesk sla due|calendar`: batch due instants, and a calendar's open intervals by eye."""

from __future__ import annotations

import re
import sys
from argparse import ArgumentParser
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from policydesk import sla
from policydesk.desk_policy import policy_path
from policydesk.policy.loading import PolicyError, load_policy
from policydesk.policy.model import ALWAYS_OPEN, Policy

DURATION = re.compile(
    r"^(?:(?P<d>\d+(?:\.\d+)?)d)?(?:(?P<h>\d+(?:\.\d+)?)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?$"
)


def parse_target(text: str) -> sla.Target:
    """'2d' = 2 business days; '16h', '90m', '1h30m', '45s' = business time."""
    match = DURATION.match(text.strip().replace(" ", ""))
    if not match or not any(match.groupdict().values()):
        raise CommandError(f"bad --target {text!r}: expected e.g. 2d (business days), 16h, 90m, 1h30m")
    parts = {unit: float(value) for unit, value in match.groupdict().items() if value}
    if "d" in parts:
        if len(parts) > 1:
            raise CommandError(f"bad --target {text!r}: give business days alone (2d) or a time (16h)")
        return sla.Target.business_days(parts["d"])
    seconds = parts.get("h", 0) * 3600 + parts.get("m", 0) * 60 + parts.get("s", 0)
    return sla.Target.business(seconds)


def find_calendar(policy: Policy, ident: str) -> sla.Calendar:
    calendar = policy.calendar(ident)
    if calendar is None:
        known = ", ".join([*policy.calendars, ALWAYS_OPEN.id])
        raise CommandError(f"unknown calendar {ident!r}; the policy has {known}")
    return calendar


class Command(BaseCommand):
    help = "SLA clock tools: due instants for many starts, a calendar's open intervals."
    requires_system_checks = ()

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        due = sub.add_parser("due", help="Read ISO instants (one a line) on stdin, write due instants.")
        due.add_argument("--calendar", required=True)
        due.add_argument("--target", required=True, help="2d (business days), 16h, 90m, 1h30m")
        due.add_argument("--policy")
        cal = sub.add_parser("calendar", help="Print a calendar's open intervals, in UTC and local time.")
        cal.add_argument("calendar")
        cal.add_argument("--from", dest="start", required=True, type=date.fromisoformat)
        cal.add_argument("--to", dest="end", required=True, type=date.fromisoformat)
        cal.add_argument("--policy")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            policy = load_policy(options["policy"] or policy_path())
        except PolicyError as error:
            for issue in error.issues:
                self.stderr.write(str(issue))
            sys.exit(1)
        calendar = find_calendar(policy, options["calendar"])
        if options["action"] == "due":
            self.due(calendar, parse_target(options["target"]))
        else:
            self.calendar(policy, calendar, options["start"], options["end"])

    def due(self, calendar: sla.Calendar, target: sla.Target) -> None:
        """Vectorised: read all lines, compute in one call, write in order; bad lines get an error."""
        lines = sys.stdin.read().splitlines()
        starts = np.zeros(len(lines), dtype=np.int64)
        errors: dict[int, str] = {}
        for index, line in enumerate(lines):
            try:
                instant = datetime.fromisoformat(line.strip().replace("Z", "+00:00"))
                if instant.tzinfo is None:
                    raise ValueError("no UTC offset")
                # The engine's one conversion (a fraction of a second rounds up, docs/sla.md),
                # as triage uses: truncating here moved a due by hours at a closing instant.
                starts[index] = sla.epoch_seconds(instant)
            except ValueError as error:
                errors[index] = f"error: {line.strip()!r}: {error}"
        dues = sla.due(calendar, starts, target) if len(lines) else starts
        out = sys.stdout
        for index, value in enumerate(dues):
            if index in errors:
                out.write(errors[index] + "\n")
            else:
                out.write(datetime.fromtimestamp(int(value), UTC).strftime("%Y-%m-%dT%H:%M:%SZ") + "\n")
        if errors:
            sys.exit(1)

    def calendar(self, policy: Policy, calendar: sla.Calendar, start: date, end: date) -> None:
        zone = sla.parse_zone(calendar.zone) if isinstance(calendar, sla.OfficeCalendar) else UTC
        t = datetime(start.year, start.month, start.day, tzinfo=zone)
        stop = datetime(end.year, end.month, end.day, tzinfo=zone) + timedelta(days=1)
        self.stdout.write(f"# calendar {calendar.id}, local zone {getattr(calendar, 'zone', 'UTC')}")
        while True:
            opens = sla.next_open(calendar, t)
            if opens >= stop:
                break
            closes = sla.next_close(calendar, opens)
            hours = (closes - opens).total_seconds() / 3600
            self.stdout.write(
                f"{opens:%Y-%m-%dT%H:%MZ} – {closes:%Y-%m-%dT%H:%MZ}  "
                f"local {opens.astimezone(zone):%a %Y-%m-%d %H:%M} – {closes.astimezone(zone):%a %H:%M %z}  "
                f"{hours:g} h"
            )
            t = closes
