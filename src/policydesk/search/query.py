"""The search box's language, parsed: pure Python, no Django.

    キャッシュ 請求            words: every one must match (substrings, any field)
    "cache is empty"         a phrase: matched as written, spaces included
    #1234                    ticket number 1234 only
    1234                     a bare number: ticket 1234, or the number in the text
    status:open plan:growth office:central-europe type:troubleshooting
    assignee:me|none|EMAIL   requester:EMAIL-or-name   org:NAME
    created:>2026-11-01      also <, >=, <= and = (a day, UTC)

A filter's value may be quoted (`org:"Kumo Japan"`). A word that looks like a filter with an
unknown name (`http://...`, `12:30`) is a word. Terms are normalised (`normalise.normalise`).
A QueryError's message is shown to people: it is marked here (`_`, which only marks) and
translated by `service.find`, which may use Django.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from policydesk.search.normalise import normalise

FILTERS = ("status", "plan", "office", "type", "assignee", "requester", "org", "created")
_TOKEN = re.compile(r'(?:(?P<name>[A-Za-z]+):)?(?:"(?P<quoted>[^"]*)"?|(?P<bare>\S+))')
_CREATED = re.compile(r"^(?P<op><=|>=|<|>|=)?(?P<day>\d{4}-\d{2}-\d{2})$")
_NUMBER = re.compile(r"^#?(\d{1,9})$")


def _(message: str) -> str:
    """Marks `message` for translation (as gettext_noop does); `QueryError.translated` translates."""
    return message


class QueryError(ValueError):
    """The query cannot be understood; the message (English) says what to write instead."""

    def __init__(self, template: str, **params: str) -> None:
        super().__init__(template % params)
        self.template, self.params = template, params

    def translated(self, gettext: Callable[[str], str]) -> QueryError:
        """The same refusal, its message translated by `gettext`."""
        error = QueryError(self.template, **self.params)
        error.args = (gettext(self.template) % self.params,)
        return error


@dataclass(frozen=True)
class DateBound:
    op: str  # one of <, <=, >, >=, =
    day: date


@dataclass(frozen=True)
class Query:
    """A parsed query: `terms` (normalised words and phrases, all must match), `numbers`
    (bare numbers: the ticket or the text), `ticket` (#1234: that ticket only), filters."""

    terms: tuple[str, ...] = ()
    numbers: tuple[int, ...] = ()
    ticket: int | None = None
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    created: tuple[DateBound, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.terms or self.numbers or self.ticket is not None or self.filters or self.created)

    def highlights(self) -> tuple[str, ...]:
        """What the snippet marks: the terms, and the bare numbers as text."""
        return self.terms + tuple(str(number) for number in self.numbers)


def parse(text: str) -> Query:
    """Parse the search box's `text`; raises QueryError on a filter it cannot read."""
    terms: list[str] = []
    numbers: list[int] = []
    ticket: int | None = None
    filters: dict[str, list[str]] = {}
    created: list[DateBound] = []
    text = text.replace("\x00", " ")  # no database takes a NUL in a string
    for match in _TOKEN.finditer(text):
        name, quoted, bare = match["name"], match["quoted"], match["bare"]
        value = quoted if quoted is not None else bare or ""
        if not name and value.endswith(":") and value[:-1].lower() in FILTERS:
            raise QueryError(_("%(filter)s needs a value"), filter=value)
        if name and name.lower() in FILTERS:
            name = name.lower()
            value = value.strip()
            if not value:
                raise QueryError(_("%(filter)s needs a value"), filter=f"{name}:")
            if name == "created":
                created.append(_date_bound(value))
            else:
                filters.setdefault(name, []).append(value)
            continue
        if name:  # not one of ours: the whole token is text
            value = match.group(0).strip('"')
        if quoted is not None and not name:
            phrase = " ".join(normalise(value).split())
            if phrase:
                terms.append(phrase)
            continue
        number = _NUMBER.match(value)
        if number and value.startswith("#"):
            if ticket is not None and ticket != int(number[1]):
                raise QueryError(_("give one #number at a time"))
            ticket = int(number[1])
        elif number:
            numbers.append(int(number[1]))
        else:
            folded = normalise(value).strip()
            terms.extend(word for word in folded.split() if word)
    return Query(
        terms=tuple(dict.fromkeys(terms)),
        numbers=tuple(dict.fromkeys(numbers)),
        ticket=ticket,
        filters={name: tuple(values) for name, values in filters.items()},
        created=tuple(created),
    )


def _date_bound(value: str) -> DateBound:
    refused = QueryError(
        _("created:%(value)s is not a date; write created:>2026-11-01 (also <, >=, <=)"), value=value
    )
    match = _CREATED.match(value)
    if match is None:
        raise refused
    try:
        day = date.fromisoformat(match["day"])
    except ValueError as error:  # 2026-02-30
        raise refused from error
    return DateBound(match["op"] or "=", day)
