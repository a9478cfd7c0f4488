"""Properties of triage that hold for every request (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from policydesk.policy.loading import load_policy
from policydesk.policy.triage import Request, triage

POLICY = load_policy()
# hypothesis takes naive bounds and attaches the zone itself.
EARLIEST = datetime(2025, 1, 1)  # noqa: DTZ001
LATEST = datetime(2030, 12, 31)  # noqa: DTZ001
instants = st.datetimes(min_value=EARLIEST, max_value=LATEST, timezones=st.just(UTC))
offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
requests = st.builds(
    Request,
    id=st.just("p"),
    plan=st.sampled_from(list(POLICY.plans)),
    region=st.sampled_from(list(POLICY.regions)),
    topic=st.sampled_from([*POLICY.request_types, *POLICY.out_of_scope]),
    created_at=st.tuples(instants, offsets).map(lambda pair: pair[0].astimezone(pair[1])),
    channel=st.sampled_from(["web", "in-product", "email"]),
)


@settings(max_examples=300, deadline=None)
@given(requests)
def test_a_due_time_is_never_before_creation(request: Request) -> None:
    decision = triage(POLICY, request)
    if decision.first_response_due is not None:
        assert decision.first_response_due >= request.created_at


@settings(max_examples=200, deadline=None)
@given(
    instants, offsets, st.sampled_from(list(POLICY.regions)), st.sampled_from(["web", "in-product", "email"])
)
def test_premium_critical_bug_is_always_created_plus_two_hours(
    instant: datetime, offset: timezone, region: str, channel: str
) -> None:
    created = instant.astimezone(offset)
    decision = triage(POLICY, Request("p", "premium", region, "bug-report-critical", created, channel))  # type: ignore[arg-type]
    assert decision.mission_critical
    assert decision.first_response_due == created.replace(microsecond=0) + timedelta(hours=2) or (
        created.microsecond
        and decision.first_response_due == created.replace(microsecond=0) + timedelta(hours=2, seconds=1)
    )


@settings(max_examples=200, deadline=None)
@given(requests)
def test_the_zone_a_time_is_written_in_does_not_change_the_decision(request: Request) -> None:
    again = Request(
        request.id,
        request.plan,
        request.region,
        request.topic,
        request.created_at.astimezone(UTC),
        request.channel,
    )
    first, second = triage(POLICY, request), triage(POLICY, again)
    assert (first.outcome, first.office, first.first_response_due, first.route) == (
        second.outcome, second.office, second.first_response_due, second.route
    )  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(requests)
def test_deflected_requests_carry_a_route_and_tickets_do_not(request: Request) -> None:
    decision = triage(POLICY, request)
    assert (decision.outcome == "deflect") == (decision.route is not None)
    if decision.outcome == "ticket":
        assert decision.office in (*POLICY.offices, "global")


@settings(max_examples=200, deadline=None)
@given(requests, st.integers(min_value=1, max_value=7 * 24 * 3600))
def test_a_later_request_is_never_due_earlier(request: Request, seconds: int) -> None:
    later = Request(request.id, request.plan, request.region, request.topic,
                    request.created_at + timedelta(seconds=seconds), request.channel)  # fmt: skip
    first, second = triage(POLICY, request), triage(POLICY, later)
    if first.first_response_due is not None and second.first_response_due is not None:
        assert second.first_response_due >= first.first_response_due
