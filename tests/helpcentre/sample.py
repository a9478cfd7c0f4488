"""A small help centre (`build`, the `help_centre` fixture of tests/helpcentre and the console's
article tests): one category, one section, a published Japanese article with its English
translation, a draft, and an article for Enterprise customers only."""

from __future__ import annotations

from dataclasses import dataclass

from policydesk.helpcentre.actions import ArticleFields, do_save_article, do_save_category, do_save_section
from policydesk.helpcentre.actions import do_set_article_status as set_status
from policydesk.helpcentre.models import Article, Section
from tests.conftest import NOW, Personas


@dataclass(frozen=True)
class HelpCentre:
    section: Section
    japanese: Article
    english: Article
    draft: Article
    enterprise_only: Article


def publish(article: Article, personas: Personas) -> Article:
    return set_status(article=article, status="published", actor=personas.agent, now=NOW)


def build(personas: Personas) -> HelpCentre:
    category = do_save_category(
        category=None, slug="getting-started", name_en="Getting started", name_ja="はじめに",
        actor=personas.lead, now=NOW,
    )  # fmt: skip
    section = do_save_section(
        section=None, category=category, slug="dashboards", name_en="Dashboards", name_ja="ダッシュボード",
        actor=personas.lead, now=NOW,
    )  # fmt: skip
    japanese = publish(
        do_save_article(
            article=None, actor=personas.agent, now=NOW,
            fields=ArticleFields(
                section=section, language="ja", title="グラフが空になる場合", slug="empty-charts",
                body="データソースの**接続**を確認してください。キャッシュをクリアします。",
            ),
        ),
        personas,
    )  # fmt: skip
    english = publish(
        do_save_article(
            article=None, actor=personas.agent, now=NOW,
            fields=ArticleFields(
                section=section, language="en", title="When charts are empty",
                body="Check the **connection** of the data source, then clear the cache.",
                translation_of=japanese,
            ),
        ),
        personas,
    )  # fmt: skip
    draft = do_save_article(
        article=None, actor=personas.agent, now=NOW,
        fields=ArticleFields(section=section, language="en", title="Unreleased exports", body="Soon."),
    )  # fmt: skip
    enterprise_only = publish(
        do_save_article(
            article=None, actor=personas.agent, now=NOW,
            fields=ArticleFields(
                section=section, language="en", title="Single sign-on for your charts",
                body="Enterprise customers set up SSO here.", plans=("enterprise",),
            ),
        ),
        personas,
    )  # fmt: skip
    return HelpCentre(section, japanese, english, draft, enterprise_only)
