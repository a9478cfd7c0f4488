"""The macro editor's form (console/macro_views.py): it validates input; `macros.actions`
checks the rest (placeholders, permissions) and saves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from policydesk.macros.actions import MacroFields
from policydesk.macros.models import Macro
from policydesk.macros.rendering import PLACEHOLDERS
from policydesk.policy.model import Policy
from policydesk.tickets.access import STAFF_ROLES
from policydesk.tickets.models import Person, Team, Ticket
from policydesk.tickets.tags import BadTag, parse_tags

ME = "me"


class MacroForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    text_en = forms.CharField(
        label=_("Reply in English"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    text_ja = forms.CharField(
        label=_("Reply in Japanese"), required=False, widget=forms.Textarea(attrs={"rows": 6, "lang": "ja"})
    )
    scope = forms.ChoiceField(label=_("Who may use it"), choices=Macro.Scope.choices)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.order_by("name"), required=False)
    set_status = forms.ChoiceField(label=_("Set the status"), required=False)
    set_priority = forms.ChoiceField(label=_("Set the priority"), required=False)
    set_assignee = forms.ChoiceField(label=_("Assign to"), required=False)
    set_topic = forms.ChoiceField(label=_("Set the request type"), required=False)
    add_tags = forms.CharField(
        label=_("Add the tags"), required=False, max_length=500,
        help_text=_("Separated by commas or spaces."),
    )  # fmt: skip
    remove_tags = forms.CharField(
        label=_("Remove the tags"), required=False, max_length=500,
        help_text=_("Separated by commas or spaces."),
    )  # fmt: skip
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, policy: Policy, lang: str, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unchanged = [("", _("No change"))]
        self.fields["set_status"].choices = unchanged + list(Ticket.Status.choices)  # type: ignore[attr-defined]
        self.fields["set_priority"].choices = unchanged + [  # type: ignore[attr-defined]
            (p.id, p.name.get(lang)) for p in policy.priorities.values()
        ]
        self.fields["set_topic"].choices = unchanged + [  # type: ignore[attr-defined]
            (t.id, t.name.get(lang)) for t in policy.request_types.values()
        ]
        staff = Person.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("email")
        self.fields["set_assignee"].choices = [  # type: ignore[attr-defined]
            *unchanged,
            (ME, _("The agent who applies it")),
            *((str(p.pk), p.name or p.email) for p in staff),
        ]
        if person.role == Person.Role.AGENT:  # agents keep personal macros only
            self.fields["scope"].choices = [(Macro.Scope.PERSONAL, Macro.Scope.PERSONAL.label)]  # type: ignore[attr-defined]
        self.fields["text_en"].help_text = self.fields["text_ja"].help_text = _("Placeholders: %(names)s") % {
            "names": ", ".join("{{ " + name + " }}" for name in PLACEHOLDERS)
        }

    @classmethod
    def initial_of(cls, macro: Macro) -> dict[str, Any]:
        assignee = ME if macro.assign_to_me else (str(macro.set_assignee_id) if macro.set_assignee_id else "")
        return {
            "title": macro.title, "text_en": macro.text_en, "text_ja": macro.text_ja, "scope": macro.scope,
            "team": macro.team_id, "set_status": macro.set_status, "set_priority": macro.set_priority,
            "set_assignee": assignee, "set_topic": macro.set_topic, "active": macro.active,
            "add_tags": macro.add_tags, "remove_tags": macro.remove_tags,
        }  # fmt: skip

    def fields_of(self) -> MacroFields:
        data = self.cleaned_data
        assignee = data["set_assignee"]
        person = Person.objects.filter(pk=int(assignee)).first() if assignee and assignee != ME else None
        return MacroFields(
            title=data["title"], text_en=data["text_en"], text_ja=data["text_ja"], scope=data["scope"],
            team=data["team"], set_status=data["set_status"], set_priority=data["set_priority"],
            set_assignee=person, assign_to_me=assignee == ME, set_topic=data["set_topic"],
            active=data["active"], add_tags=tuple(data["add_tags_list"]),
            remove_tags=tuple(data["remove_tags_list"]),
        )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("add_tags", "remove_tags"):
            try:
                cleaned[f"{name}_list"] = parse_tags(cleaned.get(name) or "")
            except BadTag as bad:
                self.add_error(name, bad.explained())
        return cleaned
