"""`policy check` reports intervals that overlap across midnight like same-day ones,
naming both entries (an overnight shift running into the next day's first opening)."""

from __future__ import annotations

from pathlib import Path

import pytest

from policydesk.policy.loading import PolicyError, default_policy_path, load_policy

US_WEST_HOURS = 'hours = [{ days = ["mon", "tue", "wed", "thu", "fri"], open = "09:00", close = "17:00" }]'


def issues_with_hours(tmp_path: Path, hours: str) -> list[str]:
    """The default policy with us-west's hours replaced by the literal snippet `hours`."""
    text = default_policy_path().read_text(encoding="utf-8")
    assert text.count(US_WEST_HOURS) == 2  # us-west's, then singapore's: the first is replaced
    path = tmp_path / "policy.toml"
    path.write_text(text.replace(US_WEST_HOURS, hours, 1), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    return [f"{issue.key}: {issue.message}" for issue in caught.value.issues]


def loads_with_hours(tmp_path: Path, hours: str) -> None:
    text = default_policy_path().read_text(encoding="utf-8")
    path = tmp_path / "policy.toml"
    path.write_text(text.replace(US_WEST_HOURS, hours, 1), encoding="utf-8")
    load_policy(path)


OVERLAPS = [
    # Saturday's night shift runs into Sunday's opening.
    ("""hours = [
  { days = ["sat"], open = "22:00", close = "03:00" },
  { days = ["sun"], open = "01:30", close = "04:00" },
]""", "intervals overlap on sun: hours[0] (sat 22:00–03:00) and hours[1] (sun 01:30–04:00)"),
    # Sunday's night shift runs into Monday's opening: the week wraps.
    ("""hours = [
  { days = ["mon", "tue"], open = "02:00", close = "10:00" },
  { days = ["sun"], open = "20:00", close = "02:30" },
]""", "intervals overlap on mon: hours[1] (sun 20:00–02:30) and hours[0] (mon 02:00–10:00)"),
    # A same-day overlap names both entries too.
    ("""hours = [
  { days = ["mon", "tue"], open = "09:00", close = "17:00" },
  { days = ["tue"], open = "16:00", close = "18:00" },
]""", "intervals overlap on tue: hours[0] (tue 09:00–17:00) and hours[1] (tue 16:00–18:00)"),
]  # fmt: skip


@pytest.mark.parametrize(("hours", "message"), OVERLAPS, ids=["sat-into-sun", "sun-into-mon", "same-day"])
def test_overlaps_are_reported_naming_both_entries(tmp_path: Path, hours: str, message: str) -> None:
    assert issues_with_hours(tmp_path, hours) == [f"offices.us-west.hours: {message}"]


@pytest.mark.parametrize(
    "hours",
    [
        # Touching is not overlapping: the night shift closes as the morning opens.
        """hours = [
  { days = ["sat"], open = "22:00", close = "03:00" },
  { days = ["sun"], open = "03:00", close = "04:00" },
]""",
        # A night shift every day, 22:00-06:00, never reaches the next night's.
        """hours = [
  { days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], open = "22:00", close = "06:00" },
]""",
        # Sunday evening to midnight, then Monday from midnight: touching across the week's end.
        """hours = [
  { days = ["sun"], open = "20:00", close = "24:00" },
  { days = ["mon"], open = "00:00", close = "08:00" },
]""",
        # Sunday's night shift ends before Monday's opening.
        """hours = [
  { days = ["sun"], open = "22:00", close = "02:00" },
  { days = ["mon"], open = "09:00", close = "17:00" },
]""",
    ],
)
def test_night_shifts_that_do_not_overlap_are_valid(tmp_path: Path, hours: str) -> None:
    loads_with_hours(tmp_path, hours)
