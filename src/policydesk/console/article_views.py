"""Help centre articles in the console: the list, the editor with a preview, publishing, and
each article's history (who changed what, and the text of every version).

Every member of staff writes and publishes (helpcentre/actions.py says why); the pages are
staff-only like the rest of the console."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from policydesk.console.article_forms import ArticleForm
from policydesk.console.macro_views import _chrome
from policydesk.console.pages import Viewer
from policydesk.helpcentre import actions, rendering
from policydesk.helpcentre.models import Article, ArticleVersion
from policydesk.tickets.actions import ActionError
from policydesk.web.staff import staff_only


@require_GET
@staff_only
def article_list(request: HttpRequest) -> HttpResponse:
    """Every article, drafts included, by section and title; `?lang=` and `?status=` narrow it."""
    viewer = Viewer.of(request)
    articles = Article.objects.select_related("section__category", "updated_by").annotate(
        translation_count=Count("translations")
    )
    language, status = request.GET.get("language", ""), request.GET.get("status", "")
    if language in actions.LANGUAGE_CODES:
        articles = articles.filter(language=language)
    if status in Article.Status.values:
        articles = articles.filter(status=status)
    context = {
        "rows": [
            (article, viewer.instant(article.updated_at))
            for article in articles.order_by(
                "section__category__position", "section__position", "title", "pk"
            )
        ],
        "language": language,
        "status": status,
        "statuses": Article.Status.choices,
        **_chrome(viewer),
    }
    return render(request, "console/articles.html", context)


@require_http_methods(["GET", "POST"])
@staff_only
def article_edit(request: HttpRequest, article_id: int | None = None) -> HttpResponse:
    """Write or change an article; "Preview" shows it as readers will, without saving. A new
    article is a draft; `?translation_of=N` starts the translation of article N."""
    viewer = Viewer.of(request)
    article = get_object_or_404(Article, pk=article_id) if article_id else None
    status, preview = 200, None
    if request.method == "POST":
        form = ArticleForm(request.POST, policy=viewer.policy, lang=viewer.lang, article=article)
        if not form.is_valid():
            messages.error(request, _("Please correct the form below."))
            status = 400
        elif "preview" in request.POST:
            # rendering.render sanitises: markdown-it without raw HTML, then nh3.
            preview = mark_safe(rendering.render(form.cleaned_data["body"]))  # noqa: S308
        else:
            try:
                saved = actions.do_save_article(
                    article=article, fields=form.fields_of(), actor=viewer.person, now=viewer.now
                )
            except ActionError as refused:
                form.add_error(None, str(refused))
                status = 400
            else:
                messages.success(request, _("The article is saved."))
                return redirect("console:article-edit", article_id=saved.pk)
    else:
        form = ArticleForm(
            initial=ArticleForm.initial_of(article) if article else _translation_start(request),
            policy=viewer.policy, lang=viewer.lang, article=article,
        )  # fmt: skip
    translations = list(article.translations.all()) if article else []
    if article is not None and article.translation_of is not None:
        translations.append(article.translation_of)
    context = {
        "form": form,
        "article": article,
        "preview": preview,
        "preview_title": form.data.get("title", ""),
        "preview_language": form.data.get("language", ""),
        "translations": translations,
        "other_language": next((c for c in actions.LANGUAGE_CODES if article and c != article.language), ""),
        **_chrome(viewer),
    }
    return render(request, "console/article_edit.html", context, status=status)


def _translation_start(request: HttpRequest) -> dict[str, object]:
    """The form of a new article: empty, or the translation of `?translation_of=N` (the other
    language, the same section and plans)."""
    wanted = request.GET.get("translation_of", "")
    original = Article.objects.filter(pk=int(wanted) if wanted.isdigit() and len(wanted) < 12 else 0).first()
    if original is None:
        return {}
    return {
        "language": next(code for code in actions.LANGUAGE_CODES if code != original.language),
        "section": original.section_id,
        "translation_of": original.pk,
        "plans": original.plan_list,
    }


@require_POST
@staff_only
def article_status(request: HttpRequest, article_id: int) -> HttpResponse:
    """Publish or unpublish (`status`: published or draft)."""
    viewer = Viewer.of(request)
    article = get_object_or_404(Article, pk=article_id)
    try:
        article = actions.do_set_article_status(
            article=article, status=request.POST.get("status", ""), actor=viewer.person, now=viewer.now
        )
    except ActionError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _("The article is published.") if article.is_published else _("The article is a draft again."),
        )
    return redirect("console:article-edit", article_id=article.pk)


@dataclass(frozen=True)
class VersionRow:
    version: ArticleVersion
    when: str
    diff: SafeString  # the text's changes from the version before, as escaped lines


@require_GET
@staff_only
def article_history(request: HttpRequest, article_id: int) -> HttpResponse:
    """Every version, newest first: who, when, which fields, and the text's changes."""
    viewer = Viewer.of(request)
    article = get_object_or_404(Article, pk=article_id)
    versions = list(article.versions.select_related("changed_by"))
    rows = []
    for version, before in zip(versions, [*versions[1:], None], strict=True):
        diff = _diff(before.body if before else "", version.body)
        rows.append(VersionRow(version, viewer.instant(version.changed_at), diff))
    return render(
        request, "console/article_history.html", {"article": article, "rows": rows, **_chrome(viewer)}
    )


def _diff(before: str, after: str) -> SafeString:
    """The lines removed and added, each escaped and marked (<del>, <ins>); '' if the text is the same."""
    lines = []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=1):
        if line.startswith(("---", "+++", "@@")):
            continue
        if line.startswith("-"):
            lines.append(f"<del>{escape(line)}</del>")
        elif line.startswith("+"):
            lines.append(f"<ins>{escape(line)}</ins>")
        else:
            lines.append(escape(line))
    return mark_safe("\n".join(lines))  # noqa: S308 - every line escaped above
