"""The one- and two-character pieces of normalised text that the gram index holds: pure Python,
no Django.

Trigrams (the databases' text indexes) find a term of three characters or more; a term of one
or two (Japanese words as short as 請求, 障害, 鰻) is found by the entries whose grams, their
distinct characters and pairs of adjacent characters, include it. A term is in a text exactly
when it is one of the text's grams, so the index answers these terms with no false match.

SQLite's FTS5 keeps each gram as an ASCII word (`token`: the code points in hex, a pair's
joined by `x`), which its `ascii` tokenizer reads whole whatever the script and punctuation;
`tokens` is the document it indexes for a text (docs/search.md, "Each database's index").
"""

from __future__ import annotations

from functools import lru_cache

#: The longest term the gram index answers; longer ones are the trigram index's.
LONGEST = 2


def grams(text: str) -> set[str]:
    """The distinct characters of `text` and pairs of adjacent characters."""
    return set(text) | {text[index : index + 2] for index in range(len(text) - 1)}


@lru_cache(maxsize=65536)  # SQLite's trigger asks for each entry's grams: most recur (issue 17)
def token(gram: str) -> str:
    """`gram` (one or two characters) as an ASCII word: `請` is 8acb, `請求` 8acbx6c42."""
    if not 1 <= len(gram) <= LONGEST:
        raise ValueError(f"a gram has one or two characters, not {len(gram)}: {gram!r}")
    return "x".join(f"{ord(char):x}" for char in gram)


def tokens(text: str | None) -> str | None:
    """The grams of `text` as FTS5 indexes them: their tokens, sorted, space-separated (the same
    for the same text, as FTS5 needs to delete what it indexed). None stays None (SQL NULL)."""
    if text is None:
        return None
    return " ".join(sorted(map(token, grams(text))))  # map: no generator frame per gram (issue 17)
