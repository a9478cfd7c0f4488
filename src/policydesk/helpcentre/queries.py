"""What a reader may read and find: published articles, public or for the reader's plan; staff
read them all. Search and "popular" stay inside that set."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Case, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from policydesk.helpcentre.models import Article
from policydesk.search.normalise import normalise
from policydesk.tickets.access import is_staff
from policydesk.tickets.models import Person

POPULAR_DAYS = 30
MAX_TERMS = 8


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


def search(person: Person | None, text: str, lang: str, limit: int = 10) -> list[Article]:
    """Readable articles containing every word of `text` (folded as ticket search folds it), a
    title match before a text match, the reader's language first, then the newest."""
    terms = [term for term in normalise(text).split() if term][:MAX_TERMS]
    if not terms:
        return []
    articles = readable_articles(person)
    title_hits = Value(0, output_field=IntegerField())
    for term in terms:
        articles = articles.filter(search_text__contains=term)
        title_hits = title_hits + Case(  # type: ignore[assignment]
            When(title__icontains=term, then=Value(1)), default=Value(0), output_field=IntegerField()
        )
    own_language = Case(When(language=lang, then=Value(0)), default=Value(1), output_field=IntegerField())
    return list(
        articles.annotate(in_language=own_language, title_hits=title_hits)
        .select_related("section__category")
        .order_by("in_language", "-title_hits", "-updated_at", "pk")[:limit]
    )


def popular(person: Person | None, lang: str, now: datetime, limit: int = 6) -> list[Article]:
    """The most read articles in `lang` over the last 30 days (then the newest)."""
    since = (now - timedelta(days=POPULAR_DAYS)).date()
    return list(
        readable_articles(person)
        .filter(language=lang)
        .annotate(read=Coalesce(Sum("counts__views", filter=Q(counts__day__gte=since)), 0))
        .order_by("-read", "-updated_at", "pk")[:limit]
    )
