"""Outside copies (issue 13): addresses that are nobody's sign-in, copied on a ticket where the
policy allows; who may add them, what they receive (public replies, in the ticket's language,
never notes), removal, the policy's domains and number, and hostile addresses refused whole."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from policydesk.mail.models import OutgoingMail
from policydesk.tickets import actions
from policydesk.tickets.actions import ActionError
from policydesk.tickets.models import AuditEvent, OutsideCopy, Ticket
from tests.conftest import NOW, Personas, open_ticket, signed_in

LATER = NOW + timedelta(hours=1)
Allow = Callable[..., None]


@pytest.fixture
def ticket(personas: Personas) -> Ticket:
    return open_ticket(personas.customer)


def copies(ticket: Ticket) -> list[str]:
    return list(OutsideCopy.objects.filter(ticket=ticket).values_list("address", flat=True))


def replies(ticket: Ticket, recipient: str) -> list[OutgoingMail]:
    return list(
        OutgoingMail.objects.filter(ticket=ticket, kind=OutgoingMail.Kind.AGENT_REPLY, recipient=recipient)
    )


def test_the_seed_policy_refuses_outside_copies_to_everyone(personas: Personas, ticket: Ticket) -> None:
    for actor in (personas.customer, personas.agent, personas.admin):
        with pytest.raises(ActionError, match="policy does not allow copying addresses outside"):
            actions.do_add_outside_copy(ticket=ticket, address="ext@partner.example", actor=actor, now=NOW)
    assert copies(ticket) == []
    assert not AuditEvent.objects.filter(action__startswith="ticket.outside_copy").exists()


def test_a_copy_receives_public_replies_until_removed_and_never_notes(
    personas: Personas, ticket: Ticket, allow_outside_copies: Allow
) -> None:
    allow_outside_copies()
    actions.do_add_outside_copy(
        ticket=ticket, address=" Ext@Partner.Example ", actor=personas.customer, now=NOW
    )
    assert copies(ticket) == ["ext@partner.example"]
    row = OutsideCopy.objects.get()
    assert (row.added_by, row.created_at) == (personas.customer, NOW)
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Try the new export.", now=NOW)
    actions.do_add_note(ticket=ticket, agent=personas.agent, text="Customer is on the old plan", now=NOW)
    [sent] = replies(ticket, "ext@partner.example")
    assert sent.person is None and sent.language == "en" and "Try the new export." in sent.body
    assert "You are copied on request" in sent.body and "Reply to this email" not in sent.body
    assert "old plan" not in "".join(OutgoingMail.objects.values_list("body", flat=True))
    actions.do_remove_outside_copy(
        ticket=ticket, address="EXT@partner.example", actor=personas.agent, now=LATER
    )
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Second", now=LATER)
    assert len(replies(ticket, "ext@partner.example")) == 1
    assert len(replies(ticket, "hanna@kumo.example")) == 2
    audit = AuditEvent.objects.filter(action__startswith="ticket.outside_copy").order_by("pk")
    assert [(e.action, e.actor, e.data) for e in audit] == [
        ("ticket.outside_copy_added", personas.customer, {"address": "ext@partner.example"}),
        ("ticket.outside_copy_removed", personas.agent, {"address": "ext@partner.example"}),
    ]


def test_a_copy_is_written_to_in_the_tickets_language(
    personas: Personas, allow_outside_copies: Allow
) -> None:
    allow_outside_copies()
    ticket = open_ticket(personas.customer, language="ja")
    actions.do_add_outside_copy(ticket=ticket, address="ext@partner.example", actor=personas.agent, now=NOW)
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="ご確認ください。", now=NOW)
    [sent] = replies(ticket, "ext@partner.example")
    assert sent.language == "ja" and "このメールへの返信はリクエストに届きません" in sent.body


#: persona → may copy an outside address on hanna's ticket (the requester, and staff who answer it).
MAY_ADD = {
    "customer": True,
    "same_org_customer": False,  # a colleague may see nothing of it: not theirs to widen
    "other_org_customer": False,
    "agent": True,
    "other_office_agent": False,  # outside their queues
    "premium_agent": False,
    "lead": True,
    "admin": True,
}


@pytest.mark.parametrize("persona", list(MAY_ADD))
def test_who_may_add_and_remove_a_copy(
    persona: str, personas: Personas, ticket: Ticket, allow_outside_copies: Allow
) -> None:
    allow_outside_copies()
    actor = getattr(personas, persona)
    if not MAY_ADD[persona]:
        with pytest.raises(ActionError, match="only the requester or support staff"):
            actions.do_add_outside_copy(ticket=ticket, address="ext@partner.example", actor=actor, now=NOW)
        actions.do_add_outside_copy(
            ticket=ticket, address="ext@partner.example", actor=personas.customer, now=NOW
        )
        with pytest.raises(ActionError, match="only the requester or support staff"):
            actions.do_remove_outside_copy(ticket=ticket, address="ext@partner.example", actor=actor, now=NOW)
        assert copies(ticket) == ["ext@partner.example"]
        return
    actions.do_add_outside_copy(ticket=ticket, address="ext@partner.example", actor=actor, now=NOW)
    assert copies(ticket) == ["ext@partner.example"]
    actions.do_remove_outside_copy(ticket=ticket, address="ext@partner.example", actor=actor, now=NOW)
    assert copies(ticket) == []


HOSTILE = [
    ("header injection", "ext@partner.example\r\nBcc: all@victim.example", "is not one email address"),
    ("a bare line feed", "ext@partner.example\nX-Evil: 1", "is not one email address"),
    ("a list", "a@partner.example, b@partner.example", "is not one email address"),
    ("a display name", "Ext <ext@partner.example>", "is not one email address"),
    ("empty", "   ", "enter an email address"),
    ("no domain", "ext@", "is not a valid email address"),
    ("no at sign", "partner.example", "is not a valid email address"),
    ("non-ASCII", "jürgen@partner.example", "is not a valid email address"),
    ("a NUL", "ext\x00@partner.example", "is not one email address"),
    ("huge", "x" * 5000 + "@partner.example", "is longer than 254 characters"),
]


@pytest.mark.parametrize(("raw", "expected"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_a_hostile_address_is_refused_whole_with_a_clear_reason(
    raw: str, expected: str, personas: Personas, ticket: Ticket, allow_outside_copies: Allow
) -> None:
    allow_outside_copies()
    with pytest.raises(ActionError, match=expected) as refused:
        actions.do_add_outside_copy(ticket=ticket, address=raw, actor=personas.customer, now=NOW)
    assert "\n" not in str(refused.value) and "\r" not in str(refused.value) and len(str(refused.value)) < 200
    assert copies(ticket) == []


def test_the_policy_bounds_domains_and_the_number_a_ticket(
    personas: Personas, ticket: Ticket, allow_outside_copies: Allow
) -> None:
    allow_outside_copies(domains=("partner.example",), max_per_ticket=2)
    with pytest.raises(ActionError, match=r"only of addresses at partner\.example"):
        actions.do_add_outside_copy(
            ticket=ticket, address="x@elsewhere.example", actor=personas.agent, now=NOW
        )
    for address in ("a@partner.example", "b@eu.partner.example", "a@partner.example"):  # the last: a no-op
        actions.do_add_outside_copy(ticket=ticket, address=address, actor=personas.agent, now=NOW)
    with pytest.raises(ActionError, match="copies 2 outside addresses already"):
        actions.do_add_outside_copy(ticket=ticket, address="c@partner.example", actor=personas.agent, now=NOW)
    assert copies(ticket) == ["a@partner.example", "b@eu.partner.example"]
    assert AuditEvent.objects.filter(action="ticket.outside_copy_added").count() == 2


def test_people_known_here_and_the_desks_own_domain_are_not_outside_copies(
    personas: Personas, ticket: Ticket, allow_outside_copies: Allow
) -> None:
    allow_outside_copies()
    with pytest.raises(ActionError, match="is a customer of this organisation: copy them as a participant"):
        actions.do_add_outside_copy(
            ticket=ticket, address="FELIX@kumo.example", actor=personas.customer, now=NOW
        )
    with pytest.raises(ActionError, match=r"olga@other\.example cannot be copied on this ticket"):
        actions.do_add_outside_copy(
            ticket=ticket, address="olga@other.example", actor=personas.customer, now=NOW
        )
    with pytest.raises(ActionError, match="desk's own domain"):
        actions.do_add_outside_copy(
            ticket=ticket, address="nobody@example.com", actor=personas.customer, now=NOW
        )
    assert copies(ticket) == []


def test_a_merge_moves_the_copies_into_the_surviving_ticket(
    personas: Personas, ticket: Ticket, allow_outside_copies: Allow
) -> None:
    allow_outside_copies(max_per_ticket=1)
    other = open_ticket(personas.customer, subject="Same problem")
    actions.do_add_outside_copy(ticket=ticket, address="a@partner.example", actor=personas.agent, now=NOW)
    actions.do_add_outside_copy(ticket=other, address="b@partner.example", actor=personas.agent, now=NOW)
    actions.do_merge_tickets(source=other, target=ticket, agent=personas.agent, now=LATER)
    assert copies(ticket) == ["a@partner.example", "b@partner.example"]  # nothing copied is dropped
    merged = AuditEvent.objects.get(action="ticket.merged")
    assert merged.data["outside_copies_moved"] == ["b@partner.example"]


def test_the_requester_copies_an_outside_address_in_the_portal_and_removes_it(
    personas: Personas, ticket: Ticket, allow_outside_copies: Allow
) -> None:
    allow_outside_copies(domains=("partner.example",))
    hanna = signed_in(personas.customer)
    page = f"/tickets/{ticket.number}/"
    url = page + "people/"
    assert "partner.example" in hanna.get(page).content.decode()  # the form says what may be copied
    assert hanna.post(url, {"email": "Ext@Partner.example"}).status_code == 302
    assert hanna.post(url, {"email": "felix@kumo.example"}).status_code == 302  # a colleague: a participant
    assert copies(ticket) == ["ext@partner.example"]
    assert list(ticket.participants.values_list("email", flat=True)) == ["felix@kumo.example"]
    html = hanna.get(page).content.decode()
    assert 'data-testid="outside-copy">ext@partner.example' in html
    refused = hanna.post(url, {"email": "x@elsewhere.example"})
    assert refused.status_code == 400 and "only of addresses at partner.example" in refused.content.decode()
    assert 'value="x@elsewhere.example"' in refused.content.decode()  # the form keeps what was typed
    injected = hanna.post(url, {"email": "ext@partner.example\r\nBcc: all@victim.example"})
    assert injected.status_code == 400
    felix = signed_in(personas.same_org_customer)  # a participant cannot remove the requester's copies
    assert felix.post(url, {"email": "ext@partner.example", "remove": "on"}).status_code == 400
    assert hanna.post(url, {"email": "ext@partner.example", "remove": "on"}).status_code == 302
    assert copies(ticket) == []
    assert signed_in(personas.other_org_customer).post(url, {"email": "b@partner.example"}).status_code == 404


def test_the_portal_speaks_of_outside_copies_only_where_the_policy_allows(
    personas: Personas, ticket: Ticket
) -> None:
    hanna = signed_in(personas.customer)
    assert 'data-testid="outside-copies-rule"' not in hanna.get(f"/tickets/{ticket.number}/").content.decode()
    refused = hanna.post(f"/tickets/{ticket.number}/people/", {"email": "ext@partner.example"})
    assert refused.status_code == 400 and "not a customer of this ticket" in refused.content.decode()
    assert copies(ticket) == []


def test_an_agent_copies_an_outside_address_in_the_console_in_place(
    personas: Personas, ticket: Ticket, allow_outside_copies: Allow
) -> None:
    allow_outside_copies()
    url = f"/console/tickets/{ticket.number}/participants/"
    jonas = signed_in(personas.agent)
    answer = jonas.post(url, {"email": "ext@partner.example"}, HTTP_HX_REQUEST="true")
    html = answer.content.decode()
    assert (
        'data-testid="outside-copy">ext@partner.example' in html
        and 'data-testid="outside-copies-rule"' in html
    )
    assert signed_in(personas.other_office_agent).post(url, {"email": "b@partner.example"}).status_code == 404
    removed = jonas.post(url, {"email": "ext@partner.example", "remove": "on"}, HTTP_HX_REQUEST="true")
    assert 'data-testid="outside-copy"' not in removed.content.decode()
    assert copies(ticket) == []


def test_the_console_shows_outside_copies_in_japanese(
    personas: Personas, ticket: Ticket, allow_outside_copies: Allow
) -> None:
    allow_outside_copies()
    actions.do_add_outside_copy(ticket=ticket, address="ext@partner.example", actor=personas.agent, now=NOW)
    jonas = signed_in(personas.agent, HTTP_ACCEPT_LANGUAGE="ja")
    actions.do_update_profile(person=personas.agent, language="ja", actor=personas.agent, now=NOW)
    html = jonas.get(f"/console/tickets/{ticket.number}/").content.decode()
    assert "組織外：公開の返信をメールで受け取るのみ" in html
    assert "組織外のアドレスもCCに追加できます（最大 10 件）" in html


def test_the_admin_lists_outside_copies_read_only(
    personas: Personas, ticket: Ticket, allow_outside_copies: Allow
) -> None:
    allow_outside_copies()
    actions.do_add_outside_copy(ticket=ticket, address="ext@partner.example", actor=personas.agent, now=NOW)
    admin = signed_in(personas.admin)
    listing = admin.get("/admin/tickets/outsidecopy/")
    assert listing.status_code == 200 and "ext@partner.example" in listing.content.decode()
    assert admin.get("/admin/tickets/outsidecopy/add/").status_code == 403
