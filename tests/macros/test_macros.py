"""Macros (issue 13): the sandboxed placeholders, the customer's language, who may use and manage
which macro, and applying one (its changes through the tickets' own actions, its use counted)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from policydesk.macros import access, actions, rendering
from policydesk.macros.actions import MacroFields
from policydesk.macros.models import Macro
from policydesk.tickets import actions as ticket_actions
from policydesk.tickets.actions import ActionError, StaleTicket
from policydesk.tickets.models import AuditEvent, Person, Team, Ticket
from tests.conftest import NOW, Personas, new_customer, open_ticket

LATER = NOW + timedelta(minutes=30)


def save(actor: Person, title: str = "Thanks", **fields: object) -> Macro:
    fields.setdefault("text_en", "Hello {{ requester.first_name }}")
    return actions.do_save_macro(macro=None, fields=MacroFields(title=title, **fields), actor=actor, now=NOW)  # type: ignore[arg-type]


def apply(ticket: Ticket, macro: Macro, agent: Person, **kwargs: object) -> actions.AppliedMacro:
    return actions.do_apply_macro(ticket=ticket, macro=macro, agent=agent, now=LATER, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def ticket(personas: Personas) -> Ticket:
    hanna = personas.customer
    Person.objects.filter(pk=hanna.pk).update(name="Hanna Berg")
    return open_ticket(Person.objects.get(pk=hanna.pk), subject="Charts are empty")


# -- placeholders ------------------------------------------------------------------------------


def test_every_placeholder_is_filled_from_the_ticket(personas: Personas, ticket: Ticket) -> None:
    organisation = ticket.organisation
    organisation.account_executive = "ae@vendor.example"
    organisation.save()
    Person.objects.filter(pk=personas.agent.pk).update(name="Jonas Weber")
    agent = Person.objects.get(pk=personas.agent.pk)
    text = " | ".join("{{ " + name + " }}" for name in rendering.PLACEHOLDERS)
    done = rendering.render_for(text, "", Ticket.objects.get(pk=ticket.pk), agent)
    parts = done.text.split(" | ")
    assert parts[:4] == ["Hanna", "Hanna Berg", str(ticket.number), "Charts are empty"]
    assert parts[4].startswith("We will answer by")  # the customer's promise sentence
    assert parts[5:] == ["Kumo", "ae@vendor.example", "Jonas Weber"]
    assert done.missing == () and done.language == "en"


def test_a_placeholder_without_a_value_is_reported_and_left_to_fill(
    personas: Personas, ticket: Ticket
) -> None:
    done = rendering.render_for(
        "Your executive: {{ organisation.account_executive }}. Hi {{ requester.first_name }}",
        "",
        ticket,
        personas.agent,
    )
    assert done.missing == ("organisation.account_executive",)
    assert done.text == "Your executive: {{ organisation.account_executive }}. Hi Hanna"


def test_plain_text_is_not_escaped(personas: Personas, ticket: Ticket) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(subject="<b> & 'quotes'")
    done = rendering.render_for(
        "Re: {{ ticket.subject }}", "", Ticket.objects.get(pk=ticket.pk), personas.agent
    )
    assert done.text == "Re: <b> & 'quotes'"


@pytest.mark.parametrize(
    "text",
    [
        "{% load static %}{% static 'x' %}",
        "{% include 'console/base.html' %}",
        "{% if ticket.number %}x{% endif %}",
        "{% debug %}",
        "{{ ticket.requester.password }}",
        "{{ agent.email }}",
        "{{ ticket.number.__class__ }}",
        "{{ ticket.subject|safe }}",
        "{{ unclosed",
    ],
)
def test_tags_unknown_names_and_unknown_filters_are_refused_at_save(personas: Personas, text: str) -> None:
    with pytest.raises(ActionError) as refused:
        save(personas.agent, text_en="Hi", text_ja=text)
    assert str(refused.value)
    assert not Macro.objects.exists()


def test_an_attribute_reach_renders_empty_and_reported_never_the_models_value(
    personas: Personas, ticket: Ticket
) -> None:
    done = rendering.render_text(
        "[{{ ticket.requester.password }}]", rendering.values_for(ticket, personas.agent, "en"), "en"
    )
    assert "pbkdf2" not in done.text and "pw-" not in done.text
    assert done.missing == ("ticket.requester.password",)


def test_a_few_safe_filters_work(personas: Personas, ticket: Ticket) -> None:
    macro = save(personas.agent, text_en="{{ requester.first_name|upper }}")
    assert apply(ticket, macro, personas.agent).text == "HANNA"


# -- the customer's language ---------------------------------------------------------------------


def test_a_japanese_customer_gets_the_japanese_text(personas: Personas) -> None:
    yui = new_customer(
        "yui@kaisha.example", "growth", "emea", actor=personas.admin, language="ja", name="Yui Sato"
    )
    ticket = open_ticket(yui)
    macro = save(
        personas.agent,
        text_en="Hello {{ requester.first_name }}",
        text_ja="{{ requester.first_name }} 様、{{ promise }}",
    )
    done = apply(ticket, macro, personas.agent)
    assert done.language == "ja" and done.text.startswith("Yui 様、")
    assert "We will answer" not in done.text  # the promise in Japanese too


def test_a_blank_japanese_text_falls_back_to_english(personas: Personas) -> None:
    yui = new_customer(
        "yui@kaisha.example", "growth", "emea", actor=personas.admin, language="ja", name="Yui Sato"
    )
    macro = save(personas.agent, text_en="Hello {{ requester.first_name }}", text_ja="  ")
    done = apply(open_ticket(yui), macro, personas.agent)
    assert done.language == "en" and done.text == "Hello Yui"


def test_an_english_customer_gets_the_japanese_text_when_there_is_no_english(
    personas: Personas, ticket: Ticket
) -> None:
    macro = save(personas.agent, text_en="", text_ja="ありがとうございます")
    assert apply(ticket, macro, personas.agent).text == "ありがとうございます"


def test_a_macro_needs_a_text_and_a_title(personas: Personas) -> None:
    with pytest.raises(ActionError):
        save(personas.agent, text_en=" ", text_ja="")
    with pytest.raises(ActionError):
        save(personas.agent, title=" ")


# -- scopes and permissions ------------------------------------------------------------------------


@pytest.fixture
def macros(personas: Personas) -> dict[str, Macro]:
    eu = Team.objects.get(office="central-europe")
    return {
        "personal": save(personas.agent, "Jonas's own"),
        "team": save(personas.lead, "Europe team", scope="team", team=eu),
        "shared": save(personas.lead, "Everyone", scope="shared"),
    }


USABLE = {
    "customer": set(),
    "agent": {"personal", "team", "shared"},
    "other_office_agent": {"shared"},
    "premium_agent": {"shared"},
    "lead": {"shared"},
    "admin": {"shared"},
}
MANAGEABLE = {
    "customer": set(),
    "agent": {"personal"},
    "other_office_agent": set(),
    "premium_agent": set(),
    "lead": {"team", "shared"},
    "admin": {"team", "shared"},
}


@pytest.mark.parametrize("persona", sorted(USABLE))
def test_who_may_use_and_manage_which_macro(
    personas: Personas, macros: dict[str, Macro], persona: str
) -> None:
    person = getattr(personas, persona)
    assert {k for k, m in macros.items() if access.can_use(person, m)} == USABLE[persona]
    assert {k for k, m in macros.items() if access.can_manage(person, m)} == MANAGEABLE[persona]


def test_an_agent_cannot_make_a_shared_or_team_macro(personas: Personas) -> None:
    with pytest.raises(ActionError):
        save(personas.agent, scope="shared")
    with pytest.raises(ActionError):
        save(personas.agent, scope="team", team=Team.objects.get(office="central-europe"))


def test_an_agent_cannot_change_or_delete_a_shared_macro(
    personas: Personas, macros: dict[str, Macro]
) -> None:
    shared = macros["shared"]
    with pytest.raises(ActionError):
        actions.do_save_macro(
            macro=shared, fields=MacroFields(title="Mine now", text_en="x"), actor=personas.agent, now=NOW
        )
    with pytest.raises(ActionError):
        actions.do_delete_macro(macro=shared, actor=personas.agent, now=NOW)
    assert Macro.objects.get(pk=shared.pk).title == "Everyone"


def test_an_inactive_macro_cannot_be_used(personas: Personas, ticket: Ticket) -> None:
    macro = save(personas.agent, active=False)
    with pytest.raises(ActionError):
        apply(ticket, macro, personas.agent)


def test_nobody_applies_to_a_ticket_outside_their_queues(
    personas: Personas, macros: dict[str, Macro], ticket: Ticket
) -> None:
    with pytest.raises(ActionError):
        apply(ticket, macros["shared"], personas.other_office_agent)
    assert Macro.objects.get(pk=macros["shared"].pk).usage_count == 0


def test_save_and_delete_are_audited(personas: Personas) -> None:
    macro = save(personas.agent)
    actions.do_save_macro(
        macro=macro, fields=MacroFields(title="Renamed", text_en="Hi"), actor=personas.agent, now=LATER
    )
    actions.do_delete_macro(macro=Macro.objects.get(pk=macro.pk), actor=personas.agent, now=LATER)
    rows = list(AuditEvent.objects.filter(subject_type="macro").order_by("id").values_list("action", "actor"))
    assert rows == [(a, personas.agent.pk) for a in ("macro.created", "macro.changed", "macro.deleted")]
    assert not Macro.objects.exists()


# -- applying ----------------------------------------------------------------------------------


def test_applying_makes_each_change_with_its_own_audit_row_and_counts_the_use(
    personas: Personas, ticket: Ticket
) -> None:
    macro = save(personas.agent, set_status="pending", set_priority="high", assign_to_me=True)
    done = apply(ticket, macro, personas.agent)
    ticket.refresh_from_db()
    assert ticket.status == "pending" and ticket.priority == "high" and ticket.assignee == personas.agent
    assert set(done.changes) == {"assignee", "status", "priority"}
    on_ticket = AuditEvent.objects.filter(subject_type="ticket", subject_id=str(ticket.pk), at=LATER)
    assert sorted(on_ticket.values_list("action", flat=True)) == [
        "ticket.assigned",
        "ticket.priority",
        "ticket.status",
    ]
    macro.refresh_from_db()
    assert macro.usage_count == 1 and macro.last_used_at == LATER
    assert AuditEvent.objects.get(action="macro.applied").data == {
        "ticket": ticket.number,
        "changes": list(done.changes),
    }
    assert not ticket.messages.filter(author=personas.agent).exists()  # the reply is not sent


def test_a_change_the_ticket_already_has_is_not_made_again(personas: Personas, ticket: Ticket) -> None:
    macro = save(personas.agent, set_priority=ticket.priority)
    assert apply(ticket, macro, personas.agent).changes == ()
    assert apply(ticket, macro, personas.agent).changes == ()
    macro.refresh_from_db()
    assert macro.usage_count == 2


def test_a_request_type_change_retriages_and_moves_the_due_time(
    personas: Personas, premium_customer: Person
) -> None:
    ticket = open_ticket(premium_customer, "bug-report")
    assert ticket.first_response_due == datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
    macro = save(personas.premium_agent, set_topic="bug-report-critical")
    done = apply(ticket, macro, personas.premium_agent)
    ticket.refresh_from_db()
    assert done.changes == ("request_type",)
    assert ticket.mission_critical and ticket.first_response_due == NOW + timedelta(hours=2)  # C6
    assert AuditEvent.objects.filter(action="ticket.request_type", subject_id=str(ticket.pk)).count() == 1


def test_a_named_assignee_outside_the_queue_refuses_the_whole_macro(
    personas: Personas, ticket: Ticket
) -> None:
    macro = save(personas.agent, set_priority="high", set_assignee=personas.other_office_agent)
    with pytest.raises(ActionError):
        apply(ticket, macro, personas.agent)
    ticket.refresh_from_db()
    assert ticket.priority != "high" and Macro.objects.get(pk=macro.pk).usage_count == 0


def test_a_stale_version_holds_the_macro(personas: Personas, ticket: Ticket) -> None:
    seen = ticket_actions.ticket_version(ticket)
    ticket_actions.do_add_note(ticket=ticket, agent=personas.lead, text="Meanwhile", now=NOW)
    macro = save(personas.agent, set_priority="high")
    with pytest.raises(StaleTicket):
        apply(ticket, macro, personas.agent, expected_version=seen)
    ticket.refresh_from_db()
    assert ticket.priority != "high"


def test_unknown_changes_are_refused_at_save(personas: Personas) -> None:
    for bad in ({"set_status": "gone"}, {"set_priority": "urgent!"}, {"set_topic": "nope"}):
        with pytest.raises(ActionError):
            save(personas.agent, **bad)
    with pytest.raises(ActionError):
        save(personas.agent, assign_to_me=True, set_assignee=personas.agent)


def test_a_macro_adds_and_removes_tags_in_one_audit_row_like_a_hand_edit(
    personas: Personas, ticket: Ticket
) -> None:
    ticket_actions.do_set_tags(ticket=ticket, tags=["stale", "keep"], actor=personas.agent, now=NOW)
    macro = save(personas.agent, add_tags=("Billing", "ＲＥＦＵＮＤ"), remove_tags=("stale", "absent"))
    assert macro.add_tags == "billing, refund" and macro.tags_to_remove == ["stale", "absent"]
    done = apply(ticket, macro, personas.agent)
    assert done.changes == ("tags",)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["billing", "keep", "refund"]
    row = AuditEvent.objects.get(action="ticket.tags", at=LATER)
    assert row.actor == personas.agent and row.subject_id == str(ticket.pk)
    assert row.data == {"added": ["billing", "refund"], "removed": ["stale"]}
    assert apply(ticket, macro, personas.agent).changes == ()  # nothing left to change: no row
    assert AuditEvent.objects.filter(action="ticket.tags", at=LATER).count() == 1


def test_bad_macro_tags_are_refused_at_save(personas: Personas) -> None:
    for bad in ({"add_tags": ("two words",)}, {"add_tags": ("x" * 51,)},
                {"add_tags": ("billing",), "remove_tags": ("Billing",)},
                {"add_tags": tuple(f"t{n}" for n in range(21))}):  # fmt: skip
        with pytest.raises(ActionError):
            save(personas.agent, **bad)
    assert not Macro.objects.exists()


def test_tags_a_ticket_cannot_take_refuse_the_whole_macro(personas: Personas, ticket: Ticket) -> None:
    ticket_actions.do_set_tags(
        ticket=ticket, tags=[f"t{n}" for n in range(20)], actor=personas.agent, now=NOW
    )
    macro = save(personas.agent, set_priority="high", add_tags=("one-more",))
    with pytest.raises(ActionError):
        apply(ticket, macro, personas.agent)
    ticket.refresh_from_db()
    assert ticket.priority != "high" and Macro.objects.get(pk=macro.pk).usage_count == 0


# -- the admin ----------------------------------------------------------------------------------


def test_the_admin_saves_and_deletes_through_the_actions(personas: Personas) -> None:
    from tests.conftest import signed_in

    operator = signed_in(personas.admin)
    form = {"title": "From the admin", "text_en": "Hi {{ requester.name }}", "text_ja": "", "scope": "shared",
            "active": "on"}  # fmt: skip
    assert operator.post("/admin/macros/macro/add/", form).status_code == 302
    macro = Macro.objects.get(title="From the admin")
    assert macro.created_by == personas.admin and macro.usage_count == 0
    refused = operator.post(
        "/admin/macros/macro/add/", {**form, "title": "Bad", "text_ja": "{% include 'x' %}"}
    )
    assert refused.status_code == 200 and not Macro.objects.filter(title="Bad").exists()
    assert operator.get("/admin/macros/macro/").status_code == 200
    assert operator.post(f"/admin/macros/macro/{macro.pk}/delete/", {"post": "yes"}).status_code == 302
    assert list(AuditEvent.objects.filter(subject_type="macro").values_list("action", flat=True)) == [
        "macro.created",
        "macro.deleted",
    ]


def test_the_admin_stores_macro_tags_in_their_normal_form(personas: Personas) -> None:
    from tests.conftest import signed_in

    operator = signed_in(personas.admin)
    form = {"title": "Tagging", "text_en": "Hi", "text_ja": "", "scope": "shared", "active": "on",
            "add_tags": "Billing, ＡＰＩ", "remove_tags": "new"}  # fmt: skip
    assert operator.post("/admin/macros/macro/add/", form).status_code == 302
    macro = Macro.objects.get(title="Tagging")
    assert (macro.add_tags, macro.remove_tags) == ("billing, api", "new")
    changed = operator.post(f"/admin/macros/macro/{macro.pk}/change/", {**form, "add_tags": "Refund"})
    assert changed.status_code == 302
    assert Macro.objects.get(pk=macro.pk).add_tags == "refund"
    refused = operator.post(f"/admin/macros/macro/{macro.pk}/change/", {**form, "remove_tags": "billing"})
    assert refused.status_code == 200 and Macro.objects.get(pk=macro.pk).remove_tags == "new"
