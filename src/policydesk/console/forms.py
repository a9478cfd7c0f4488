"""The console's forms: they validate input; the views call the actions."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from policydesk import display
from policydesk.console import queries
from policydesk.policy.model import Policy
from policydesk.tickets.actions import Upload
from policydesk.tickets.models import (
    AGENT_CHANNELS,
    NOTIFICATION_FIELDS,
    Delivery,
    Notification,
    Person,
    Ticket,
)
from policydesk.tickets.tags import BadTag, normalise_tag, parse_tags
from policydesk.web.once import once_key_field

StrOrPromise = str | Promise


class PlainSelect(forms.Select):
    """A `<select>` (options, and groups of them) with the markup of Django's, built in Python: Django
    renders every option through a template (about 30 µs each), and the queue page's assignee filter
    lists every staff member on every request."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        selected = set(self.format_value(value))
        attributes = format_html_join(
            "",
            " {}{}",
            (
                (attribute, "" if setting is True else format_html('="{}"', setting))
                for attribute, setting in self.build_attrs(self.attrs, attrs).items()
                if setting is not False
            ),
        )
        return format_html(
            '<select name="{}"{}>{}</select>', name, attributes, _options(self.choices, selected)
        )


def _options(choices: Any, selected: set[str]) -> SafeString:
    """`<option>`s of `choices`, a group's (`(label, [(value, label), ...])`) in an `<optgroup>`."""
    return format_html_join(
        "",
        "{}",
        (
            (
                format_html('<optgroup label="{}">{}</optgroup>', value, _options(label, selected))
                if isinstance(label, list | tuple)
                else format_html(
                    '<option value="{}"{}>{}</option>',
                    value,
                    " selected" if str(value) in selected else "",
                    label,
                ),
            )
            for value, label in choices
        ),
    )


class QueueFilterForm(forms.Form):
    """GET filters of a queue page; anything invalid is dropped rather than refused."""

    status = forms.ChoiceField(label=_("Status"), required=False, widget=PlainSelect)
    priority = forms.ChoiceField(label=_("Priority"), required=False, widget=PlainSelect)
    topic = forms.ChoiceField(label=_("Request type"), required=False, widget=PlainSelect)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False, widget=PlainSelect)
    q = forms.CharField(label=_("Subject contains"), required=False, max_length=200, strip=True)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=200, strip=True)
    sort = forms.ChoiceField(
        label=_("Order"), required=False, widget=PlainSelect,
        choices=[("", _("Due time first")), (queries.SORT_NEWEST, _("Newest first"))],
    )  # fmt: skip

    def __init__(self, *args: Any, policy: Policy, lang: str, staff: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["status"].choices = [
            ("", _("Open (new, open, pending, on hold)")),
            *Ticket.Status.choices,
            ("all", _("Any status")),
        ]
        fields["priority"].choices = [("", _("Any priority"))] + [
            (p.id, p.name.get(lang)) for p in policy.priorities.values()
        ]
        fields["topic"].choices = (
            [("", _("Any request type"))]
            + [(t.id, t.name.get(lang)) for t in policy.request_types.values()]
            + [(t.id, t.name.get(lang)) for t in policy.out_of_scope.values()]
        )
        fields["assignee"].choices = [("", _("Anyone")), ("none", _("Unassigned"))] + [
            (str(person.pk), person.name or person.email) for person in staff
        ]

    def filters(self) -> queries.Filters:
        self.is_valid()  # an invalid filter is dropped: cleaned_data keeps only the valid ones
        cleaned = self.cleaned_data
        return queries.Filters(
            status=cleaned.get("status", ""),
            priority=cleaned.get("priority", ""),
            topic=cleaned.get("topic", ""),
            assignee=cleaned.get("assignee", ""),
            text=cleaned.get("q", ""),
            tag=cleaned.get("tag", ""),
        )

    def order(self) -> str:
        """The page's order: `queries.SORT_DUE` unless a valid other one was asked for."""
        self.is_valid()
        return self.cleaned_data.get("sort") or queries.SORT_DUE

    def clean_tag(self) -> str:
        raw = self.cleaned_data.get("tag", "")
        try:
            return normalise_tag(raw) if raw else ""
        except BadTag as bad:
            raise forms.ValidationError(_("Not a tag."), code="invalid") from bad


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class TicketForm(forms.Form):
    """One of the several forms of the ticket page: element ids start with the form's name."""

    id_name = "ticket"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.id_name}_%s")
        super().__init__(*args, **kwargs)

    def render(
        self, template_name: str | None = None, context: Any = None, renderer: Any = None
    ) -> SafeString:
        """`{{ form }}`: the markup of Django's `div` form template, built here for a form of plain
        fields (no hidden fields, none in a fieldset): through the templates each of the ticket
        page's side forms cost 0.3 ms, on every view and every in-place update."""
        visible = self.visible_fields()
        if template_name or context or self.hidden_fields() or any(f.use_fieldset for f in visible):
            return super().render(template_name, context, renderer)
        errors = self.non_field_errors()
        return format_html(
            "{}{}",
            errors.render() if errors else "",
            format_html_join("", "<div{}>{}{}{}{}</div>", (_field_group(field) for field in visible)),
        )

    __str__ = __html__ = render  # as Django's RenderableMixin does, so that `{{ form }}` uses this one


