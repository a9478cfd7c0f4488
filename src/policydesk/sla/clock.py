"""SLA clock operations: due instants, business time between instants, pauses (C3, C6, C8).

Every operation accepts, and answers in kind:
- an aware `datetime` (answers in UTC);
- `int` epoch seconds;
- a numpy `int64` array of epoch seconds;
- a numpy `datetime64` array of UTC instants, any unit (answers `datetime64[s]`).

The engine counts whole seconds: an instant with a fraction of a second is rounded UP
to the next whole second. Naive datetimes raise ValueError.

Scalars use `bisect` on Python lists (a few microseconds a call); arrays use
`np.searchsorted` on the same compiled calendar.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TypeAlias, overload

import numpy as np
from numpy.typing import NDArray

from policydesk.sla.calendars import AlwaysOpenCalendar, Calendar, Target
from policydesk.sla.compiled import (
    CompiledCalendar,
    business_day_seconds_of,
    compiled,
    ever_open,
    extended,
)

EpochArray: TypeAlias = NDArray[np.int64]
Datetime64Array: TypeAlias = NDArray[np.datetime64]
Instant: TypeAlias = datetime | int | EpochArray | Datetime64Array
PauseInstant: TypeAlias = datetime | int
Pause: TypeAlias = tuple[PauseInstant, PauseInstant]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ALWAYS_OPEN = AlwaysOpenCalendar()


# --- input and output conversion -----------------------------------------------------


def epoch_seconds(value: datetime | int) -> int:
    """Whole epoch seconds of an aware datetime (fractions round up) or an int.

    Raises ValueError for a naive datetime.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"SLA instants must be timezone-aware; got naive {value!r}")
        delta = value - _EPOCH
        return delta.days * 86_400 + delta.seconds + (1 if delta.microseconds else 0)
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"expected an aware datetime or int epoch seconds, got {value!r}")
    return int(value)


def _epoch_array(values: NDArray[np.generic]) -> EpochArray:
    if np.issubdtype(values.dtype, np.datetime64):
        if np.isnat(values).any():
            raise ValueError("datetime64 instants must not be NaT")
        whole = values.astype("datetime64[s]")
        # Round any fraction of a second up (the cast may floor or truncate).
        behind = whole.astype(values.dtype) < values
        return whole.view(np.int64) + behind.astype(np.int64)
    if np.issubdtype(values.dtype, np.integer) and values.dtype != np.bool_:
        return values.astype(np.int64, copy=False)
    raise TypeError(f"expected an int64 or datetime64 array, got dtype {values.dtype}")


def _as_input(value: Instant) -> int | EpochArray:
    if isinstance(value, np.ndarray):
        return _epoch_array(value)
    return epoch_seconds(value)


def _as_output(template: Instant, result: int | EpochArray) -> Instant:
    if isinstance(template, np.ndarray):
        array = np.asarray(result, dtype=np.int64)
        if np.issubdtype(template.dtype, np.datetime64):
            return array.view("datetime64[s]")
        return array
    if isinstance(template, datetime):
        return datetime.fromtimestamp(int(result), UTC)
    return int(result)


def business_seconds_for(cal: Calendar, target: Target | timedelta) -> tuple[Calendar, int]:
    """The calendar to count on and the whole business seconds a target means.

    A timedelta is business time; a calendar target counts on a 24x7 calendar.
    """
    if isinstance(target, timedelta):
        if target < timedelta(0):
            raise ValueError(f"SLA targets cannot be negative, got {target!r}")
        return cal, round(target / timedelta(seconds=1))
    if target.kind == "calendar":
        return _ALWAYS_OPEN, round(target.amount)
    if target.kind == "business_days":
        return cal, round(target.amount * business_day_seconds_of(cal))
    return cal, round(target.amount)


def merge_pauses(pauses: Iterable[Pause]) -> list[tuple[int, int]]:
    """Pauses as sorted, disjoint, non-touching epoch-second intervals; empty ones dropped."""
    spans: list[tuple[int, int]] = []
    for begin, end in pauses:
        low, high = epoch_seconds(begin), epoch_seconds(end)
        if high < low:
            raise ValueError(f"a pause ends before it starts: {begin!r} .. {end!r}")
        if high > low:
            spans.append((low, high))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for low, high in spans:
        if merged and low <= merged[-1][1]:
            if high > merged[-1][1]:
                merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return merged


# --- cores on epoch seconds ------------------------------------------------------------


