"""Policy what-if (`policydesk policy simulate --policy NEW.toml --from DATE --to DATE`).

The tickets created in [from, to) are replayed under another policy: each ticket's facts
(its organisation's plan and region, its request type, channel and creation instant) are
triaged again, and the new first-response due is compared with the first answer the ticket
actually got. *Current* is what the desk recorded when the ticket was opened (the due in
its `ticket.opened` event, as the reports count it); *new* is the other policy's.

Triage runs once per distinct (plan, region, request type, channel): the decision depends
on the creation instant only through the due time, which is computed for the whole group
at once with the vectorised `policydesk.sla.due`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
from django.utils import timezone

from policydesk import sla
from policydesk.desk_policy import get_policy
from policydesk.policy.model import GLOBAL, Policy
from policydesk.policy.triage import Request, is_mission_critical, rule_calendar, triage
from policydesk.reports.queries import Outcome, Period, TicketFacts, classify, ticket_facts
from policydesk.reports.simulate_metrics import MetricSimulationRow, format_metric_rows, simulate_metrics
from policydesk.reports.simulate_metrics import percent as _percent
from policydesk.reports.simulate_metrics import points as _points
from policydesk.tickets.models import triage_channel


@dataclass(frozen=True)
class Replayed:
    """One ticket: what it was promised, what the other policy would have promised."""

    facts: TicketFacts
    new_due: datetime | None
    deflected: bool  # the other policy would have sent the request elsewhere
    replayable: bool  # False when the other policy lacks the ticket's plan or region
    office: str | None = None  # the office the other policy's triage gives it (None: not handled)


@dataclass
class Tally:
    met: int = 0
    breached: int = 0
    pending: int = 0
    no_target: int = 0

    def add(self, outcome: Outcome) -> None:
        if outcome is Outcome.MET:
            self.met += 1
        elif outcome is Outcome.BREACHED:
            self.breached += 1
        elif outcome is Outcome.PENDING:
            self.pending += 1
        else:
            self.no_target += 1

    @property
    def attainment(self) -> float | None:
        """Met as a share of met and breached, in percent."""
        decided = self.met + self.breached
        return 100.0 * self.met / decided if decided else None


@dataclass
class SimulationRow:
    plan: str
    office: str
    tickets: int = 0
    current: Tally = field(default_factory=Tally)
    new: Tally = field(default_factory=Tally)
    deflected: int = 0
    not_replayable: int = 0

    @property
    def difference(self) -> float | None:
        """New attainment less current attainment, in percentage points."""
        if self.current.attainment is None or self.new.attainment is None:
            return None
        return self.new.attainment - self.current.attainment


@dataclass(frozen=True)
class SimulationReport:
    start: date
    end: date  # exclusive
    now: datetime
    current_policy: str  # "id version"
    new_policy: str  # "id version (source)"
    rows: list[SimulationRow]
    total: SimulationRow
    metric_rows: list[MetricSimulationRow] = field(default_factory=list)  # every metric, per plan


def replay(policy: Policy, facts: Sequence[TicketFacts]) -> list[Replayed]:
    """Each ticket's decision under `policy`, its due computed per group with numpy."""
    groups: dict[tuple[str, str, str, str], list[TicketFacts]] = defaultdict(list)
    for fact in facts:
        groups[(fact.plan, fact.region, fact.topic, fact.channel)].append(fact)
    replayed: list[Replayed] = []
    for (plan_id, region, topic, channel), group in groups.items():
        plan = policy.plans.get(plan_id)
        if plan is None or region not in policy.regions:
            replayed += [Replayed(f, None, deflected=False, replayable=False) for f in group]
            continue
        request = Request(
            id="simulate",
            plan=plan_id,
            region=region,
            topic=topic,
            created_at=group[0].created_at,
            channel=triage_channel(channel),  # type: ignore[arg-type]
        )
        decision = triage(policy, request)
        if decision.outcome == "deflect":
            replayed += [Replayed(f, None, deflected=True, replayable=True) for f in group]
            continue
        office = decision.office or GLOBAL
        rule = plan.first_response
        if is_mission_critical(plan, topic) and plan.mission_critical is not None:
            rule = plan.mission_critical.first_response
        if rule is None:
            replayed += [Replayed(f, None, deflected=False, replayable=True, office=office) for f in group]
            continue
        _, calendar = rule_calendar(policy, rule, office)
        starts = np.array([sla.epoch_seconds(f.created_at) for f in group], dtype=np.int64)
        dues = sla.due(calendar, starts, rule.target)
        replayed += [
            Replayed(
                f, datetime.fromtimestamp(int(d), tz=UTC), deflected=False, replayable=True, office=office
            )
            for f, d in zip(group, dues, strict=True)
        ]
    return replayed


