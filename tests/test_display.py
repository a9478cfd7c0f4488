"""policydesk.display: how a user-visible time reads, in each language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import formats, translation

from policydesk.display import format_instant, viewer_zone


def test_english_reads_as_djangos_date_format_every_day_of_a_year() -> None:
    # The English form is built directly (date_format costs 20 µs, and the ticket view shows ~50
    # times); it must read exactly as Django's "D j M Y, H:i" does, across months, days and DST.
    start = datetime(2026, 1, 1, 0, 30, tzinfo=UTC)
    for hours in range(0, 366 * 24, 5):
        instant = start + timedelta(hours=hours)
        with translation.override("en"):
            expected = formats.date_format(instant.astimezone(viewer_zone("Europe/Berlin")), "D j M Y, H:i")
        assert format_instant(instant, "Europe/Berlin", "en") == f"{expected} (Europe/Berlin)"


def test_japanese_and_the_viewers_language() -> None:
    instant = datetime(2026, 12, 8, 6, 0, tzinfo=UTC)
    assert format_instant(instant, "Asia/Tokyo", "ja") == "2026年12月8日(火) 15:00 (Asia/Tokyo)"
    with translation.override("ja"):
        assert format_instant(instant, "Asia/Tokyo") == "2026年12月8日(火) 15:00 (Asia/Tokyo)"
    with translation.override("en"):
        assert format_instant(instant, None) == "Tue 8 Dec 2026, 06:00 (UTC)"
    assert format_instant(None, "Asia/Tokyo", "en") == "-"
