"""`explain` lists counted segments, skipped holidays (named) and applied pauses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from policydesk.sla import OfficeCalendar, Target, UnionCalendar, due_with_pauses, explain

PACIFIC = timezone(timedelta(hours=-8))


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def test_explain_enterprise_ticket_over_christmas_with_a_pause(us_west: OfficeCalendar) -> None:
    start = datetime(2026, 12, 24, 16, tzinfo=PACIFIC)
    pause = (datetime(2026, 12, 28, 10, tzinfo=PACIFIC), datetime(2026, 12, 28, 11, tzinfo=PACIFIC))
    explanation = explain(us_west, start, Target.business_days(1), [pause])

    assert explanation.start == utc(2026, 12, 25)
    assert explanation.due == utc(2026, 12, 29, 1)
    assert explanation.due == due_with_pauses(us_west, start, Target.business_days(1), [pause])
    assert explanation.target == "1 business day"
    assert [
        (s.calendar_id, s.local_date, s.local_start.hour, s.local_end.hour, s.seconds)
        for s in explanation.segments
    ] == [
        ("us-west", date(2026, 12, 24), 16, 17, 3600),
        ("us-west", date(2026, 12, 28), 9, 10, 3600),
        ("us-west", date(2026, 12, 28), 11, 17, 6 * 3600),
    ]
    assert explanation.segments[0].start == utc(2026, 12, 25)
    assert sum(s.seconds for s in explanation.segments) == 8 * 3600
    assert [(h.calendar_id, h.date, h.name) for h in explanation.holidays_skipped] == [
        ("us-west", date(2026, 12, 25), "Christmas Day")
    ]
    assert explanation.pauses == ((utc(2026, 12, 28, 18), utc(2026, 12, 28, 19)),)

    lines = explanation.lines()
    assert lines[0] == "Target: 1 business day on calendar us-west (8h 00m of clock time)."
    assert "Skipped Fri 2026-12-25: Christmas Day (us-west closed)." in lines
    assert "Clock paused from 2026-12-28 18:00:00 UTC to 2026-12-28 19:00:00 UTC." in lines
    assert (
        "Counted 1h 00m on Thu 2026-12-24 (us-west): 16:00:00-17:00:00 local "
        "(2026-12-25 00:00:00 UTC to 2026-12-25 01:00:00 UTC)."
    ) in lines
    assert lines[-1] == "Due at 2026-12-29 01:00:00 UTC."


def test_explain_premium_attributes_each_piece_to_an_office(premium: UnionCalendar) -> None:
    explanation = explain(premium, utc(2026, 12, 7, 1), Target.business_days(1))
    assert explanation.due == utc(2026, 12, 8, 1)
    assert [(s.calendar_id, s.local_start.hour, s.local_end.hour) for s in explanation.segments] == [
        ("singapore", 9, 17),
        ("central-europe", 10, 18),
        ("us-west", 9, 17),
    ]
    assert explanation.holidays_skipped == ()


def test_explain_lists_every_office_closed_for_a_holiday(premium: UnionCalendar) -> None:
    explanation = explain(premium, utc(2026, 12, 24, 12), Target.business_hours(24))
    assert explanation.due == utc(2026, 12, 28, 12)
    assert {(h.calendar_id, h.date, h.name) for h in explanation.holidays_skipped} == {
        ("us-west", date(2026, 12, 25), "Christmas Day"),
        ("central-europe", date(2026, 12, 25), "Christmas Day"),
        ("singapore", date(2026, 12, 25), "Christmas Day"),
    }


def test_explain_calendar_target(us_west: OfficeCalendar) -> None:
    explanation = explain(us_west, utc(2026, 12, 5, 12), Target.calendar(7200))
    assert explanation.target == "2 hours (24x7)"
    assert explanation.due == utc(2026, 12, 5, 14)
    assert [(s.start, s.end) for s in explanation.segments] == [(utc(2026, 12, 5, 12), utc(2026, 12, 5, 14))]
