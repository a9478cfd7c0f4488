"""Lookups and wording on the policy model: calendars by id, the rule a ticket runs by, route
text with the customer's own account team (C6, C17)."""

from __future__ import annotations

from policydesk.policy.model import ALWAYS_OPEN, Policy


def test_calendar_by_id_knows_offices_named_calendars_and_the_always_open_one(policy: Policy) -> None:
    assert policy.calendar("central-europe") is policy.offices["central-europe"].calendar
    assert policy.calendar("premium-24x5") is policy.calendars["premium-24x5"]
    assert policy.calendar(ALWAYS_OPEN.id) is ALWAYS_OPEN  # calendar-time targets (C6)
    assert policy.calendar("dropped-since") is None


def test_first_response_rule_is_the_mission_critical_one_only_for_mission_critical_tickets(
    policy: Policy,
) -> None:
    premium = policy.plans["premium"]
    assert premium.mission_critical is not None
    assert policy.first_response_rule(premium, True) is premium.mission_critical.first_response  # C6
    assert policy.first_response_rule(premium, False) is premium.first_response
    assert policy.first_response_rule(policy.plans["plus"], True) is None  # C3: no commitment


def test_route_text_names_the_account_team_on_record_and_the_url(policy: Policy) -> None:
    team = {"account_executive": "erika@example.com", "customer_success_manager": ""}
    text = policy.route_text(policy.routes["account-team"], team, "en")
    assert (
        text == "Please contact your account executive and your customer success manager. (erika@example.com)"
    )
    community = policy.route_text(policy.routes["community"], team, "ja")
    assert community.endswith(" https://community.example.com")
    assert (
        policy.route_text(policy.routes["account-executive"], {}, "en")
        == "Please contact your account executive."
    )
