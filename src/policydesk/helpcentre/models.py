"""Help centre articles, in categories and sections, one row per language with a link to the
translation; every saved change is an `ArticleVersion` (who changed what, and the text then).

Written only through `actions.py`; the counts (views, "this answered my question") through
`counting.py`."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from policydesk.tickets.models import Person

LANGUAGES = (("ja", "日本語"), ("en", "English"))


class Category(models.Model):
    """A top-level group of the help centre's home page, named in both languages."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_ja = models.CharField(_("name (Japanese)"), max_length=120)
    description_en = models.CharField(_("description (English)"), max_length=300, blank=True)
    description_ja = models.CharField(_("description (Japanese)"), max_length=300, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("help centre category")
        verbose_name_plural = _("help centre categories")
        ordering: ClassVar[list[str]] = ["position", "slug"]

    def __str__(self) -> str:
        return self.name_en

    def name(self, lang: str) -> str:
        return (self.name_ja if lang == "ja" else self.name_en) or self.name_en or self.name_ja

    def description(self, lang: str) -> str:
        return self.description_ja if lang == "ja" else self.description_en


class Section(models.Model):
    """A group of articles within a category."""

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="sections"
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_ja = models.CharField(_("name (Japanese)"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("help centre section")
        verbose_name_plural = _("help centre sections")
        ordering: ClassVar[list[str]] = ["position", "slug"]

    def __str__(self) -> str:
        return self.name_en

    def name(self, lang: str) -> str:
        return (self.name_ja if lang == "ja" else self.name_en) or self.name_en or self.name_ja


class Article(models.Model):
    """One article in one language. Its URL is /help/<language>/articles/<slug>/: the slug is
    unique per language and kept when the title changes, so links stay good."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="articles"
    )
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGES)
    slug = models.SlugField(_("slug"), max_length=120, allow_unicode=False)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"), blank=True)
    # The body rendered and sanitised when saved (rendering.py), so a page view only prints it.
    body_html = models.TextField(blank=True, editable=False)
    # The body folded for search (search/normalise.py): title and text, lower case, kana folded.
    search_text = models.TextField(blank=True, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    # The original this article translates (None: it is an original, or stands alone); an
    # original has at most one translation per language (two languages: at most one).
    translation_of = models.ForeignKey(
        "self", verbose_name=_("translation of"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="translations",
    )  # fmt: skip
    # Empty: public. Otherwise only signed-in customers whose organisation is on one of these
    # policy plan ids (and staff) may read it. Stored " growth premium " (spaces around each id)
    # so that every database can filter on `plans__contains=" growth "` (JSON containment is
    # not available on SQLite).
    plans = models.CharField(_("only for plans"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        Person, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_by = models.ForeignKey(
        Person, verbose_name=_("updated by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("last updated"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("help centre article")
        verbose_name_plural = _("help centre articles")
        ordering: ClassVar[list[str]] = ["section__position", "title", "pk"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["language", "slug"], name="article_slug_per_language"),
            models.UniqueConstraint(
                fields=["translation_of", "language"], name="article_one_translation_per_language"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["language", "status"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def plan_list(self) -> list[str]:
        return self.plans.split()

    @property
    def restricted(self) -> bool:
        return bool(self.plans.strip())


def stored_plans(plans: list[str] | tuple[str, ...]) -> str:
    """The `plans` column for these plan ids (see Article.plans)."""
    ids = sorted({plan.strip() for plan in plans if plan.strip()})
    return f" {' '.join(ids)} " if ids else ""


class ArticleVersion(models.Model):
    """An article as one save left it: who, when, which fields changed, and the text then."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Article.Status.choices)
    plans = models.CharField(max_length=500, blank=True)
    section_name = models.CharField(max_length=120, blank=True)
    changed = models.JSONField(default=list)  # field names, e.g. ["title", "body"]
    changed_by = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar[list[str]] = ["-number"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["article", "number"], name="article_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleCount(models.Model):
    """How often an article was read and how often it answered a question, per day (UTC). A
    count only: nothing a customer typed is kept."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="counts")
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)
    deflections = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["article", "day"], name="article_count_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {self.day}: {self.views} views, {self.deflections} answered"


class SearchMiss(models.Model):
    """How often a help-centre search found nothing, per normalised query and day (UTC): what
    customers look for and the help centre lacks. No person, address or session is kept, and the
    query is stripped of email addresses and long numbers first (`counting.search_query_key`)."""

    query = models.CharField(max_length=100)
    day = models.DateField()
    searches = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["query", "day"], name="search_miss_per_query_and_day"),
        ]

    def __str__(self) -> str:
        return f"{self.query!r} {self.day}: {self.searches}"
