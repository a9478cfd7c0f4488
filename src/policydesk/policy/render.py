"""The public support-policy page, generated from the policy so published and enforced agree.

`render(policy, lang, fmt)` builds the page as a list of blocks (headings, paragraphs,
lists, tables) once, then writes them as Markdown or as an HTML fragment. Labels of the
page's own are here in both languages; everything about the vendor comes from the policy.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Literal

from policydesk.policy.model import CHANNELS, LANGUAGES, METRICS, Metric, Plan, Policy, Route, Text

Format = Literal["md", "html"]

LABELS: dict[str, Text] = {
    "channels_policy": Text("Ticket and email channel policy", "チケット及びメールチャンネルのポリシー"),
    "service": Text("Service", "サービス"),
    "email_support": Text("Email support availability", "メールサポートの有無"),
    "sla": Text("Email support under the SLA (initial response)", "サービスレベル契約上のメールサポート"),
    "next_reply": Text("Next reply, after each message of yours", "お客様からの返信への回答"),
    "periodic_update": Text("Updates while we work on a ticket", "対応中の進捗のご連絡"),
    "resolution": Text("Resolution", "解決"),
    "customized": Text("Customized support", "カスタマイズされたサポート"),
    "mc_available": Text("Mission-critical support available", "ミッションクリティカルサポートの利用が可能"),
    "mc_sla": Text(
        "Mission-critical support under the SLA", "サービスレベル契約上のミッションクリティカルサポート"
    ),
    "meetings": Text("Zoom/meeting requests", "ズーム/ミーティングリクエスト"),
    "meetings_yes": Text("At support's discretion", "サポートの裁量"),
    "none": Text("-", "-"),
    "hours": Text("Office hours", "対応時間"),
    "handling": Text("Who handles your ticket", "チケットの担当"),
    "global": Text("{plans}: handled globally.", "{plans}：グローバルに対応致します。"),
    "regional": Text(
        "{plans}: handled by the office responsible for the region where the ticket was submitted.",
        "{plans}：提出された地域を担当するオフィスが対応いたします。",
    ),
    "region_office": Text("{region}: {office}", "{region}：{office}"),
    "holidays": Text(
        "Each office observes its own public holidays.",
        "各オフィスはそれぞれの祝日に休業します。",
    ),
    "sla_heading": Text("Initial response targets", "サービスレベル契約上の初期対応"),
    "mc_heading": Text("Mission-critical support", "ミッションクリティカルサポート"),
    "calls_heading": Text("Zoom/meeting requests", "ズーム/ミーティングリクエスト"),
    "scope_heading": Text("What support can help with", "サポートが対応してくれる質問には何がありますか？"),
    "in_scope": Text("Support helps with:", "サポートチームがお手伝いできること："),
    "out_of_scope": Text("Not included in support:", "以下はサポートに含まれません："),
    "contact_heading": Text("How to contact support", "サポートへの連絡方法"),
    "priority_heading": Text("Ticket priority definitions", "チケット優先度の定義"),
    "priority": Text("Priority", "優先度"),
    "definition": Text("Definition", "定義"),
    "outside_heading": Text("Help outside support", "サポート対応していない問題に関するヘルプ"),
    "plan_questions": Text("Plan questions", "プランに関する質問"),
    "plan": Text("Plan", "プラン"),
    "contact": Text("Contact", "お問い合わせ先"),
    "feature_requests": Text("Feature requests", "機能リクエスト"),
    "community": Text("Community", "コミュニティ"),
    "free_plans": Text("Free plans", "無料プラン"),
    "status_page": Text("Status page", "ステータスページ"),
    "policy_version": Text("Policy {id}, version {version}.", "ポリシー {id}、バージョン {version}。"),
}


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    link: str | None = None


@dataclass(frozen=True, slots=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Heading | Paragraph | Bullets | Table


def render(policy: Policy, lang: str, fmt: Format = "md") -> str:
    """The public policy page in `lang` ('en' or 'ja') as Markdown or an HTML fragment."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    blocks = page_blocks(policy, lang)
    return _markdown(blocks) if fmt == "md" else _html(blocks)


def page_blocks(policy: Policy, lang: str) -> list[Block]:
    """Every fact of the published page (C1-C21), in order, as blocks."""
    words = _Words(lang)
    return [
        Heading(1, policy.title.get(lang)),
        Paragraph(policy.introduction.get(lang)),
        *_plans_section(policy, words),
        *_hours_section(policy, words),
        *_targets_section(policy, words),
        *_scope_section(policy, words),
        *_contact_section(policy, words),
        *_outside_support_section(policy, words),
        Paragraph(words("policy_version", id=policy.id, version=policy.version)),
    ]


