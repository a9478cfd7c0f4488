"""The first-response promise of a ticket in words (C3, C5, C6, C10): the one wording the
portal's pages and the acknowledgement email both show, in the reader's language and zone; and
the further SLA metrics' promises that apply now (`metric_promises`, issue 15), with the metrics'
names.

What is promised is the policy's (`Policy.first_response_rule`, the plan's texts); this
module only puts it into sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise as LazyText
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from policydesk.display import format_instant
from policydesk.policy.metric_rules import promises_beyond_first_response
from policydesk.policy.model import GLOBAL, Policy
from policydesk.policy.triage import Request, RequestError, explain, triage
from policydesk.tickets.models import Ticket, triage_channel
from policydesk.tickets.sla_metrics import stored_metric_states, ticket_rules

#: The SLA metrics' names (docs/policy-format.md), in the order a ticket meets them.
METRIC_NAMES: dict[str, LazyText] = {
    "first_response": gettext_lazy("First response"),
    "next_reply": gettext_lazy("Next reply"),
    "periodic_update": gettext_lazy("Periodic update"),
    "resolution": gettext_lazy("Resolution"),
}

#: A metric instance's states (`sla.metrics.MetricState`).
METRIC_STATES: dict[str, LazyText] = {
    "running": gettext_lazy("running"),
    "paused": gettext_lazy("paused"),
    "met": gettext_lazy("met"),
    "breached": gettext_lazy("breached"),
}


@dataclass(frozen=True)
class Promise:
    kind: str  # "due", "mission-critical", "no-commitment", "answered", "closed"; or a metric's id
    text: str
    details: tuple[str, ...] = ()

    def lines(self) -> tuple[str, ...]:
        """The sentence and its details, one per line (the email's form)."""
        return (self.text, *self.details)


def promise_for(ticket: Ticket, policy: Policy, time_zone: str, lang: str) -> Promise:
    """The sentence a customer reads about when support will answer their ticket."""
    plan = policy.plans.get(ticket.organisation.plan)
    targets_note = policy.notes["targets"].get(lang) if "targets" in policy.notes else ""  # C10
    if ticket.first_responded_at is not None:
        when = format_instant(ticket.first_responded_at, time_zone, lang)
        return Promise("answered", _("Support first answered on %(when)s.") % {"when": when})
    if not ticket.is_open:
        return Promise("closed", _("Status: %(status)s.") % {"status": ticket.get_status_display()})
    due = ticket.first_response_due
    rule = policy.first_response_rule(plan, ticket.mission_critical) if plan is not None else None
    if due is not None:
        when = format_instant(due, time_zone, lang)
        critical = plan.mission_critical if plan is not None and ticket.mission_critical else None
        if critical is not None:  # C5, C6
            target = critical.first_response.target
            hours = round(target.amount / 3600) if target.kind == "calendar" else 0
            within = ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours} if hours else ""
            paged = _("On-call has been paged.") if critical.page_on_call else ""
            text = (
                _("Mission-critical: we will answer within %(within)s, by %(when)s.")
                % {"within": within, "when": when}
                if within
                else _("Mission-critical: we will answer by %(when)s.") % {"when": when}
            )
            details = (critical.first_response.text.get(lang), targets_note)
            return Promise("mission-critical", f"{paged} {text}".strip(), tuple(filter(None, details)))
        detail = rule.text.get(lang) if rule is not None else ""
        text = _("We will answer by %(when)s.") % {"when": when}
        return Promise("due", text, tuple(filter(None, (detail, targets_note))))
    # C3: no commitment (Plus, and the free plans).
    office = policy.offices.get(ticket.office)
    if office is not None:
        support_hours = office.hours_text.get(lang)
    elif ticket.office == GLOBAL and plan is not None:
        support_hours = plan.availability.get(lang)
    else:
        support_hours = ""
    plan_name = plan.name.get(lang) if plan else ticket.organisation.plan
    text = _("Your plan (%(plan)s) has no first-response time commitment: we answer as soon as we can.") % {
        "plan": plan_name
    }
    no_commitment = plan.no_commitment_text.get(lang) if plan and plan.no_commitment_text else ""  # C3
    hours_line = _("Support hours: %(hours)s") % {"hours": support_hours} if support_hours else ""
    return Promise("no-commitment", text, tuple(filter(None, (no_commitment, hours_line))))


def explain_promise(ticket: Ticket, policy: Policy) -> list[str]:
    """Why the ticket has its queue and first-response due time, clause by clause, with the business
    hours counted: the sentences of `policydesk policy explain` for the ticket's facts (its plan,
    region, request type and channel, at its creation, as triage and a request-type change see them).
    A ticket triaged under another version of the policy says so when today's answer differs."""
    request = Request(
        id=f"#{ticket.number}",
        plan=ticket.organisation.plan,
        region=ticket.organisation.region,
        topic=ticket.topic,
        created_at=ticket.created_at,
        channel=triage_channel(ticket.channel),  # type: ignore[arg-type]
    )
    try:
        lines = explain(policy, request)
    except (RequestError, KeyError) as unknown:
        return [f"The policy in force cannot decide on this ticket's facts: {unknown}."]
    decision = triage(policy, request)
    if decision.first_response_due != ticket.first_response_due or decision.office != ticket.office:
        lines.append(
            f"The ticket was triaged under policy {ticket.policy_id} {ticket.policy_version}; "
            f"the policy in force ({policy.id} {policy.version}) decides differently today, "
            "and the ticket keeps what it was given."
        )
    return lines


def metric_promises(
    ticket: Ticket, policy: Policy, time_zone: str, lang: str, now: datetime
) -> list[Promise]:
    """What else the customer is promised now, beyond the first response (`promise_for`): the next
    reply after they wrote, the next update, the resolution target, each by its due in the
    reader's zone, or that its clock is stopped while we wait for them; in the order due.

    Nothing (and nothing read) for a plan that promises only a first response, as the seed's do."""
    plan = policy.plans.get(ticket.organisation.plan)
    if plan is None or not promises_beyond_first_response(plan) or not ticket.is_open:
        return []
    instances = stored_metric_states([ticket], policy, now).get(ticket.pk, [])
    targets = {metric: target for metric, (_, target) in ticket_rules(ticket, policy).items()}
    promises = []
    for instance in sorted(instances, key=lambda i: (i.due is None, i.due or now)):
        if instance.metric == "first_response" or instance.fulfilled_at is not None:
            continue
        rule = targets.get(instance.metric)
        detail = (rule.text.get(lang),) if rule is not None else ()
        if instance.state == "paused":
            text = _("%(metric)s: the clock is stopped while we wait for your answer.") % {
                "metric": METRIC_NAMES[instance.metric]
            }
        elif instance.due is None:
            continue
        else:
            when = format_instant(instance.due, time_zone, lang)
            text = {
                "next_reply": _("We will reply to your message by %(when)s."),
                "periodic_update": _("We will update you by %(when)s."),
                "resolution": _("Resolution target: %(when)s."),
            }[instance.metric] % {"when": when}
        promises.append(Promise(instance.metric, text, detail))
    return promises
