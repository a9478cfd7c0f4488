"""One-line text for subjects and mail headers (issue 9, finding 5).

A subject travels into mail headers, where a line break ends the header: CR/LF, and also
VT, FF, NEL, U+2028 and U+2029, which Python's `str.splitlines` and the `email` package
treat as line ends. Every subject is made one line at each entry (`do_open_ticket`, mail
intake) and again by everything that builds a header, so that a value stored before this
rule, or built from other text (an incident title, a vendor name), cannot break a mail.

Pure Python: no Django, so the pure core and the tests can use it freely.
"""

from __future__ import annotations

import re

# Control characters (category Cc: C0, DEL, C1 including NEL) and the Unicode line and
# paragraph separators (Zl, Zp). Format characters (Cf: ZWJ in emoji, bidi marks) stay.
# These sets are fixed by the Unicode standard (Cc never grows); a test checks them against
# `unicodedata` so the list cannot drift.
_BREAKING = frozenset(
    [chr(code) for code in range(0x20)] + [chr(code) for code in range(0x7F, 0xA0)] + ["\u2028", "\u2029"]
)
_TABLE = {ord(char): " " for char in _BREAKING}
_SPACES = re.compile(r"[ \t]{2,}")


def one_line(text: str) -> str:
    """`text` with every control character and line separator as a space, runs of spaces
    collapsed and the ends trimmed: safe as an email header value and as a subject."""
    return _SPACES.sub(" ", text.translate(_TABLE)).strip()


def is_one_line(text: str) -> bool:
    """True when `one_line` would change nothing but surrounding or repeated spaces."""
    return not any(char in _BREAKING for char in text)