class _Words:
    """The page's own labels in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.none = self("none")

    def __call__(self, key: str, **values: str) -> str:
        return LABELS[key].get(self.lang).format(**values)

    def plan_names(self, plans: list[Plan]) -> str:
        return ("、" if self.lang == "ja" else ", ").join(plan.name.get(self.lang) for plan in plans)


def _plans_section(policy: Policy, t: _Words) -> list[Block]:
    """C1-C7: the plans table."""
    lang, none, plans = t.lang, t.none, list(policy.plans.values())
    rows = [
        (t("email_support"), *(p.availability.get(lang) for p in plans)),  # C2
        (t("sla"), *(_sla_cell(p, lang) for p in plans)),  # C3
        *(
            (t(metric), *(_metric_cell(policy, p, metric, lang) or none for p in plans))
            for metric in METRICS[1:]
            if any(_metric_cell(policy, p, metric, lang) for p in plans)
        ),
        (t("customized"), *(p.dedicated_team.get(lang) if p.dedicated_team else none for p in plans)),  # C4
        (t("mc_available"), *(
            p.mission_critical.availability.get(lang) if p.mission_critical else none for p in plans
        )),  # C5
        (t("mc_sla"), *(
            p.mission_critical.first_response.text.get(lang) if p.mission_critical else none for p in plans
        )),  # C6
        (t("meetings"), *(t("meetings_yes") if p.meetings else none for p in plans)),  # C7
    ]  # fmt: skip
    return [
        Heading(2, t("channels_policy")),
        Table((t("service"), *(p.name.get(lang) for p in plans)), tuple(rows)),
    ]


def _hours_section(policy: Policy, t: _Words) -> list[Block]:
    """C8, C9: office hours and who handles what; C20: the free plans note."""
    lang, plans = t.lang, list(policy.plans.values())
    global_plans = [p for p in plans if p.handled_by == "global"]
    regional = [p for p in plans if p.handled_by == "region"]
    handling = []
    if global_plans:
        handling.append(t("global", plans=t.plan_names(global_plans)))
    if regional:
        handling.append(t("regional", plans=t.plan_names(regional)))
    offices = tuple(
        t("region_office", region=region.name.get(lang), office=policy.offices[region.office].name.get(lang))
        for region in policy.regions.values()
    )
    blocks: list[Block] = [
        Heading(3, t("hours")),
        Bullets(tuple(office.hours_text.get(lang) for office in policy.offices.values())),
        Paragraph(t("holidays")),
        Heading(3, t("handling")),
        Paragraph(" ".join(handling)),
        Bullets(offices),
    ]
    if "free_plans" in policy.notes:  # C20
        blocks.append(Paragraph(policy.notes["free_plans"].get(lang), policy.links.get("free_plans_page")))
    return blocks


def _targets_section(policy: Policy, t: _Words) -> list[Block]:
    """C10: the targets note; C5, C6: mission-critical support; C7, C21: calls."""
    lang = t.lang
    blocks: list[Block] = [Heading(3, t("sla_heading"))]
    if "targets" in policy.notes:  # C10
        blocks.append(Paragraph(policy.notes["targets"].get(lang)))
    critical = [plan for plan in policy.plans.values() if plan.mission_critical]
    if critical:  # C5, C6
        blocks.append(Heading(3, t("mc_heading")))
        blocks += [
            Paragraph(f"{plan.name.get(lang)}: {rule.first_response.text.get(lang)}")
            for plan in critical
            if (rule := plan.mission_critical) is not None
        ]
        if "mission_critical" in policy.notes:
            blocks.append(Paragraph(policy.notes["mission_critical"].get(lang)))
    if "calls" in policy.notes:  # C7, C21
        blocks += [Heading(3, t("calls_heading")), Paragraph(policy.notes["calls"].get(lang))]
    return blocks


def _scope_section(policy: Policy, t: _Words) -> list[Block]:
    """C11, C12: what support helps with, and what not."""
    lang = t.lang
    blocks: list[Block] = [
        Heading(2, t("scope_heading")),
        Paragraph(t("in_scope")),
        Bullets(tuple(rt.name.get(lang) for rt in policy.request_types.values())),
    ]
    if policy.out_of_scope:
        blocks.append(Paragraph(t("out_of_scope")))
        blocks.append(Bullets(tuple(topic.name.get(lang) for topic in policy.out_of_scope.values())))
    return blocks


def _contact_section(policy: Policy, t: _Words) -> list[Block]:
    """C13-C16: channels, identity and priorities."""
    lang = t.lang
    blocks: list[Block] = [Heading(2, t("contact_heading"))]
    channel_items = tuple(policy.channel_texts[c].get(lang) for c in CHANNELS if c in policy.channel_texts)
    if channel_items:
        blocks.append(Bullets(channel_items))
    if "identity" in policy.notes:  # C14
        blocks.append(Paragraph(policy.notes["identity"].get(lang)))
    if policy.priorities:  # C15
        blocks.append(Heading(3, t("priority_heading")))
        if "priority" in policy.notes:  # C16
            blocks.append(Paragraph(policy.notes["priority"].get(lang), policy.links.get("status_page")))
        blocks.append(
            Table(
                (t("priority"), t("definition")),
                tuple((p.name.get(lang), p.definition.get(lang)) for p in policy.priorities.values()),
            )
        )
    return blocks


def _outside_support_section(policy: Policy, t: _Words) -> list[Block]:
    """C17-C19: where plan questions, feature requests and the rest go."""
    lang = t.lang
    blocks: list[Block] = [Heading(2, t("outside_heading"))]
    plan_question = policy.desk.plan_question_topic
    if plan_question is not None:  # C17
        blocks.append(Heading(3, t("plan_questions")))
        blocks.append(
            Table(
                (t("plan"), t("contact")),
                tuple(
                    (plan.name.get(lang), _route_text(policy, policy.route_for(plan, plan_question), lang))
                    for plan in policy.plans.values()
                ),
            )
        )
    for route in _distinct_routes(policy, "feedback-form"):  # C18
        blocks += [Heading(3, t("feature_requests")), Paragraph(route.text.get(lang), route.url)]
    for route in _distinct_routes(policy, "community"):  # C19
        blocks += [Heading(3, t("community")), Paragraph(route.text.get(lang), route.url)]
    return blocks


def _sla_cell(plan: Plan, lang: str) -> str:
    if plan.first_response is not None:
        return plan.first_response.text.get(lang)
    if plan.no_commitment_text is not None:
        return plan.no_commitment_text.get(lang)
    return "-"


def _metric_cell(policy: Policy, plan: Plan, metric: Metric, lang: str) -> str:
    """A plan's target of a metric beyond the first response, and any by priority ('' = none)."""
    parts = []
    if (rule := plan.target_for(metric)) is not None:
        parts.append(rule.text.get(lang))
    for priority, targets in plan.by_priority.items():
        if (override := targets.get(metric)) is not None:
            name = policy.priorities[priority].name.get(lang) if priority in policy.priorities else priority
            parts.append(f"{name}: {override.text.get(lang)}")
    return ("；" if lang == "ja" else "; ").join(parts)


