"""Text as the search compares it: pure Python, no Django.

Both the index and the query go through `normalise`, so forms that people read as the same
word match: full-width and half-width letters, digits and katakana (NFKC), the wave dash
(〜 U+301C and ～ U+FF5E, which NFKC makes `~`), katakana and hiragana (キャッシュ = きゃっしゅ),
and upper and lower case. What people see is the text as received: `highlight` finds the
matches in the normalised form and marks them in the original.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache

_KATAKANA_FIRST, _KATAKANA_LAST = 0x30A1, 0x30F6  # ァ .. ヶ; hiragana is 0x60 below
_FOLDS = {
    0x301C: "~",  # 〜 WAVE DASH (NFKC keeps it; ～ FULLWIDTH TILDE already becomes ~)
    0x3030: "~",  # 〰 WAVY DASH
    0x30FD: "ゝ",  # ヽ katakana iteration mark
    0x30FE: "ゞ",  # ヾ
}
_FOLDS.update({code: chr(code - 0x60) for code in range(_KATAKANA_FIRST, _KATAKANA_LAST + 1)})
# Marks that belong to the character before them: half-width (semi-)voiced sound marks, which
# NFKC composes with the kana they follow (ｶﾞ → ガ), and combining marks.
_HALF_WIDTH_MARKS = ("\uff9e", "\uff9f")


def normalise(text: str) -> str:
    """`text` as the index and the query compare it (NFKC, wave dash, kana and case folded)."""
    return unicodedata.normalize("NFKC", text).translate(_FOLDS).lower()


def _clusters(text: str) -> Iterator[str]:
    """`text` cut before each character that does not attach to the one before it."""
    start = 0
    for index in range(1, len(text)):
        char = text[index]
        if char in _HALF_WIDTH_MARKS or unicodedata.combining(char):
            continue
        yield text[start:index]
        start = index
    if text:
        yield text[start:]


def aligned(text: str) -> tuple[str, list[int]]:
    """The normalised `text` and, for each of its characters, the index in `text` of the
    character it came from (a composed ｶﾞ maps to the ｶ)."""
    if text.isascii():  # NFKC and the folds leave ASCII as it is; lower() keeps each letter one
        return text.lower(), list(range(len(text)))
    parts: list[str] = []
    origins: list[int] = []
    position = 0
    for cluster in _clusters(text):
        folded = _normalised_cluster(cluster)
        parts.append(folded)
        if len(folded) == 1:
            origins.append(position)
        else:
            origins.extend([position] * len(folded))
        position += len(cluster)
    return "".join(parts), origins


@lru_cache(maxsize=4096)
def _normalised_cluster(cluster: str) -> str:
    """`normalise` of one character and its marks: the same few thousand again and again (a
    snippet is highlighted on every search)."""
    return normalise(cluster)


def highlight(text: str, terms: Iterable[str], width: int = 160) -> str:
    """A passage of `text` around the first match of any of `terms` (already normalised), HTML
    escaped, each match wrapped in <mark>; the start of `text` when nothing matches."""
    folded, origins = aligned(text)
    spans: list[tuple[int, int]] = []
    for term in {term for term in terms if term}:
        at = folded.find(term)
        while at != -1:
            start, end = origins[at], origins[at + len(term) - 1]
            end += len(next(_clusters(text[end:]), "x"))
            spans.append((start, end))
            at = folded.find(term, at + len(term))
    spans = _merged(spans)
    first = spans[0][0] if spans else 0
    begin = max(0, first - width // 3)
    finish = min(len(text), begin + width)
    pieces = ["…" if begin > 0 else ""]
    cursor = begin
    for start, end in spans:
        if end <= begin or start >= finish:
            continue
        start, end = max(start, begin), min(end, finish)
        pieces.append(html.escape(text[cursor:start]))
        pieces.append(f"<mark>{html.escape(text[start:end])}</mark>")
        cursor = end
    pieces.append(html.escape(text[cursor:finish]))
    if finish < len(text):
        pieces.append("…")
    return " ".join("".join(pieces).split())


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
