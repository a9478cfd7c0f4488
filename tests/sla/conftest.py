"""Shared SLA test calendars (C8) and a brute-force reference clock.

The reference is deliberately naive and independent of the engine: it walks UTC
minutes, asks zoneinfo for each minute's local wall time and decides open/closed from
the weekly pattern. A wall time W is taken to have been reached at the first instant
the local clock has shown W or later; that single rule gives both DST conventions
(a nonexistent wall time is reached at the transition, an ambiguous one at its first
occurrence). It is only exact for minute-aligned calendars, zones and instants.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest

from policydesk.sla import (
    AlwaysOpenCalendar,
    Calendar,
    HolidayRule,
    OfficeCalendar,
    UnionCalendar,
    parse_zone,
    weekly_hours,
)

MONDAY_TO_FRIDAY = range(5)


def c8_offices() -> tuple[OfficeCalendar, OfficeCalendar, OfficeCalendar]:
    """The three C8 offices with their fixed offsets and holiday calendars (C8 Decisions)."""
    us_west = OfficeCalendar(
        "us-west", "UTC-08:00", weekly_hours(MONDAY_TO_FRIDAY, "09:00", "17:00"), HolidayRule("US")
    )
    central_europe = OfficeCalendar(
        "central-europe",
        "UTC+01:00",
        weekly_hours(MONDAY_TO_FRIDAY, "10:00", "18:00"),
        HolidayRule("NL"),
    )
    singapore = OfficeCalendar(
        "singapore",
        "UTC+08:00",
        weekly_hours(MONDAY_TO_FRIDAY, "09:00", "17:00"),
        HolidayRule("SG"),
    )
    return us_west, central_europe, singapore


@pytest.fixture(scope="session")
def us_west() -> OfficeCalendar:
    return c8_offices()[0]


@pytest.fixture(scope="session")
def central_europe() -> OfficeCalendar:
    return c8_offices()[1]


@pytest.fixture(scope="session")
def singapore() -> OfficeCalendar:
    return c8_offices()[2]


@pytest.fixture(scope="session")
def premium() -> UnionCalendar:
    return UnionCalendar("premium", c8_offices())


class BruteForce:
    """Minute-by-minute reference clock over a window of UTC minutes.

    Exact only for minute-aligned calendars, zone offsets and instants.
    """

    def __init__(self, cal: Calendar, t_from: int, t_to: int) -> None:
        self.first = t_from // 60
        self.last = -(-t_to // 60)
        self.open = [False] * (self.last - self.first)
        for leaf in _leaves(cal):
            self._mark(leaf)

    def _mark(self, leaf: OfficeCalendar | AlwaysOpenCalendar) -> None:
        if isinstance(leaf, AlwaysOpenCalendar):
            self.open = [True] * len(self.open)
            return
        zone = parse_zone(leaf.zone)
        closed: dict[int, frozenset[date]] = {}
        reached: datetime | None = None
        # Start 4 h early so the running maximum of the wall clock has seen any fold.
        for minute in range(self.first - 240, self.last):
            shown = datetime.fromtimestamp(minute * 60, zone).replace(tzinfo=None)
            if reached is None or shown > reached:
                reached = shown
            if minute < self.first:
                continue
            for days_back in (0, 1):
                day = reached.date() - timedelta(days=days_back)
                if day.year not in closed:
                    closed[day.year] = leaf.holidays.dates(day.year)
                if day in closed[day.year]:
                    continue
                midnight = datetime(day.year, day.month, day.day)  # noqa: DTZ001 - local wall time
                since = (reached - midnight).total_seconds()
                if any(iv.weekday == day.weekday() and iv.start <= since < iv.end for iv in leaf.intervals):
                    self.open[minute - self.first] = True
                    break

    def is_open(self, instant: int) -> bool:
        """Whether the calendar is open during the minute containing `instant`."""
        return self.open[instant // 60 - self.first]

    def business_seconds(self, t0: int, t1: int) -> int:
        """Business seconds in [t0, t1) (both minute-aligned, inside the window)."""
        return 60 * sum(self.open[t0 // 60 - self.first : t1 // 60 - self.first])

    def due(self, start: int, seconds: int) -> int | None:
        """The due for a minute-aligned start and target; None if beyond the window."""
        needed = seconds // 60
        for index in range(start // 60 - self.first, len(self.open)):
            if self.open[index]:
                if needed == 0:
                    return (self.first + index) * 60
                needed -= 1
                if needed == 0:
                    return (self.first + index + 1) * 60
        return None


def _leaves(cal: Calendar) -> Iterator[OfficeCalendar | AlwaysOpenCalendar]:
    if isinstance(cal, UnionCalendar):
        for member in cal.members:
            yield from _leaves(member)
    else:
        yield cal


@pytest.fixture(scope="session")
def brute_force() -> type[BruteForce]:
    """The brute-force reference clock class: BruteForce(cal, t_from, t_to)."""
    return BruteForce
