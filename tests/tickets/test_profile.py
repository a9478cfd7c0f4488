"""do_update_profile: a person's language, time zone and notification emails, audited."""

from __future__ import annotations

import pytest

from policydesk.tickets import actions
from policydesk.tickets.actions import ActionError
from policydesk.tickets.models import AuditEvent, Delivery, Notification, Person
from tests.conftest import NOW, Personas


def test_profile_update_saves_zone_language_and_emails_with_one_audit_row(personas: Personas) -> None:
    agent = personas.agent
    actions.do_update_profile(
        person=agent,
        actor=agent,
        now=NOW,
        language="ja",
        time_zone="Asia/Singapore",
        emails={Notification.MENTION: False},
        delivery=Delivery.DIGEST,
    )
    stored = Person.objects.get(pk=agent.pk)
    assert (stored.language, stored.time_zone, stored.notify_delivery) == ("ja", "Asia/Singapore", "digest")
    assert stored.emails_wanted() == {"customer-reply", "assigned", "reopened"}
    event = AuditEvent.objects.get(action="person.profile_updated")
    assert event.actor == agent and event.subject_id == str(agent.pk)
    assert event.data == {
        "language": "ja",
        "time_zone": "Asia/Singapore",
        "notify_mention": False,
        "notify_delivery": "digest",
    }


def test_new_staff_want_every_notification_by_email_as_it_happens(personas: Personas) -> None:
    assert personas.agent.emails_wanted() == set(Notification.values)
    assert personas.agent.notify_delivery == Delivery.IMMEDIATE


def test_profile_update_that_changes_nothing_writes_nothing(personas: Personas) -> None:
    actions.do_update_profile(
        person=personas.customer, actor=personas.customer, now=NOW, language="", time_zone=""
    )
    assert not AuditEvent.objects.filter(action="person.profile_updated").exists()


def test_empty_zone_and_language_clear_them(personas: Personas) -> None:
    customer = personas.customer
    actions.do_update_profile(person=customer, actor=customer, now=NOW, language="ja", time_zone="Asia/Tokyo")
    actions.do_update_profile(person=customer, actor=customer, now=NOW, language="", time_zone="")
    customer.refresh_from_db()
    assert (customer.language, customer.time_zone) == ("", "")


@pytest.mark.parametrize(
    "change",
    [
        {"time_zone": "Mars/Olympus_Mons"},
        {"time_zone": "UTC+08:00"},  # a fixed offset is a calendar's, not a person's zone
        {"time_zone": "../../etc/passwd"},
        {"language": "fr"},
        {"emails": {"birthday": True}},
        {"delivery": "weekly"},
    ],
)
def test_profile_update_refuses_what_it_does_not_know(personas: Personas, change: dict[str, object]) -> None:
    with pytest.raises(ActionError):
        actions.do_update_profile(person=personas.agent, actor=personas.agent, now=NOW, **change)  # type: ignore[arg-type]
    assert Person.objects.get(pk=personas.agent.pk).time_zone == ""


def test_only_the_person_or_an_admin_changes_a_profile(personas: Personas) -> None:
    with pytest.raises(ActionError):
        actions.do_update_profile(person=personas.agent, actor=personas.lead, now=NOW, time_zone="Asia/Tokyo")
    actions.do_update_profile(person=personas.agent, actor=personas.admin, now=NOW, time_zone="Asia/Tokyo")
    assert Person.objects.get(pk=personas.agent.pk).time_zone == "Asia/Tokyo"


def test_a_new_persons_zone_and_language_are_checked_as_a_profiles(personas: Personas) -> None:
    with pytest.raises(ActionError, match="unknown time zone"):
        actions.do_create_person(
            email="zed@example.com",
            password=None,
            role="agent",
            actor=personas.admin,
            now=NOW,
            time_zone="UTC+8",
        )
    with pytest.raises(ActionError, match="unknown language"):
        actions.do_create_person(
            email="zed@example.com", password=None, role="agent", actor=personas.admin, now=NOW, language="xx"
        )
    assert not Person.objects.filter(email="zed@example.com").exists()
