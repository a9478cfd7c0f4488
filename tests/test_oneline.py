"""`one_line`: the rule that keeps subjects and header values on one line (issue 9)."""

from __future__ import annotations

import sys
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from policydesk.oneline import _BREAKING, is_one_line, one_line


def test_the_breaking_set_is_exactly_unicodes_control_and_separator_characters() -> None:
    expected = {
        chr(code)
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in ("Cc", "Zl", "Zp")
    }
    assert set(_BREAKING) == expected


def test_literal_subjects() -> None:
    assert one_line("Export fails\r\nBcc: x@evil.example") == "Export fails Bcc: x@evil.example"
    assert one_line("請求書\u2028が\x85届かない\x0b\x0c") == "請求書 が 届かない"
    assert one_line("  [#12]\t\tslow  ") == "[#12] slow"
    assert one_line("家族 👨\u200d👩\u200d👧") == "家族 👨\u200d👩\u200d👧"  # ZWJ (Cf) is kept


@given(st.text())
def test_result_has_no_line_end_for_python_or_email_and_is_stable(text: str) -> None:
    result = one_line(text)
    assert len(result.splitlines()) <= 1 and is_one_line(result)
    assert one_line(result) == result
