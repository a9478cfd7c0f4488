"""A tag's normal form, and the tags an agent typed.

A tag is one word: NFKC-normalised (full-width `ＡＰＩ` is `API`, half-width katakana become
full-width), trimmed, lower-cased (every cased script, so Latin, Greek and Cyrillic; Japanese has
no case and is kept as typed), at most `MAX_LENGTH` characters. Commas and white space separate
tags (the Japanese comma `、` too), so no tag contains one.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

MAX_LENGTH = 50
#: What separates the tags of a text field: commas (also the Japanese and full-width ones, NFKC
#: makes `，` a comma) and any white space (NFKC makes the ideographic space a space).
SEPARATORS = re.compile(r"[,、\s]+")


class BadTag(ValueError):
    """A tag that cannot be stored; `raw` is what was typed."""

    def __init__(self, raw: str, why: str) -> None:
        super().__init__(f"{why}: {raw!r}")
        self.raw = raw

    def explained(self) -> str:
        """Why the tag was refused, in words for the person who typed it."""
        return _("Not a tag: %(tag)s. A tag is one word of at most %(max)s characters.") % {
            "tag": self.raw, "max": MAX_LENGTH,
        }  # fmt: skip


def normalise_tag(raw: str) -> str:
    """`raw`'s normal form; BadTag if it is empty, too long or more than one word."""
    name = unicodedata.normalize("NFKC", raw).strip().lower()
    if not name:
        raise BadTag(raw, "empty tag")
    if SEPARATORS.search(name):
        raise BadTag(raw, "a tag is one word")
    if len(name) > MAX_LENGTH:
        raise BadTag(raw, f"a tag has at most {MAX_LENGTH} characters")
    return name


def parse_tags(text: str) -> list[str]:
    """The tags of a text field ("billing, 請求 ＡＰＩ"), normalised, each once, in typed order."""
    return normalise_all(SEPARATORS.split(unicodedata.normalize("NFKC", text)))


def normalise_all(names: list[str]) -> list[str]:
    """Each of `names` normalised, empty ones dropped, each once, in the given order."""
    tags: list[str] = []
    for raw in names:
        if raw.strip():
            name = normalise_tag(raw)
            if name not in tags:
                tags.append(name)
    return tags
