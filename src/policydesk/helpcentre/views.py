"""The help centre's public pages: the home page (`/`), categories, sections, articles and search.

Readable without signing in, except an article limited to some plans: a visitor is asked to
sign in, a signed-in customer of another plan gets a 404 (as for a draft or a missing slug).
Pages under /help/<language>/ speak the language of their URL; the home page and search speak
the reader's (`?lang=`, the cookie, their profile, the browser)."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from policydesk import languages
from policydesk.helpcentre import counting, queries
from policydesk.helpcentre.actions import LANGUAGE_CODES
from policydesk.helpcentre.models import Article, Category, Section
from policydesk.tickets.access import is_staff
from policydesk.tickets.models import Person
from policydesk.web.language import View, with_language

SEARCH_LIMIT = 20


def _reader(request: HttpRequest) -> Person | None:
    return request.user if request.user.is_authenticated else None


def in_url_language(view: View) -> View:
    """Answer in the language of the URL (`lang`), which must be one the help centre has."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, lang: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if lang not in LANGUAGE_CODES:
            raise Http404
        with translation.override(lang):
            request.LANGUAGE_CODE = lang
            response = view(request, lang, *args, **kwargs)
        response["Content-Language"] = lang
        return response

    return wrapper


def _other_language(lang: str) -> str:
    return next(code for code in LANGUAGE_CODES if code != lang)


@require_GET
@with_language
def home(request: HttpRequest) -> HttpResponse:
    """Start here: categories, popular articles, search, the policy and "contact support"."""
    lang = languages.current()
    reader = _reader(request)
    readable = queries.readable_articles(reader).filter(language=lang)
    categories = Category.objects.prefetch_related(
        Prefetch("sections", queryset=Section.objects.filter(articles__in=readable).distinct())
    )
    return render(
        request,
        "helpcentre/home.html",
        {
            "lang": lang,
            "categories": [
                (
                    category,
                    category.name(lang),
                    category.description(lang),
                    [(section, section.name(lang)) for section in category.sections.all()],
                )
                for category in categories
            ],
            "popular": queries.popular(reader, lang, timezone.now()),
        },
    )


@require_GET
@with_language
def search(request: HttpRequest) -> HttpResponse:
    """Articles in both languages matching every word typed, the reader's language first."""
    lang = languages.current()
    text = request.GET.get("q", "").strip()[:200]
    reader = _reader(request)
    results = queries.search(reader, text, lang, limit=SEARCH_LIMIT) if text else []
    if text and not results and (reader is None or not is_staff(reader)):
        counting.count_search_miss(text, timezone.now())  # what readers look for and do not find
    return render(request, "helpcentre/search.html", {"lang": lang, "q": text, "results": results})


@require_GET
@in_url_language
def category_page(request: HttpRequest, lang: str, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    readable = queries.readable_articles(_reader(request)).filter(language=lang).order_by("title", "pk")
    sections = [
        (section, section.name(lang), list(section.articles.all()))
        for section in category.sections.prefetch_related(Prefetch("articles", queryset=readable))
    ]
    return render(
        request,
        "helpcentre/category.html",
        {
            "lang": lang,
            "other_lang": _other_language(lang),
            "other_href": reverse("help-category", args=[_other_language(lang), category.slug]),
            "category": category,
            "name": category.name(lang),
            "description": category.description(lang),
            "sections": [entry for entry in sections if entry[2]],
        },
    )


@require_GET
@in_url_language
def section_page(request: HttpRequest, lang: str, slug: str) -> HttpResponse:
    section = get_object_or_404(Section.objects.select_related("category"), slug=slug)
    articles = queries.readable_articles(_reader(request)).filter(language=lang, section=section)
    return render(
        request,
        "helpcentre/section.html",
        {
            "lang": lang,
            "other_lang": _other_language(lang),
            "other_href": reverse("help-section", args=[_other_language(lang), section.slug]),
            "section": section,
            "name": section.name(lang),
            "category_name": section.category.name(lang),
            "articles": articles.order_by("title", "pk"),
        },
    )


@require_GET
@in_url_language
def article_page(request: HttpRequest, lang: str, slug: str) -> HttpResponse:
    article = get_object_or_404(
        Article.objects.select_related("section__category", "translation_of"),
        language=lang, slug=slug, status=Article.Status.PUBLISHED,
    )  # fmt: skip
    reader = _reader(request)
    if not queries.may_read(reader, article):
        if reader is None:
            return redirect_to_login(request.get_full_path(), login_url=reverse("signin"))
        raise Http404
    if reader is None or not is_staff(reader):  # staff checking their own work are not readers
        counting.count_view(article, timezone.now())
    translation_link = _translation(reader, article)
    return render(
        request,
        "helpcentre/article.html",
        {
            "lang": lang,
            "article": article,
            # Sanitised when saved (rendering.render: markdown-it without raw HTML, then nh3).
            "body": mark_safe(article.body_html),  # noqa: S308
            "section_name": article.section.name(lang),
            "category_name": article.section.category.name(lang),
            "translation": translation_link,
            "other_lang": _other_language(lang),
            # The translation, or the help centre's home in the other language.
            "other_href": (
                reverse("help-article", args=[translation_link.language, translation_link.slug])
                if translation_link is not None
                else f"/?lang={_other_language(lang)}"
            ),
        },
    )


def _translation(reader: Person | None, article: Article) -> Article | None:
    """The article in the other language, if the reader may read it."""
    if article.translation_of is not None:
        candidates = [article.translation_of]
    else:
        candidates = list(article.translations.all())
    readable = set(
        queries.readable_articles(reader)
        .filter(pk__in=[c.pk for c in candidates])
        .values_list("pk", flat=True)
    )
    return next((candidate for candidate in candidates if candidate.pk in readable), None)


@require_GET
@with_language
def suggest(request: HttpRequest) -> HttpResponse:
    """Articles for what the customer is typing on the request form (htmx, as they type): a
    fragment. What they typed is used for this answer and kept nowhere."""
    lang = languages.current()
    typed = f"{request.GET.get('subject', '')[:200]} {request.GET.get('description', '')[:400]}"
    articles = queries.suggest(_reader(request), typed, lang) if typed.strip() else []
    response = render(request, "helpcentre/_suggestions.html", {"lang": lang, "articles": articles})
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@with_language
def answered(request: HttpRequest) -> HttpResponse:
    """ "This answered my question" on the request form: count a deflection for the article and
    show it; the request is not sent and what was typed is not kept (the button sends none of it)."""
    reader = _reader(request)
    if reader is None:  # the request form is for signed-in customers: nothing else to count
        raise Http404
    article = counting.count_answer(reader, request.POST.get("article", ""), timezone.now())
    if article is None:
        raise Http404
    messages.success(request, _("Glad it helped. Your request was not sent."))
    return redirect("help-article", lang=article.language, slug=article.slug)