def tally(replayed: Iterable[Replayed], now: datetime) -> tuple[list[SimulationRow], SimulationRow]:
    """Per (plan, office) rows, in the order the plans and offices first appear, and a total."""
    rows: dict[tuple[str, str], SimulationRow] = {}
    total = SimulationRow(plan="all", office="")
    for item in replayed:
        fact = item.facts
        row = rows.setdefault((fact.plan, fact.office), SimulationRow(plan=fact.plan, office=fact.office))
        for target in (row, total):
            target.tickets += 1
            target.current.add(classify(fact.due, fact.answered_at, now))
            if not item.replayable:
                target.not_replayable += 1
                continue
            if item.deflected:
                target.deflected += 1
            target.new.add(classify(item.new_due, fact.answered_at, now))
    return list(rows.values()), total


def simulate(
    policy_new: Policy,
    start: date,
    end: date,
    now: datetime | None = None,
    policy_current: Policy | None = None,
) -> SimulationReport:
    """Replay the tickets created from `start` (included) to `end` (excluded) under `policy_new`."""
    now = now or timezone.now()
    current = policy_current or get_policy()
    if end <= start:
        raise ValueError(f"--to ({end}) must be after --from ({start})")
    # Period's end is inclusive; the command's is not.
    period = Period(start, date.fromordinal(end.toordinal() - 1))
    facts = ticket_facts(period, now)
    replayed = replay(policy_new, facts)
    rows, total = tally(replayed, now)
    offices = {item.facts.ticket_id: item.office for item in replayed}
    order = {plan: n for n, plan in enumerate(current.plans)}
    office_rank = {office: n for n, office in enumerate([*current.offices, GLOBAL])}
    rows.sort(
        key=lambda r: (
            order.get(r.plan, len(order)),
            r.plan,
            office_rank.get(r.office, len(office_rank)),
            r.office,
        )
    )
    return SimulationReport(
        start=start,
        end=end,
        now=now,
        current_policy=f"{current.id} {current.version}",
        new_policy=f"{policy_new.id} {policy_new.version} ({policy_new.source})",
        rows=rows,
        total=total,
        metric_rows=simulate_metrics(current, policy_new, facts, offices, now),
    )


def format_report(report: SimulationReport) -> str:
    """The report as a plain-text table, one line per plan and office, then the total."""
    header = (
        f"{'plan':<12} {'office':<16} {'tickets':>7}  {'current met':>11} {'breached':>8} {'attain.':>8}"
        f"  {'new met':>7} {'breached':>8} {'attain.':>8}  {'change':>9}"
    )
    lines = [
        f"Policy what-if: tickets created from {report.start.isoformat()} to {report.end.isoformat()}"
        " (end excluded)",
        f"current: the due times recorded at intake (desk policy {report.current_policy})",
        f"new:     {report.new_policy}",
        "met/breached count answered tickets and unanswered ones past their due at "
        + report.now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        + "; attainment = met / (met + breached)",
        "",
        header,
        "-" * len(header),
    ]
    for row in [*report.rows, report.total]:
        if row is report.total:
            lines.append("-" * len(header))
        lines.append(
            f"{row.plan:<12} {row.office:<16} {row.tickets:>7}"
            f"  {row.current.met:>11} {row.current.breached:>8}"
            f" {_percent(row.current.attainment):>8}  {row.new.met:>7} {row.new.breached:>8}"
            f" {_percent(row.new.attainment):>8}  {_points(row.difference):>9}"
        )
    total = report.total
    if total.deflected:
        lines.append(f"{total.deflected} of these tickets would have been deflected under the new policy.")
    if total.not_replayable:
        lines.append(
            f"{total.not_replayable} tickets could not be replayed:"
            " their plan or region is not in the new policy."
        )
    if not total.tickets:
        lines.append("No tickets were created in this period.")
    if report.metric_rows:
        lines += format_metric_rows(report.metric_rows)
    return "\n".join(lines) + "\n"
