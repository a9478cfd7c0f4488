"""The new text of a reply, without the quoted history and the signature.

`mail-parser-reply` knows the quote headers of many mail clients in many languages; our
own rules come first for Japanese clients it misses (Outlook's 元のメッセージ and
差出人/送信日時 block, iPhone's …のメール:, Thunderbird's …さんは書きました:, Gmail's
date-and-address line). The full text is always kept beside it ("show quoted").

Every step takes time linear in the size of the text (issue 9, finding 2: a body line
`"On " + "a" * 60_000` took minutes in the library's `wrote` pattern, whose cost grows
with the square of the line's length):

- our own rules are each one pass of a regular expression over the whole text, written
  so that no part backtracks further than its own line (never two runs of `\\s*` side by
  side), and a line counts as a header only when it is at most `HEADER_LINE_CHARS` long;
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

# `[^\S\n]` is whitespace within one line. Each branch is anchored at a line's start.
_LINE_START_HEADER = re.compile(
    r"""^[^\S\n]*(?:
        # Outlook, Gmail: -----Original Message----- / -----元のメッセージ----- / forwarded
        (?i:-{2,}[^\S\n]*(?:Original\ Message|元のメッセージ|Forwarded\ message|転送されたメッセージ)
            [^\S\n]*-{2,}[^\S\n]*$)
        # Outlook's header block: 差出人: / From: with 送信日時: / Sent: / To: within the next three lines
        | (?:差出人|From)[^\S\n]*[:：][^\n]*\n
            (?=(?:[^\n]*\n){0,2}[^\S\n]*(?:送信日時|Sent|日付|Date|宛先|To)[^\S\n]*[:：])
        # Gmail ja: 2026年12月1日(火) 18:00 山田 <a@b>: (the colon optional; the trailing
        # whitespace is matched by one run only)
        | \d{4}年\d{1,2}月\d{1,2}日[^\n]*<[^<>@\s]+@[^<>\s]+>[^\S\n]*(?:[:：][^\S\n]*)?$
        # Gmail, Apple Mail: On <date>, <name> wrote:
        | On\ [^\n]{4,200}\ wrote:[^\S\n]*$
    )""",
    re.MULTILINE | re.VERBOSE,
)
# iPhone: 2026/12/01 18:00、山田 <a@b>のメール:  Thunderbird: … に 山田 さんは書きました:
_LINE_END_HEADER = re.compile(r"(?:のメール|[がは]書きました)[^\S\n]*[:：][^\S\n]*$", re.MULTILINE)
_LINE_END_WORDS = ("のメール", "書きました")
# A reversed line that is blank, or whose first non-blank character is ">" (a quoted line).
_REVERSED_TRAILING_QUOTES = re.compile(r"(?:[^\S\n]*(?:\n|\Z)|[^\n]*>[^\S\n]*(?:\n|\Z))*")
_SIGNATURE_SEPARATORS = ("-- ", "--")
_SIGNATURE_LINES = 12


def _line_start(text: str, position: int) -> int:
    return text.rfind("\n", 0, position) + 1


def _line_end(text: str, position: int) -> int:
    end = text.find("\n", position)
    return len(text) if end < 0 else end


def _first_header_line(text: str) -> int | None:
    """Where the first line of our quote headers starts (a line of at most HEADER_LINE_CHARS)."""
    first = None
    for match in _LINE_START_HEADER.finditer(text):
        start = match.start()
        if _line_end(text, start) - start <= HEADER_LINE_CHARS:
            first = start
            break
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
    """Without the blank and quoted (`>`) lines at the end: one pass over the reversed text."""
    trailing = _REVERSED_TRAILING_QUOTES.match(text[::-1])
    dropped = trailing.end() if trailing else 0
    return text[: len(text) - dropped]


def _strip_signature(text: str) -> str:
    """Without a `-- ` signature that starts within the last 12 lines."""
    parts = text.rsplit("\n", _SIGNATURE_LINES)
    first_eligible = 1 if len(parts) > _SIGNATURE_LINES else 0
    for index in range(len(parts) - 1, first_eligible - 1, -1):
        if parts[index] in _SIGNATURE_SEPARATORS:
            return "\n".join(parts[:index])
    return text


_PLACEHOLDER = re.compile(r"\[policydesk-long-line-\d+\]")


def library_view(text: str) -> tuple[str, dict[str, str], bool]:
    """(view, long lines by placeholder, whole): what the library is given of `text`.

    The view is at most LIBRARY_VIEW_CHARS long and has no line longer than
    LIBRARY_LINE_CHARS; `whole` says whether it stands for the whole text.
    """
    view: list[str] = []
    long_lines: dict[str, str] = {}
    size = 0
    position = 0
    while position <= len(text):
        end = _line_end(text, position)
        line = text[position:end]
        if len(line) > LIBRARY_LINE_CHARS:
            # Matches no quote header or signature rule of the library; survives its stripping.
            placeholder = f"[policydesk-long-line-{len(long_lines)}]"
            long_lines[placeholder] = line.strip()
            line = placeholder
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
    if long_lines:  # one pass, whatever the number of long lines
        parsed = _PLACEHOLDER.sub(lambda match: long_lines.get(match.group(0), match.group(0)), parsed)
    return parsed


def reply_text(full_text: str) -> str:
    """The new part of `full_text`; the whole text when stripping would leave nothing."""
    text = full_text.replace("\r\n", "\n")
    own = _strip_signature(_strip_quoted_lines(_own_rules(text)))
    parsed = _library_rules(own)
    # The library trims whitespace and sometimes eats a line; keep ours when it empties the text.
    result = parsed.strip() if parsed.strip() else own.strip()
    return result if result else text.strip()
