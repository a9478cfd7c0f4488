"""Compiled calendars: merged UTC open intervals with cumulative business seconds.

A calendar is compiled once per range of local years into sorted, disjoint,
non-touching UTC intervals `[starts[i], ends[i])` (epoch seconds, int64) and the
business seconds counted before each one (`cum_start`) and up to its end (`cum_end`).
Every query is then a binary search. Compiled calendars are cached per calendar
object and per time-zone/holiday data version, and extended on demand when a query
reaches past the compiled years.

Local wall times become UTC instants like this (see docs/sla.md):
- a wall time that does not exist (spring-forward gap) moves forward to the first
  instant that exists, the transition itself;
- an ambiguous wall time (fall back) takes its first occurrence (fold=0);
- an interval is then measured in real elapsed seconds.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import threading
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from policydesk.sla.calendars import (
    SECONDS_PER_DAY,
    AlwaysOpenCalendar,
    Calendar,
    OfficeCalendar,
    office_calendars,
    parse_zone,
    regular_business_day_seconds,
)

MIN_YEAR = 1900
MAX_YEAR = 2500

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# Margin between the compiled local years and the UTC range answered from them: an
# opening of a local date reaches at most two days past it, offsets stay within 26 h.
_MARGIN = 3 * SECONDS_PER_DAY

Int64Array = NDArray[np.int64]


def epoch_day(day: date) -> int:
    """Days since 1970-01-01 of a calendar date."""
    return day.toordinal() - _EPOCH_ORDINAL


def year_start_epoch(year: int) -> int:
    """Epoch seconds of 1 January `year`, 00:00 UTC."""
    return epoch_day(date(year, 1, 1)) * SECONDS_PER_DAY


def year_of_epoch(seconds: int) -> int:
    """The UTC year of an epoch second (clamped to the years `datetime` knows)."""
    if seconds < year_start_epoch(1):
        return 1
    if seconds >= year_start_epoch(9999):
        return 9999
    return (date(1970, 1, 1) + timedelta(days=seconds // SECONDS_PER_DAY)).year


def local_to_utc(zone: tzinfo, day: date, seconds: int) -> int:
    """Epoch seconds of local wall time `day` 00:00 + `seconds` (may pass midnight).

    A nonexistent wall time (DST gap) moves forward to the transition instant; an
    ambiguous one takes the first occurrence (fold=0).
    """
    if isinstance(zone, timezone):
        offset = zone.utcoffset(None)
        return epoch_day(day) * SECONDS_PER_DAY + seconds - int(offset.total_seconds())
    # Aware + timedelta is wall-clock arithmetic; fold stays 0 (first occurrence).
    wall = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(seconds=seconds)
    instant = int(wall.timestamp())
    back = datetime.fromtimestamp(instant, zone)
    if back == wall:  # same tzinfo: compares wall times
        return instant
    # In a gap, fold=0 used the pre-transition offset, landing `skipped` seconds past the
    # transition; the transition is the first instant with the post-transition offset.
    skipped = int((back - wall).total_seconds())
    after = back.utcoffset()
    low, high = instant - skipped, instant  # offset(low) is the old one, offset(high) the new
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high


@dataclass(frozen=True, slots=True)
class LocalOpening:
    """One opening of an office on one local date, before merging."""

    calendar: OfficeCalendar | AlwaysOpenCalendar
    local_date: date
    start: int  # epoch seconds, UTC
    end: int
    holiday: str | None  # the holiday name when the office is closed for it


def local_openings(
    leaf: OfficeCalendar | AlwaysOpenCalendar, first: date, last: date
) -> Iterator[LocalOpening]:
    """Openings starting on local dates `first`..`last`, including holiday-closed ones.

    24x7 yields one opening per UTC date. Holidays apply to the local date an opening
    starts on; an empty opening (wholly inside a DST gap) is skipped.
    """
    day = first
    if isinstance(leaf, AlwaysOpenCalendar):
        while day <= last:
            start = epoch_day(day) * SECONDS_PER_DAY
            yield LocalOpening(leaf, day, start, start + SECONDS_PER_DAY, None)
            day += timedelta(days=1)
        return
    zone = parse_zone(leaf.zone)
    names: dict[int, dict[date, str]] = {}
    while day <= last:
        if day.year not in names:
            names[day.year] = leaf.holidays.names(day.year)
        weekday = day.weekday()
        for interval in leaf.intervals:
            if interval.weekday != weekday:
                continue
            start = local_to_utc(zone, day, interval.start)
            end = local_to_utc(zone, day, interval.end)
            if end > start:
                yield LocalOpening(leaf, day, start, end, names[day.year].get(day))
        day += timedelta(days=1)


def _leaf_year_intervals(
    leaf: OfficeCalendar | AlwaysOpenCalendar, year: int
) -> tuple[Int64Array, Int64Array]:
    """Unmerged UTC openings of local dates in `year`, holidays removed."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    if isinstance(leaf, AlwaysOpenCalendar):
        start = year_start_epoch(year)
        return np.array([start], np.int64), np.array([year_start_epoch(year + 1)], np.int64)
    zone = parse_zone(leaf.zone)
    if isinstance(zone, timezone):
        # Fixed offset: plain arithmetic over all dates at once.
        offset = int(zone.utcoffset(None).total_seconds())
        days = np.arange(epoch_day(first), epoch_day(last) + 1, dtype=np.int64)
        weekdays = (days + 3) % 7  # 1970-01-01 was a Thursday
        closed = np.array(sorted(epoch_day(d) for d in leaf.holidays.dates(year)), np.int64)
        working = ~np.isin(days, closed)
        starts: list[Int64Array] = []
        ends: list[Int64Array] = []
        for interval in leaf.intervals:
            chosen = days[(weekdays == interval.weekday) & working] * SECONDS_PER_DAY - offset
            starts.append(chosen + interval.start)
            ends.append(chosen + interval.end)
        if not starts:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return np.concatenate(starts), np.concatenate(ends)
    pairs = [
        (opening.start, opening.end)
        for opening in local_openings(leaf, first, last)
        if opening.holiday is None
    ]
    if not pairs:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    array = np.array(pairs, np.int64)
    return array[:, 0].copy(), array[:, 1].copy()


