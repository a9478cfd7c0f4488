"""Names of the policy's ids (plans, request types, priorities, queues) in the viewer's language."""

from __future__ import annotations

from dataclasses import dataclass

from policydesk.policy.model import GLOBAL, Policy
from policydesk.promises import METRIC_NAMES, METRIC_STATES


@dataclass(frozen=True)
class Labels:
    """Looks up display names; an id the policy no longer has is shown as it is."""

    policy: Policy
    lang: str

    def plan(self, plan_id: str) -> str:
        plan = self.policy.plans.get(plan_id)
        return plan.name.get(self.lang) if plan else plan_id

    def topic(self, topic_id: str) -> str:
        topic = self.policy.request_types.get(topic_id) or self.policy.out_of_scope.get(topic_id)
        return topic.name.get(self.lang) if topic else topic_id

    def priority(self, priority_id: str) -> str:
        priority = self.policy.priorities.get(priority_id)
        return priority.name.get(self.lang) if priority else priority_id

    def queue(self, office_id: str) -> str:
        if office_id == GLOBAL:
            return self.policy.desk.global_queue.get(self.lang)  # C9
        office = self.policy.offices.get(office_id)
        return office.name.get(self.lang) if office else office_id

    def metric(self, metric: str) -> str:
        return str(METRIC_NAMES.get(metric, metric))

    def metric_state(self, state: str) -> str:
        return str(METRIC_STATES.get(state, state))

    def note(self, key: str) -> str:
        note = self.policy.notes.get(key)
        return note.get(self.lang) if note else ""
