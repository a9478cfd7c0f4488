"""The demo desk's first hours (`policydesk demo`, `make run`): tickets in every state across the
offices and plans, so that the queues, the reports and the status page are not empty on first
start. Everything goes through the actions, as a real desk's day would: triage decides each
ticket's office, queue and clock (C9, C11), the Starter and Scholarship requests out of their plan
are deflected (C2, C20), and Redwood Bank's critical bug is mission-critical (C5, C6): the worker
pages on call (the leads, while the rota is empty) as soon as it runs."""

from __future__ import annotations

from datetime import datetime, timedelta

from policydesk.status import actions as status_actions
from policydesk.tickets import actions
from policydesk.tickets.models import Person, Ticket

# (customer, hours ago, request type, subject, text, what happened next)
# next: "" (waiting for a first response), "answered" (agent replied: pending), "back" (the
# customer answered the reply: open again), "solved", "note" (an internal note, no answer yet)
TICKETS = [
    ("hanna@kumo-retail.example", 2, "troubleshooting", "Dashboard charts are empty since the upgrade",
     "Since we upgraded this morning every chart on the sales dashboard is empty.", ""),
    ("hanna@kumo-retail.example", 30, "concepts", "How are sessions counted across devices?",
     "A user on phone and laptop: one session or two?", "answered"),
    ("hanna@kumo-retail.example", 200, "feature-explanation", "Export to CSV with filters",
     "Can the export keep the filters of the table?", "solved"),
    ("yui@sakura-games.example", 1, "troubleshooting", "レポートの数値がダッシュボードと一致しません",
     "月次レポートの売上がダッシュボードの値より 3% 少なくなっています。", ""),
    ("yui@sakura-games.example", 80, "bug-report", "CSV エクスポートで文字化けが発生します",
     "Excel で開くと日本語が文字化けします。BOM 付きで出力できますか。", "back"),
    ("maria@redwood-bank.example", 0.2, "bug-report-critical", "Payments dashboard down for all users",
     "Every user gets an error 500 on the payments dashboard since 09:10.", ""),
    ("maria@redwood-bank.example", 50, "service-task", "Add three users to the audit role",
     "Please add the three users in the attached list to the audit role.", "answered"),
    ("sam@plusly.example", 120, "troubleshooting", "Scheduled report not sent on Monday",
     "The weekly report did not arrive this Monday.", "note"),
    ("leo@tiny-startup.example", 5, "bug-report-critical", "Login loop after password reset",
     "After resetting my password the login page keeps coming back.", ""),
    ("leo@tiny-startup.example", 3, "concepts", "What is a cohort?",
     "How do cohorts differ from segments?", ""),
    ("ken@student-lab.example", 4, "feature-explanation", "グラフの凡例を非表示にする方法",
     "授業で使うので凡例を隠したいです。", ""),
]  # fmt: skip

REPLY_EN = "Thank you: could you tell us the time it happened and the browser you used?"
REPLY_JA = "ご連絡ありがとうございます。発生した時刻とお使いのブラウザーを教えていただけますか。"

AGENT_OF_OFFICE = {
    "us-west": "ava@example.com",
    "singapore": "wei@example.com",
    "central-europe": "jonas@example.com",
    "global": "priya@example.com",
}


def load_demo_activity(now: datetime) -> None:
    """Tickets, answers and an incident, once: nothing is added to a desk that has tickets."""
    if Ticket.objects.exists():
        return
    people = {person.email: person for person in Person.objects.all()}
    lead = people["lead@example.com"]
    for email, hours_ago, topic, subject, text, then in TICKETS:
        customer = people[email]
        opened = now - timedelta(hours=hours_ago)
        result = actions.do_open_ticket(
            requester=customer, topic=topic, subject=subject, text=text, channel="web", now=opened
        )
        ticket = result.ticket
        if ticket is None:  # out of the customer's plan: deflected with the policy's answer
            continue
        agent = people.get(AGENT_OF_OFFICE.get(ticket.office, ""), lead)
        later = opened + timedelta(hours=min(hours_ago / 3, 4))
        if then:
            actions.do_assign(ticket=ticket, assignee=agent, actor=agent, now=later)
        if then == "note":
            actions.do_add_note(
                ticket=ticket, agent=agent, text="Checking the mail log for Monday.", now=later
            )
        if then in ("answered", "back", "solved"):
            actions.do_agent_reply(
                ticket=ticket,
                agent=agent,
                text=REPLY_JA if customer.language == "ja" else REPLY_EN,
                now=later,
                status=Ticket.Status.SOLVED if then == "solved" else Ticket.Status.PENDING,
            )
        if then == "back":
            actions.do_customer_reply(
                ticket=ticket, customer=customer, text="Excel 2019 です。", now=later + timedelta(hours=1)
            )
            actions.do_set_tags(
                ticket=ticket, tags=["csv", "文字化け"], actor=agent, now=later + timedelta(hours=2)
            )
    component = status_actions.do_create_component(
        slug="dashboards",
        name="Dashboards",
        name_ja="ダッシュボード",
        actor=lead,
        now=now - timedelta(hours=1),
    )
    status_actions.do_create_component(
        slug="exports",
        name="Exports",
        name_ja="エクスポート",
        actor=lead,
        now=now - timedelta(hours=1),
        position=1,
    )
    status_actions.do_open_incident(
        title="Payments dashboard errors",
        title_ja="決済ダッシュボードのエラー",
        severity="major",
        body="Some users get an error on the payments dashboard. We are investigating.",
        body_ja="一部のユーザーで決済ダッシュボードにエラーが発生しています。調査中です。",
        components=(component,),
        actor=lead,
        now=now - timedelta(minutes=5),
    )
