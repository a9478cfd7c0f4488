"""The one choice of a language: the first candidate the desk speaks (settings.LANGUAGES)."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from policydesk import languages


def test_spoken_languages_come_from_settings(settings: Any) -> None:
    assert languages.spoken() == ("en", "ja")
    settings.LANGUAGES = [("en", "English")]
    assert languages.spoken() == ("en",) and languages.choose("ja") == "en"


def test_choose_takes_the_first_spoken_candidate_and_reads_regional_codes() -> None:
    assert languages.choose("", None, "ja-JP", "en") == "ja"
    assert languages.choose("fr", "en") == "en"
    assert languages.choose("fr", None) == "en"  # settings.LANGUAGE_CODE


def test_current_follows_the_active_translation() -> None:
    with translation.override("ja"):
        assert languages.current() == "ja"
    with translation.override("de"):
        assert languages.current() == "en"
