"""DST: real elapsed seconds; nonexistent wall times move forward, ambiguous ones take fold=0.

Los Angeles 2026: spring forward Sun Mar 8 02:00 PST -> 03:00 PDT (10:00Z); fall back
Sun Nov 1 02:00 PDT -> 01:00 PST (09:00Z). Lord Howe 2026: fall back Sun Apr 5
02:00 +11 -> 01:30 +10:30 (15:00Z on Apr 4); spring forward Sun Oct 4 02:00 +10:30 ->
02:30 +11 (15:30Z on Oct 3).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from policydesk.sla import (
    OfficeCalendar,
    OpenInterval,
    Target,
    business_time_between,
    due,
    is_open,
    next_close,
    next_open,
    weekly_hours,
)

HOUR = 3600
SATURDAY, SUNDAY = 5, 6


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def office(zone: str, *intervals: OpenInterval) -> OfficeCalendar:
    return OfficeCalendar("dst", zone, intervals)


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


@pytest.mark.parametrize(
    ("saturday_night_start", "shift_length"),
    [
        (utc(2026, 3, 8, 6), hours(7)),  # spring forward: 22:00 PST to 06:00 PDT
        (utc(2026, 11, 1, 5), hours(9)),  # fall back: 22:00 PDT to 06:00 PST
        (utc(2026, 6, 7, 5), hours(8)),  # an ordinary summer night
    ],
)
def test_los_angeles_overnight_shift_counts_real_elapsed_time(
    saturday_night_start: datetime, shift_length: timedelta
) -> None:
    night = office("America/Los_Angeles", *weekly_hours([SATURDAY], "22:00", "06:00"))
    window_end = saturday_night_start + timedelta(days=1)
    assert business_time_between(night, saturday_night_start, window_end) == shift_length
    assert next_close(night, saturday_night_start) == saturday_night_start + shift_length
    assert due(night, saturday_night_start, shift_length) == saturday_night_start + shift_length


def test_due_inside_the_spring_forward_night() -> None:
    night = office("America/Los_Angeles", *weekly_hours([SATURDAY], "22:00", "06:00"))
    # 22:00 PST + 6 h of real time is 05:00 PDT.
    assert due(night, utc(2026, 3, 8, 6), Target.business_hours(6)) == utc(2026, 3, 8, 12)


def test_nonexistent_opening_moves_forward_to_the_transition() -> None:
    cal = office("America/Los_Angeles", OpenInterval(SUNDAY, 2 * HOUR + 30 * 60, 5 * HOUR))
    # 02:30 does not exist on Mar 8: the office opens at 03:00 PDT = 10:00Z.
    assert next_open(cal, utc(2026, 3, 8, 8)) == utc(2026, 3, 8, 10)
    assert not is_open(cal, utc(2026, 3, 8, 9, 59))
    assert business_time_between(cal, utc(2026, 3, 8), utc(2026, 3, 9)) == hours(2)
    # An ordinary Sunday: 02:30 PDT = 09:30Z.
    assert next_open(cal, utc(2026, 3, 15, 8)) == utc(2026, 3, 15, 9, 30)


def test_nonexistent_closing_moves_forward_to_the_transition() -> None:
    cal = office("America/Los_Angeles", OpenInterval(SUNDAY, 0, 2 * HOUR + 30 * 60))
    assert next_close(cal, utc(2026, 3, 8, 8)) == utc(2026, 3, 8, 10)
    assert business_time_between(cal, utc(2026, 3, 8), utc(2026, 3, 9)) == hours(2)


def test_ambiguous_opening_takes_the_first_occurrence() -> None:
    cal = office("America/Los_Angeles", OpenInterval(SUNDAY, HOUR + 30 * 60, 4 * HOUR))
    # 01:30 happens twice on Nov 1; the first is 01:30 PDT = 08:30Z. 04:00 PST = 12:00Z.
    assert next_open(cal, utc(2026, 11, 1, 7)) == utc(2026, 11, 1, 8, 30)
    assert business_time_between(cal, utc(2026, 11, 1), utc(2026, 11, 2)) == hours(3.5)


def test_ambiguous_closing_takes_the_first_occurrence() -> None:
    cal = office("America/Los_Angeles", OpenInterval(SUNDAY, 0, HOUR + 30 * 60))
    # 00:00 PDT = 07:00Z to the first 01:30 (PDT) = 08:30Z; the second 01:00 (09:00Z) is closed.
    assert next_close(cal, utc(2026, 11, 1, 7)) == utc(2026, 11, 1, 8, 30)
    assert not is_open(cal, utc(2026, 11, 1, 9))
    assert business_time_between(cal, utc(2026, 11, 1), utc(2026, 11, 2)) == hours(1.5)


@pytest.mark.parametrize(
    ("sunday", "length"),
    [(utc(2026, 3, 8, 8), hours(23)), (utc(2026, 11, 1, 7), hours(25))],
)
def test_whole_day_opening_on_dst_days(sunday: datetime, length: timedelta) -> None:
    cal = office("America/Los_Angeles", OpenInterval(SUNDAY, 0, 24 * HOUR))
    assert next_close(cal, sunday) == sunday + length


def test_los_angeles_office_due_across_spring_forward() -> None:
    cal = office("America/Los_Angeles", *weekly_hours(range(5), "09:00", "17:00"))
    # Fri Mar 6 16:00 PST (Mar 7 00:00Z) + 2 h: 1 h Friday, 1 h Monday to 10:00 PDT.
    assert due(cal, utc(2026, 3, 7), Target.business_hours(2)) == utc(2026, 3, 9, 17)


def test_berlin_office_due_across_spring_forward() -> None:
    cal = office("Europe/Berlin", *weekly_hours(range(5), "09:00", "17:00"))
    # Fri Mar 27 16:00 CET (15:00Z) + 2 h: 1 h Friday, 1 h Monday to 10:00 CEST (08:00Z).
    assert due(cal, utc(2026, 3, 27, 15), Target.business_hours(2)) == utc(2026, 3, 30, 8)


def test_lord_howe_half_hour_shifts() -> None:
    cal = office("Australia/Lord_Howe", OpenInterval(SUNDAY, HOUR, 3 * HOUR))
    # Apr 5: 01:00 +11 (14:00Z) to 03:00 +10:30 (16:30Z): 2 h 30 min.
    assert business_time_between(cal, utc(2026, 4, 4), utc(2026, 4, 5)) == hours(2.5)
    assert next_close(cal, utc(2026, 4, 4, 14)) == utc(2026, 4, 4, 16, 30)
    # Oct 4: 01:00 +10:30 (14:30Z) to 03:00 +11 (16:00Z): 1 h 30 min.
    assert business_time_between(cal, utc(2026, 10, 3), utc(2026, 10, 4)) == hours(1.5)
    assert due(cal, utc(2026, 10, 3, 12), Target.business_hours(1.5)) == utc(2026, 10, 3, 16)


def test_lord_howe_nonexistent_and_ambiguous_openings() -> None:
    gap = office("Australia/Lord_Howe", OpenInterval(SUNDAY, 2 * HOUR + 10 * 60, 4 * HOUR))
    # 02:10 does not exist on Oct 4: opens at the transition, 02:30 +11 = 15:30Z.
    assert next_open(gap, utc(2026, 10, 3, 12)) == utc(2026, 10, 3, 15, 30)
    fold = office("Australia/Lord_Howe", OpenInterval(SUNDAY, HOUR + 45 * 60, 4 * HOUR))
    # 01:45 happens twice on Apr 5: first at +11 = 14:45Z.
    assert next_open(fold, utc(2026, 4, 4, 12)) == utc(2026, 4, 4, 14, 45)
