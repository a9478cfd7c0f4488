"""The worked examples of the Foundation issue, under the bundled policy."""

from __future__ import annotations

from policydesk.policy.model import Policy
from tests.policy.requests import decide


def line(policy: Policy, plan: str, region: str, topic: str, created_at: str) -> dict[str, object]:
    return decide(policy, plan, topic, created_at, region=region).as_json()


def test_growth_americas_troubleshooting(policy: Policy) -> None:
    out = line(policy, "growth", "americas", "troubleshooting", "2026-12-01T10:00:00-08:00")
    assert out["first_response_due"] == "2026-12-03T18:00:00Z"
    assert out["outcome"] == "ticket" and out["office"] == "us-west" and out["route"] is None


def test_premium_emea_friday_evening_runs_on_the_24x5_union(policy: Policy) -> None:
    out = line(policy, "premium", "emea", "troubleshooting", "2026-12-04T23:00:00+00:00")
    assert out["first_response_due"] == "2026-12-07T23:00:00Z" and out["office"] == "global"


def test_premium_apac_critical_bug_on_a_sunday(policy: Policy) -> None:
    out = line(policy, "premium", "apac", "bug-report-critical", "2026-12-06T03:15:00+00:00")
    assert out["first_response_due"] == "2026-12-06T05:15:00Z" and out["mission_critical"] is True


def test_enterprise_critical_bug_over_christmas(policy: Policy) -> None:
    out = line(policy, "enterprise", "americas", "bug-report-critical", "2026-12-24T16:00:00-08:00")
    assert out["first_response_due"] == "2026-12-29T00:00:00Z" and out["mission_critical"] is False


def test_plus_gets_a_ticket_without_due_time(policy: Policy) -> None:
    out = line(policy, "plus", "apac", "bug-report", "2026-12-01T10:00:00+08:00")
    assert out == {
        "id": "t", "outcome": "ticket", "office": "singapore", "first_response_due": None,
        "mission_critical": False, "meeting_requests": False, "route": None,
    }  # fmt: skip


def test_starter_troubleshooting_goes_to_the_community(policy: Policy) -> None:
    out = line(policy, "starter", "emea", "troubleshooting", "2026-12-01T10:00:00+01:00")
    assert out["outcome"] == "deflect" and out["office"] is None
    assert out["route"] == {"kind": "community", "contacts": [], "url": "https://community.example.com"}


def test_scholarship_plan_question_goes_to_sales(policy: Policy) -> None:
    route = line(policy, "scholarship", "apac", "plan-question", "2026-12-01T10:00:00+08:00")["route"]
    assert isinstance(route, dict) and route["kind"] == "sales"
    assert "global-sdr@example.com" in route["contacts"] and "scholarship@example.com" in route["contacts"]


def test_growth_and_enterprise_plan_questions_go_to_the_account_team(policy: Policy) -> None:
    growth = line(policy, "growth", "emea", "plan-question", "2026-12-01T10:00:00+01:00")["route"]
    assert growth == {"kind": "account-team", "contacts": ["account-executive"], "url": None}
    enterprise = line(policy, "enterprise", "emea", "plan-question", "2026-12-01T10:00:00+01:00")["route"]
    assert isinstance(enterprise, dict)
    assert enterprise["contacts"] == ["account-executive", "customer-success-manager"]


def test_feature_requests_and_integrations(policy: Policy) -> None:
    for plan in ["starter", "growth", "premium"]:
        feature = line(policy, plan, "emea", "feature-request", "2026-12-01T10:00:00+01:00")["route"]
        assert isinstance(feature, dict) and feature["kind"] == "feedback-form"
        other = line(policy, plan, "emea", "third-party-integration", "2026-12-01T10:00:00+01:00")["route"]
        assert isinstance(other, dict) and other["kind"] == "community"
