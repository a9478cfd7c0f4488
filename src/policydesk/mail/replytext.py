"""The new text of a reply, without the quoted history and the signature.

`mail-parser-reply` knows the quote headers of many mail clients in many languages; our
own rules come first for Japanese clients it misses (Outlook's 元のメッセージ and
差出人/送信日時 block, iPhone's …のメール:, Thunderbird's …さんは書きました:, Gmail's
date-and-address line). The full text is always kept beside it ("show quoted").
"""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser

_QUOTE_HEADERS = [
    re.compile(
        r"^\s*-{2,}\s*(Original Message|元のメッセージ|Forwarded message|転送されたメッセージ)\s*-{2,}\s*$",
        re.I,
    ),
    re.compile(r"^\s*(差出人|From)\s*[:：].*$"),  # Outlook block; confirmed by the next lines below
    re.compile(r"^.*のメール\s*[:：]\s*$"),  # iPhone: 2026/12/01 18:00、山田 <a@b>のメール:
    re.compile(r"^.*さんは書きました\s*[:：]\s*$"),  # Thunderbird: … に 山田 さんは書きました:
    re.compile(r"^.*(が|は)書きました\s*[:：]\s*$"),
    re.compile(r"^\s*\d{4}年\d{1,2}月\d{1,2}日.*<[^<>@\s]+@[^<>\s]+>\s*[:：]?\s*$"),  # Gmail ja
    re.compile(r"^\s*On .{4,200} wrote:\s*$"),
]
_OUTLOOK_FOLLOWERS = re.compile(r"^\s*(送信日時|Sent|日付|Date|宛先|To)\s*[:：]")


def _own_rules(text: str) -> str:
    lines = text.split("\n")
    for index, line in enumerate(lines):
        for pattern in _QUOTE_HEADERS:
            if not pattern.match(line):
                continue
            if pattern.pattern.startswith(r"^\s*(差出人|From)"):
                following = lines[index + 1 : index + 4]
                if not any(_OUTLOOK_FOLLOWERS.match(f) for f in following):
                    continue
            return "\n".join(lines[:index])
    return text


def _strip_quoted_lines(text: str) -> str:
    lines = text.rstrip("\n").split("\n")
    while lines and (lines[-1].lstrip().startswith(">") or not lines[-1].strip()):
        lines.pop()
    return "\n".join(lines)


def _strip_signature(text: str) -> str:
    lines = text.split("\n")
    for index in range(len(lines) - 1, -1, -1):
        if lines[index] in ("-- ", "--") and len(lines) - index <= 12:
            return "\n".join(lines[:index])
    return text


def reply_text(full_text: str) -> str:
    """The new part of `full_text`; the whole text when stripping would leave nothing."""
    text = full_text.replace("\r\n", "\n")
    own = _strip_signature(_strip_quoted_lines(_own_rules(text)))
    try:
        parsed = EmailReplyParser(languages=["ja", "en"]).parse_reply(own) or ""
    except Exception:  # a third-party heuristic must never lose the message
        parsed = own
    # The library trims whitespace and sometimes eats a line; keep ours when it empties the text.
    result = parsed.strip() if parsed.strip() else own.strip()
    return result if result else text.strip()
