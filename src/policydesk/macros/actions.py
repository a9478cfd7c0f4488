"""Every write to macros: save, delete, apply. One transaction each, one audit row each (the
changes a macro makes to a ticket are the tickets' own actions, each with its own audit row,
as if the agent had made them one by one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from policydesk.desk_policy import get_policy
from policydesk.macros import access, rendering
from policydesk.macros.models import Macro
from policydesk.tickets import actions as ticket_actions
from policydesk.tickets.access import can_answer, is_staff
from policydesk.tickets.actions import ActionError
from policydesk.tickets.actions.shared import locked
from policydesk.tickets.actions.stale import check_version
from policydesk.tickets.actions.tags import MAX_TAGS
from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import Person, Team, Ticket
from policydesk.tickets.tags import BadTag, normalise_all


@dataclass(frozen=True)
class MacroFields:
    """What a macro is made of, however it is edited (console, admin, API)."""

    title: str
    text_en: str = ""
    text_ja: str = ""
    scope: str = Macro.Scope.PERSONAL
    team: Team | None = None
    set_status: str = ""
    set_priority: str = ""
    set_assignee: Person | None = None
    assign_to_me: bool = False
    set_topic: str = ""
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    active: bool = True

    def normalised_tags(self) -> tuple[list[str], list[str]]:
        """The tags to add and to remove in their normal form; ActionError for one that is not a tag."""
        try:
            return normalise_all(list(self.add_tags)), normalise_all(list(self.remove_tags))
        except BadTag as bad:
            raise ActionError(bad.explained()) from bad


def check_fields(fields: MacroFields) -> None:
    """Refuse a macro that could not be applied: no text, a tag in a text, an unknown status,
    priority or request type, a team macro without a team, two assignees, a bad tag or one both
    added and removed."""
    policy = get_policy()
    if not fields.title.strip():
        raise ActionError(_("a macro needs a title"))
    if not (fields.text_en.strip() or fields.text_ja.strip()):
        raise ActionError(_("a macro needs a reply text in English or Japanese"))
    for text in (fields.text_en, fields.text_ja):
        try:
            rendering.check(text)
        except rendering.PlaceholderError as error:
            raise ActionError(str(error)) from error
    if fields.scope not in Macro.Scope.values:
        raise ActionError(_("unknown scope %(scope)r") % {"scope": fields.scope})
    if fields.scope == Macro.Scope.TEAM and fields.team is None:
        raise ActionError(_("a team macro needs a team"))
    if fields.set_status and fields.set_status not in Ticket.Status.values:
        raise ActionError(_("unknown status %(status)r") % {"status": fields.set_status})
    if fields.set_priority and fields.set_priority not in policy.priorities:
        raise ActionError(_("unknown priority %(priority)r") % {"priority": fields.set_priority})
    if (
        fields.set_topic
        and fields.set_topic not in policy.request_types
        and fields.set_topic not in policy.out_of_scope
    ):
        raise ActionError(_("unknown request type %(topic)r") % {"topic": fields.set_topic})
    if fields.assign_to_me and fields.set_assignee is not None:
        raise ActionError(_("a macro assigns to a person or to the agent who applies it, not both"))
    if fields.set_assignee is not None and not is_staff(fields.set_assignee):
        raise ActionError(_("%(email)s is not on staff") % {"email": fields.set_assignee.email})
    add, remove = fields.normalised_tags()
    if len(add) > MAX_TAGS:
        raise ActionError(_("A ticket has at most %(max)s tags.") % {"max": MAX_TAGS})
    both = sorted(set(add) & set(remove))
    if both:
        raise ActionError(_("A macro cannot both add and remove a tag: %(tags)s") % {"tags": ", ".join(both)})


def do_save_macro(*, macro: Macro | None, fields: MacroFields, actor: Person, now: datetime) -> Macro:
    """Create (`macro` None) or change a macro the actor may manage, in a scope they may manage."""
    if macro is not None and not access.can_manage(actor, macro):
        raise ActionError(_("you may not change this macro"))
    if not access.may_manage_scope(actor, fields.scope):
        raise ActionError(_("only leads and admins manage team and shared macros"))
    check_fields(fields)
    with transaction.atomic():
        created = macro is None
        if macro is None:
            macro = Macro(created_by=actor, created_at=now)
        if fields.scope == Macro.Scope.PERSONAL and (created or macro.scope != Macro.Scope.PERSONAL):
            macro.owner = actor  # a personal macro is its maker's
        elif fields.scope != Macro.Scope.PERSONAL:
            macro.owner = None
        macro.title = fields.title.strip()
        macro.text_en, macro.text_ja = fields.text_en, fields.text_ja
        macro.scope = fields.scope
        macro.team = fields.team if fields.scope == Macro.Scope.TEAM else None
        macro.set_status, macro.set_priority, macro.set_topic = (
            fields.set_status, fields.set_priority, fields.set_topic,
        )  # fmt: skip
        macro.set_assignee, macro.assign_to_me = fields.set_assignee, fields.assign_to_me
        add, remove = fields.normalised_tags()
        macro.add_tags, macro.remove_tags = ", ".join(add), ", ".join(remove)
        macro.active = fields.active
        macro.updated_by, macro.updated_at = actor, now
        macro.save()
        record_audit_event(
            now, actor, "macro.created" if created else "macro.changed", macro,
            title=macro.title, scope=macro.scope, team=macro.team.name if macro.team else None,
        )  # fmt: skip
    return macro


def do_delete_macro(*, macro: Macro, actor: Person, now: datetime) -> None:
    if not access.can_manage(actor, macro):
        raise ActionError(_("you may not delete this macro"))
    with transaction.atomic():
        record_audit_event(now, actor, "macro.deleted", macro, title=macro.title, scope=macro.scope)
        macro.delete()


@dataclass(frozen=True)
class AppliedMacro:
    """What applying a macro did: the reply to put in the composer (not sent), its language, the
    placeholders that had no value, and the changes made to the ticket (field names)."""

    ticket: Ticket
    text: str
    language: str
    missing: tuple[str, ...]
    changes: tuple[str, ...]


def do_apply_macro(
    *, ticket: Ticket, macro: Macro, agent: Person, now: datetime, expected_version: int | None = None
) -> AppliedMacro:
    """Make the macro's changes through the tickets' own actions (a request-type change re-triages
    as a manual one does; the tags change in one `ticket.tags` row, as a hand edit), count the use,
    and render its reply for the customer. The reply is not sent: the agent reads it, fills what is
    missing and sends it from the composer."""
    with transaction.atomic():
        ticket, changes = _make_changes(ticket, macro, agent, now, expected_version, with_status=True)
        _count_use(macro, ticket, agent, now, changes)
    ticket = Ticket.objects.select_related("organisation", "requester", "assignee").get(pk=ticket.pk)
    rendered = rendering.render_for(macro.text_en, macro.text_ja, ticket, agent)
    return AppliedMacro(ticket, rendered.text, rendered.language, rendered.missing, tuple(changes))


def do_send_macro(*, ticket: Ticket, macro: Macro, agent: Person, now: datetime) -> AppliedMacro:
    """Apply the macro and send its reply at once (a bulk change: no composer to read it in). The
    reply is rendered for each ticket in its customer's language; a placeholder without a value
    refuses the ticket (nothing changed, nothing sent), since nobody is there to fill it. The
    reply is the agent's own (`do_agent_reply`: first response, pending); a macro that solves
    sends "and solve", one that sets another status sets it after the reply."""
    with transaction.atomic():
        ticket, changes = _make_changes(ticket, macro, agent, now, None, with_status=False)
        ticket = Ticket.objects.select_related("organisation", "requester", "assignee").get(pk=ticket.pk)
        rendered = rendering.render_for(macro.text_en, macro.text_ja, ticket, agent)
        if rendered.missing:
            raise ActionError(
                _("no value for the placeholders %(names)s")
                % {"names": ", ".join("{{ " + name + " }}" for name in rendered.missing)}
            )
        solve = macro.set_status == Ticket.Status.SOLVED
        message = ticket_actions.do_agent_reply(
            ticket=ticket, agent=agent, text=rendered.text, now=now,
            status=Ticket.Status.SOLVED if solve else Ticket.Status.PENDING,
        )  # fmt: skip
        changes.append("reply")
        ticket = message.ticket
        if macro.set_status and macro.set_status != ticket.status:
            ticket = ticket_actions.do_set_status(
                ticket=ticket, status=macro.set_status, actor=agent, now=now
            )
            changes.append("status")
        _count_use(macro, ticket, agent, now, changes, message=message.pk)
    return AppliedMacro(ticket, rendered.text, rendered.language, (), tuple(changes))


def _make_changes(
    ticket: Ticket,
    macro: Macro,
    agent: Person,
    now: datetime,
    expected_version: int | None,
    *,
    with_status: bool,
) -> tuple[Ticket, list[str]]:
    """The macro's changes to the ticket, each through the ticket's own action (within the caller's
    transaction); the status only `with_status` (a reply sets its own)."""
    if not access.can_use(agent, macro):
        raise ActionError(_("you may not use this macro"))
    if not can_answer(agent, ticket):
        raise ActionError(_("you do not work this ticket's queue"))
    changes: list[str] = []
    ticket = locked(ticket)
    check_version(ticket, expected_version)  # once, before the first change moves the version
    if macro.set_topic and macro.set_topic != ticket.topic:
        change = ticket_actions.do_change_request_type(
            ticket=ticket, topic=macro.set_topic, agent=agent, now=now
        )
        ticket = change.ticket
        changes.append("request_type")
    assignee = agent if macro.assign_to_me else macro.set_assignee
    if assignee is not None and ticket.assignee_id != assignee.pk and ticket.is_open:
        ticket = ticket_actions.do_assign(ticket=ticket, assignee=assignee, actor=agent, now=now)
        changes.append("assignee")
    if with_status and macro.set_status and macro.set_status != ticket.status:
        ticket = ticket_actions.do_set_status(ticket=ticket, status=macro.set_status, actor=agent, now=now)
        changes.append("status")
    if macro.set_priority and macro.set_priority != ticket.priority:
        ticket = ticket_actions.do_set_priority(
            ticket=ticket, priority=macro.set_priority, actor=agent, now=now
        )
        changes.append("priority")
    if macro.tags_to_add or macro.tags_to_remove:
        # One `ticket.tags` audit row, as when the agent edits the tags by hand.
        current = set(ticket.tags.values_list("name", flat=True))
        wanted = (current | set(macro.tags_to_add)) - set(macro.tags_to_remove)
        if wanted != current:
            ticket = ticket_actions.do_set_tags(ticket=ticket, tags=sorted(wanted), actor=agent, now=now)
            changes.append("tags")
    return ticket, changes


def _count_use(
    macro: Macro, ticket: Ticket, agent: Person, now: datetime, changes: list[str], **extra: object
) -> None:
    Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1, last_used_at=now)
    record_audit_event(now, agent, "macro.applied", macro, ticket=ticket.number, changes=changes, **extra)