def _later(cal: Calendar, snapshot: CompiledCalendar) -> CompiledCalendar:
    if not ever_open(cal):
        raise ValueError(f"calendar {cal.id!r} is never open")
    return extended(cal, snapshot)


def _due_scalar(cal: Calendar, start: int, business: int) -> int:
    snapshot = compiled(cal, start, start)
    while True:
        ends = snapshot.ends_list
        i = bisect_right(ends, start)
        if i < len(ends):
            opening = snapshot.starts_list[i]
            goal = snapshot.cum_start_list[i] + business
            if start > opening:
                goal += start - opening
            cum_end = snapshot.cum_end_list
            j = bisect_left(cum_end, goal, i)
            if j < len(cum_end):
                result = ends[j] - (cum_end[j] - goal)
                if result < snapshot.valid_until:
                    return result
        snapshot = _later(cal, snapshot)


def _due_vector(cal: Calendar, start: EpochArray, business: int | EpochArray) -> EpochArray:
    if start.size == 0:
        return np.empty(start.shape, np.int64)
    snapshot = compiled(cal, int(start.min()), int(start.max()))
    while True:
        size = snapshot.size
        if size:
            i = np.searchsorted(snapshot.ends, start, side="right")
            if int(i.max()) < size:
                goal = snapshot.cum_start[i] + np.maximum(start - snapshot.starts[i], 0) + business
                j = np.maximum(np.searchsorted(snapshot.cum_end, goal, side="left"), i)
                if int(j.max()) < size:
                    result: EpochArray = snapshot.ends[j] - (snapshot.cum_end[j] - goal)
                    if int(result.max()) < snapshot.valid_until:
                        return result
        snapshot = _later(cal, snapshot)


def _cum_scalar(snapshot: CompiledCalendar, instant: int) -> int:
    i = bisect_right(snapshot.ends_list, instant)
    if i == len(snapshot.ends_list):
        return snapshot.cum_end_list[-1] if i else 0
    opening = snapshot.starts_list[i]
    return snapshot.cum_start_list[i] + (instant - opening if instant > opening else 0)


def _cum_vector(snapshot: CompiledCalendar, instant: EpochArray) -> EpochArray:
    size = snapshot.size
    if size == 0:
        return np.zeros(instant.shape, np.int64)
    i = np.searchsorted(snapshot.ends, instant, side="right")
    clipped = np.minimum(i, size - 1)
    inside = snapshot.cum_start[clipped] + np.maximum(instant - snapshot.starts[clipped], 0)
    result: EpochArray = np.where(i < size, inside, snapshot.cum_end[-1])
    return result


def _between_scalar(cal: Calendar, t0: int, t1: int, pauses: list[tuple[int, int]]) -> int:
    if t1 <= t0:
        return 0
    snapshot = compiled(cal, t0, t1)
    total = _cum_scalar(snapshot, t1) - _cum_scalar(snapshot, t0)
    for low, high in pauses:
        low, high = max(low, t0), min(high, t1)
        if high > low:
            total -= _cum_scalar(snapshot, high) - _cum_scalar(snapshot, low)
    return total


def _between_vector(
    cal: Calendar, t0: EpochArray, t1: EpochArray, pauses: list[tuple[int, int]]
) -> EpochArray:
    t0, t1 = np.broadcast_arrays(t0, t1)
    if t0.size == 0:
        return np.zeros(t0.shape, np.int64)
    t1 = np.maximum(t0, t1)
    snapshot = compiled(cal, int(t0.min()), int(t1.max()))
    total = _cum_vector(snapshot, t1) - _cum_vector(snapshot, t0)
    for low, high in pauses:
        clipped_low = np.clip(low, t0, t1)
        clipped_high = np.clip(high, t0, t1)
        total -= _cum_vector(snapshot, clipped_high) - _cum_vector(snapshot, clipped_low)
    return total


def _due_paused_scalar(cal: Calendar, start: int, business: int, pauses: list[tuple[int, int]]) -> int:
    current, remaining = start, business
    for low, high in pauses:
        if high <= current:
            continue
        if low > current:
            candidate = _due_scalar(cal, current, remaining)
            # Reached before the pause starts (a zero target must be strictly before it).
            if candidate < low or (candidate == low and remaining > 0):
                return candidate
            snapshot = compiled(cal, current, low)
            remaining -= _cum_scalar(snapshot, low) - _cum_scalar(snapshot, current)
        current = high
    return _due_scalar(cal, current, remaining)


