"""The tickets endpoints: list (filters, cursor pages, constant queries), create, read, update."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from policydesk.tickets import actions
from policydesk.tickets.models import AuditEvent, Deflection, Ticket
from tests.api.conftest import Desk
from tests.conftest import NOW, open_ticket


def numbers(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["number"] for item in response.json()["items"]]


def test_ticket_reads_as_json_with_utc_times(desk: Desk, as_person: Any) -> None:
    body = as_person("customer").get(f"/tickets/{desk.eu_ticket.number}").json()
    assert body["office"] == "central-europe" and body["status"] == "new"
    assert body["requester"] == {"email": "hanna@kumo.example", "name": ""}
    assert body["organisation"]["plan"] == "growth" and body["assignee"] is None
    # C3, C9: Growth/EMEA opened Tue 18:00Z -> due Thu 17:00Z on the central-europe calendar.
    assert body["first_response_due"] == "2026-12-03T17:00:00Z"
    assert body["created_at"] == "2026-12-01T18:00:00Z"


def test_list_is_newest_first(desk: Desk, as_person: Any) -> None:
    assert numbers(as_person("lead").get("/tickets")) == [desk.premium_ticket.number, desk.eu_ticket.number]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"office": "global"}, ["premium"]),
        ({"office": "central-europe"}, ["eu"]),
        ({"status": "new"}, ["premium", "eu"]),
        ({"status": "pending"}, []),
        ({"topic": "bug-report"}, ["premium"]),
        ({"priority": "normal"}, ["premium", "eu"]),
        ({"assignee": "none"}, ["premium", "eu"]),
        ({"mission_critical": "false"}, ["premium", "eu"]),
        ({"mission_critical": "true"}, []),
        ({"updated_since": "2026-12-01T18:00:00Z"}, ["premium", "eu"]),
        ({"updated_since": "2026-12-01T18:00:01+00:00"}, []),
    ],
)
def test_list_filters(desk: Desk, as_person: Any, params: dict[str, str], expected: list[str]) -> None:
    by_label = {"eu": desk.eu_ticket.number, "premium": desk.premium_ticket.number}
    assert numbers(as_person("lead").get("/tickets", **params)) == [by_label[label] for label in expected]


def test_list_filters_by_assignee_and_organisation(desk: Desk, as_person: Any) -> None:
    actions.do_assign(ticket=desk.eu_ticket, assignee=desk.personas.agent, actor=desk.personas.lead, now=NOW)
    eu = [desk.eu_ticket.number]
    assert numbers(as_person("agent").get("/tickets", assignee="me")) == eu
    assert numbers(as_person("lead").get("/tickets", assignee="JONAS@example.com")) == eu
    assert numbers(as_person("lead").get("/tickets", assignee="me")) == []
    kumo = desk.eu_ticket.organisation_id
    assert numbers(as_person("lead").get("/tickets", organisation=kumo)) == eu
    # A filter never widens what a person sees.
    assert numbers(as_person("other_org_customer").get("/tickets", organisation=kumo)) == []


def test_cursor_pages_walk_every_ticket_exactly_once(desk: Desk, as_person: Any) -> None:
    for i in range(9):
        open_ticket(desk.personas.customer, subject=f"Question {i}", now=NOW + timedelta(minutes=i))
    expected = list(Ticket.objects.order_by("-pk").values_list("number", flat=True))
    api = as_person("lead")
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        body = api.get("/tickets", **params).json()
        seen += [item["number"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected and len(seen) == 11
    assert pages == 3  # 4 + 4 + 3: the last page says there is no next one


def test_a_cursor_is_not_a_way_around_permissions(desk: Desk, as_person: Any) -> None:
    first = as_person("lead").get("/tickets", limit=1).json()
    assert first["next_cursor"] is not None
    assert numbers(as_person("other_org_customer").get("/tickets", cursor=first["next_cursor"])) == []


@pytest.mark.parametrize("cursor", ["nonsense", "eyJ2IjoyLCJpZCI6MX0", "eyJ2IjoxLCJpZCI6LTF9", "é"])
def test_a_forged_cursor_is_a_validation_error(desk: Desk, as_person: Any, cursor: str) -> None:
    response = as_person("lead").get("/tickets", cursor=cursor)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["query", "cursor"]


@pytest.mark.parametrize("limit", [0, 101])
def test_limit_is_between_1_and_100(desk: Desk, as_person: Any, limit: int) -> None:
    assert as_person("lead").get("/tickets", limit=limit).status_code == 422


@pytest.mark.parametrize("persona", ["lead", "agent", "customer"])
def test_list_query_count_does_not_grow_with_tickets(
    desk: Desk, as_person: Any, persona: str, django_assert_max_num_queries: Any
) -> None:
    api = as_person(persona)
    api.get("/tickets")  # the token's last use is recorded once a minute; not part of the count
    # The token, the page, its people copied, its outside copies, and for staff its tags and
    # followers (one query each).
    with django_assert_max_num_queries(7) as few:
        # The desk starts with two tickets; each of these personas sees one or both of them.
        shown = len(api.get("/tickets").json()["items"])
        assert shown in (1, 2)
    for i in range(30):
        ticket = open_ticket(desk.personas.customer, subject=f"Question {i}")
        actions.do_assign(ticket=ticket, assignee=desk.personas.agent, actor=desk.personas.lead, now=NOW)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get("/tickets").json()["items"]) >= 30


def test_customer_opens_a_ticket_and_gets_the_promise(desk: Desk, as_person: Any) -> None:
    response = as_person("customer").post(
        "/tickets", {"topic": "troubleshooting", "subject": "Export is slow", "text": "Takes minutes."}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["first_response_due"] == "2026-12-03T17:00:00Z"  # C3
    assert body["office"] == "central-europe" and body["requester"]["email"] == "hanna@kumo.example"
    ticket = Ticket.objects.get(number=body["number"])
    assert ticket.messages.get().text == "Takes minutes."


def test_an_out_of_scope_request_answers_where_to_go_c17(desk: Desk, as_person: Any) -> None:
    response = as_person("customer").post(
        "/tickets", {"topic": "plan-question", "subject": "Upgrade?", "text": "What does Enterprise cost?"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "deflect"
    assert body["route"]["kind"] == "account-team" and body["route"]["id"] == "account-executive"
    assert body["route"]["text"]
    assert Deflection.objects.filter(topic="plan-question").exists()
    assert not Ticket.objects.filter(subject="Upgrade?").exists()


def test_deflection_text_follows_the_customers_language(desk: Desk, as_person: Any) -> None:
    body = (
        as_person("customer")
        .post("/tickets", {"topic": "plan-question", "subject": "x", "text": "y", "language": "ja"})
        .json()
    )
    assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in body["route"]["text"])


def test_staff_open_tickets_for_a_customer_named_by_email(desk: Desk, as_person: Any) -> None:
    api = as_person("lead")
    missing = api.post("/tickets", {"topic": "troubleshooting", "subject": "s", "text": "t"})
    assert missing.status_code == 422
    assert missing.json()["error"]["details"][0]["loc"] == ["body", "requester_email"]
    unknown = api.post(
        "/tickets",
        {"topic": "troubleshooting", "subject": "s", "text": "t", "requester_email": "x@y.example"},
    )
    assert unknown.status_code == 422
    agent_as_requester = api.post(
        "/tickets",
        {"topic": "troubleshooting", "subject": "s", "text": "t", "requester_email": "jonas@example.com"},
    )
    assert agent_as_requester.status_code == 422
    created = api.post(
        "/tickets",
        {"topic": "troubleshooting", "subject": "s", "text": "t", "requester_email": "HANNA@kumo.example"},
    )
    assert created.status_code == 201 and created.json()["requester"]["email"] == "hanna@kumo.example"
    opened = AuditEvent.objects.get(
        action="ticket.opened", subject_id=str(Ticket.objects.get(number=created.json()["number"]).pk)
    )
    assert opened.actor is not None and opened.actor.email == "lead@example.com"  # who entered it


def test_a_ticket_an_agent_took_down_by_phone_reads_with_its_channel(desk: Desk, as_person: Any) -> None:
    hanna = desk.personas.customer
    phoned = actions.do_open_ticket(
        requester=hanna, topic="troubleshooting", subject="By phone", text="t", channel="phone", now=NOW,
        entered_by=desk.personas.agent,
    ).ticket  # fmt: skip
    assert phoned is not None
    body = as_person("customer").get(f"/tickets/{phoned.number}").json()
    assert body["channel"] == "phone"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"topic": "astrology", "subject": "s", "text": "t"}, 400),  # not in the policy: the action says so
        ({"topic": "troubleshooting", "subject": "s", "text": "t", "priority": "urgent"}, 400),
        ({"topic": "troubleshooting", "subject": "", "text": "t"}, 422),
        ({"topic": "troubleshooting", "subject": "s", "text": "t", "channel": "fax"}, 422),
        ({"subject": "s", "text": "t"}, 422),
    ],
)
def test_bad_tickets_are_refused(desk: Desk, as_person: Any, body: dict[str, str], status: int) -> None:
    response = as_person("customer").post("/tickets", body)
    assert response.status_code == status
    assert response.json()["error"]["message"]


def test_staff_update_status_priority_and_assignee(desk: Desk, as_person: Any) -> None:
    number = desk.eu_ticket.number
    response = as_person("lead").patch(
        f"/tickets/{number}", {"assignee_email": "jonas@example.com", "status": "pending", "priority": "high"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["assignee"]["email"] == "jonas@example.com"
    assert (body["status"], body["priority"]) == ("pending", "high")
    assert body["first_response_due"] == "2026-12-03T17:00:00Z"  # C16: priority never moves the due time
    changes = set(AuditEvent.objects.filter(subject_type="ticket").values_list("action", flat=True))
    assert {"ticket.assigned", "ticket.status", "ticket.priority"} <= changes
    unassigned = as_person("lead").patch(f"/tickets/{number}", {"assignee_email": None}).json()
    assert unassigned["assignee"] is None and unassigned["status"] == "pending"


def test_update_refusals(desk: Desk, as_person: Any) -> None:
    number = desk.eu_ticket.number
    lead = as_person("lead")
    # ava works us-west, not this ticket's queue (C9): the action refuses.
    wrong_queue = lead.patch(f"/tickets/{number}", {"assignee_email": "ava@example.com"})
    assert wrong_queue.status_code == 400
    assert wrong_queue.json()["error"]["code"] == "rejected"
    assert "central-europe" in wrong_queue.json()["error"]["message"]
    assert lead.patch(f"/tickets/{number}", {"assignee_email": "hanna@kumo.example"}).status_code == 422
    assert lead.patch(f"/tickets/{number}", {"status": "archived"}).status_code == 422
    assert lead.patch(f"/tickets/{number}", {"status": None}).status_code == 422
    assert lead.patch(f"/tickets/{number}", {"status": "closed"}).status_code == 200
    reopened = lead.patch(f"/tickets/{number}", {"status": "open"})
    assert reopened.status_code == 400 and "closed" in reopened.json()["error"]["message"]
    assert Ticket.objects.get(number=number).status == "closed"


def test_a_failed_update_changes_nothing(desk: Desk, as_person: Any) -> None:
    number = desk.eu_ticket.number
    response = as_person("lead").patch(f"/tickets/{number}", {"status": "solved", "priority": "urgent"})
    assert response.status_code == 400
    assert Ticket.objects.get(number=number).status == "new"  # all the changes, or none


def test_merge_folds_a_ticket_into_another_and_answers_with_the_one_that_goes_on(
    desk: Desk, as_person: Any
) -> None:
    duplicate = open_ticket(desk.personas.same_org_customer, subject="Same problem")
    api = as_person("agent")
    answer = api.post(f"/tickets/{duplicate.number}/merge", {"into": desk.eu_ticket.number})
    assert answer.status_code == 200 and answer.json()["number"] == desk.eu_ticket.number
    duplicate.refresh_from_db()
    assert duplicate.status == "closed" and duplicate.merged_into_id == desk.eu_ticket.pk
    # Into a ticket the agent cannot see: not found, nothing moved.
    other = open_ticket(desk.personas.same_org_customer, subject="Another")
    refused = api.post(f"/tickets/{other.number}/merge", {"into": desk.premium_ticket.number})
    assert refused.status_code == 404
    assert api.post(f"/tickets/{other.number}/merge", {"into": "x"}).status_code == 422
    other.refresh_from_db()
    assert other.merged_into_id is None


def test_follow_and_copy_through_the_api(desk: Desk, as_person: Any) -> None:
    number = desk.eu_ticket.number
    agent, hanna = as_person("agent"), as_person("customer")
    assert agent.post(f"/tickets/{number}/followers").status_code == 200
    assert list(desk.eu_ticket.followers.values_list("email", flat=True)) == ["jonas@example.com"]
    assert hanna.post(f"/tickets/{number}/followers").status_code == 403
    assert as_person("other_office_agent").post(f"/tickets/{number}/followers").status_code == 404
    assert hanna.post(f"/tickets/{number}/participants", {"email": "felix@kumo.example"}).status_code == 200
    refused = hanna.post(f"/tickets/{number}/participants", {"email": "olga@other.example"})
    assert refused.status_code == 400
    assert list(desk.eu_ticket.participants.values_list("email", flat=True)) == ["felix@kumo.example"]
    removed = agent.client.delete(
        f"/api/v1/tickets/{number}/participants/felix@kumo.example", headers=agent.headers
    )
    assert removed.status_code == 200 and not desk.eu_ticket.participants.exists()
    assert (
        agent.client.delete(f"/api/v1/tickets/{number}/followers", headers=agent.headers).status_code == 200
    )
    assert not desk.eu_ticket.followers.exists()


def test_a_ticket_says_what_it_was_merged_into_its_followers_and_people_copied(
    desk: Desk, as_person: Any
) -> None:
    personas = desk.personas
    eu = desk.eu_ticket
    fresh = as_person("agent").get(f"/tickets/{eu.number}").json()
    assert (fresh["merged_into"], fresh["followers"], fresh["participants"]) == (None, [], [])
    actions.do_follow(ticket=eu, person=personas.agent, now=NOW)
    actions.do_add_participant(
        ticket=eu, participant=personas.same_org_customer, actor=personas.agent, now=NOW
    )
    later = open_ticket(personas.customer, subject="The same again")
    actions.do_merge_tickets(source=later, target=eu, agent=personas.agent, now=NOW)
    agent = as_person("agent")
    body = agent.get(f"/tickets/{eu.number}").json()
    assert body["followers"] == [{"email": personas.agent.email, "name": personas.agent.name}]
    assert body["participants"] == [{"email": personas.same_org_customer.email, "name": ""}]
    assert body["merged_into"] is None
    assert agent.get(f"/tickets/{later.number}").json()["merged_into"] == eu.number
    listed = {item["number"]: item for item in agent.get("/tickets", status="closed").json()["items"]}
    assert listed[later.number]["merged_into"] == eu.number
    # The customer sees who is copied, not who on staff follows.
    mine = as_person("customer").get(f"/tickets/{eu.number}").json()
    assert mine["followers"] == [] and len(mine["participants"]) == 1


def test_the_new_ticket_fields_are_in_the_openapi_document(as_person: Any) -> None:
    ticket = as_person(None).get("/openapi.json").json()["components"]["schemas"]["TicketOut"]
    assert {"merged_into", "followers", "participants", "tags"} <= set(ticket["properties"])


@pytest.mark.parametrize(
    ("persona", "japanese"), [("customer", False), ("customer", True), ("lead", False), ("agent", True)]
)
def test_the_answer_to_an_intake_is_the_tickets_own_get(
    desk: Desk, as_person: Any, persona: str, japanese: bool
) -> None:
    # The create answer is built from the ticket in hand (schemas.just_opened, issue 17): field by
    # field and byte for byte what GET /tickets/{number} answers the same caller right after.
    body = {"topic": "troubleshooting", "subject": "Export is slow", "text": "Takes minutes."}
    if persona != "customer":
        body["requester_email"] = "hanna@kumo.example"
    if japanese:
        body["language"] = "ja"
    api = as_person(persona)
    created = api.post("/tickets", body)
    assert created.status_code == 201, created.content
    fetched = api.get(f"/tickets/{created.json()['number']}")
    assert fetched.status_code == 200
    for field, value in fetched.json().items():
        assert created.json()[field] == value, field
    assert created.json().keys() == fetched.json().keys()
    assert created.content == fetched.content


def test_the_answer_to_an_intake_names_an_assignee_as_the_get_does(desk: Desk, as_person: Any) -> None:
    # No receiver assigns a new ticket today; should one, the answer says so like the GET.
    from policydesk.api.schemas import just_opened

    ticket = open_ticket(desk.personas.customer, subject="Assigned at once")
    actions.do_assign(ticket=ticket, assignee=desk.personas.agent, actor=desk.personas.lead, now=NOW)
    answer = just_opened(Ticket.objects.get(pk=ticket.pk)).model_dump()
    assert answer["assignee"] == {"email": desk.personas.agent.email, "name": desk.personas.agent.name}


def test_staff_cannot_open_a_ticket_for_an_inactive_customer(desk: Desk, as_person: Any) -> None:
    api = as_person("agent")
    body = {"topic": "troubleshooting", "subject": "s", "text": "t", "requester_email": "felix@kumo.example"}
    assert api.post("/tickets", body).status_code == 201  # the lookup's SQL is kept from here on
    type(desk.personas.customer).objects.filter(email="felix@kumo.example").update(is_active=False)
    refused = api.post("/tickets", body)
    assert refused.status_code == 422 and refused.json()["error"]["details"][0]["loc"] == [
        "body",
        "requester_email",
    ]
