"""Every write to the help centre's articles, sections and categories: one transaction each, one
audit row each, and for an article one `ArticleVersion` per change (who changed what).

Who writes (issue 14): every member of staff (agents, leads, admins) writes, publishes and
unpublishes articles; each change is in the article's history and the audit log. Categories and
sections shape the whole help centre: leads and admins only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from policydesk.desk_policy import get_policy
from policydesk.helpcentre import rendering
from policydesk.helpcentre.models import LANGUAGES, Article, ArticleVersion, Category, Section, stored_plans
from policydesk.tickets.access import is_staff, sees_all_queues
from policydesk.tickets.actions import ActionError
from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import Person

LANGUAGE_CODES = tuple(code for code, _name in LANGUAGES)
# What a version records as changed, in the order the history lists them.
VERSIONED_FIELDS = ("title", "slug", "body", "section", "plans", "status")


def may_write_articles(person: Person) -> bool:
    return is_staff(person)


def may_arrange(person: Person) -> bool:
    """Whether `person` may create and rename categories and sections."""
    return is_staff(person) and sees_all_queues(person)


@dataclass(frozen=True)
class ArticleFields:
    """What an article is made of, however it is edited (console, demo data)."""

    section: Section
    language: str
    title: str
    body: str = ""
    slug: str = ""  # blank: made from the title (or the original's slug) when created
    plans: tuple[str, ...] = ()
    translation_of: Article | None = None


def _check_article(article: Article | None, fields: ArticleFields, slug: str) -> None:
    if not fields.title.strip():
        raise ActionError(_("an article needs a title"))
    if fields.language not in LANGUAGE_CODES:
        raise ActionError(_("unknown language %(language)r") % {"language": fields.language})
    if slug != slugify(slug) or not slug:
        raise ActionError(_("a slug is lower-case letters, digits and hyphens, like reset-password"))
    same_slug = Article.objects.filter(language=fields.language, slug=slug)
    if article is not None:
        same_slug = same_slug.exclude(pk=article.pk)
    if same_slug.exists():
        raise ActionError(
            _("another article in this language already has the slug %(slug)s") % {"slug": slug}
        )
    unknown = sorted(set(fields.plans) - set(get_policy().plans))
    if unknown:
        raise ActionError(_("unknown plan %(plan)r") % {"plan": unknown[0]})
    original = fields.translation_of
    if original is None:
        return
    if article is not None and original.pk == article.pk:
        raise ActionError(_("an article cannot translate itself"))
    if original.language == fields.language:
        raise ActionError(_("a translation is in another language than its original"))
    if original.translation_of_id is not None:
        raise ActionError(_("translate the original article, not a translation of it"))
    taken = original.translations.filter(language=fields.language)
    if article is not None:
        taken = taken.exclude(pk=article.pk)
    if taken.exists():
        raise ActionError(_("that article already has a translation in this language"))


def _new_slug(fields: ArticleFields) -> str:
    """A slug for a new article: from its title; a Japanese title (which slugify empties) takes
    its original's slug, or a numbered one."""
    base = slugify(fields.title)[:100] or (fields.translation_of.slug if fields.translation_of else "")
    base = base or "article"
    slug, number = base, 1
    while Article.objects.filter(language=fields.language, slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


def _record_version(article: Article, changed: list[str], actor: Person, now: datetime) -> None:
    article.version += 1
    article.save(update_fields=["version"])
    ArticleVersion.objects.create(
        article=article, number=article.version, title=article.title, slug=article.slug,
        body=article.body, status=article.status, plans=article.plans,
        section_name=article.section.name_en, changed=changed, changed_by=actor, changed_at=now,
    )  # fmt: skip


def do_save_article(
    *, article: Article | None, fields: ArticleFields, actor: Person, now: datetime
) -> Article:
    """Create (`article` None, as a draft) or change an article. "Last updated" moves when what a
    reader sees changes (title, text), not for a slug or a plan list."""
    if not may_write_articles(actor):
        raise ActionError(_("only staff write help centre articles"))
    slug = fields.slug.strip() or (article.slug if article is not None else _new_slug(fields))
    _check_article(article, fields, slug)
    with transaction.atomic():
        created = article is None
        if article is None:
            article = Article(created_by=actor, created_at=now, status=Article.Status.DRAFT)
        before = {name: _value(article, name) for name in VERSIONED_FIELDS} if not created else {}
        article.section = fields.section
        article.language = fields.language
        article.title = fields.title.strip()
        article.slug = slug
        article.body = fields.body
        article.body_html = rendering.render(fields.body)
        article.search_text = rendering.search_text(article.title, fields.body)
        article.plans = stored_plans(fields.plans)
        article.translation_of = fields.translation_of
        after = {name: _value(article, name) for name in VERSIONED_FIELDS}
        changed = [name for name in VERSIONED_FIELDS if created or before[name] != after[name]]
        if not changed:
            return article  # nothing changed: no version, no audit row
        if created or {"title", "body"} & set(changed):
            article.updated_at = now
        article.updated_by = actor
        article.save()
        _record_version(article, changed, actor, now)
        record_audit_event(
            now, actor, "article.created" if created else "article.changed", article,
            title=article.title, language=article.language, changed=changed,
        )  # fmt: skip
    return article


def _value(article: Article, name: str) -> object:
    return article.section_id if name == "section" else getattr(article, name)


def do_set_article_status(*, article: Article, status: str, actor: Person, now: datetime) -> Article:
    """Publish or unpublish (back to draft). Publishing shows the article, as it is now, to the
    readers it is for; the first publication sets "last updated"."""
    if not may_write_articles(actor):
        raise ActionError(_("only staff publish help centre articles"))
    if status not in Article.Status.values:
        raise ActionError(_("unknown status %(status)r") % {"status": status})
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        if article.status == status:
            return article
        article.status = status
        if status == Article.Status.PUBLISHED:
            if article.published_at is None:
                article.updated_at = now
            article.published_at = now
        article.updated_by = actor
        article.save()
        _record_version(article, ["status"], actor, now)
        record_audit_event(
            now, actor, "article.published" if status == Article.Status.PUBLISHED else "article.unpublished",
            article, title=article.title, language=article.language,
        )  # fmt: skip
    return article


def _check_arranger(actor: Person | None) -> None:
    # None: the demo loader and migrations, which act for the operator.
    if actor is not None and not may_arrange(actor):
        raise ActionError(_("only leads and admins arrange the help centre's categories and sections"))


def _check_slug(slug: str) -> None:
    if not slug or slug != slugify(slug):
        raise ActionError(_("a slug is lower-case letters, digits and hyphens, like reset-password"))


def do_save_category(
    *, category: Category | None, slug: str, name_en: str, name_ja: str, actor: Person | None, now: datetime,
    description_en: str = "", description_ja: str = "", position: int = 0,
) -> Category:  # fmt: skip
    _check_arranger(actor)
    _check_slug(slug)
    if not (name_en.strip() and name_ja.strip()):
        raise ActionError(_("a category needs a name in English and in Japanese"))
    with transaction.atomic():
        created = category is None
        category = category or Category()
        category.slug, category.name_en, category.name_ja = slug, name_en.strip(), name_ja.strip()
        category.description_en, category.description_ja = description_en.strip(), description_ja.strip()
        category.position = position
        category.save()
        record_audit_event(
            now, actor, "category.created" if created else "category.changed", category, slug=slug
        )
    return category


def do_save_section(
    *, section: Section | None, category: Category, slug: str, name_en: str, name_ja: str,
    actor: Person | None, now: datetime, position: int = 0,
) -> Section:  # fmt: skip
    _check_arranger(actor)
    _check_slug(slug)
    if not (name_en.strip() and name_ja.strip()):
        raise ActionError(_("a section needs a name in English and in Japanese"))
    with transaction.atomic():
        created = section is None
        section = section or Section()
        section.category, section.slug = category, slug
        section.name_en, section.name_ja, section.position = name_en.strip(), name_ja.strip(), position
        section.save()
        record_audit_event(
            now, actor, "section.created" if created else "section.changed", section, slug=slug
        )
    return section
