"""SLA metrics beyond the first response in the policy file: targets per plan and per priority,
which statuses pause which metric, and the errors a broken metric table gets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from policydesk import sla
from policydesk.policy.loading import load_policy
from policydesk.policy.model import DEFAULT_PAUSE_ON, METRICS, Policy
from policydesk.policy.render import render
from tests.policy.test_validation import Document, errors_for

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "nordlicht.toml"
TEXT = {"en": "x", "ja": "x"}


@pytest.fixture(scope="module")
def nordlicht() -> Policy:
    return load_policy(EXAMPLE)


def test_default_policy_promises_only_the_first_response_and_priority_changes_nothing() -> None:
    policy = load_policy()
    for plan in policy.plans.values():
        assert plan.next_reply is None and plan.periodic_update is None and plan.resolution is None
        assert plan.by_priority == {}  # C16: priority does not change the SLA
        for priority in policy.priorities:
            assert plan.target_for("first_response", priority) == plan.first_response
    assert policy.pause_on == DEFAULT_PAUSE_ON
    assert policy.pause_on["first_response"] == ()  # today's first response is never paused


def test_nordlicht_uses_every_metric(nordlicht: Policy) -> None:
    for metric in METRICS:
        assert any(plan.target_for(metric) for plan in nordlicht.plans.values()), metric
    business = nordlicht.plans["business"]
    assert business.next_reply is not None and business.next_reply.target == sla.Target.business(4 * 3600)
    assert business.periodic_update is not None
    assert business.periodic_update.target == sla.Target.business_days(1)
    assert business.resolution is not None and business.resolution.target == sla.Target.business_days(5)
    platinum = nordlicht.plans["platinum"]
    assert platinum.periodic_update is not None and platinum.periodic_update.target.kind == "calendar"
    assert platinum.resolution is not None and platinum.resolution.calendar == "always"
    assert nordlicht.pause_on == {
        "first_response": (),
        "next_reply": (),
        "periodic_update": ("pending",),
        "resolution": ("pending", "on-hold"),
    }


def test_priority_targets_replace_only_what_they_name(nordlicht: Policy) -> None:
    business = nordlicht.plans["business"]
    urgent = business.target_for("resolution", "urgent")
    assert urgent is not None and urgent.target == sla.Target.business_days(2)
    assert business.target_for("resolution", "routine") == business.resolution
    assert business.target_for("resolution") == business.resolution
    assert business.target_for("periodic_update", "urgent") == business.periodic_update  # not overridden
    assert nordlicht.metric_rule(business, "next_reply", priority="urgent") == (
        business.by_priority["urgent"].next_reply
    )


def test_first_response_is_never_by_priority_c16(nordlicht: Policy) -> None:
    business = nordlicht.plans["business"]
    assert all(targets.first_response is None for targets in business.by_priority.values())
    assert nordlicht.metric_rule(business, "first_response", priority="urgent") == business.first_response


def test_public_page_publishes_each_metric_and_priority_target(nordlicht: Policy) -> None:
    page = render(nordlicht, "en", "md")
    assert (
        "| Resolution | Resolved within 10 business days | Resolved within 5 business days; Urgent:" in page
    )
    assert "An update every 4 hours" in page
    assert "Within 4 business hours of each of your messages; Urgent: Within 1 business hour" in page
    japanese = render(nordlicht, "ja", "md")
    assert "| 解決 |" in japanese and "緊急: 2営業日以内に解決" in japanese


def test_default_page_has_no_rows_for_metrics_it_does_not_promise() -> None:
    page = render(load_policy(), "en", "md")
    assert "Resolution" not in page and "Next reply" not in page


def _plan(change: Callable[[dict[str, Any]], None], plan: str = "growth") -> Callable[[Document], None]:
    def edit(document: Document) -> None:
        change(document["plans"][plan])

    return edit


BROKEN: list[tuple[str, Callable[[Document], None], str]] = [
    ("metric with two amounts",
     _plan(lambda p: p.update(resolution={"business_days": 5, "business_hours": 3, "text": TEXT})),
     "plans.growth.resolution: expected exactly one of business_days, business_hours"),
    ("metric with a zero target",
     _plan(lambda p: p.update(next_reply={"business_hours": 0, "text": TEXT})),
     "plans.growth.next_reply.business_hours: expected a positive number, got 0"),
    ("metric on an unknown calendar",
     _plan(lambda p: p.update(periodic_update={"business_hours": 4, "calendar": "mars", "text": TEXT})),
     "plans.growth.periodic_update.calendar: unknown calendar 'mars'"),
    ("metric without Japanese text",
     _plan(lambda p: p.update(resolution={"business_days": 5, "text": {"en": "x"}})),
     "plans.growth.resolution.text.ja: missing; customer texts need English and Japanese"),
    ("global plan metric without a calendar",
     _plan(lambda p: p.update(resolution={"business_days": 5, "text": TEXT}), "premium"),
     "plans.premium.resolution.calendar: missing; a globally handled plan has no office calendar"),
    ("unknown priority",
     _plan(lambda p: p.update(by_priority={"p1": {"resolution": {"business_days": 1, "text": TEXT}}})),
     "plans.growth.by_priority.p1: unknown priority; expected one of critical, high, low, normal"),
    ("unknown metric in a priority table",
     _plan(lambda p: p.update(by_priority={"high": {"resolutoin": {"business_days": 1, "text": TEXT}}})),
     "plans.growth.by_priority.high.resolutoin: unknown key; expected one of next_reply, periodic_update"),
    ("empty priority table", _plan(lambda p: p.update(by_priority={"high": {}})),
     "plans.growth.by_priority.high: empty; expected targets for some of next_reply, periodic_update"),
    ("misspelt metric in a plan", _plan(lambda p: p.update(next_replies={"business_hours": 1, "text": TEXT})),
     "plans.growth.next_replies: unknown key"),
    ("status that cannot pause", lambda d: d.update(sla={"pause_on": {"resolution": ["pending", "solved"]}}),
     "sla.pause_on.resolution: 'solved' cannot pause a clock; expected some of pending, on-hold"),
    ("unknown metric in pause_on", lambda d: d.update(sla={"pause_on": {"answer": []}}),
     "sla.pause_on.answer: unknown key; expected one of first_response"),
    ("pause_on not a list", lambda d: d.update(sla={"pause_on": {"resolution": "pending"}}),
     "sla.pause_on.resolution: expected a list of strings"),
    ("unknown key in sla", lambda d: d.update(sla={"pauses": {}}),
     "sla.pauses: unknown key; expected one of pause_on"),
    ("first response by priority",
     _plan(lambda p: p.update(by_priority={"high": {"first_response": {"business_hours": 1, "text": TEXT}}})),
     "plans.growth.by_priority.high.first_response: the first response is decided at triage, which priority"
     " does not enter (C16)"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_broken_metric_tables_name_key_path_and_expectation(
    tmp_path: Path, change: Callable[[Document], None], expected: str
) -> None:
    errors = errors_for(tmp_path, change)
    assert any(error.startswith(expected) for error in errors), errors


def test_pause_on_overrides_only_the_metrics_it_names(tmp_path: Path) -> None:
    from tests.policy.test_validation import default_document, to_toml

    document = default_document()
    document["sla"] = {"pause_on": {"next_reply": ["on-hold", "on-hold"], "first_response": ["pending"]}}
    path = tmp_path / "policy.toml"
    path.write_text(to_toml(document), encoding="utf-8")
    policy = load_policy(path)
    assert policy.pause_on["next_reply"] == ("on-hold",)
    assert policy.pause_on["first_response"] == ("pending",)
    assert policy.pause_on["resolution"] == DEFAULT_PAUSE_ON["resolution"]
