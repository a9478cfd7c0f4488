"""Reply-text stripping takes time linear in the text (issue 9, finding 2).

The quote library's `wrote` pattern costs the square of a line's length (`"On " + "a" * N`
took 1.8 s at 16 KB, minutes at 60 KB): it is only ever given a bounded view. Our own rules
are single passes of regular expressions; the property tests below check that they still
decide exactly as the line-by-line rules they replace.
"""

from __future__ import annotations

import re
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from policydesk.mail import replytext
from policydesk.mail.replytext import (
    HEADER_LINE_CHARS,
    LIBRARY_LINE_CHARS,
    LIBRARY_VIEW_CHARS,
    library_view,
    reply_text,
)


def library_inputs(text: str) -> tuple[str, list[str]]:
    """reply_text(text), and every text the quote library was given meanwhile."""
    real = replytext.EmailReplyParser.read
    seen: list[str] = []

    def spy(parser: object, given_text: str) -> object:
        seen.append(given_text)
        return real(parser, given_text)  # type: ignore[arg-type]

    with mock.patch.object(replytext.EmailReplyParser, "read", autospec=True, side_effect=spy):
        return reply_text(text), seen


def assert_bounded(seen: list[str]) -> None:
    assert seen, "the library was not asked at all"
    for text in seen:
        assert len(text) <= LIBRARY_VIEW_CHARS
        assert max(len(line) for line in text.split("\n")) <= LIBRARY_LINE_CHARS


def test_the_literal_on_line_is_kept_whole_and_the_library_sees_only_a_bounded_view() -> None:
    for size in (16_000, 60_000):
        text = "Hello,\n\nOn " + "a" * size + "\n"
        result, seen = library_inputs(text)
        assert result == text.strip()
        assert_bounded(seen)


def test_a_gmail_date_look_alike_with_a_long_run_of_spaces_is_text() -> None:
    # Our own Gmail (ja) rule once had two runs of `\s*` side by side: quadratic in the spaces.
    text = "こんにちは\n2026年12月1日<x@y>" + " " * 60_000 + "x\n"
    result, seen = library_inputs(text)
    assert result == text.strip()
    assert_bounded(seen)


def test_many_outlook_look_alike_lines_without_sent_are_text() -> None:
    text = "こんにちは\n" + "差出人: Example <x@y>\n" * 20_000
    result, seen = library_inputs(text)
    assert result == text.strip()
    assert_bounded(seen)


def test_a_long_text_without_quote_keeps_everything_beyond_the_library_view() -> None:
    text = "".join(f"line {n} of a long report\n" for n in range(5_000))
    assert len(text) > 10 * LIBRARY_VIEW_CHARS
    result, seen = library_inputs(text)
    assert result == text.strip()
    assert_bounded(seen)


def test_our_quote_headers_are_found_after_a_long_line_and_beyond_the_library_view() -> None:
    paragraph = "w" * 60_000
    text = f"{paragraph}\n\nOn Tue, 1 Dec 2026 at 18:00, Example Support <support@example.com> wrote:\n> Hi\n"
    assert reply_text(text) == paragraph
    ja = f"{paragraph}\n\n2026年12月1日(火) 18:00 Example Support <support@example.com>:\n> 本文\n"
    assert reply_text(ja) == paragraph


def test_a_header_only_the_library_knows_is_found_after_a_long_line_which_is_kept() -> None:
    # Gmail wraps a long "On ... wrote:" over two lines; only the library knows that shape.
    paragraph = "The export stops at row 1000. " * 20  # one line of 600 characters
    text = (
        f"{paragraph}\n\nOn Tue, 1 Dec 2026 at 18:00, Example Support Team of Example Analytics\n"
        "<support@example.com> wrote:\n> Hello\n> Which browser?\n\nsomething after the quote\n"
    )
    result, seen = library_inputs(text)
    assert result == paragraph.strip()
    assert_bounded(seen)


