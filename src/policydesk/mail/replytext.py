"""The new text of a reply, without the quoted history and the signature.

`mail-parser-reply` knows the quote headers of many mail clients in many languages; our
own rules come first for Japanese clients it misses (Outlook's 元のメッセージ and
差出人/送信日時 block, iPhone's …のメール:, Thunderbird's …さんは書きました:, Gmail's
date-and-address line). The full text is always kept beside it ("show quoted").

Every step takes time linear in the size of the text (issue 9, finding 2: a body line
`"On " + "a" * 60_000` took minutes in the library's `wrote` pattern, whose cost grows
with the square of the line's length):

- our own rules are single passes of regular expressions over the whole text; a header
  line is at most `HEADER_LINE_CHARS` long (checked first, at a bounded cost), and runs of
  whitespace are possessive (`*+`), so no part of a pattern backtracks further than one
  short line;
- the library sees a bounded view (`library_view`): the first `LIBRARY_VIEW_CHARS`
  characters of the text, every line longer than `LIBRARY_LINE_CHARS` replaced by a short
  placeholder (put back in the result). A quote header only the library knows is found
  when it lies in that view; ours are found anywhere.
"""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser

#: No client's quote header line is longer ("On <date>, <long name> <address> wrote:" is
#: about 120 characters); a longer line is text, never a header.
HEADER_LINE_CHARS = 256
#: What the library may look at: lines of at most LIBRARY_LINE_CHARS (its cost per line
#: grows with the square of the line's length), LIBRARY_VIEW_CHARS in all. Together they
#: cap its time at a few tens of milliseconds, whatever the text.
LIBRARY_LINE_CHARS = 200
LIBRARY_VIEW_CHARS = 8_000

# `[^\S\n]` is whitespace within one line. The pattern begins with the line break before
# the header line (it is searched for in "\n" + text): a literal the engine skips to
# quickly, where `^` would be tried at every character. Then two cheap checks: the line
# starts like one of the headers, and it is short enough to be one.
_SHORT_LINE_AHEAD = rf"(?=[^\n]{{0,{HEADER_LINE_CHARS}}}+(?:\n|\Z))"
_LINE_START_HEADER = re.compile(
    r"\n(?=[^\S\n]*+[-差F\dO])"
    + _SHORT_LINE_AHEAD
    + r"""[^\S\n]*+(?:
        # Outlook, Gmail: -----Original Message----- / -----元のメッセージ----- / forwarded
        (?i:-{2,}+[^\S\n]*+(?:Original\ Message|元のメッセージ|Forwarded\ message|転送されたメッセージ)
            [^\S\n]*+-{2,}+[^\S\n]*+$)
        # Outlook's header block: 差出人: / From: with 送信日時: / Sent: / To: within the next three lines
        | (?:差出人|From)[^\S\n]*+[:：][^\n]*+\n
            (?=(?:[^\n]*+\n){0,2}[^\S\n]*+(?:送信日時|Sent|日付|Date|宛先|To)[^\S\n]*+[:：])
        # Gmail ja: 2026年12月1日(火) 18:00 山田 <a@b>: (the colon optional)
        | \d{4}年\d{1,2}月\d{1,2}日[^\n]*<[^<>@\s]++@[^<>\s]++>[^\S\n]*+(?:[:：][^\S\n]*+)?$
        # Gmail, Apple Mail: On <date>, <name> wrote:
        | On\ [^\n]{4,200}\ wrote:[^\S\n]*+$
    )""",
    re.MULTILINE | re.VERBOSE,
)
# iPhone: 2026/12/01 18:00、山田 <a@b>のメール:  Thunderbird: … に 山田 さんは書きました:
_LINE_END_HEADER = re.compile(r"(?:のメール|[がは]書きました)[^\S\n]*+[:：][^\S\n]*+$", re.MULTILINE)
_LINE_END_WORDS = ("のメール", "書きました")
# Lines, read in the reversed text, that are blank or quoted (the first non-blank character
# of the line is ">"); possessive: a run of them is never taken back.
_REVERSED_TRAILING_QUOTES = re.compile(r"(?:[^\S\n]*+(?:\n|\Z)|[^\n]*>[^\S\n]*+(?:\n|\Z))*+")
_BLANK_OR_QUOTED = re.compile(r"[^\S\n]*+(?:>|\Z)")
_QUICK_TRAILING_LINES = 32
_SIGNATURE_SEPARATORS = ("-- ", "--")
_SIGNATURE_LINES = 12
_PLACEHOLDER = re.compile(r"\[policydesk-long-line-\d+\]")