def _route_text(policy: Policy, route: Route, lang: str) -> str:
    """The route as the page states it: its text, and any address the text leaves out."""
    text = route.text.get(lang)
    missing = [c for c in route.contacts if c not in policy.contact_roles and c not in text]
    return text if not missing else f"{text} ({', '.join(missing)})"


def _distinct_routes(policy: Policy, kind: str) -> list[Route]:
    return [route for route in policy.routes.values() if route.kind == kind]


def _markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"{'#' * block.level} {block.text}")
        elif isinstance(block, Paragraph):
            out.append(f"{block.text} <{block.link}>" if block.link else block.text)
        elif isinstance(block, Bullets):
            out.append("\n".join(f"- {item}" for item in block.items))
        else:
            cells = [block.header, *block.rows]
            lines = ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in cells]
            lines.insert(1, "|" + " --- |" * len(block.header))
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _html(blocks: list[Block]) -> str:
    e = html.escape
    out: list[str] = []
    section = ""
    for block in blocks:
        if isinstance(block, Heading):
            section = block.text
            out.append(f"<h{block.level}>{e(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            link = f' <a href="{e(block.link)}">{e(block.link)}</a>' if block.link else ""
            out.append(f"<p>{e(block.text)}{link}</p>")
        elif isinstance(block, Bullets):
            out.append("<ul>" + "".join(f"<li>{e(item)}</li>" for item in block.items) + "</ul>")
        else:
            head = "".join(f'<th scope="col">{e(cell)}</th>' for cell in block.header)
            body = "".join(
                "<tr>"
                + f'<th scope="row">{e(row[0])}</th>'
                + "".join(f"<td>{e(c)}</td>" for c in row[1:])
                + "</tr>"
                for row in block.rows
            )
            # A table wider than a phone scrolls in its own box, which the keyboard can reach and
            # a screen reader names after the section it belongs to.
            out.append(
                f'<div class="table-scroll" role="region" tabindex="0" aria-label="{e(section)}">'
                f'<table class="policy-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
                "</div>"
            )
    return "\n".join(out) + "\n"
