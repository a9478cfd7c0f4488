"""Explain a due instant: which openings were counted, which holidays skipped, which pauses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from policydesk.sla.calendars import (
    AlwaysOpenCalendar,
    Calendar,
    OfficeCalendar,
    Target,
    office_calendars,
    parse_zone,
)
from policydesk.sla.clock import (
    Pause,
    business_seconds_for,
    due_with_pauses,
    epoch_seconds,
    merge_pauses,
)
from policydesk.sla.compiled import LocalOpening, compiled, local_openings


@dataclass(frozen=True, slots=True)
class Segment:
    """One counted piece of business time, within one office opening."""

    calendar_id: str  # the office whose opening this piece lies in
    local_date: date  # the local date that opening starts on
    start: datetime  # UTC
    end: datetime  # UTC
    local_start: datetime  # in the office's zone
    local_end: datetime
    seconds: int


@dataclass(frozen=True, slots=True)
class SkippedHoliday:
    """An opening an office did not have because of a holiday, between start and due."""

    calendar_id: str
    date: date
    name: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a due instant is what it is; `lines()` says it in sentences."""

    calendar_id: str
    start: datetime  # UTC, whole seconds
    due: datetime  # UTC
    target: str  # Target.describe()
    business_seconds: int  # seconds counted (24x7 seconds for a calendar target)
    segments: tuple[Segment, ...]
    holidays_skipped: tuple[SkippedHoliday, ...]
    pauses: tuple[tuple[datetime, datetime], ...]  # merged pauses overlapping [start, due]

    def lines(self) -> list[str]:
        """Human sentences, one fact each, in order."""
        out = [
            f"Target: {self.target} on calendar {self.calendar_id} "
            f"({_hours_minutes(self.business_seconds)} of clock time).",
            f"Clock started at {_utc(self.start)}.",
        ]
        for segment in self.segments:
            out.append(
                f"Counted {_hours_minutes(segment.seconds)} on "
                f"{segment.local_date:%a %Y-%m-%d} ({segment.calendar_id}): "
                f"{segment.local_start:%H:%M:%S}-{segment.local_end:%H:%M:%S} local "
                f"({_utc(segment.start)} to {_utc(segment.end)})."
            )
        for holiday in self.holidays_skipped:
            out.append(f"Skipped {holiday.date:%a %Y-%m-%d}: {holiday.name} ({holiday.calendar_id} closed).")
        for begin, end in self.pauses:
            out.append(f"Clock paused from {_utc(begin)} to {_utc(end)}.")
        out.append(f"Due at {_utc(self.due)}.")
        return out


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _hours_minutes(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{hours}h {minutes:02d}m"
    return text + (f" {seconds:02d}s" if seconds else "")


def _subtract(pieces: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    result: list[tuple[int, int]] = []
    for low, high in pieces:
        cursor = low
        for hole_low, hole_high in holes:
            if hole_high <= cursor or hole_low >= high:
                continue
            if hole_low > cursor:
                result.append((cursor, hole_low))
            cursor = max(cursor, hole_high)
        if cursor < high:
            result.append((cursor, high))
    return result


def _zone(leaf: OfficeCalendar | AlwaysOpenCalendar) -> tzinfo:
    return UTC if isinstance(leaf, AlwaysOpenCalendar) else parse_zone(leaf.zone)


def explain(
    cal: Calendar,
    start: datetime | int,
    target: Target | timedelta,
    pauses: Iterable[Pause] = (),
) -> Explanation:
    """Explain `due_with_pauses(cal, start, target, pauses)` piece by piece.

    Segments are the counted pieces, each inside one office opening (for a union, the
    member that opened earliest among those open); holidays are those that closed an
    opening between the start and the due, named by the `holidays` package.
    """
    counted_on, business = business_seconds_for(cal, target)
    begin = epoch_seconds(start)
    spans = merge_pauses(pauses)
    finish = epoch_seconds(due_with_pauses(cal, begin, target, spans))
    snapshot = compiled(counted_on, begin, finish)

    # Counted pieces: merged openings within [begin, finish], less the pauses.
    pieces: list[tuple[int, int]] = []
    for low, high in zip(snapshot.starts_list, snapshot.ends_list, strict=True):
        if high <= begin:
            continue
        if low >= finish:
            break
        pieces.append((max(low, begin), min(high, finish)))
    pieces = _subtract(pieces, spans)

    # Raw openings of each office around the window, to name each piece and holiday.
    first_day = datetime.fromtimestamp(begin, UTC).date() - timedelta(days=2)
    last_day = datetime.fromtimestamp(finish, UTC).date() + timedelta(days=2)
    openings: list[LocalOpening] = [
        opening
        for leaf in office_calendars(counted_on)
        for opening in local_openings(leaf, first_day, last_day)
    ]
    working = sorted((o for o in openings if o.holiday is None), key=lambda o: o.start)

    segments: list[Segment] = []
    for low, high in pieces:
        cursor = low
        while cursor < high:
            covering = next((o for o in working if o.start <= cursor < o.end), None)
            if covering is None:  # pragma: no cover - merged openings come from these
                raise AssertionError("counted time outside every opening")
            stop = min(high, covering.end)
            zone = _zone(covering.calendar)
            segments.append(
                Segment(
                    calendar_id=covering.calendar.id,
                    local_date=covering.local_date,
                    start=datetime.fromtimestamp(cursor, UTC),
                    end=datetime.fromtimestamp(stop, UTC),
                    local_start=datetime.fromtimestamp(cursor, zone),
                    local_end=datetime.fromtimestamp(stop, zone),
                    seconds=stop - cursor,
                )
            )
            cursor = stop

    skipped: dict[tuple[str, date], SkippedHoliday] = {}
    for opening in sorted(openings, key=lambda o: (o.local_date, o.start)):
        if opening.holiday is not None and opening.end > begin and opening.start < finish:
            key = (opening.calendar.id, opening.local_date)
            skipped.setdefault(key, SkippedHoliday(opening.calendar.id, opening.local_date, opening.holiday))

    applied = tuple(
        (datetime.fromtimestamp(low, UTC), datetime.fromtimestamp(high, UTC))
        for low, high in spans
        if high > begin and low < finish
    )
    description = target.describe() if isinstance(target, Target) else (Target.business(business).describe())
    return Explanation(
        calendar_id=cal.id,
        start=datetime.fromtimestamp(begin, UTC),
        due=datetime.fromtimestamp(finish, UTC),
        target=description,
        business_seconds=business,
        segments=tuple(segments),
        holidays_skipped=tuple(skipped.values()),
        pauses=applied,
    )
