"""Office calendars, holiday rules and SLA targets (C3, C8).

These are plain frozen dataclasses: hashable, so a compiled form can be cached per
calendar (see `policydesk.sla.compiled`). Nothing here does time arithmetic beyond
describing the weekly pattern.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Literal, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_package

SECONDS_PER_DAY = 86_400
SECONDS_PER_WEEK = 7 * SECONDS_PER_DAY

# Union calendars mix zones; their weekly pattern is measured at standard time on this
# date (any date works for fixed offsets; for IANA zones DST is taken off).
_REFERENCE_INSTANT = datetime(2025, 1, 15, 12, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class OpenInterval:
    """One weekly opening, in local wall-clock seconds of the day it starts on."""

    weekday: int  # local weekday the interval STARTS on: 0 = Monday ... 6 = Sunday
    start: int  # seconds after local midnight, 0 <= start < 86400
    end: int  # seconds after local midnight of that same day; start < end <= start + 86400

    def __post_init__(self) -> None:
        for name in ("weekday", "start", "end"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"OpenInterval.{name} must be an int, got {value!r}")
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"OpenInterval.weekday must be 0..6 (Monday..Sunday), got {self.weekday}")
        if not 0 <= self.start < SECONDS_PER_DAY:
            raise ValueError(f"OpenInterval.start must be in [0, 86400), got {self.start}")
        if not self.start < self.end <= self.start + SECONDS_PER_DAY:
            raise ValueError(
                f"OpenInterval.end must satisfy start < end <= start + 86400, "
                f"got start={self.start} end={self.end}"
            )


def _clock_seconds(text: str) -> int:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", text)
    if match is None:
        raise ValueError(f"expected a wall time 'HH:MM' or 'HH:MM:SS', got {text!r}")
    hours, minutes, seconds = int(match[1]), int(match[2]), int(match[3] or 0)
    if hours > 24 or minutes > 59 or seconds > 59 or (hours == 24 and (minutes or seconds)):
        raise ValueError(f"wall time out of range: {text!r}")
    return hours * 3600 + minutes * 60 + seconds


def weekly_hours(weekdays: Iterable[int], start: str, end: str) -> tuple[OpenInterval, ...]:
    """Intervals open `start`-`end` (local "HH:MM") on each of `weekdays` (0 = Monday).

    An `end` at or before `start` is an overnight shift ending on the next day;
    "00:00"-"24:00" (or "00:00"-"00:00") is the whole day.
    """
    start_seconds = _clock_seconds(start)
    end_seconds = _clock_seconds(end)
    if start_seconds == SECONDS_PER_DAY:
        raise ValueError("an opening cannot start at 24:00")
    if end_seconds <= start_seconds:
        end_seconds += SECONDS_PER_DAY
    return tuple(OpenInterval(day, start_seconds, end_seconds) for day in sorted(set(weekdays)))


@lru_cache(maxsize=4096)
def _country_holidays(country: str, subdivision: str | None, year: int) -> dict[date, str]:
    return dict(holidays_package.country_holidays(country, subdiv=subdivision, years=year).items())


@dataclass(frozen=True, slots=True)
class HolidayRule:
    """Closed local dates: a `holidays` country calendar plus extra, less removed dates."""

    country: str | None = None  # `holidays` package country code, e.g. "US", "SG", "NL"
    subdivision: str | None = None  # e.g. "CA"
    extra: frozenset[date] = frozenset()  # additional closed dates
    removed: frozenset[date] = frozenset()  # country dates that are NOT closed

    def __post_init__(self) -> None:
        if self.subdivision is not None and self.country is None:
            raise ValueError("HolidayRule.subdivision needs a country")
        if self.country is not None:
            try:
                holidays_package.country_holidays(self.country, subdiv=self.subdivision)
            except NotImplementedError as error:
                raise ValueError(
                    f"unknown holiday country/subdivision {self.country!r}/{self.subdivision!r}"
                ) from error

    def dates(self, year: int) -> frozenset[date]:
        """Closed local dates in `year`."""
        return frozenset(self.names(year))

    def names(self, year: int) -> dict[date, str]:
        """Closed local dates in `year` with their names (from `holidays`, or a generic one)."""
        named: dict[date, str] = {}
        if self.country is not None:
            named.update(_country_holidays(self.country, self.subdivision, year))
        for day in self.removed:
            named.pop(day, None)
        for day in self.extra:
            if day.year == year:
                named.setdefault(day, "Additional closed day")
        return named


@dataclass(frozen=True, slots=True)
class OfficeCalendar:
    """An office's weekly hours in one zone, less its holidays (C8)."""

    id: str
    zone: str  # IANA name or fixed offset "UTC-08:00", "UTC+05:30", "UTC"
    intervals: tuple[OpenInterval, ...]
    holidays: HolidayRule = HolidayRule()
    business_day_seconds: int | None = None  # explicit business-day length; None = derived

    def __post_init__(self) -> None:
        parse_zone(self.zone)
        if not isinstance(self.intervals, tuple):
            raise TypeError("OfficeCalendar.intervals must be a tuple of OpenInterval")
        _check_business_day_seconds(self.business_day_seconds)