def _due_paused_vector(
    cal: Calendar, start: EpochArray, business: int, pauses: list[tuple[int, int]]
) -> EpochArray:
    current = start.astype(np.int64, copy=True)
    remaining = np.full(start.shape, business, np.int64)
    result = np.empty(start.shape, np.int64)
    done = np.zeros(start.shape, bool)
    for low, high in pauses:
        live = ~done & (high > current)
        ahead = np.flatnonzero(live & (low > current))
        if ahead.size:
            candidate = _due_vector(cal, current[ahead], remaining[ahead])
            finished = (candidate < low) | ((candidate == low) & (remaining[ahead] > 0))
            result[ahead[finished]] = candidate[finished]
            done[ahead[finished]] = True
            going = ahead[~finished]
            if going.size:
                snapshot = compiled(cal, int(current[going].min()), low)
                low_array = np.full(going.shape, low, np.int64)
                remaining[going] -= _cum_vector(snapshot, low_array) - _cum_vector(snapshot, current[going])
        current[live & ~done] = high
    rest = np.flatnonzero(~done)
    if rest.size:
        result[rest] = _due_vector(cal, current[rest], remaining[rest])
    return result


def _next_close_scalar(cal: Calendar, instant: int) -> int:
    snapshot = compiled(cal, instant, instant)
    while True:
        i = bisect_right(snapshot.ends_list, instant)
        if i < snapshot.size and snapshot.ends_list[i] < snapshot.valid_until:
            return snapshot.ends_list[i]
        snapshot = _later(cal, snapshot)


def _next_close_vector(cal: Calendar, instant: EpochArray) -> EpochArray:
    if instant.size == 0:
        return np.empty(instant.shape, np.int64)
    snapshot = compiled(cal, int(instant.min()), int(instant.max()))
    while True:
        size = snapshot.size
        if size:
            i = np.searchsorted(snapshot.ends, instant, side="right")
            if int(i.max()) < size:
                result = snapshot.ends[i]
                if int(result.max()) < snapshot.valid_until:
                    return result
        snapshot = _later(cal, snapshot)


# --- public API ----------------------------------------------------------------------


@overload
def due(cal: Calendar, start: datetime, target: Target | timedelta) -> datetime: ...
@overload
def due(cal: Calendar, start: int, target: Target | timedelta) -> int: ...
@overload
def due(cal: Calendar, start: EpochArray, target: Target | timedelta) -> EpochArray: ...
@overload
def due(cal: Calendar, start: Datetime64Array, target: Target | timedelta) -> Datetime64Array: ...
def due(cal: Calendar, start: Instant, target: Target | timedelta) -> Instant:
    """The instant an SLA clock started at `start` reaches `target` on `cal` (C3, C8).

    A start outside hours counts from the next opening; a due landing exactly on a
    closing instant stays there; a zero target gives the next business instant (start
    itself if open). A timedelta target is business time; `Target.calendar` ignores
    the calendar. Raises ValueError for a calendar that is never open.
    """
    counted_on, business = business_seconds_for(cal, target)
    instant = _as_input(start)
    if isinstance(instant, np.ndarray):
        return _as_output(start, _due_vector(counted_on, instant, business))
    return _as_output(start, _due_scalar(counted_on, instant, business))


@overload
def due_with_pauses(
    cal: Calendar, start: datetime, target: Target | timedelta, pauses: Iterable[Pause]
) -> datetime: ...
@overload
def due_with_pauses(
    cal: Calendar, start: int, target: Target | timedelta, pauses: Iterable[Pause]
) -> int: ...
@overload
def due_with_pauses(
    cal: Calendar, start: EpochArray, target: Target | timedelta, pauses: Iterable[Pause]
) -> EpochArray: ...
@overload
def due_with_pauses(
    cal: Calendar, start: Datetime64Array, target: Target | timedelta, pauses: Iterable[Pause]
) -> Datetime64Array: ...
def due_with_pauses(
    cal: Calendar, start: Instant, target: Target | timedelta, pauses: Iterable[Pause]
) -> Instant:
    """The due when the clock did not run during `pauses` (e.g. waiting on the customer).

    Pauses are merged (overlapping or touching ones become one); they only ever push
    the due later or leave it. With a calendar target the clock runs 24x7 except in
    pauses. With arrays, the same pauses apply to every start.
    """
    counted_on, business = business_seconds_for(cal, target)
    spans = merge_pauses(pauses)
    instant = _as_input(start)
    if isinstance(instant, np.ndarray):
        return _as_output(start, _due_paused_vector(counted_on, instant, business, spans))
    return _as_output(start, _due_paused_scalar(counted_on, instant, business, spans))


