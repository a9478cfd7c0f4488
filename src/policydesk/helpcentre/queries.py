"""What a reader may read and find: published articles, public or for the reader's plan; staff
read them all. Search and "popular" stay inside that set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from policydesk.helpcentre.models import Article, ArticleCount, SearchMiss
from policydesk.search.normalise import normalise
from policydesk.tickets.access import is_staff
from policydesk.tickets.models import Person

POPULAR_DAYS = 30
MAX_TERMS = 8
MAX_PIECES = 24  # a long description is cut: the first words say what it is about


def reader_plan(person: Person | None) -> str | None:
    """The plan of a signed-in customer's organisation (None for anyone else)."""
    if person is None or not person.is_authenticated or is_staff(person) or person.organisation is None:
        return None
    return person.organisation.plan


def readable_articles(person: Person | None) -> QuerySet[Article]:
    """The published articles `person` (None or anonymous: a visitor) may read."""
    published = Article.objects.filter(status=Article.Status.PUBLISHED)
    if person is not None and person.is_authenticated and is_staff(person):
        return published
    allowed = Q(plans="")
    plan = reader_plan(person)
    if plan:
        allowed |= Q(plans__contains=f" {plan} ")
    return published.filter(allowed)


def may_read(person: Person | None, article: Article) -> bool:
    return readable_articles(person).filter(pk=article.pk).exists()


def _count_matches(pieces: list[str]) -> Any:
    """An expression: how many of `pieces` an article's search text contains."""
    return sum(
        (Case(When(search_text__contains=piece, then=Value(1)), default=Value(0), output_field=IntegerField())
         for piece in pieces),
        Value(0, output_field=IntegerField()),
    )  # fmt: skip


def _ranked(articles: QuerySet[Article], lang: str) -> QuerySet[Article]:
    own_language = Case(When(language=lang, then=Value(0)), default=Value(1), output_field=IntegerField())
    return articles.annotate(in_language=own_language).select_related("section__category")


def search(person: Person | None, text: str, lang: str, limit: int = 10) -> list[Article]:
    """Readable articles containing every word of `text` (folded as ticket search folds it), the
    reader's language first, then those with more of the words in the title, then the newest."""
    terms = [term for term in normalise(text).split() if term][:MAX_TERMS]
    if not terms:
        return []
    articles = readable_articles(person)
    for term in terms:
        articles = articles.filter(search_text__contains=term)
    title_hits = sum(
        (Case(When(title__icontains=term, then=Value(1)), default=Value(0), output_field=IntegerField())
         for term in terms),
        Value(0, output_field=IntegerField()),
    )  # fmt: skip
    return list(
        _ranked(articles, lang).annotate(title_hits=title_hits)
        .order_by("in_language", "-title_hits", "-updated_at", "pk")[:limit]
    )  # fmt: skip


def pieces_of(text: str) -> list[str]:
    """What a suggestion looks for in `text`: its words, and for a run of Japanese (written without
    spaces) its overlapping pairs of characters, which match the same words inside articles."""
    pieces: list[str] = []
    for word in normalise(text).split():
        if any(_is_cjk(char) for char in word) and len(word) > 2:
            pieces += [word[at : at + 2] for at in range(len(word) - 1)]
        elif len(word) > 1:
            pieces.append(word)
    return list(dict.fromkeys(pieces))[:MAX_PIECES]


def _is_cjk(char: str) -> bool:
    return "\u3040" <= char <= "\u30ff" or "\u3400" <= char <= "\u9fff"


def suggest(person: Person | None, text: str, lang: str, limit: int = 5) -> list[Article]:
    """Articles for what a customer is typing on the request form: those containing at least half
    of its pieces (`pieces_of`), the most first, the reader's language first among equals."""
    pieces = pieces_of(text)
    if not pieces:
        return []
    wanted = (len(pieces) + 1) // 2
    matches = readable_articles(person).annotate(matches=_count_matches(pieces)).filter(matches__gte=wanted)
    return list(_ranked(matches, lang).order_by("-matches", "in_language", "-updated_at", "pk")[:limit])


def popular(person: Person | None, lang: str, now: datetime, limit: int = 6) -> list[Article]:
    """The most read articles in `lang` over the last 30 days (then the newest)."""
    since = (now - timedelta(days=POPULAR_DAYS)).date()
    return list(
        readable_articles(person)
        .filter(language=lang)
        .annotate(read=Coalesce(Sum("counts__views", filter=Q(counts__day__gte=since)), 0))
        .order_by("-read", "-updated_at", "pk")[:limit]
    )


@dataclass(frozen=True)
class ArticleTally:
    """How often an article was read and answered a question in a period (reports)."""

    title: str
    language: str
    views: int
    deflections: int


def article_tallies(start: date, end: date, limit: int = 20) -> list[ArticleTally]:
    """The articles most often answering a question from `start` to `end` (UTC days, both
    included), then the most read: one query."""
    rows = (
        ArticleCount.objects.filter(day__gte=start, day__lte=end)
        .values("article__title", "article__language")
        .annotate(read=Sum("views"), answered=Sum("deflections"))
        .order_by("-answered", "-read", "article__title")[:limit]
    )
    return [
        ArticleTally(row["article__title"], row["article__language"], row["read"], row["answered"])
        for row in rows
    ]


@dataclass(frozen=True)
class SearchMissTally:
    """A help-centre query that found nothing in a period: how often, on how many days (reports)."""

    query: str
    searches: int
    days: int


def search_miss_tallies(start: date, end: date, limit: int = 20) -> list[SearchMissTally]:
    """The queries most often finding nothing from `start` to `end` (UTC days, both included):
    one query."""
    rows = (
        SearchMiss.objects.filter(day__gte=start, day__lte=end)
        .values("query")
        .annotate(total=Sum("searches"), days=Count("day"))
        .order_by("-total", "query")[:limit]
    )
    return [SearchMissTally(row["query"], row["total"], row["days"]) for row in rows]
