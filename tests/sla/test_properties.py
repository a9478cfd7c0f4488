"""Properties of the SLA clock over random calendars, and agreement with a brute-force clock.

Random calendars: several weekly intervals a day, overnight shifts, zones with DST
(including Lord Howe's 30-minute shift), fixed offsets, random holidays, unions.
Instants cluster around 2026's DST transitions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policydesk.sla import (
    Calendar,
    HolidayRule,
    OfficeCalendar,
    OpenInterval,
    UnionCalendar,
    business_time_between,
    due,
    due_with_pauses,
    is_open,
    next_close,
    next_open,
)

ZONES = [
    "UTC",
    "UTC-08:00",
    "UTC+05:30",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Australia/Lord_Howe",
]
# Where the clock is interesting: 2026's DST transitions (all on Sundays, between 01:00
# and 03:00 local) with their zone, and ordinary dates with fixed offsets.
SCENES = [
    (date(2026, 3, 8), "America/Los_Angeles"),
    (date(2026, 11, 1), "America/Los_Angeles"),
    (date(2026, 3, 29), "Europe/Berlin"),
    (date(2026, 10, 25), "Europe/Berlin"),
    (date(2026, 4, 5), "Australia/Lord_Howe"),
    (date(2026, 10, 4), "Australia/Lord_Howe"),
    (date(2026, 7, 15), "UTC"),
    (date(2026, 7, 15), "UTC-08:00"),
    (date(2026, 12, 24), "UTC+05:30"),
]
QUARTER_HOUR = 900
DAY = 86_400

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REFERENCE_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


# Boundaries often fall in the small hours and on weekends, where the transitions are.
wall_quarters = st.one_of(st.integers(0, 95), st.integers(4, 14))
weekdays = st.one_of(st.integers(0, 6), st.just(6), st.just(5))


@st.composite
def open_intervals(draw: st.DrawFn) -> OpenInterval:
    start = draw(wall_quarters) * QUARTER_HOUR
    length = draw(st.one_of(st.integers(1, 96), st.integers(1, 12))) * QUARTER_HOUR
    return OpenInterval(draw(weekdays), start, start + length)  # overnight shifts too


@st.composite
def office_calendars(draw: st.DrawFn, around: date, zone: str) -> OfficeCalendar:
    closed = draw(st.lists(st.integers(-4, 10), max_size=4))
    holidays = HolidayRule(
        draw(st.sampled_from([None, None, "US"])),
        extra=frozenset(around + timedelta(days=offset) for offset in closed),
    )
    return OfficeCalendar(
        f"office-{draw(st.integers(0, 10**6))}",
        draw(st.one_of(st.just(zone), st.sampled_from(ZONES))),
        tuple(draw(st.lists(open_intervals(), min_size=1, max_size=6))),
        holidays,
    )


@st.composite
def cases(draw: st.DrawFn, granularity: int = 1) -> tuple[Calendar, int]:
    """A random calendar and a start instant a little before one of the scenes."""
    around, zone = draw(st.sampled_from(SCENES))
    if draw(st.booleans()):
        cal: Calendar = draw(office_calendars(around, zone))
    else:
        members = draw(st.lists(office_calendars(around, zone), min_size=2, max_size=3))
        cal = UnionCalendar("union", tuple(members))
    offset = draw(st.integers(-2 * DAY // granularity, DAY // granularity)) * granularity
    return cal, midnight(around) + offset


targets = st.integers(0, 3 * DAY)


@st.composite
def pause_lists(draw: st.DrawFn, start: int) -> list[tuple[int, int]]:
    pauses = []
    for _ in range(draw(st.integers(0, 4))):
        begin = start + draw(st.integers(-DAY, 4 * DAY))
        pauses.append((begin, begin + draw(st.integers(0, 2 * DAY))))
    return pauses


@PROPERTY_SETTINGS
@given(cases(), targets)
def test_business_time_to_the_due_is_the_target(case: tuple[Calendar, int], seconds: int) -> None:
    cal, start = case
    assert business_time_between(cal, start, due(cal, start, timedelta(seconds=seconds))) == seconds


@PROPERTY_SETTINGS
@given(cases(), targets, st.integers(0, 2 * DAY), st.integers(0, DAY))
def test_due_is_monotone_in_start_and_target(
    case: tuple[Calendar, int], seconds: int, later_by: int, more: int
) -> None:
    cal, start = case
    first = due(cal, start, timedelta(seconds=seconds))
    assert due(cal, start + later_by, timedelta(seconds=seconds)) >= first
    assert due(cal, start, timedelta(seconds=seconds + more)) >= first


@PROPERTY_SETTINGS
@given(cases(), targets)
def test_due_is_open_or_exactly_a_closing_instant(case: tuple[Calendar, int], seconds: int) -> None:
    cal, start = case
    result = due(cal, start, timedelta(seconds=seconds))
    if seconds == 0:
        assert is_open(cal, result)
        assert result == next_open(cal, start)
    else:
        # The last counted second is open; the due is open too unless it is a closing instant.
        assert is_open(cal, result - 1)
        assert is_open(cal, result) or next_close(cal, result - 1) == result


@PROPERTY_SETTINGS
@given(st.data(), cases(), targets)
def test_pauses_only_push_the_due_later(
    data: st.DataObject, case: tuple[Calendar, int], seconds: int
) -> None:
    cal, start = case
    pauses = data.draw(pause_lists(start))
    target = timedelta(seconds=seconds)
    paused = due_with_pauses(cal, start, target, pauses)
    assert paused >= due(cal, start, target)
    assert business_time_between(cal, start, paused, pauses) == seconds
    assert due_with_pauses(cal, start, target, []) == due(cal, start, target)


@PROPERTY_SETTINGS
@given(st.data(), cases(), targets)
def test_vectorised_equals_scalar(data: st.DataObject, case: tuple[Calendar, int], seconds: int) -> None:
    cal, start = case
    starts = [start + data.draw(st.integers(-2 * DAY, 2 * DAY)) for _ in range(6)]
    ends = [t + data.draw(st.integers(-DAY, 4 * DAY)) for t in starts]
    pauses = data.draw(pause_lists(start))
    target = timedelta(seconds=seconds)
    array = np.array(starts, np.int64)
    as_datetime64 = array.astype("datetime64[s]")

    assert due(cal, array, target).tolist() == [due(cal, t, target) for t in starts]
    assert due(cal, as_datetime64, target).view(np.int64).tolist() == [due(cal, t, target) for t in starts]
    assert due_with_pauses(cal, array, target, pauses).tolist() == [
        due_with_pauses(cal, t, target, pauses) for t in starts
    ]
    assert business_time_between(cal, array, np.array(ends, np.int64), pauses).tolist() == [
        business_time_between(cal, t0, t1, pauses) for t0, t1 in zip(starts, ends, strict=True)
    ]
    assert is_open(cal, array).tolist() == [is_open(cal, t) for t in starts]
    assert next_open(cal, array).tolist() == [next_open(cal, t) for t in starts]
    try:
        closes = [next_close(cal, t) for t in starts]
    except ValueError:  # a random union can be open all week: it never closes
        closes = None
    if closes is not None:
        assert next_close(cal, array).tolist() == closes


@PROPERTY_SETTINGS
@given(cases(), st.integers(0, 10**6))
def test_datetime_inputs_agree_with_epoch_seconds(case: tuple[Calendar, int], micros: int) -> None:
    cal, start = case
    moment = datetime.fromtimestamp(start, UTC) + timedelta(microseconds=micros)
    whole = start + micros // 10**6 + (1 if micros % 10**6 else 0)
    assert due(cal, moment, timedelta(hours=3)).timestamp() == due(cal, whole, timedelta(hours=3))


@REFERENCE_SETTINGS
@given(st.data(), cases(granularity=60), st.integers(0, 8 * 60))
def test_engine_agrees_with_brute_force(
    brute_force: type, data: st.DataObject, case: tuple[Calendar, int], minutes: int
) -> None:
    cal, start = case
    seconds = minutes * 60
    engine_due = due(cal, start, timedelta(seconds=seconds))
    window_end = min(engine_due, start + 14 * DAY) + 3600
    reference = brute_force(cal, start, window_end)

    reference_due = reference.due(start, seconds)
    if reference_due is None:  # not within two weeks for the reference either
        assert engine_due >= start + 14 * DAY
    else:
        assert engine_due == reference_due

    t0 = start + data.draw(st.integers(0, (window_end - start) // 60)) * 60
    t1 = start + data.draw(st.integers(0, (window_end - start) // 60)) * 60
    t0, t1 = min(t0, t1), max(t0, t1)
    assert business_time_between(cal, t0, t1) == reference.business_seconds(t0, t1)
    probe = start + data.draw(st.integers(0, (window_end - start) // 60 - 1)) * 60
    assert is_open(cal, probe) == reference.is_open(probe)


@pytest.mark.parametrize(("day", "zone"), [scene for scene in SCENES if "/" in scene[1]])
@pytest.mark.parametrize("opening_quarter", range(17))
def test_engine_agrees_with_brute_force_minute_by_minute_across_transitions(
    brute_force: type, day: date, zone: str, opening_quarter: int
) -> None:
    # Openings and closings swept over 00:00-05:30 local on each transition Sunday.
    opens = opening_quarter * QUARTER_HOUR
    cal = OfficeCalendar("sweep", zone, (OpenInterval(6, opens, opens + 6 * QUARTER_HOUR),))
    first, last = midnight(day) - DAY, midnight(day) + DAY
    reference = brute_force(cal, first, last)
    minutes = np.arange(first, last, 60, dtype=np.int64)
    assert is_open(cal, minutes).tolist() == [reference.is_open(int(m)) for m in minutes]
    assert business_time_between(cal, first, last) == reference.business_seconds(first, last)
