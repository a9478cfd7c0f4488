"""Who may use and who may manage which macro: a personal macro is its owner's; a team macro is
used by that team's members; a shared one by all staff. Leads and admins manage the shared and
team macros; everyone on staff manages their own personal ones."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from policydesk.macros.models import Macro
from policydesk.tickets.access import is_staff, sees_all_queues
from policydesk.tickets.models import Person


def usable_macros(person: Person) -> QuerySet[Macro]:
    """The active macros `person` may apply, by title."""
    if not is_staff(person):
        return Macro.objects.none()
    return Macro.objects.filter(active=True).filter(
        Q(scope=Macro.Scope.SHARED)
        | Q(scope=Macro.Scope.PERSONAL, owner=person)
        | Q(scope=Macro.Scope.TEAM, team__in=person.teams.all())
    )


def can_use(person: Person, macro: Macro) -> bool:
    return usable_macros(person).filter(pk=macro.pk).exists()


def manageable_macros(person: Person) -> QuerySet[Macro]:
    """The macros `person` may edit and delete (active or not)."""
    if not is_staff(person):
        return Macro.objects.none()
    own = Q(scope=Macro.Scope.PERSONAL, owner=person)
    if sees_all_queues(person):
        return Macro.objects.filter(own | Q(scope__in=(Macro.Scope.SHARED, Macro.Scope.TEAM)))
    return Macro.objects.filter(own)


def may_manage_scope(person: Person, scope: str) -> bool:
    """Whether `person` may create a macro of `scope`."""
    if not is_staff(person):
        return False
    return scope == Macro.Scope.PERSONAL or sees_all_queues(person)


def can_manage(person: Person, macro: Macro) -> bool:
    return manageable_macros(person).filter(pk=macro.pk).exists()
