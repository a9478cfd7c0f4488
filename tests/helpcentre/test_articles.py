"""Articles through their actions: versions, audit rows, slugs, translations, plans, search."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from policydesk.helpcentre import counting, queries
from policydesk.helpcentre.actions import (
    ArticleFields,
    do_save_article,
    do_save_category,
    do_set_article_status,
)
from policydesk.helpcentre.models import Article, ArticleCount
from policydesk.tickets.actions import ActionError
from policydesk.tickets.models import AuditEvent
from tests.conftest import NOW, Personas
from tests.helpcentre.sample import HelpCentre


def test_every_change_is_a_version_and_one_audit_row(personas: Personas, help_centre: HelpCentre) -> None:
    article = help_centre.english
    later = NOW + timedelta(days=2)
    changed = do_save_article(
        article=article, actor=personas.lead, now=later,
        fields=ArticleFields(
            section=article.section, language="en", title="When charts are empty",
            body="Check the connection first.", translation_of=help_centre.japanese,
        ),
    )  # fmt: skip
    versions = list(changed.versions.all())
    assert [(v.number, v.changed) for v in versions] == [
        (3, ["body"]), (2, ["status"]), (1, ["title", "slug", "body", "section", "plans", "status"]),
    ]  # fmt: skip
    assert versions[0].changed_by == personas.lead and versions[0].body == "Check the connection first."
    assert versions[1].body.startswith("Check the **connection**")  # the text as it was then
    assert changed.updated_at == later and changed.slug == "when-charts-are-empty"
    events = AuditEvent.objects.filter(subject_type="article", subject_id=str(article.pk))
    assert list(events.order_by("id").values_list("action", flat=True)) == [
        "article.created", "article.published", "article.changed",
    ]  # fmt: skip


def test_saving_without_a_change_records_nothing(personas: Personas, help_centre: HelpCentre) -> None:
    article = help_centre.draft
    do_save_article(
        article=article, actor=personas.agent, now=NOW + timedelta(hours=1),
        fields=ArticleFields(section=article.section, language="en", title=article.title, body=article.body),
    )  # fmt: skip
    assert article.versions.count() == 1 and article.updated_at == NOW


def test_a_slug_change_keeps_last_updated(personas: Personas, help_centre: HelpCentre) -> None:
    article = help_centre.draft
    do_save_article(
        article=article, actor=personas.agent, now=NOW + timedelta(hours=1),
        fields=ArticleFields(section=article.section, language="en", title=article.title, body=article.body,
                             slug="exports"),
    )  # fmt: skip
    article.refresh_from_db()
    assert article.slug == "exports" and article.updated_at == NOW


def test_a_japanese_title_takes_its_originals_slug(personas: Personas, help_centre: HelpCentre) -> None:
    translated = do_save_article(
        article=None, actor=personas.agent, now=NOW,
        fields=ArticleFields(section=help_centre.section, language="ja", title="未公開のエクスポート",
                             translation_of=help_centre.draft),
    )  # fmt: skip
    assert translated.slug == "unreleased-exports"
    alone = do_save_article(
        article=None, actor=personas.agent, now=NOW,
        fields=ArticleFields(section=help_centre.section, language="ja", title="料金"),
    )  # fmt: skip
    assert alone.slug == "article"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": "  "}, "needs a title"),
        ({"slug": "Not A Slug"}, "lower-case letters"),
        ({"slug": "empty-charts", "language": "ja"}, "already has the slug"),
        ({"plans": ("platinum",)}, "unknown plan"),
        ({"language": "de"}, "unknown language"),
    ],
)
def test_bad_articles_are_refused(
    personas: Personas, help_centre: HelpCentre, change: dict[str, object], message: str
) -> None:
    fields = {"section": help_centre.section, "language": "en", "title": "New", **change}
    with pytest.raises(ActionError, match=message):
        do_save_article(article=None, actor=personas.agent, now=NOW, fields=ArticleFields(**fields))  # type: ignore[arg-type]


def test_translations_link_one_original_per_language(personas: Personas, help_centre: HelpCentre) -> None:
    cases = [
        ("en", help_centre.japanese, "already has a translation"),
        ("ja", help_centre.japanese, "another language"),
        ("ja", help_centre.english, "not a translation"),
    ]
    for language, original, message in cases:
        fields = ArticleFields(
            section=help_centre.section, language=language, title="Again", translation_of=original
        )
        with pytest.raises(ActionError, match=message):
            do_save_article(article=None, actor=personas.agent, now=NOW, fields=fields)


def test_customers_cannot_write_and_agents_cannot_arrange(
    personas: Personas, help_centre: HelpCentre
) -> None:
    fields = ArticleFields(section=help_centre.section, language="en", title="Mine")
    with pytest.raises(ActionError, match="only staff"):
        do_save_article(article=None, actor=personas.customer, now=NOW, fields=fields)
    with pytest.raises(ActionError, match="only staff"):
        do_set_article_status(article=help_centre.draft, status="published", actor=personas.customer, now=NOW)
    with pytest.raises(ActionError, match="leads and admins"):
        do_save_category(category=None, slug="x", name_en="X", name_ja="X", actor=personas.agent, now=NOW)


def test_readers_see_published_articles_of_their_plan(personas: Personas, help_centre: HelpCentre) -> None:
    public = {help_centre.japanese.pk, help_centre.english.pk}
    restricted = help_centre.enterprise_only.pk

    def readable(person: object) -> set[int]:
        return set(queries.readable_articles(person).values_list("pk", flat=True))  # type: ignore[arg-type]

    assert readable(None) == public
    assert readable(personas.customer) == public  # growth
    assert readable(personas.other_org_customer) == public | {restricted}  # enterprise
    assert readable(personas.agent) == public | {restricted}
    assert help_centre.draft.pk not in readable(personas.lead)


def test_search_finds_both_languages_the_readers_first(personas: Personas, help_centre: HelpCentre) -> None:
    assert queries.search(None, "", "en") == []
    assert [a.pk for a in queries.search(None, "キャッシュ", "en")] == [help_centre.japanese.pk]
    assert [a.pk for a in queries.search(None, "きゃっしゅ", "en")] == [help_centre.japanese.pk]
    both = help_centre.english, help_centre.japanese
    help_centre.japanese.search_text += " charts"
    help_centre.japanese.save()
    assert [a.pk for a in queries.search(None, "CHARTS", "en")] == [a.pk for a in both]
    assert [a.pk for a in queries.search(None, "charts", "ja")] == [a.pk for a in reversed(both)]
    assert queries.search(personas.customer, "SSO", "en") == []
    assert queries.search(personas.other_org_customer, "sso", "en") == [help_centre.enterprise_only]


def test_popular_articles_are_the_most_read_this_month(personas: Personas, help_centre: HelpCentre) -> None:
    english = help_centre.english
    old = NOW - timedelta(days=40)
    for _ in range(5):
        counting.count_view(help_centre.enterprise_only, old)  # read long ago: not popular now
    counting.count_view(english, NOW)
    counting.count_view(english, NOW)
    counting.count_deflection(english, NOW)
    assert queries.popular(personas.other_org_customer, "en", NOW)[0] == english
    row = ArticleCount.objects.get(article=english, day=NOW.date())
    assert (row.views, row.deflections) == (2, 1)


def test_the_demo_command_loads_articles_in_both_languages_once(db: None) -> None:
    from django.core.management import call_command

    call_command("demo", stdout=io.StringIO())
    call_command("demo", stdout=io.StringIO())
    articles = Article.objects.filter(status="published")
    assert articles.filter(language="ja").count() == articles.filter(language="en").count() == 4
    assert articles.filter(language="en", translation_of__language="ja").count() == 4
    assert articles.filter(plans=" enterprise premium ").count() == 2