def _field_group(field: forms.BoundField) -> tuple[Any, ...]:
    """One field as Django's `field.html` renders it: label, help text, errors, widget."""
    classes = field.css_classes()
    label = (
        format_html('<label for="{}">{}{}</label>', field.id_for_label, field.label, field.form.label_suffix)
        if field.label
        else ""
    )
    help_text = (
        format_html('<div class="helptext" id="{}_helptext">{}</div>', field.auto_id, field.help_text)
        if field.help_text
        else ""
    )
    return (
        format_html(' class="{}"', classes) if classes else "",
        label,
        help_text,
        field.errors.render() if field.errors else "",
        field.as_widget(),
    )


class ReplyForm(TicketForm):
    """A public reply to the customer (it stops the first-response clock)."""

    id_name = "reply"

    text = forms.CharField(label=_("Reply to the customer"), widget=forms.Textarea(attrs={"rows": 6}))
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    once_key = once_key_field()

    def uploads(self) -> tuple[Upload, ...]:
        return _uploads(self.cleaned_data["attachments"])


def _uploads(files: list[UploadedFile]) -> tuple[Upload, ...]:
    return tuple(
        Upload(
            filename=upload.name or "attachment",
            content_type=upload.content_type or "application/octet-stream",
            content=upload.read(),
        )
        for upload in files
    )


class NoteForm(TicketForm):
    """An internal note: staff only, does not stop any clock."""

    id_name = "note"

    text = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 4}))
    once_key = once_key_field()


class ComposeForm(TicketForm):
    """The workspace's one composer: a public reply or an internal note, by `kind`. A reply leaves
    the ticket pending, or solved when sent with `then=solved` ("send and solve"); a note changes
    no status and stops no clock. Attachments go with replies only."""

    id_name = "compose"

    KINDS = (("reply", _("Reply to the customer")), ("note", _("Internal note")))
    THEN = (("pending", _("Pending (waiting on the customer)")), ("solved", _("Solved")))

    kind = forms.ChoiceField(label=_("Write"), choices=KINDS, initial="reply", widget=forms.RadioSelect)
    text = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}))
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    then = forms.ChoiceField(choices=THEN, required=False)
    once_key = once_key_field()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") == "note" and cleaned.get("attachments"):
            self.add_error("attachments", _("Attach files to a reply; a note carries text only."))
        return cleaned

    @property
    def is_note(self) -> bool:
        return bool(self.cleaned_data["kind"] == "note")

    def status_after(self) -> str:
        return Ticket.Status.SOLVED if self.cleaned_data.get("then") == "solved" else Ticket.Status.PENDING

    def uploads(self) -> tuple[Upload, ...]:
        return _uploads(self.cleaned_data["attachments"])


class MergeForm(TicketForm):
    """Fold this ticket into another one (`do_merge_tickets`), named by its number."""

    id_name = "merge"

    into = forms.IntegerField(label=_("Merge into ticket number"), min_value=1)


