"""Ranking that stops early (docs/search.md, "Ranking"): candidates are read newest match first,
a chunk at a time, until enough tickets match every term. The chunks here are made tiny, so a
handful of tickets crosses every boundary a desk of a million messages does."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policydesk.search import service
from policydesk.search.service import find
from policydesk.tickets import actions
from policydesk.tickets.access import is_staff, visible_tickets
from policydesk.tickets.models import Person, Ticket
from tests.conftest import NOW, Personas, open_ticket


@pytest.fixture(autouse=True)
def tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "CANDIDATES", 4)
    monkeypatch.setattr(service, "FIRST_CHUNK", 2)
    monkeypatch.setattr(service, "MAX_CHUNK", 8)
    monkeypatch.setattr(service, "FEW_TICKETS", 0)  # nobody sees few enough to skip the reading


def numbers(person: Person, query: str, limit: int = 20) -> list[int]:
    return [hit.number for hit in find(person, query, limit)]


@pytest.fixture
def many(personas: Personas) -> list[Ticket]:
    """Twelve tickets saying "report", oldest first, alternately the customer's and another
    organisation's, each with a note saying it too; the first and the eleventh (the customer's)
    say it in their subject."""
    tickets = []
    for index in range(12):
        requester = personas.customer if index % 2 == 0 else personas.other_org_customer
        subject = {0: "Report archive", 10: "Report missing"}.get(index, f"Question {index}")
        ticket = open_ticket(requester, subject=subject, text=f"The weekly report is late ({index}).")
        actions.do_add_note(ticket=ticket, agent=personas.lead, text="report checked", now=NOW)
        tickets.append(ticket)
    return tickets


@pytest.mark.parametrize(
    "persona", ["customer", "same_org_customer", "other_org_customer", "agent", "other_office_agent", "lead"]
)
def test_a_common_word_over_many_tickets_finds_only_what_the_person_may_see_best_first(
    personas: Personas, many: list[Ticket], persona: str
) -> None:
    person = getattr(personas, persona)
    numbers_of_many = [ticket.number for ticket in many]
    visible = set(visible_tickets(person).filter(number__in=numbers_of_many).values_list("number", flat=True))
    hits = find(person, "report", limit=3)
    found = [hit.number for hit in hits]
    assert set(found) <= visible
    assert len(found) == min(3, len(visible))
    # Best first: the subject matches (the recent one at least) on top, then newer first.
    assert hits == sorted(hits, key=lambda hit: (-hit.score, -hit.number))
    if many[10].number in visible:
        assert found[0] == many[10].number and hits[0].score > hits[-1].score


def test_a_subject_match_among_the_candidates_ranks_above_newer_message_matches(
    personas: Personas, many: list[Ticket]
) -> None:
    hits = find(personas.lead, "report", limit=3)
    assert [hit.number for hit in hits] == [many[10].number, many[11].number, many[9].number]
    assert hits[0].score > hits[1].score == hits[2].score


def test_an_old_subject_match_beyond_the_candidates_does_not_outrank_newer_tickets(
    personas: Personas, many: list[Ticket]
) -> None:
    """The trade-off, written down: best first among the newest candidates, not over all time."""
    found = numbers(personas.lead, "report", limit=20)
    assert found[0] == many[10].number
    assert many[0].number not in found  # its subject matches, but it is older than the candidates
    assert len(found) >= service.CANDIDATES
    # named more precisely, it is found
    assert numbers(personas.lead, "report archive") == [many[0].number]


@pytest.mark.parametrize("persona", ["customer", "agent"])
def test_someone_who_sees_few_tickets_has_every_match_ranked(
    personas: Personas, many: list[Ticket], monkeypatch: pytest.MonkeyPatch, persona: str
) -> None:
    monkeypatch.setattr(service, "FEW_TICKETS", 100)
    person = getattr(personas, persona)
    hits = find(person, "report", limit=3)
    assert [hit.number for hit in hits][:2] == [many[10].number, many[0].number]  # both subjects
    assert hits[1].score > hits[2].score
    assert numbers(personas.other_org_customer, "report archive") == []


def test_the_limit_is_kept_and_no_ticket_appears_twice(personas: Personas, many: list[Ticket]) -> None:
    for limit in (1, 2, 4, 20):
        found = numbers(personas.lead, "report", limit=limit)
        assert len(found) == len(set(found)) <= limit


def test_reading_stops_once_there_are_enough_candidates(personas: Personas, many: list[Ticket]) -> None:
    for _ in range(12):
        open_ticket(personas.customer, subject="Later", text="One more report.")
    with CaptureQueriesContext(connection) as early:
        find(personas.lead, "report", limit=3)
    with CaptureQueriesContext(connection) as exhaustive:
        find(personas.lead, "report zzz-nowhere", limit=3)
    reads = [
        query for query in early.captured_queries if "ORDER BY" in query["sql"] and "LIMIT" in query["sql"]
    ]
    assert len(reads) <= 2, "reads two chunks at most: 4 candidates from the first 2 + 8 entries"
    # A term that matches nothing ends the search at once.
    selects = [query for query in exhaustive.captured_queries if query["sql"].startswith("SELECT")]
    assert len(selects) <= 2


def test_a_rare_word_in_an_old_ticket_is_still_found(personas: Personas) -> None:
    old = open_ticket(personas.customer, subject="Old", text="The zebrafish importer fails. 鰻の請求")
    for index in range(10):
        newer = open_ticket(personas.customer, subject=f"Newer {index}", text="The weekly report is late.")
        actions.do_customer_reply(
            ticket=newer, customer=personas.customer, text="Report again, 請求", now=NOW
        )
    assert numbers(personas.agent, "zebrafish") == [old.number]
    # with a common word: the rare one leads, the common one is checked on its tickets
    assert numbers(personas.agent, "report zebrafish") == []
    assert numbers(personas.agent, "importer zebrafish") == [old.number]
    assert numbers(personas.agent, "late zebrafish") == []
    assert numbers(personas.agent, "the zebrafish") == [old.number]
    # one or two characters: scanned newest first, past every newer entry
    assert numbers(personas.agent, "鰻") == [old.number]
    assert numbers(personas.customer, "鰻") == [old.number]
    assert numbers(personas.agent, "鰻 請求") == [old.number]
    assert numbers(personas.agent, str(old.number))[0] == old.number


def test_notes_never_make_candidates_for_customers(personas: Personas) -> None:
    public = open_ticket(personas.customer, subject="Public", text="The kiwi export fails.")
    noted = []
    for index in range(6):
        ticket = open_ticket(personas.customer, subject=f"Other {index}", text="Nothing to see.")
        actions.do_add_note(ticket=ticket, agent=personas.agent, text="kiwi account, do not tell", now=NOW)
        noted.append(ticket.number)
    assert numbers(personas.customer, "kiwi") == [public.number]
    assert numbers(personas.customer, "ki") == [public.number]
    assert is_staff(personas.agent)
    assert set(numbers(personas.agent, "kiwi")) >= set(noted[-3:])


@pytest.mark.parametrize("count", [4, 100])
@pytest.mark.parametrize("persona", ["lead", "customer", "agent"])
@pytest.mark.parametrize("term", ["report", "rep", "archive", "checked", "weekly report", "e"])
def test_a_lone_terms_scores_from_the_read_are_the_scores_of_every_row(
    personas: Personas, many: list[Ticket], persona: str, term: str, count: int
) -> None:
    """`_lone_scores` reads again only the rows that weigh more than a message: its scores are
    those `_scores` gives from every row, for whoever searches (notes only for staff), whether
    the read held a ticket's best row (100 entries: all) or only its newest (4: the subject of
    "Report missing" is older than its message and note)."""
    from policydesk.search.normalise import normalise
    from policydesk.search.query import parse

    person = getattr(personas, persona)
    staff = is_staff(person)
    normalised = normalise(term)
    tickets = visible_tickets(person)
    rows = service._newest(normalised, None, staff, before=None, count=count)
    known: dict[int, int] = {}
    for match in rows:
        known[match.ticket_id] = max(known.get(match.ticket_id, 0), match.weight)
    ids = list(known)
    within = service._Within(tickets)
    full = service._scores(within, ids, parse(f'"{term}"'), staff)
    assert service._lone_scores(within, ids, normalised, staff, known) == full
    assert full or persona != "lead"  # others may see none of the newest entries
    if term == "report" and count == 4 and persona == "lead":
        assert known[many[10].pk] < full[many[10].pk] == 8  # the subject, read again


def test_only_as_many_candidates_as_still_wanted_are_scored(
    personas: Personas, many: list[Ticket], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk holds more tickets than are wanted: the newest are scored, as many as wanted
    (one term: each matches), and the rest are not read again."""
    monkeypatch.setattr(service, "FIRST_CHUNK", 12)
    scored: list[int] = []
    real = service._lone_scores

    def counting(within: service._Within, ticket_ids: list[int], *args: object) -> dict[int, float]:
        scored.extend(ticket_ids)
        return real(within, ticket_ids, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "_lone_scores", counting)
    hits = find(personas.lead, "report", limit=3)
    assert len(scored) == service.CANDIDATES == 4
    # the newest four tickets saying it, the one with it in its subject first
    assert sorted(scored) == sorted(ticket.pk for ticket in many[-4:])
    assert [hit.number for hit in hits] == [many[10].number, many[11].number, many[9].number]
