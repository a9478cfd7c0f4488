"""A ticket's SLA metric rules under the policy, as `policydesk.sla.metrics` takes them: each
metric's target per priority on its resolved calendar, and the statuses that pause it."""

from __future__ import annotations

from policydesk.policy.model import METRICS, Plan, Policy, TargetRule
from policydesk.policy.triage import rule_calendar
from policydesk.sla.metrics import Clock, MetricRule


def metric_rules(
    policy: Policy, plan: Plan, office: str, *, mission_critical: bool = False
) -> list[MetricRule]:
    """The rules of every metric `plan` promises, for a ticket handled by `office` (an office
    id or GLOBAL, C9); mission-critical tickets take that first-response target (C6)."""
    rules = []
    for metric in METRICS:
        base = policy.metric_rule(plan, metric, mission_critical=mission_critical)
        by_priority = {
            priority: clock
            for priority, targets in plan.by_priority.items()
            if metric != "first_response"
            and (rule := targets.get(metric)) is not None
            and (clock := _clock(policy, rule, office)) is not None
        }
        clock = _clock(policy, base, office) if base is not None else None
        if clock is None and not by_priority:
            continue
        rules.append(
            MetricRule(
                metric=metric,
                clock=clock,
                by_priority=by_priority,
                pause_on=frozenset(policy.pause_on[metric]),
            )
        )
    return rules


def promises_beyond_first_response(plan: Plan) -> bool:
    """Whether `plan` promises any metric but the first response (the seed's plans do not, C3):
    only then has a ticket of it metric events worth reading."""
    return bool(plan.by_priority) or any(
        getattr(plan, metric) is not None for metric in METRICS if metric != "first_response"
    )


def _clock(policy: Policy, rule: TargetRule, office: str) -> Clock | None:
    """The rule's clock; None when its calendar is not in the policy (a ticket of an office a
    reloaded policy no longer has: no promise can be counted for it)."""
    if rule.target.kind != "calendar" and (rule.calendar or office) not in policy.calendars:
        return None
    _, calendar = rule_calendar(policy, rule, office)
    return Clock(calendar=calendar, target=rule.target)
