"""Due instants with literal expectations: the C8 offices, conventions, input types (C3, C8)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pytest

from policydesk.sla import (
    AlwaysOpenCalendar,
    HolidayRule,
    OfficeCalendar,
    OpenInterval,
    Target,
    UnionCalendar,
    business_time_between,
    due,
    due_with_pauses,
    is_open,
    next_close,
    next_open,
    parse_zone,
    regular_business_day_seconds,
    weekly_hours,
)

PACIFIC = timezone(timedelta(hours=-8))  # C8: US West is UTC-8


def pacific(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=PACIFIC)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


# --- the pinned C3/C8 examples the triage depends on ----------------------------------


def test_growth_two_business_days_on_us_west(us_west: OfficeCalendar) -> None:
    # Tue 10:00 local: 7 h left on Tuesday, 8 h Wednesday, 1 h Thursday.
    assert due(us_west, pacific(2026, 12, 1, 10), Target.business_days(2)) == utc(2026, 12, 3, 18)


def test_premium_one_business_day_runs_over_the_weekend(premium: UnionCalendar) -> None:
    # Open until Sat 01:00 UTC (2 h), then from Mon 01:00 UTC (22 h).
    assert due(premium, utc(2026, 12, 4, 23), Target.business_days(1)) == utc(2026, 12, 7, 23)


def test_enterprise_one_business_day_skips_christmas(us_west: OfficeCalendar) -> None:
    # 1 h on Thu Dec 24, Fri Dec 25 is a US holiday, 7 h on Mon Dec 28 until 16:00 local.
    assert due(us_west, pacific(2026, 12, 24, 16), Target.business_days(1)) == utc(2026, 12, 29)


def test_premium_christmas_closes_all_three_offices(premium: UnionCalendar) -> None:
    # Thu 12:00Z to Fri 01:00Z is 13 h; Dec 25 is a holiday in US, NL and SG; 11 h Monday.
    assert due(premium, utc(2026, 12, 24, 12), Target.business_hours(24)) == utc(2026, 12, 28, 12)


def test_premium_opens_late_when_only_singapore_is_on_holiday(premium: UnionCalendar) -> None:
    # Mon 2026-08-10 is National Day (observed) in Singapore: Central Europe opens at 09:00Z.
    assert next_open(premium, utc(2026, 8, 8, 2)) == utc(2026, 8, 10, 9)


def test_regular_business_day_lengths(us_west: OfficeCalendar, premium: UnionCalendar) -> None:
    assert regular_business_day_seconds(us_west) == 8 * 3600
    assert regular_business_day_seconds(premium) == 24 * 3600
    assert regular_business_day_seconds(AlwaysOpenCalendar()) == 86_400
    twin = UnionCalendar("twin", (us_west, us_west))
    assert regular_business_day_seconds(twin) == 8 * 3600  # overlaps count once
    explicit = OfficeCalendar("x", "UTC", weekly_hours(range(5), "09:00", "17:00"), HolidayRule(), 7200)
    assert regular_business_day_seconds(explicit) == 7200
    uneven = OfficeCalendar("uneven", "UTC", (OpenInterval(0, 0, 8 * 3600), OpenInterval(5, 0, 4 * 3600)))
    assert regular_business_day_seconds(uneven) == 6 * 3600  # 12 h over 2 weekdays


# --- conventions ------------------------------------------------------------------------


def test_due_on_a_closing_time_stays_at_the_closing_time(us_west: OfficeCalendar) -> None:
    assert due(us_west, pacific(2026, 12, 1, 9), Target.business_hours(8)) == utc(2026, 12, 2, 1)


def test_start_outside_hours_counts_from_next_opening(us_west: OfficeCalendar) -> None:
    saturday_noon = pacific(2026, 12, 5, 12)
    assert due(us_west, saturday_noon, Target.business_hours(1)) == utc(2026, 12, 7, 18)


def test_start_at_a_closing_instant_counts_from_next_opening(us_west: OfficeCalendar) -> None:
    assert due(us_west, pacific(2026, 12, 1, 17), Target.business_hours(1)) == utc(2026, 12, 2, 18)


def test_zero_target_is_the_next_business_instant(us_west: OfficeCalendar) -> None:
    assert due(us_west, pacific(2026, 12, 1, 11, 5), Target.business(0)) == utc(2026, 12, 1, 19, 5)
    assert due(us_west, pacific(2026, 12, 1, 8), Target.business(0)) == utc(2026, 12, 1, 17)
    assert due(us_west, pacific(2026, 12, 1, 17), timedelta(0)) == utc(2026, 12, 2, 17)


def test_fractional_seconds_round_up(us_west: OfficeCalendar) -> None:
    start = pacific(2026, 12, 1, 10, 0, 0, 1)
    assert due(us_west, start, Target.business(1)) == utc(2026, 12, 1, 18, 0, 2)


def test_timedelta_target_is_business_time(us_west: OfficeCalendar) -> None:
    assert due(us_west, pacific(2026, 12, 1, 10), timedelta(hours=16)) == utc(2026, 12, 3, 18)


def test_calendar_target_ignores_the_calendar(us_west: OfficeCalendar) -> None:
    assert due(us_west, utc(2026, 12, 5, 12), Target.calendar(7200)) == utc(2026, 12, 5, 14)


def test_thanksgiving_is_skipped(us_west: OfficeCalendar) -> None:
    wednesday = pacific(2026, 11, 25, 16)
    assert due(us_west, wednesday, Target.business_hours(2)) == utc(2026, 11, 27, 18)


def test_removed_holiday_is_a_working_day(us_west: OfficeCalendar) -> None:
    working_christmas = OfficeCalendar(
        "us-west",
        "UTC-08:00",
        us_west.intervals,
        HolidayRule("US", removed=frozenset({date(2026, 12, 25)})),
    )
    start = pacific(2026, 12, 24, 16)
    assert due(working_christmas, start, Target.business_days(1)) == utc(2026, 12, 26)


def test_holiday_applies_to_the_date_an_overnight_shift_starts_on() -> None:
    night = OfficeCalendar(
        "night",
        "UTC",
        weekly_hours(range(5), "22:00", "06:00"),
        HolidayRule(extra=frozenset({date(2026, 12, 25)})),
    )
    # Thursday's shift runs into the Friday holiday and stays open.
    assert business_time_between(night, utc(2026, 12, 24, 22), utc(2026, 12, 25, 6)) == timedelta(hours=8)
    # Friday's shift starts on the holiday: closed.
    assert not is_open(night, utc(2026, 12, 25, 23))
    assert next_open(night, utc(2026, 12, 25, 7)) == utc(2026, 12, 28, 22)


def test_far_future_query_extends_the_compiled_years(us_west: OfficeCalendar) -> None:
    # 2100-06-01 is a Tuesday: 7 h that day, 1 h on Wednesday.
    assert due(us_west, pacific(2100, 6, 1, 10), Target.business_days(1)) == utc(2100, 6, 2, 18)
    assert due(us_west, pacific(2026, 12, 1, 10), Target.business_days(2)) == utc(2026, 12, 3, 18)


def test_query_beyond_supported_years_raises(us_west: OfficeCalendar) -> None:
    with pytest.raises(ValueError, match="2500"):
        due(us_west, utc(2600, 1, 1), Target.business_days(1))


# --- input and output types ---------------------------------------------------------------


def test_int_epoch_seconds_in_give_int_out(us_west: OfficeCalendar) -> None:
    start = int(pacific(2026, 12, 1, 10).timestamp())
    result = due(us_west, start, Target.business_days(2))
    assert type(result) is int
    assert result == int(utc(2026, 12, 3, 18).timestamp())


def test_int64_array_in_gives_int64_array_out(us_west: OfficeCalendar) -> None:
    starts = np.array([pacific(2026, 12, 1, 10).timestamp(), pacific(2026, 12, 24, 16).timestamp()], np.int64)
    result = due(us_west, starts, Target.business_days(1))
    assert result.dtype == np.int64
    assert result.tolist() == [
        int(utc(2026, 12, 2, 18).timestamp()),
        int(utc(2026, 12, 29).timestamp()),
    ]


def test_datetime64_array_in_gives_datetime64_seconds_out(us_west: OfficeCalendar) -> None:
    starts = np.array(["2026-12-01T18:00:00.250", "2026-12-05T00:00:00.000"], "datetime64[ms]")
    result = due(us_west, starts, Target.business_hours(1))
    assert result.dtype == np.dtype("datetime64[s]")
    # The first start rounds up to 18:00:01.
    # The second is Friday 16:00 local: the hour ends exactly at Friday's closing time.
    expected = np.array(["2026-12-01T19:00:01", "2026-12-05T01:00:00"], "datetime64[s]")
    assert (result == expected).all()


def test_datetime_results_are_utc(us_west: OfficeCalendar) -> None:
    assert due(us_west, pacific(2026, 12, 1, 10), Target.business(60)).tzinfo is UTC


def test_naive_datetimes_are_rejected(us_west: OfficeCalendar) -> None:
    naive = datetime(2026, 12, 1, 10)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="timezone-aware"):
        due(us_west, naive, Target.business_days(1))
    with pytest.raises(ValueError, match="timezone-aware"):
        business_time_between(us_west, naive, utc(2026, 12, 2))
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(us_west, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        due_with_pauses(us_west, utc(2026, 12, 1), Target.business(60), [(naive, utc(2026, 12, 2))])


def test_nat_is_rejected(us_west: OfficeCalendar) -> None:
    with pytest.raises(ValueError, match="NaT"):
        due(us_west, np.array(["NaT"], "datetime64[s]"), Target.business(60))


# --- never-open and always-open calendars ---------------------------------------------------


def test_never_open_calendar_raises_instead_of_hanging() -> None:
    nobody = OfficeCalendar("nobody", "America/Los_Angeles", ())
    with pytest.raises(ValueError, match="never open"):
        due(nobody, utc(2026, 1, 1), Target.business_hours(1))
    with pytest.raises(ValueError, match="never open"):
        next_open(nobody, utc(2026, 1, 1))
    with pytest.raises(ValueError, match="never open"):
        due(UnionCalendar("empty", (nobody,)), utc(2026, 1, 1), Target.business_days(1))
    with pytest.raises(ValueError, match="never open"):
        regular_business_day_seconds(nobody)
    assert business_time_between(nobody, utc(2026, 1, 1), utc(2026, 2, 1)) == timedelta(0)
    assert not is_open(nobody, utc(2026, 1, 1))


def test_always_open_calendar() -> None:
    always = AlwaysOpenCalendar()
    assert due(always, utc(2026, 12, 25, 3), Target.business_days(1)) == utc(2026, 12, 26, 3)
    assert is_open(always, utc(2026, 12, 25, 3))
    with pytest.raises(ValueError, match="never closed"):
        next_close(always, utc(2026, 12, 25, 3))


# --- is_open / next_open / next_close -------------------------------------------------------


def test_openings_are_half_open(us_west: OfficeCalendar) -> None:
    assert is_open(us_west, pacific(2026, 12, 1, 9))
    assert is_open(us_west, pacific(2026, 12, 1, 16, 59, 59))
    assert not is_open(us_west, pacific(2026, 12, 1, 17))
    assert not is_open(us_west, pacific(2026, 12, 25, 12))  # Christmas


def test_next_open_and_next_close(us_west: OfficeCalendar) -> None:
    assert next_open(us_west, pacific(2026, 12, 1, 12)) == utc(2026, 12, 1, 20)
    assert next_open(us_west, pacific(2026, 12, 4, 17)) == utc(2026, 12, 7, 17)
    assert next_close(us_west, pacific(2026, 12, 1, 12)) == utc(2026, 12, 2, 1)
    # At a closing instant the calendar is closed: the next period's end.
    assert next_close(us_west, pacific(2026, 12, 1, 17)) == utc(2026, 12, 3, 1)


def test_next_close_merges_touching_openings() -> None:
    shifts = OfficeCalendar(
        "shifts", "UTC", (OpenInterval(0, 22 * 3600, 30 * 3600), OpenInterval(1, 6 * 3600, 10 * 3600))
    )
    monday = utc(2026, 11, 30, 23)
    assert next_close(shifts, monday) == utc(2026, 12, 1, 10)


def test_premium_is_one_open_period_from_monday_to_saturday(premium: UnionCalendar) -> None:
    assert next_close(premium, utc(2026, 11, 30, 2)) == utc(2026, 12, 5, 1)
    assert business_time_between(premium, utc(2026, 11, 28), utc(2026, 12, 5)) == timedelta(hours=120)


# --- business time and pauses ------------------------------------------------------------


def test_business_time_between(us_west: OfficeCalendar) -> None:
    assert business_time_between(us_west, pacific(2026, 12, 1, 10), pacific(2026, 12, 3, 11)) == timedelta(
        hours=7 + 8 + 2
    )
    assert business_time_between(us_west, pacific(2026, 12, 3), pacific(2026, 12, 1)) == timedelta(0)
    t0, t1 = int(pacific(2026, 12, 1, 10).timestamp()), int(pacific(2026, 12, 1, 12).timestamp())
    assert business_time_between(us_west, t0, t1) == 7200


def test_business_time_between_merges_and_removes_pauses(us_west: OfficeCalendar) -> None:
    pauses = [
        (pacific(2026, 12, 1, 11), pacific(2026, 12, 1, 12)),
        (pacific(2026, 12, 1, 11, 30), pacific(2026, 12, 1, 12, 30)),  # overlaps the first
        (pacific(2026, 12, 1, 12, 30), pacific(2026, 12, 1, 13)),  # touches the second
        (pacific(2026, 12, 1, 20), pacific(2026, 12, 2, 8)),  # outside hours: no effect
    ]
    result = business_time_between(us_west, pacific(2026, 12, 1, 10), pacific(2026, 12, 1, 17), pauses)
    assert result == timedelta(hours=5)


def test_business_time_between_broadcasts_arrays(us_west: OfficeCalendar) -> None:
    starts = np.array(["2026-12-01T18:00", "2026-12-01T23:00"], "datetime64[s]")
    end = np.datetime64("2026-12-02T01:00", "s")
    assert business_time_between(us_west, starts, np.array([end])).tolist() == [7 * 3600, 2 * 3600]


def test_pause_during_hours_pushes_the_due(us_west: OfficeCalendar) -> None:
    start = pacific(2026, 12, 1, 10)
    pauses = [(pacific(2026, 12, 1, 10, 30), pacific(2026, 12, 1, 11, 30))]
    assert due_with_pauses(us_west, start, Target.business_hours(2), pauses) == utc(2026, 12, 1, 21)


def test_pause_covering_the_start_delays_the_clock(us_west: OfficeCalendar) -> None:
    start = pacific(2026, 12, 1, 10)
    pauses = [(pacific(2026, 12, 1, 9, 30), pacific(2026, 12, 1, 10, 30))]
    assert due_with_pauses(us_west, start, Target.business_hours(2), pauses) == utc(2026, 12, 1, 20, 30)


def test_pause_outside_hours_changes_nothing(us_west: OfficeCalendar) -> None:
    start = pacific(2026, 12, 1, 10)
    pauses = [(pacific(2026, 12, 1, 18), pacific(2026, 12, 2, 8))]
    assert due_with_pauses(us_west, start, Target.business_days(2), pauses) == utc(2026, 12, 3, 18)


def test_pause_that_runs_past_the_due_holds_the_clock(us_west: OfficeCalendar) -> None:
    start = pacific(2026, 12, 1, 10)
    pauses = [(pacific(2026, 12, 1, 10, 30), pacific(2026, 12, 2, 12))]
    # 30 min before the pause, 1 h 30 min after it on Wednesday.
    assert due_with_pauses(us_west, start, Target.business_hours(2), pauses) == utc(2026, 12, 2, 21, 30)


def test_calendar_target_pauses_count_24x7(us_west: OfficeCalendar) -> None:
    pauses = [(utc(2026, 12, 5, 13), utc(2026, 12, 5, 14))]
    assert due_with_pauses(us_west, utc(2026, 12, 5, 12), Target.calendar(7200), pauses) == utc(
        2026, 12, 5, 15
    )


def test_pause_ending_before_it_starts_is_rejected(us_west: OfficeCalendar) -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        business_time_between(
            us_west, utc(2026, 12, 1), utc(2026, 12, 2), [(utc(2026, 12, 1, 5), utc(2026, 12, 1, 4))]
        )


# --- calendar and target definitions -----------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "offset"),
    [
        ("UTC", timedelta(0)),
        ("UTC-08:00", timedelta(hours=-8)),
        ("UTC+08:00", timedelta(hours=8)),
        ("UTC+05:30", timedelta(hours=5, minutes=30)),
    ],
)
def test_fixed_offset_zones(zone: str, offset: timedelta) -> None:
    assert parse_zone(zone).utcoffset(None) == offset


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "UTC+8", "UTC+25:00", "+08:00", "America", ""])
def test_bad_zones_raise_value_error(zone: str) -> None:
    with pytest.raises(ValueError, match=r"zone|offset"):
        parse_zone(zone)
    with pytest.raises(ValueError, match=r"zone|offset"):
        OfficeCalendar("bad", zone, ())


@pytest.mark.parametrize(
    ("weekday", "start", "end"),
    [(7, 0, 3600), (0, -1, 3600), (0, 86_400, 90_000), (0, 3600, 3600), (0, 3600, 3600 + 86_401)],
)
def test_bad_open_intervals_raise(weekday: int, start: int, end: int) -> None:
    with pytest.raises(ValueError, match="OpenInterval"):
        OpenInterval(weekday, start, end)


def test_unknown_holiday_country_raises() -> None:
    with pytest.raises(ValueError, match="holiday country"):
        HolidayRule("XX")


def test_holiday_rule_dates() -> None:
    rule = HolidayRule("US", extra=frozenset({date(2026, 12, 24)}), removed=frozenset({date(2026, 12, 25)}))
    dates = rule.dates(2026)
    assert date(2026, 12, 24) in dates
    assert date(2026, 12, 25) not in dates
    assert date(2026, 11, 26) in dates  # Thanksgiving
    assert date(2026, 12, 24) not in rule.dates(2027)


@pytest.mark.parametrize(
    ("target", "text"),
    [
        (Target.business_hours(16), "16 business hours"),
        (Target.business_hours(1), "1 business hour"),
        (Target.business(5400), "90 business minutes"),
        (Target.business(45), "45 business seconds"),
        (Target.business_days(2), "2 business days"),
        (Target.business_days(1), "1 business day"),
        (Target.business_days(0.5), "0.5 business days"),
        (Target.calendar(7200), "2 hours (24x7)"),
    ],
)
def test_target_descriptions(target: Target, text: str) -> None:
    assert target.describe() == text


def test_target_business_seconds(us_west: OfficeCalendar, premium: UnionCalendar) -> None:
    assert Target.business_days(2).business_seconds(us_west) == 57_600
    assert Target.business_days(1).business_seconds(premium) == 86_400
    assert Target.business_hours(1.5).business_seconds(us_west) == 5400
    assert Target.calendar(7200).business_seconds(us_west) is None


def test_negative_targets_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"Target\.amount"):
        Target.business_hours(-1)