@dataclass(frozen=True, slots=True)
class UnionCalendar:
    """Open whenever any member is open (the Premium 24x5 calendar of C3/C8)."""

    id: str
    members: tuple[Calendar, ...]
    business_day_seconds: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.members, tuple):
            raise TypeError("UnionCalendar.members must be a tuple of calendars")
        _check_business_day_seconds(self.business_day_seconds)


@dataclass(frozen=True, slots=True)
class AlwaysOpenCalendar:
    """Open 24x7, no holidays (C6)."""

    id: str = "24x7"


Calendar: TypeAlias = OfficeCalendar | UnionCalendar | AlwaysOpenCalendar


def _check_business_day_seconds(value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
        raise ValueError(f"business_day_seconds must be a positive int or None, got {value!r}")


_OFFSET_ZONE = re.compile(r"UTC([+-])(\d{2}):(\d{2})")


@lru_cache(maxsize=512)
def parse_zone(zone: str) -> tzinfo:
    """The tzinfo for an IANA zone name or a fixed offset ("UTC", "UTC-08:00", "UTC+05:30").

    Raises ValueError, naming the zone, when it is unknown or the offset is malformed.
    """
    if zone == "UTC":
        return UTC
    match = _OFFSET_ZONE.fullmatch(zone)
    if match is not None:
        hours, minutes = int(match[2]), int(match[3])
        if minutes >= 60 or hours * 60 + minutes > 14 * 60:
            raise ValueError(f"bad UTC offset {zone!r}: expected UTC+HH:MM within +-14:00")
        offset = timedelta(hours=hours, minutes=minutes)
        if match[1] == "-":
            offset = -offset
        return UTC if not offset else timezone(offset, zone)
    if zone.startswith(("UTC+", "UTC-", "+", "-")):
        raise ValueError(f"bad UTC offset {zone!r}: expected the form UTC+HH:MM or UTC-HH:MM")
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise ValueError(f"unknown time zone {zone!r}: expected an IANA name or UTC+HH:MM") from error


def standard_offset_seconds(zone: tzinfo) -> int:
    """The zone's UTC offset without DST, in seconds (at a fixed reference date)."""
    local = _REFERENCE_INSTANT.astimezone(zone)
    offset = local.utcoffset() or timedelta(0)
    dst = local.dst() or timedelta(0)
    return int((offset - dst).total_seconds())


def office_calendars(cal: Calendar) -> tuple[OfficeCalendar | AlwaysOpenCalendar, ...]:
    """The leaf calendars of `cal` (itself, or its union members flattened)."""
    if isinstance(cal, UnionCalendar):
        return tuple(leaf for member in cal.members for leaf in office_calendars(member))
    return (cal,)


def _weekly_utc_pieces(cal: Calendar) -> list[tuple[int, int]]:
    """Open stretches of a regular week (no holidays, standard time) in UTC week seconds."""
    pieces: list[tuple[int, int]] = []
    for leaf in office_calendars(cal):
        if isinstance(leaf, AlwaysOpenCalendar):
            return [(0, SECONDS_PER_WEEK)]
        shift = -standard_offset_seconds(parse_zone(leaf.zone))
        for interval in leaf.intervals:
            start = (interval.weekday * SECONDS_PER_DAY + interval.start + shift) % SECONDS_PER_WEEK
            end = start + (interval.end - interval.start)
            if end <= SECONDS_PER_WEEK:
                pieces.append((start, end))
            else:
                pieces.append((start, SECONDS_PER_WEEK))
                pieces.append((0, end - SECONDS_PER_WEEK))
    return pieces


def weekly_open_seconds(cal: Calendar) -> int:
    """Open seconds in a regular week, no holidays; overlaps between union members count once."""
    total = 0
    reached = 0
    for start, end in sorted(_weekly_utc_pieces(cal)):
        if end > reached:
            total += end - max(start, reached)
            reached = end
    return total


def open_weekday_count(cal: Calendar) -> int:
    """Distinct local weekdays with an opening (max over members for a union; 7 for 24x7)."""
    if isinstance(cal, AlwaysOpenCalendar):
        return 7
    if isinstance(cal, UnionCalendar):
        return max((open_weekday_count(member) for member in cal.members), default=0)
    return len({interval.weekday for interval in cal.intervals})


def regular_business_day_seconds(cal: Calendar) -> int:
    """Length of a regular business day: what "1 business day" means on `cal` (C3 Decision).

    The explicit `business_day_seconds` if set; 86400 for 24x7; otherwise the weekly open
    seconds divided by the number of distinct open weekdays (8 h for a Mon-Fri 9-17 office,
    24 h for the Premium union of the three offices). Raises ValueError for a calendar that
    is never open.
    """
    if isinstance(cal, AlwaysOpenCalendar):
        return SECONDS_PER_DAY
    if cal.business_day_seconds is not None:
        return cal.business_day_seconds
    weekdays = open_weekday_count(cal)
    if weekdays == 0:
        raise ValueError(f"calendar {cal.id!r} is never open: it has no business day")
    return round(weekly_open_seconds(cal) / weekdays)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _duration_words(seconds: float, qualifier: str) -> str:
    for unit, size in (("hour", 3600), ("minute", 60)):
        count = seconds / size
        if seconds and count.is_integer():
            return f"{_number(count)} {qualifier}{unit}{'' if count == 1 else 's'}"
    return f"{_number(seconds)} {qualifier}second{'' if seconds == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class Target:
    """An SLA target: business seconds, business days, or plain (24x7) calendar time."""

    kind: Literal["business", "business_days", "calendar"]
    amount: float  # seconds for "business" and "calendar"; number of days for "business_days"

    def __post_init__(self) -> None:
        if self.kind not in ("business", "business_days", "calendar"):
            raise ValueError(f"unknown target kind {self.kind!r}")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int | float):
            raise TypeError(f"Target.amount must be a number, got {self.amount!r}")
        if not math.isfinite(self.amount) or self.amount < 0:
            raise ValueError(f"Target.amount must be finite and >= 0, got {self.amount!r}")

    @classmethod
    def business(cls, seconds: float) -> Target:
        """A target of business seconds."""
        return cls("business", seconds)

    @classmethod
    def business_hours(cls, hours: float) -> Target:
        """A target of business hours."""
        return cls("business", hours * 3600)

    @classmethod
    def business_days(cls, days: float) -> Target:
        """A target of business days (each `regular_business_day_seconds` long, C3)."""
        return cls("business_days", days)

    @classmethod
    def calendar(cls, seconds: float) -> Target:
        """A target of elapsed seconds, ignoring the calendar (24x7, C6)."""
        return cls("calendar", seconds)

    def business_seconds(self, cal: Calendar) -> int | None:
        """Whole business seconds this target means on `cal`; None for a calendar target.

        Fractions are rounded to the nearest second (Python `round`, half to even).
        """
        if self.kind == "calendar":
            return None
        if self.kind == "business_days":
            return round(self.amount * regular_business_day_seconds(cal))
        return round(self.amount)

    def describe(self) -> str:
        """English description: "16 business hours", "2 business days", "2 hours (24x7)"."""
        if self.kind == "business_days":
            return f"{_number(self.amount)} business day{'' if self.amount == 1 else 's'}"
        if self.kind == "business":
            return _duration_words(self.amount, "business ")
        return f"{_duration_words(self.amount, '')} (24x7)"