def test_a_header_line_longer_than_the_bound_is_text() -> None:
    name = "n" * HEADER_LINE_CHARS
    text = f"New text\n\n2026年12月1日(火) 18:00 {name} <support@example.com>:\nmore\n"
    assert reply_text(text) == text.strip()


# The line-by-line rules these replaced (before issue 9), kept here as the reference.
_OLD_HEADERS = [
    re.compile(
        r"^\s*-{2,}\s*(Original Message|元のメッセージ|Forwarded message|転送されたメッセージ)\s*-{2,}\s*$",
        re.I,
    ),
    re.compile(r"^\s*(差出人|From)\s*[:：].*$"),
    re.compile(r"^.*のメール\s*[:：]\s*$"),
    re.compile(r"^.*さんは書きました\s*[:：]\s*$"),
    re.compile(r"^.*(が|は)書きました\s*[:：]\s*$"),
    re.compile(r"^\s*\d{4}年\d{1,2}月\d{1,2}日.*<[^<>@\s]+@[^<>\s]+>\s*[:：]?\s*$"),
    re.compile(r"^\s*On .{4,200} wrote:\s*$"),
]
_OLD_FOLLOWERS = re.compile(r"^\s*(送信日時|Sent|日付|Date|宛先|To)\s*[:：]")


def old_own_rules(text: str) -> str:
    lines = text.split("\n")
    for index, line in enumerate(lines):
        for pattern in _OLD_HEADERS:
            if not pattern.match(line):
                continue
            if pattern is _OLD_HEADERS[1] and not any(
                _OLD_FOLLOWERS.match(f) for f in lines[index + 1 : index + 4]
            ):
                continue
            return "\n".join(lines[:index])
    return text


def old_strip_quoted_lines(text: str) -> str:
    lines = text.rstrip("\n").split("\n")
    while lines and (lines[-1].lstrip().startswith(">") or not lines[-1].strip()):
        lines.pop()
    return "\n".join(lines)


def old_strip_signature(text: str) -> str:
    lines = text.split("\n")
    for index in range(len(lines) - 1, -1, -1):
        if lines[index] in ("-- ", "--") and len(lines) - index <= 12:
            return "\n".join(lines[:index])
    return text


FRAGMENTS = [
    "",
    " ",
    "\u3000",
    "\t",
    "\r",
    ">",
    "> ",
    "x",
    "-- ",
    "--",
    "-----",
    "Original Message",
    "元のメッセージ",
    "From",
    "差出人",
    ":",
    "：",
    "Sent",
    "送信日時",
    "To",
    "On ",
    "On Tue, 1 Dec",
    " wrote:",
    "2026年12月1日",
    "(火) 18:00 ",
    "<a@b>",
    "<",
    "@",
    "のメール",
    "さんは書きました",
    "が書きました",
]
LINES = st.lists(st.sampled_from(FRAGMENTS), max_size=8).map("".join)
TEXTS = st.lists(LINES, max_size=20).map("\n".join)


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_our_rules_decide_as_the_line_by_line_rules_did(text: str) -> None:
    assert replytext._own_rules(text) == old_own_rules(text)
    assert replytext._strip_quoted_lines(text) == old_strip_quoted_lines(text)
    assert replytext._strip_signature(text) == old_strip_signature(text)


QUOTED_ENDINGS = st.tuples(
    TEXTS, st.lists(st.sampled_from(["", " ", ">", "> x", " > y", "\u3000>", "x", "x >"]), max_size=120)
).map(lambda parts: "\n".join([parts[0], *parts[1]]))


@settings(max_examples=300, deadline=None)
@given(QUOTED_ENDINGS)
def test_long_runs_of_quoted_lines_are_stripped_as_line_by_line(text: str) -> None:
    assert replytext._strip_quoted_lines(text) == old_strip_quoted_lines(text)


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_the_library_view_of_a_short_text_is_the_text(text: str) -> None:
    view, long_lines, whole = library_view(text)
    assert (view, long_lines, whole) == (text, {}, True)