class FollowForm(TicketForm):
    """Follow the ticket (be told of its customer replies and reopening) or stop."""

    id_name = "follow"

    follow = forms.ChoiceField(choices=(("yes", _("Follow")), ("no", _("Stop following"))))


class ParticipantForm(TicketForm):
    """Copy a customer of the ticket's organisation on it, or stop copying one."""

    id_name = "participants"

    email = forms.EmailField(label=_("Copy a colleague of the customer (email)"))
    remove = forms.BooleanField(required=False)


class StaffChoiceField(forms.ModelChoiceField[Person]):
    def label_from_instance(self, obj: Person) -> str:
        return obj.name or obj.email


class AssignForm(TicketForm):
    """Assign to an agent who works the ticket's queue, or to nobody."""

    id_name = "assign"

    assignee = StaffChoiceField(
        label=_("Assignee"),
        queryset=Person.objects.none(),
        required=False,
        empty_label=_("Nobody"),
        widget=PlainSelect,
    )

    def __init__(self, *args: Any, office: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(StaffChoiceField, self.fields["assignee"]).queryset = queries.assignable_staff(office)


class StatusForm(TicketForm):
    id_name = "status"
    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices, widget=PlainSelect)


class PriorityForm(TicketForm):
    """C15: the priority, with its published definitions beside it; it never moves the due time (C16)."""

    id_name = "priority"

    priority = forms.ChoiceField(label=_("Priority"), widget=PlainSelect)

    def __init__(self, *args: Any, policy: Policy, lang: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["priority"].choices = [(p.id, p.name.get(lang)) for p in policy.priorities.values()]  # type: ignore[attr-defined]


class DeflectForm(TicketForm):
    """Mark the ticket out of scope (C12): the customer gets the policy's route text."""

    id_name = "deflect"

    topic = forms.ChoiceField(label=_("Out-of-scope topic"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, policy: Policy, lang: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [(t.id, t.name.get(lang)) for t in policy.out_of_scope.values()]  # type: ignore[attr-defined]


class MeetingDecisionForm(TicketForm):
    """C7, C21: propose a one-off call (times in the note) or decline, saying why."""

    id_name = "meeting"

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("propose", _("Propose a call")), ("decline", _("Decline"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note to the customer"), widget=forms.Textarea(attrs={"rows": 3}))


#: Zones offered on the profile page besides the policy's offices' (any IANA name may be typed).
COMMON_ZONES = (
    "UTC",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
)


def suggested_zones(policy: Policy) -> list[str]:
    """The zones the profile's time-zone field suggests: the offices' own (when they are IANA names,
    not fixed offsets such as "UTC+08:00"), then COMMON_ZONES."""
    offices = [getattr(office.calendar, "zone", "") for office in policy.offices.values()]
    zones = [zone for zone in offices if display.is_known_zone(zone)] + list(COMMON_ZONES)
    return list(dict.fromkeys(zones))


class ZoneInput(forms.TextInput):
    """Free entry with a `<datalist>` of suggestions (the template renders the list)."""

    def __init__(self) -> None:
        super().__init__(attrs={"list": "zone-suggestions", "autocomplete": "off", "spellcheck": "false"})


class ProfileForm(forms.Form):
    """A staff member's own settings (actions.do_update_profile): language, time zone, and which
    notifications they also want by email (the console shows them all)."""

    language = forms.ChoiceField(label=_("Language"), required=False)
    time_zone = forms.CharField(
        label=_("Time zone"),
        required=False,
        max_length=64,
        widget=ZoneInput(),
        help_text=_(
            "An IANA name such as Asia/Singapore; empty for UTC. Times in the console are shown in it."
        ),
    )
    delivery = forms.ChoiceField(
        label=_("Notification emails"), choices=Delivery.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("My browser's language")), *settings.LANGUAGES]  # type: ignore[attr-defined]
        for event, label in Notification.choices:
            self.fields[NOTIFICATION_FIELDS[event]] = forms.BooleanField(label=label, required=False)

    @classmethod
    def of(cls, person: Person) -> ProfileForm:
        initial = {field: getattr(person, field) for field in NOTIFICATION_FIELDS.values()}
        initial.update(language=person.language, time_zone=person.time_zone, delivery=person.notify_delivery)
        return cls(initial=initial)

    def email_fields(self) -> list[forms.BoundField]:
        return [self[field] for field in NOTIFICATION_FIELDS.values()]

    def clean_time_zone(self) -> str:
        zone = str(self.cleaned_data["time_zone"]).strip()
        if zone and not display.is_known_zone(zone):
            raise forms.ValidationError(
                _("%(zone)s is not a time zone we know; use a name such as Asia/Singapore."),
                params={"zone": zone},
            )
        return zone

    def emails(self) -> dict[str, bool]:
        return {event: self.cleaned_data[field] for event, field in NOTIFICATION_FIELDS.items()}


class NewTicketForm(forms.Form):
    """A request an agent takes down for a customer (phone, a forwarded email, a chat): it goes
    through the one intake path with the agent recorded as the one who entered it."""

    requester = forms.EmailField(
        label=_("Customer's login email"),
        help_text=_("The email the customer signs in with (C14); search for it above."),
    )
    channel = forms.ChoiceField(label=_("Came by"), widget=forms.RadioSelect, initial=Ticket.Channel.PHONE)
    topic = forms.ChoiceField(label=_("Request type"), widget=PlainSelect)
    priority = forms.ChoiceField(label=_("Priority"), widget=PlainSelect)
    subject = forms.CharField(label=_("Subject"), max_length=250)
    text = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 8}))
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    once_key = once_key_field()

    def __init__(self, *args: Any, policy: Policy, lang: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_new_%s")
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["channel"].choices = [(c, Ticket.Channel(c).label) for c in AGENT_CHANNELS]
        fields["topic"].choices = _topic_choices(policy, lang)
        fields["priority"].choices = [(p.id, p.name.get(lang)) for p in policy.priorities.values()]
        fields["priority"].initial = policy.desk.default_priority

    def clean_requester(self) -> Person:
        customer = queries.customer_by_email(self.cleaned_data["requester"])
        if customer is None:
            raise forms.ValidationError(_("No active customer of an organisation has this email."))
        return customer

    def uploads(self) -> tuple[Upload, ...]:
        return _uploads(self.cleaned_data["attachments"])


class RequestTypeForm(TicketForm):
    """Change the request type: triage runs again (a new due time, queue, or a deflection)."""

    id_name = "request_type"

    topic = forms.ChoiceField(label=_("Request type"), widget=PlainSelect)

    def __init__(self, *args: Any, policy: Policy, lang: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = _topic_choices(policy, lang)  # type: ignore[attr-defined]


def _topic_choices(policy: Policy, lang: str) -> list[tuple[StrOrPromise, list[tuple[str, str]]]]:
    """The policy's request types, then its out-of-scope topics (which triage deflects)."""
    return [
        (_("Request types (C11)"), [(t.id, t.name.get(lang)) for t in policy.request_types.values()]),
        (_("Out of scope (C12)"), [(t.id, t.name.get(lang)) for t in policy.out_of_scope.values()]),
    ]


class TagsForm(TicketForm):
    """A ticket's tags: those it has (uncheck one to take it off) and new ones, typed with
    suggestions (`console/tag_views.py`); commas and spaces separate them."""

    id_name = "tags"

    tags = forms.MultipleChoiceField(label=_("Tags"), required=False, widget=forms.CheckboxSelectMultiple)
    add = forms.CharField(
        label=_("Add tags"),
        required=False,
        max_length=500,
        help_text=_("Separate tags with spaces or commas."),
    )

    def __init__(self, *args: Any, current: list[str], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"tags": current})
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["tags"].choices = [(name, name) for name in current]

    def clean_add(self) -> list[str]:
        try:
            return parse_tags(self.cleaned_data.get("add", ""))
        except BadTag as bad:
            raise forms.ValidationError(bad.explained()) from bad

    def wanted(self) -> list[str]:
        """The tags the ticket is to have: those kept, then the new ones."""
        return [*self.cleaned_data["tags"], *self.cleaned_data["add"]]


class SaveViewForm(forms.Form):
    """Save the queue page's filters as a view in the sidebar."""

    name = forms.CharField(label=_("View name"), max_length=80)
    shared = forms.BooleanField(label=_("Share with the team"), required=False)
    query = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)
