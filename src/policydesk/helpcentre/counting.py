"""The help centre's counts: an article read, an article that answered a question. A count is
not a change anyone made, so it has no audit row and no version (one audit row per page view
would turn the audit log into a traffic log); nothing a customer typed is kept."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F

from policydesk.helpcentre import queries
from policydesk.helpcentre.models import Article, ArticleCount
from policydesk.tickets.models import Person


def _count(article: Article, now: datetime, field: str) -> None:
    day = now.date()
    rows = ArticleCount.objects.filter(article=article, day=day)
    if rows.update(**{field: F(field) + 1}):
        return
    try:
        with transaction.atomic():
            ArticleCount.objects.create(article=article, day=day, **{field: 1})
    except IntegrityError:  # another request made today's row first
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