def merge_intervals(starts: Int64Array, ends: Int64Array) -> tuple[Int64Array, Int64Array]:
    """Sort and merge overlapping or touching intervals; drop empty ones."""
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    if starts.size == 0:
        return starts, ends
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    reach = np.maximum.accumulate(ends)
    new_period = np.empty(starts.size, bool)
    new_period[0] = True
    new_period[1:] = starts[1:] > reach[:-1]
    first = np.flatnonzero(new_period)
    last = np.append(first[1:] - 1, starts.size - 1)
    return starts[first], reach[last]


@dataclass(frozen=True, slots=True)
class CompiledCalendar:
    """An immutable snapshot of a calendar compiled for local years first..last.

    Answers are exact for instants in [valid_from, valid_until).
    """

    calendar: Calendar
    first_year: int
    last_year: int
    valid_from: int
    valid_until: int
    starts: Int64Array
    ends: Int64Array
    cum_start: Int64Array  # business seconds before interval i
    cum_end: Int64Array  # business seconds up to the end of interval i
    starts_list: list[int]
    ends_list: list[int]
    cum_start_list: list[int]
    cum_end_list: list[int]
    business_day_seconds: int | None  # None when the calendar has no business day

    @property
    def size(self) -> int:
        """Number of merged open intervals."""
        return len(self.ends_list)


def ever_open(cal: Calendar) -> bool:
    """Whether the weekly pattern has any opening at all (holidays aside)."""
    return any(isinstance(leaf, AlwaysOpenCalendar) or leaf.intervals for leaf in office_calendars(cal))


class _Entry:
    """Per-calendar cache entry: raw openings per year and the current snapshot."""

    __slots__ = ("business_day_seconds", "calendar", "lock", "raw", "snapshot")

    def __init__(self, cal: Calendar) -> None:
        self.calendar = cal
        self.lock = threading.Lock()
        self.raw: dict[int, tuple[Int64Array, Int64Array]] = {}
        self.snapshot: CompiledCalendar | None = None
        try:
            self.business_day_seconds: int | None = regular_business_day_seconds(cal)
        except ValueError:
            self.business_day_seconds = None

    def _raw_year(self, year: int) -> tuple[Int64Array, Int64Array]:
        found = self.raw.get(year)
        if found is None:
            parts = [_leaf_year_intervals(leaf, year) for leaf in office_calendars(self.calendar)]
            found = (
                np.concatenate([p[0] for p in parts]) if parts else np.empty(0, np.int64),
                np.concatenate([p[1] for p in parts]) if parts else np.empty(0, np.int64),
            )
            self.raw[year] = found
        return found

    def compile(self, first_year: int, last_year: int) -> CompiledCalendar:
        years = range(first_year, last_year + 1)
        raw = [self._raw_year(year) for year in years]
        starts, ends = merge_intervals(
            np.concatenate([r[0] for r in raw]), np.concatenate([r[1] for r in raw])
        )
        lengths = ends - starts
        cum_end = np.cumsum(lengths, dtype=np.int64)
        cum_start = cum_end - lengths
        snapshot = CompiledCalendar(
            calendar=self.calendar,
            first_year=first_year,
            last_year=last_year,
            valid_from=year_start_epoch(first_year) + _MARGIN,
            valid_until=year_start_epoch(last_year + 1) - _MARGIN,
            starts=starts,
            ends=ends,
            cum_start=cum_start,
            cum_end=cum_end,
            starts_list=starts.tolist(),
            ends_list=ends.tolist(),
            cum_start_list=cum_start.tolist(),
            cum_end_list=cum_end.tolist(),
            business_day_seconds=self.business_day_seconds,
        )
        self.snapshot = snapshot
        return snapshot