@overload
def business_time_between(
    cal: Calendar, t0: datetime, t1: datetime, pauses: Iterable[Pause] = ()
) -> timedelta: ...
@overload
def business_time_between(cal: Calendar, t0: int, t1: int, pauses: Iterable[Pause] = ()) -> int: ...
@overload
def business_time_between(
    cal: Calendar,
    t0: EpochArray | Datetime64Array,
    t1: Instant,
    pauses: Iterable[Pause] = (),
) -> EpochArray: ...
@overload
def business_time_between(
    cal: Calendar,
    t0: Instant,
    t1: EpochArray | Datetime64Array,
    pauses: Iterable[Pause] = (),
) -> EpochArray: ...
def business_time_between(
    cal: Calendar, t0: Instant, t1: Instant, pauses: Iterable[Pause] = ()
) -> timedelta | int | EpochArray:
    """Business time on `cal` from `t0` to `t1`, less `pauses`; 0 when t1 <= t0.

    Two datetimes give a timedelta, two ints give int seconds, and any array gives an
    int64 array of seconds (broadcast against a scalar).
    """
    spans = merge_pauses(pauses)
    low, high = _as_input(t0), _as_input(t1)
    if isinstance(low, np.ndarray) or isinstance(high, np.ndarray):
        return _between_vector(cal, np.asarray(low, np.int64), np.asarray(high, np.int64), spans)
    seconds = _between_scalar(cal, low, high, spans)
    if isinstance(t0, datetime) and isinstance(t1, datetime):
        return timedelta(seconds=seconds)
    return seconds


@overload
def is_open(cal: Calendar, t: datetime | int) -> bool: ...
@overload
def is_open(cal: Calendar, t: EpochArray | Datetime64Array) -> NDArray[np.bool_]: ...
def is_open(cal: Calendar, t: Instant) -> bool | NDArray[np.bool_]:
    """Whether `cal` is open at `t` (openings are half-open: the closing instant is closed)."""
    instant = _as_input(t)
    if isinstance(instant, np.ndarray):
        if instant.size == 0:
            return np.zeros(instant.shape, bool)
        snapshot = compiled(cal, int(instant.min()), int(instant.max()))
        if snapshot.size == 0:
            return np.zeros(instant.shape, bool)
        found = np.minimum(np.searchsorted(snapshot.ends, instant, side="right"), snapshot.size - 1)
        opened: NDArray[np.bool_] = (snapshot.starts[found] <= instant) & (instant < snapshot.ends[found])
        return opened
    snapshot = compiled(cal, instant, instant)
    i = bisect_right(snapshot.ends_list, instant)
    return i < snapshot.size and snapshot.starts_list[i] <= instant


@overload
def next_open(cal: Calendar, t: datetime) -> datetime: ...
@overload
def next_open(cal: Calendar, t: int) -> int: ...
@overload
def next_open(cal: Calendar, t: EpochArray) -> EpochArray: ...
@overload
def next_open(cal: Calendar, t: Datetime64Array) -> Datetime64Array: ...
def next_open(cal: Calendar, t: Instant) -> Instant:
    """`t` itself if `cal` is open then, else the next opening. ValueError if never open."""
    instant = _as_input(t)
    if isinstance(instant, np.ndarray):
        return _as_output(t, _due_vector(cal, instant, 0))
    return _as_output(t, _due_scalar(cal, instant, 0))


@overload
def next_close(cal: Calendar, t: datetime) -> datetime: ...
@overload
def next_close(cal: Calendar, t: int) -> int: ...
@overload
def next_close(cal: Calendar, t: EpochArray) -> EpochArray: ...
@overload
def next_close(cal: Calendar, t: Datetime64Array) -> Datetime64Array: ...
def next_close(cal: Calendar, t: Instant) -> Instant:
    """End of the open period containing `t`, or of the next one if closed at `t`.

    Touching or overlapping openings (an overnight shift, union members) are one
    period. Raises ValueError if the calendar never opens, or never closes, before
    the end of the supported years.
    """
    instant = _as_input(t)
    if isinstance(instant, np.ndarray):
        return _as_output(t, _next_close_vector(cal, instant))
    return _as_output(t, _next_close_scalar(cal, instant))
