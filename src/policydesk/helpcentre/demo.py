"""Demo articles for `policydesk demo`: a few Example Analytics articles in Japanese and English,
each pair linked as translations, one for Enterprise and Premium customers only."""

from __future__ import annotations

from datetime import datetime

from policydesk.helpcentre.actions import (
    ArticleFields,
    do_save_article,
    do_save_category,
    do_save_section,
    do_set_article_status,
)
from policydesk.helpcentre.models import Category
from policydesk.tickets.models import Person

# (category slug, en, ja), then its sections (slug, en, ja)
CATEGORIES = [
    ("getting-started", "Getting started", "はじめに",
     [("dashboards", "Dashboards and charts", "ダッシュボードとグラフ")]),
    ("account", "Account and billing", "アカウントと請求",
     [("team", "Your team", "チーム"), ("billing", "Billing", "請求")]),
]  # fmt: skip
# (section, plans, Japanese (slug, title, body), English (slug, title, body))
ARTICLES = [
    ("dashboards", (),
     ("empty-charts", "グラフが空になる場合",
      "グラフにデータが表示されないときは、次の順に確認してください。\n\n"
      "1. **データソース** の接続が「正常」になっているか\n"
      "2. 期間の指定が正しいか（タイムゾーンに注意）\n"
      "3. ブラウザーのキャッシュを削除して再読み込み\n\n"
      "解決しない場合は、ダッシュボードの URL を添えてお問い合わせください。"),
     ("empty-charts", "When charts are empty",
      "When a chart shows no data, check in this order:\n\n"
      "1. The **data source** connection says *Healthy*\n"
      "2. The date range is right (mind the time zone)\n"
      "3. Clear the browser cache and reload\n\n"
      "Still empty? Contact support with the dashboard's URL.")),
    ("team", (),
     ("invite-your-team", "チームを招待する",
      "**設定 › メンバー** から、メールアドレスを入力して招待します。招待リンクの有効期限は 7 日間です。"),
     ("invite-your-team", "Invite your team",
      "Go to **Settings › Members** and enter their email addresses. "
      "An invitation link is valid for 7 days.")),
    ("billing", (),
     ("what-your-plan-includes", "プランに含まれるサポート",
      "プランごとのサポート内容と回答時間は [サポートポリシー](/policy/?lang=ja) に記載しています。"),
     ("what-your-plan-includes", "What support your plan includes",
      "What each plan includes and when we answer is in the [support policy](/policy/?lang=en).")),
    ("team", ("enterprise", "premium"),
     ("single-sign-on", "シングルサインオン（SSO）の設定",
      "SAML 2.0 の IdP メタデータを **設定 › セキュリティ** に登録します。"),
     ("single-sign-on", "Setting up single sign-on (SSO)",
      "Upload your SAML 2.0 identity provider's metadata under **Settings › Security**.")),
]  # fmt: skip


def load_demo_articles(actor: Person, now: datetime) -> None:
    """Create the demo help centre unless it has a category already."""
    if Category.objects.exists():
        return
    sections = {}
    for position, (slug, name_en, name_ja, section_rows) in enumerate(CATEGORIES):
        category = do_save_category(
            category=None,
            slug=slug,
            name_en=name_en,
            name_ja=name_ja,
            actor=actor,
            now=now,
            position=position,
        )
        for section_position, (section_slug, section_en, section_ja) in enumerate(section_rows):
            sections[section_slug] = do_save_section(
                section=None, category=category, slug=section_slug, name_en=section_en, name_ja=section_ja,
                actor=actor, now=now, position=section_position,
            )  # fmt: skip
    for section_slug, plans, (ja_slug, ja_title, ja_body), (en_slug, en_title, en_body) in ARTICLES:
        section = sections[section_slug]
        japanese = do_save_article(
            article=None, actor=actor, now=now,
            fields=ArticleFields(section=section, language="ja", title=ja_title, body=ja_body, slug=ja_slug,
                                 plans=plans),
        )  # fmt: skip
        english = do_save_article(
            article=None, actor=actor, now=now,
            fields=ArticleFields(section=section, language="en", title=en_title, body=en_body, slug=en_slug,
                                 plans=plans, translation_of=japanese),
        )  # fmt: skip
        for article in (japanese, english):
            do_set_article_status(article=article, status="published", actor=actor, now=now)
