"""examples/nordlicht.toml: a very different vendor in the same format (IANA zones with DST,
a lunch break, an overnight shift, minute targets, a 24x7 plan)."""

from __future__ import annotations

from pathlib import Path

import pytest

from policydesk import sla
from policydesk.policy.loading import load_policy
from policydesk.policy.model import Policy
from policydesk.policy.render import render
from tests.policy.requests import decide, utc

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "nordlicht.toml"


@pytest.fixture(scope="module")
def nordlicht() -> Policy:
    return load_policy(EXAMPLE)


def test_it_is_valid(nordlicht: Policy) -> None:
    assert set(nordlicht.plans) == {"team", "business", "platinum"}
    assert sla.regular_business_day_seconds(nordlicht.calendars["berlin"]) == 8 * 3600


def test_lunch_break_is_not_business_time(nordlicht: Policy) -> None:
    # Tuesday 2027-01-12 11:30 Berlin (UTC+1): 60 min before lunch, 180 after = 240 business minutes.
    decision = decide(nordlicht, "team", "question", "2027-01-12T11:30:00+01:00", region="europe")
    assert decision.first_response_due == utc("2027-01-12T15:30:00Z")  # 16:30 local


def test_berlin_hours_follow_daylight_saving_time(nordlicht: Policy) -> None:
    # After 2027-03-28 Berlin is UTC+2: the 08:30 opening is 06:30Z (Wednesdays either side;
    # Monday 29 March is Easter Monday, a holiday).
    decision = decide(nordlicht, "business", "question", "2027-03-31T05:00:00Z", region="europe")
    assert decision.first_response_due == utc("2027-03-31T08:30:00Z")
    winter = decide(nordlicht, "business", "question", "2027-03-24T05:00:00Z", region="europe")
    assert winter.first_response_due == utc("2027-03-24T09:30:00Z")


def test_toronto_night_desk_runs_past_midnight(nordlicht: Policy) -> None:
    # Sunday 2027-01-10 23:00 Toronto (UTC-5): 3h left on the night desk (until 02:00) > 2h target.
    decision = decide(nordlicht, "business", "question", "2027-01-10T23:00:00-05:00", region="north-america")
    assert decision.office == "toronto"
    assert decision.first_response_due == utc("2027-01-11T06:00:00Z")  # 01:00 local, Monday


def test_platinum_runs_24x7_and_incidents_page(nordlicht: Policy) -> None:
    saturday = decide(nordlicht, "platinum", "question", "2027-01-09T03:00:00+00:00", region="europe")
    assert saturday.office == "global" and saturday.first_response_due == utc("2027-01-09T03:30:00Z")
    incident = decide(nordlicht, "platinum", "incident", "2027-01-09T03:00:00+00:00", region="europe")
    assert incident.mission_critical and incident.first_response_due == utc("2027-01-09T03:15:00Z")


def test_team_plan_limits_channel_and_request_type(nordlicht: Policy) -> None:
    assert decide(nordlicht, "team", "question", channel="in-product", region="europe").outcome == "deflect"
    assert decide(nordlicht, "team", "incident", region="europe").outcome == "deflect"
    assert decide(nordlicht, "team", "pricing", region="europe").route.kind == "sales"  # type: ignore[union-attr]


def test_removed_holiday_is_a_working_day(nordlicht: Policy) -> None:
    civic_holiday = utc("2027-08-02T15:00:00Z")  # Ontario's Civic Holiday, removed in the file
    assert sla.is_open(nordlicht.calendars["toronto"], civic_holiday)


def test_renders_in_both_languages(nordlicht: Policy) -> None:
    assert "Nordlicht Support Policy" in render(nordlicht, "en")
    assert "プラチナ" in render(nordlicht, "ja", "html")
