"""One test (or a few) per clause of docs/policy-clauses.md, on the bundled policy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from policydesk import sla
from policydesk.policy.model import GLOBAL, Policy
from policydesk.policy.render import render
from policydesk.policy.triage import Request, triage
from tests.policy.requests import decide, utc

IN_SCOPE = [
    "feature-explanation",
    "concepts",
    "troubleshooting",
    "bug-report",
    "bug-report-critical",
    "service-task",
]
OUT_OF_SCOPE = [
    "third-party-integration", "product-training", "end-user-onboarding", "custom-advice",
    "business-data-analysis", "plan-question", "feature-request",
]  # fmt: skip
PLANS = ["starter", "scholarship", "plus", "growth", "enterprise", "premium"]


def test_c1_the_six_plans(policy: Policy) -> None:
    assert list(policy.plans) == PLANS
    assert [p.id for p in policy.plans.values() if p.free] == ["starter", "scholarship"]


@pytest.mark.parametrize("plan", ["starter", "scholarship"])
def test_c2_free_plans_get_email_support_for_critical_bugs_and_admin_tasks_only(
    policy: Policy, plan: str
) -> None:
    assert decide(policy, plan, "bug-report-critical").outcome == "ticket"
    assert decide(policy, plan, "service-task").outcome == "ticket"
    for topic in ["feature-explanation", "concepts", "troubleshooting", "bug-report"]:
        assert decide(policy, plan, topic).outcome == "deflect", topic


def test_c2_paid_plans_are_regional_9_5_and_premium_24x5(policy: Policy) -> None:
    for plan in ["plus", "growth", "enterprise"]:
        assert policy.plans[plan].availability.en == "9/5 regional"
        assert all(decide(policy, plan, topic).outcome == "ticket" for topic in IN_SCOPE)
    premium = policy.calendars["premium-24x5"]
    # The union is open from Monday 01:00 UTC to Saturday 01:00 UTC, 120 hours a week.
    week = (utc("2026-11-16T00:00:00Z"), utc("2026-11-23T00:00:00Z"))  # no holiday in any office
    assert sla.business_time_between(premium, *week) == timedelta(hours=120)
    assert not sla.is_open(premium, utc("2026-11-16T00:59:59Z"))
    assert sla.is_open(premium, utc("2026-11-16T01:00:00Z"))
    assert sla.is_open(premium, utc("2026-11-21T00:59:59Z"))
    assert not sla.is_open(premium, utc("2026-11-21T01:00:00Z"))


def test_c3_first_response_targets_by_plan(policy: Policy) -> None:
    created = "2026-12-01T10:00:00-08:00"  # a Tuesday, inside US West hours
    assert decide(policy, "growth", "troubleshooting", created).first_response_due == utc(
        "2026-12-03T18:00:00Z"
    )
    assert decide(policy, "enterprise", "troubleshooting", created).first_response_due == utc(
        "2026-12-02T18:00:00Z"
    )
    assert decide(policy, "plus", "troubleshooting", created).first_response_due is None
    assert decide(policy, "starter", "service-task", created).first_response_due is None
    assert decide(policy, "scholarship", "service-task", created).first_response_due is None


def test_c3_business_days_are_8_hours_for_an_office_and_24_for_the_premium_union(policy: Policy) -> None:
    assert sla.regular_business_day_seconds(policy.calendars["us-west"]) == 8 * 3600
    assert sla.regular_business_day_seconds(policy.calendars["premium-24x5"]) == 24 * 3600


def test_c3_ticket_created_outside_hours_starts_its_clock_at_the_next_opening(policy: Policy) -> None:
    saturday = "2026-12-05T12:00:00-08:00"
    decision = decide(policy, "enterprise", "troubleshooting", saturday)
    # Monday 09:00 UTC-8 = 17:00Z, plus one 8-hour business day = Tuesday 01:00Z (Monday's close).
    assert decision.first_response_due == utc("2026-12-08T01:00:00Z")


def test_c4_only_premium_has_a_dedicated_regional_team(policy: Policy) -> None:
    assert [p.id for p in policy.plans.values() if p.dedicated_team] == ["premium"]


def test_c5_only_premium_has_mission_critical_support_24x7(policy: Policy) -> None:
    assert [p.id for p in policy.plans.values() if p.mission_critical] == ["premium"]
    rule = policy.plans["premium"].mission_critical
    assert rule is not None and rule.availability.en == "24x7" and rule.page_on_call


def test_c6_premium_critical_bug_is_two_hours_around_the_clock(policy: Policy) -> None:
    sunday = decide(policy, "premium", "bug-report-critical", "2026-12-06T03:15:00+00:00", region="apac")
    assert sunday.mission_critical and sunday.outcome == "ticket"
    assert sunday.first_response_due == utc("2026-12-06T05:15:00Z")
    christmas = decide(policy, "premium", "bug-report-critical", "2026-12-25T23:30:00+00:00")
    assert christmas.first_response_due == utc("2026-12-26T01:30:00Z")


@pytest.mark.parametrize("plan", ["starter", "scholarship", "plus", "growth", "enterprise"])
def test_c6_critical_bugs_of_other_plans_are_not_mission_critical(policy: Policy, plan: str) -> None:
    assert not decide(policy, plan, "bug-report-critical").mission_critical


@pytest.mark.parametrize("topic", ["bug-report", "troubleshooting", "service-task"])
def test_c6_other_premium_request_types_are_not_mission_critical(policy: Policy, topic: str) -> None:
    assert not decide(policy, "premium", topic).mission_critical


def test_c7_meeting_requests_for_growth_enterprise_premium_only(policy: Policy) -> None:
    allowed = {plan for plan in PLANS if decide(policy, plan, "service-task").meeting_requests}
    assert allowed == {"growth", "enterprise", "premium"}


@pytest.mark.parametrize(
    ("office", "opens", "closes"),
    [
        ("us-west", "2026-12-01T17:00:00Z", "2026-12-02T01:00:00Z"),  # 09:00-17:00 UTC-8
        ("singapore", "2026-12-01T01:00:00Z", "2026-12-01T09:00:00Z"),  # 09:00-17:00 UTC+8
        ("central-europe", "2026-12-01T09:00:00Z", "2026-12-01T17:00:00Z"),  # 10:00-18:00 UTC+1
    ],
)
def test_c8_office_hours_in_fixed_offsets(policy: Policy, office: str, opens: str, closes: str) -> None:
    calendar = policy.calendars[office]
    assert sla.next_open(calendar, utc("2026-11-30T23:00:00Z") + timedelta(hours=1)) <= utc(opens)
    assert sla.is_open(calendar, utc(opens))
    assert not sla.is_open(calendar, utc(opens) - timedelta(seconds=1))
    assert sla.next_close(calendar, utc(opens)) == utc(closes)


def test_c8_each_office_keeps_its_own_holidays(policy: Policy) -> None:
    thanksgiving = utc("2026-11-26T20:00:00Z")  # Thursday: US federal holiday only
    assert not sla.is_open(policy.calendars["us-west"], thanksgiving)
    assert sla.is_open(policy.calendars["central-europe"], utc("2026-11-26T12:00:00Z"))
    kings_day = utc("2026-04-27T12:00:00Z")  # Netherlands only
    assert not sla.is_open(policy.calendars["central-europe"], kings_day)


@pytest.mark.parametrize(
    ("region", "office"), [("americas", "us-west"), ("apac", "singapore"), ("emea", "central-europe")]
)
def test_c9_regional_plans_go_to_the_region_office(policy: Policy, region: str, office: str) -> None:
    for plan in ["plus", "growth", "enterprise"]:
        assert decide(policy, plan, "concepts", region=region).office == office


def test_c9_premium_is_handled_globally(policy: Policy) -> None:
    for region in ["americas", "apac", "emea"]:
        decision = decide(policy, "premium", "concepts", region=region)
        assert decision.office == GLOBAL and decision.calendar == "premium-24x5"


def test_c10_targets_are_published_as_commercially_reasonable_efforts(policy: Policy) -> None:
    assert "commercially reasonable efforts" in render(policy, "en")
    assert "商業的に合理的な努力" in render(policy, "ja")


def test_c11_in_scope_request_types(policy: Policy) -> None:
    assert list(policy.request_types) == IN_SCOPE


@pytest.mark.parametrize("plan", PLANS)
@pytest.mark.parametrize("topic", OUT_OF_SCOPE)
def test_c12_out_of_scope_topics_are_deflected_for_every_plan(policy: Policy, plan: str, topic: str) -> None:
    decision = decide(policy, plan, topic)
    assert decision.outcome == "deflect" and decision.route is not None
    assert decision.first_response_due is None and decision.office is None


@pytest.mark.parametrize("channel", ["web", "in-product", "email"])
def test_c13_every_channel_opens_a_ticket(policy: Policy, channel: str) -> None:
    assert decide(policy, "growth", "concepts", channel=channel).outcome == "ticket"
    assert channel in policy.channel_texts


def test_c14_identity_rule_is_published(policy: Policy) -> None:
    assert "same email address you use to log in" in render(policy, "en")


def test_c15_priorities_and_definitions(policy: Policy) -> None:
    assert list(policy.priorities) == ["critical", "high", "normal", "low"]
    assert "login problems" in policy.priorities["critical"].definition.en
    assert "ログイン問題" in render(policy, "ja")


def test_c16_priority_is_no_input_of_triage_and_p0_goes_to_the_status_page(policy: Policy) -> None:
    # The due time is a function of plan, region, topic, channel and time only (C16).
    assert "priority" not in Request.__dataclass_fields__
    page = render(policy, "en")
    assert "depends on the plan alone" in page and policy.links["status_page"] in page


@pytest.mark.parametrize(
    ("plan", "kind", "contacts"),
    [
        ("starter", "sales", ["global-sdr@example.com"]),
        ("scholarship", "sales", ["global-sdr@example.com", "scholarship@example.com"]),
        ("plus", "account-team", ["account-executive"]),
        ("growth", "account-team", ["account-executive"]),
        ("enterprise", "account-team", ["account-executive", "customer-success-manager"]),
        ("premium", "account-team", ["account-executive", "customer-success-manager"]),
    ],
)
def test_c17_plan_questions_go_to_the_plan_contacts(
    policy: Policy, plan: str, kind: str, contacts: list[str]
) -> None:
    route = decide(policy, plan, "plan-question").route
    assert route is not None and route.kind == kind and list(route.contacts) == contacts


@pytest.mark.parametrize("plan", PLANS)
def test_c18_feature_requests_go_to_the_feedback_form(policy: Policy, plan: str) -> None:
    route = decide(policy, plan, "feature-request").route
    assert route is not None and route.kind == "feedback-form" and route.url


def test_c19_other_out_of_scope_topics_go_to_the_community(policy: Policy) -> None:
    for topic in OUT_OF_SCOPE[:5]:
        route = decide(policy, "enterprise", topic).route
        assert route is not None and route.kind == "community", topic


def test_c20_free_plan_requests_outside_their_scope_are_sent_onwards(policy: Policy) -> None:
    decision = decide(policy, "starter", "troubleshooting")
    assert decision.route is not None and decision.route.kind == "community"
    assert ("C20", "sent to community (https://community.example.com)") in decision.reasons
    assert policy.links["free_plans_page"] in render(policy, "en")


def test_c21_no_official_phone_support_but_a_one_off_call_may_be_proposed(policy: Policy) -> None:
    page = render(policy, "en")
    assert "does not officially offer phone or video support" in page
    assert "one-off call" in page


def test_triage_is_a_pure_function_of_its_inputs(policy: Policy) -> None:
    request = decide(policy, "growth", "bug-report").request
    assert triage(policy, request) == triage(policy, request)
