"""Normalising text for matching, and marking matches in the text as received (no database)."""

from __future__ import annotations

import pytest

from policydesk.search.normalise import aligned, highlight, normalise


@pytest.mark.parametrize(
    ("written", "compared"),
    [
        ("ＡＢＣ", "abc"),  # full-width Latin
        ("ABC", "abc"),
        ("１２３", "123"),  # full-width digits
        ("ｷｬｯｼｭ", "きゃっしゅ"),  # half-width katakana
        ("キャッシュ", "きゃっしゅ"),  # katakana folds to hiragana
        ("きゃっしゅ", "きゃっしゅ"),
        ("ｶﾞｰﾄﾞ", "がーど"),  # half-width voiced marks compose
        ("9時〜17時", "9時~17時"),  # wave dash
        ("9時～17時", "9時~17時"),  # full-width tilde
        ("請求書", "請求書"),  # kanji as they are
    ],
)
def test_forms_people_read_as_the_same_compare_equal(written: str, compared: str) -> None:
    assert normalise(written) == compared


def test_aligned_maps_each_normalised_character_to_where_it_came_from() -> None:
    folded, origins = aligned("aｶﾞb")
    assert folded == "aがb"
    assert origins == [0, 1, 3]


def test_highlight_marks_the_match_in_the_text_as_received() -> None:
    assert highlight("ｷｬｯｼｭが壊れた", ["きゃっしゅ"]) == "<mark>ｷｬｯｼｭ</mark>が壊れた"
    assert highlight("Die ＡＢＣ und abc", ["abc"]) == "Die <mark>ＡＢＣ</mark> und <mark>abc</mark>"


def test_highlight_escapes_html_around_and_inside_the_mark() -> None:
    snippet = highlight("<script>alert(1)</script> cache <b>", ["<script>", "cache"])
    assert snippet == "<mark>&lt;script&gt;</mark>alert(1)&lt;/script&gt; <mark>cache</mark> &lt;b&gt;"


def test_highlight_cuts_a_long_text_around_the_first_match() -> None:
    text = "x" * 500 + " 障害 " + "y" * 500
    snippet = highlight(text, ["障害"], width=60)
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>障害</mark>" in snippet
    assert len(snippet) < 100


def test_highlight_without_a_match_is_the_start_of_the_text() -> None:
    assert highlight("nothing & here", ["missing"]) == "nothing &amp; here"