@lru_cache(maxsize=1)
def data_version() -> str:
    """Version of the time-zone and holiday data the compiled calendars depend on."""
    tz_version = "unknown"
    for folder in zoneinfo.TZPATH:
        for name in ("+VERSION", "tzdata.zi"):
            path = Path(folder) / name
            if path.is_file():
                with path.open(encoding="utf-8") as handle:
                    tz_version = handle.readline().strip().removeprefix("# version ")
                break
        if tz_version != "unknown":
            break
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        tz_version += "/tzdata-" + importlib.metadata.version("tzdata")
    return f"tz={tz_version};holidays={importlib.metadata.version('holidays')}"


_BY_KEY: dict[tuple[Calendar, str], _Entry] = {}
# Fast path keyed by object identity; holds the calendar so its id stays unique.
_BY_ID: dict[int, tuple[Calendar, _Entry]] = {}
_BY_ID_LIMIT = 1024
_REGISTRY_LOCK = threading.Lock()


def _entry(cal: Calendar) -> _Entry:
    found = _BY_ID.get(id(cal))
    if found is not None and found[0] is cal:
        return found[1]
    key = (cal, data_version())
    with _REGISTRY_LOCK:
        entry = _BY_KEY.get(key)
        if entry is None:
            entry = _BY_KEY[key] = _Entry(cal)
        if len(_BY_ID) >= _BY_ID_LIMIT:
            _BY_ID.clear()
        _BY_ID[id(cal)] = (cal, entry)
    return entry


def clear_cache() -> None:
    """Forget every compiled calendar (e.g. after swapping time-zone data)."""
    with _REGISTRY_LOCK:
        _BY_KEY.clear()
        _BY_ID.clear()
    data_version.cache_clear()


def compiled(cal: Calendar, earliest: int, latest: int) -> CompiledCalendar:
    """A snapshot of `cal` exact for every instant in [earliest, latest] (epoch seconds).

    Raises ValueError when that needs local years outside MIN_YEAR..MAX_YEAR.
    """
    entry = _entry(cal)
    snapshot = entry.snapshot
    if snapshot is not None and snapshot.valid_from <= earliest and latest < snapshot.valid_until:
        return snapshot
    needed_first = year_of_epoch(earliest - _MARGIN)
    needed_last = year_of_epoch(latest + _MARGIN)
    if needed_first < MIN_YEAR or needed_last > MAX_YEAR:
        raise ValueError(
            f"SLA calendars work between {MIN_YEAR} and {MAX_YEAR}; "
            f"this query needs years {needed_first}..{needed_last}"
        )
    with entry.lock:
        snapshot = entry.snapshot
        if snapshot is None:
            # A little room on both sides so nearby queries hit the same snapshot.
            first, last = needed_first - 1, needed_last + 1
        else:
            if snapshot.valid_from <= earliest and latest < snapshot.valid_until:
                return snapshot
            # Grow by at least the current span so repeated extensions stay cheap overall.
            span = snapshot.last_year - snapshot.first_year + 1
            first = snapshot.first_year
            if needed_first < first:
                first = min(needed_first, first - span)
            last = snapshot.last_year
            if needed_last > last:
                last = max(needed_last, last + span)
        return entry.compile(max(first, MIN_YEAR), min(last, MAX_YEAR))


def extended(cal: Calendar, snapshot: CompiledCalendar) -> CompiledCalendar:
    """A snapshot of `cal` reaching later than `snapshot` (doubling its span).

    Raises ValueError when the calendar is already compiled through MAX_YEAR.
    """
    if snapshot.last_year >= MAX_YEAR:
        raise ValueError(
            f"calendar {cal.id!r}: no answer before the end of {MAX_YEAR} "
            "(is it never open, or never closed?)"
        )
    span = snapshot.last_year - snapshot.first_year + 1
    target_year = min(MAX_YEAR, snapshot.last_year + span)
    return compiled(cal, snapshot.valid_from, year_start_epoch(target_year + 1) - _MARGIN - 1)


def business_day_seconds_of(cal: Calendar) -> int:
    """`regular_business_day_seconds(cal)`, cached with the compiled calendar."""
    seconds = _entry(cal).business_day_seconds
    if seconds is None:
        raise ValueError(f"calendar {cal.id!r} is never open: it has no business day")
    return seconds


def epoch_to_datetime(seconds: int) -> datetime:
    """Aware UTC datetime of an epoch second."""
    return datetime.fromtimestamp(seconds, UTC)