def _line_start(text: str, position: int) -> int:
    return text.rfind("\n", 0, position) + 1


def _line_end(text: str, position: int) -> int:
    end = text.find("\n", position)
    return len(text) if end < 0 else end


def _first_header_line(text: str) -> int | None:
    """Where the first line of our quote headers starts (a line of at most HEADER_LINE_CHARS)."""
    match = _LINE_START_HEADER.search("\n" + text)
    first = match.start() if match else None  # in `text`: the "\n" in front moves positions by one
    if any(word in text for word in _LINE_END_WORDS):  # a fast substring test spares the pass
        for match in _LINE_END_HEADER.finditer(text, 0, len(text) if first is None else first):
            start = _line_start(text, match.start())
            if match.end() - start <= HEADER_LINE_CHARS:
                return start
    return first


def _own_rules(text: str) -> str:
    start = _first_header_line(text)
    if start is None:
        return text
    return text[: start - 1] if start else ""


def _strip_quoted_lines(text: str) -> str:
    """Without the blank and quoted (`>`) lines at the end.

    The last few lines are looked at one by one (most texts end in one that is kept); a
    longer run of them is dropped in one pass of a regular expression over the reversed text.
    """
    end = len(text)
    while end and text[end - 1] == "\n":
        end -= 1
    for _ in range(_QUICK_TRAILING_LINES):
        start = _line_start(text, end)
        if not _BLANK_OR_QUOTED.match(text, start, end):
            return text[:end]
        if start == 0:
            return ""
        end = start - 1
    trailing = _REVERSED_TRAILING_QUOTES.match(text[:end][::-1])
    return text[: end - trailing.end()] if trailing else text[:end]


def _strip_signature(text: str) -> str:
    """Without a `-- ` signature that starts within the last 12 lines."""
    end = len(text)
    for _ in range(_SIGNATURE_LINES):
        start = _line_start(text, end)
        if end - start <= 3 and text[start:end] in _SIGNATURE_SEPARATORS:
            return text[: start - 1] if start else ""
        if start == 0:
            break
        end = start - 1
    return text


def library_view(text: str) -> tuple[str, dict[str, tuple[int, int]], bool]:
    """(view, where each long line is by its placeholder, whole): what the library is given.

    The view is at most LIBRARY_VIEW_CHARS long and has no line longer than
    LIBRARY_LINE_CHARS; `whole` says whether it stands for the whole text.
    """
    view: list[str] = []
    long_lines: dict[str, tuple[int, int]] = {}
    size = 0
    position = 0
    while position <= len(text):
        end = _line_end(text, position)
        if end - position > LIBRARY_LINE_CHARS:
            # Matches no quote header or signature rule of the library; survives its stripping.
            line = f"[policydesk-long-line-{len(long_lines)}]"
            long_lines[line] = (position, end)
        else:
            line = text[position:end]
        size += len(line) + 1
        if size > LIBRARY_VIEW_CHARS + 1:
            return "\n".join(view), long_lines, False
        view.append(line)
        position = end + 1
    return "\n".join(view), long_lines, True


def _library_rules(text: str) -> str:
    """The text before the first quote header the library finds in its view of `text`, or `text`."""
    view, long_lines, whole = library_view(text)
    try:
        message = EmailReplyParser(languages=["ja", "en"]).read(view)
    except Exception:  # a third-party heuristic must never lose the message
        return text
    found = any(reply.headers for reply in message.replies)
    if not found and not whole:  # the library saw only the beginning: keep the rest
        return text
    parsed = message.latest_reply or ""
    if long_lines:  # one pass, whatever the number of long lines; stripped as the library does

        def original(match: re.Match[str]) -> str:
            where = long_lines.get(match.group(0))
            return text[where[0] : where[1]].strip() if where else match.group(0)

        parsed = _PLACEHOLDER.sub(original, parsed)
    return parsed


def reply_text(full_text: str) -> str:
    """The new part of `full_text`; the whole text when stripping would leave nothing."""
    text = full_text.replace("\r\n", "\n")
    own = _strip_signature(_strip_quoted_lines(_own_rules(text)))
    parsed = _library_rules(own)
    # The library trims whitespace and sometimes eats a line; keep ours when it empties the text.
    result = parsed.strip() or own.strip()
    return result or text.strip()
