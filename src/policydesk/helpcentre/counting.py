"""The help centre's counts: an article read, an article that answered a question. A count is
not a change anyone made, so it has no audit row and no version (one audit row per page view
would turn the audit log into a traffic log); nothing a customer typed is kept."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F

from policydesk.helpcentre import queries
from policydesk.helpcentre.models import Article, ArticleCount, SearchMiss
from policydesk.tickets.models import Person


def _count(article: Article, now: datetime, field: str) -> None:
    _add_one(ArticleCount, {"article": article, "day": now.date()}, field)


def _add_one(model: type[ArticleCount] | type[SearchMiss], key: dict[str, object], field: str) -> None:
    """One more in `field` of the row `key` names, made if it is the day's first."""
    rows = model.objects.filter(**key)
    if rows.update(**{field: F(field) + 1}):
        return
    try:
        with transaction.atomic():
            model.objects.create(**key, **{field: 1})
    except IntegrityError:  # another request made the row first
        rows.update(**{field: F(field) + 1})


def count_view(article: Article, now: datetime) -> None:
    _count(article, now, "views")


def count_deflection(article: Article, now: datetime) -> None:
    """ "This answered my question": a request that needed no ticket, counted by article."""
    _count(article, now, "deflections")


def count_answer(reader: Person, wanted: str, now: datetime) -> Article | None:
    """ "This answered my question" for the article `wanted` (its id as the form sent it), from the
    portal's request form or the widget's: counted if the reader may read it; None (nothing
    counted) for anything else."""
    pk = int(wanted) if wanted.isdigit() and len(wanted) < 12 else 0
    article = Article.objects.filter(pk=pk).first()
    if article is None or not queries.may_read(reader, article):
        return None
    count_deflection(article, now)
    return article


#: Personal data a search box sometimes receives, replaced before a query is counted.
_EMAIL = re.compile(r"\S+@\S+")
_LONG_NUMBER = re.compile(r"\+?\d[\d\s().-]{3,}\d")  # phone, account or card numbers
SEARCH_QUERY_MAX = 100


def search_query_key(text: str) -> str:
    """The query as a search miss is counted: NFKC, lower case, one space between words, email
    addresses and numbers of five digits or more replaced, at most 100 characters. Readable in
    the report (kana are not folded, unlike the search itself)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = _EMAIL.sub("[email]", folded)
    folded = _LONG_NUMBER.sub(
        lambda match: "[number]" if sum(c.isdigit() for c in match.group()) >= 5 else match.group(), folded
    )
    return " ".join(folded.split())[:SEARCH_QUERY_MAX].strip()


def count_search_miss(text: str, now: datetime) -> None:
    """A help-centre search that found nothing: one more for its normalised query today."""
    query = search_query_key(text)
    if query:
        _add_one(SearchMiss, {"query": query, "day": now.date()}, "searches")
