"""A macro's placeholders, rendered by Django's template engine in a sandbox.

The sandbox is an `Engine` of its own: no loaders (no `{% include %}` of files), no tag library
(every `{% tag %}` is a syntax error, `{% load %}` included), a few harmless filters, no
autoescaping (the reply is plain text), and a context of plain strings in dicts, never model
instances, so a placeholder cannot reach past what is listed here (`{{ ticket.requester.password }}`
finds nothing). A placeholder with no value renders as a marker (`string_if_invalid`) which is
collected into the list of missing names and left in the text as `{{ name }}` for the agent to fill.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.template import Context, Engine, Library, TemplateSyntaxError, defaultfilters
from django.template.base import TextNode, VariableNode
from django.utils import translation
from django.utils.translation import gettext as _

from policydesk import languages
from policydesk.desk_policy import get_policy
from policydesk.promises import promise_for
from policydesk.tickets.models import Person, Ticket

#: The placeholders a macro may use, each a dotted name.
PLACEHOLDERS = (
    "requester.first_name",
    "requester.name",
    "ticket.number",
    "ticket.subject",
    "promise",
    "organisation.name",
    "organisation.account_executive",
    "agent.name",
)

_MARK = "\x00missing:%s\x00"
_MARKED = re.compile("\x00missing:([^\x00]*)\x00")

_filters = Library()
for _name in ("upper", "lower", "title", "capfirst", "default"):
    _filters.filter(_name, getattr(defaultfilters, _name))


def _sandbox() -> Engine:
    engine = Engine(loaders=[], libraries={}, autoescape=False, string_if_invalid=_MARK, debug=False)
    # Engine always adds Django's tag and filter libraries to `builtins`; the sandbox keeps only ours.
    engine.template_builtins = [_filters]
    engine.template_libraries = {}
    return engine


SANDBOX = _sandbox()


class PlaceholderError(ValueError):
    """A macro text the sandbox refuses: a tag, an unknown placeholder, a syntax error."""


def check(text: str) -> None:
    """Parse `text` in the sandbox; raise `PlaceholderError` saying what is wrong."""
    try:
        template = SANDBOX.from_string(text)
    except TemplateSyntaxError as error:
        raise PlaceholderError(
            _("Only placeholders like {{ ticket.number }} are allowed, no tags: %(error)s") % {"error": error}
        ) from error
    for text_node in template.nodelist.get_nodes_by_type(TextNode):
        if isinstance(text_node, TextNode) and ("{{" in text_node.s or "{%" in text_node.s):
            raise PlaceholderError(_("A placeholder is not closed: write {{ name }}."))
    for node in template.nodelist.get_nodes_by_type(VariableNode):
        name = str(node.filter_expression.var) if isinstance(node, VariableNode) else ""
        if name not in PLACEHOLDERS:
            raise PlaceholderError(
                _("Unknown placeholder {{ %(name)s }}; the placeholders are: %(known)s")
                % {"name": name, "known": ", ".join(PLACEHOLDERS)}
            )


@dataclass(frozen=True)
class Rendered:
    text: str
    language: str
    missing: tuple[str, ...]


def values_for(ticket: Ticket, agent: Person, lang: str) -> dict[str, str]:
    """Every placeholder's value for `ticket`, as plain strings ('' for none)."""
    requester, organisation = ticket.requester, ticket.organisation
    with translation.override(lang):
        promise = promise_for(ticket, get_policy(), requester.time_zone, lang).text
    name = requester.name.strip()
    return {
        "requester.first_name": name.split()[0] if name else "",
        "requester.name": name,
        "ticket.number": str(ticket.number),
        "ticket.subject": ticket.subject,
        "promise": promise,
        "organisation.name": organisation.name,
        "organisation.account_executive": organisation.account_executive,
        "agent.name": agent.name or agent.email,
    }


def render_text(text: str, values: dict[str, str], lang: str) -> Rendered:
    """`text` with `values` in place; the placeholders without a value listed and left as `{{ name }}`."""
    nested: dict[str, dict[str, str] | str] = {}
    for dotted, value in values.items():
        if not value:
            continue  # absent: the marker says which
        head, _dot, tail = dotted.partition(".")
        if tail:
            group = nested.setdefault(head, {})
            if isinstance(group, dict):
                group[tail] = value
        else:
            nested[head] = value
    try:
        output = SANDBOX.from_string(text).render(Context(nested, autoescape=False))
    except TemplateSyntaxError:  # saved before the rules: shown as written, not rendered
        return Rendered(text, lang, ())
    missing = tuple(dict.fromkeys(_MARKED.findall(output)))
    return Rendered(_MARKED.sub(lambda found: "{{ " + found.group(1) + " }}", output), lang, missing)


def customer_language(ticket: Ticket) -> str:
    """The language the customer reads: theirs, else the ticket's (as the workspace shows it)."""
    return languages.choose(ticket.requester.language, ticket.language)


def render_for(text_en: str, text_ja: str, ticket: Ticket, agent: Person) -> Rendered:
    """The reply in the customer's language (the other language's text when that one is blank)."""
    text, lang = pick_text(text_en, text_ja, customer_language(ticket))
    return render_text(text, values_for(ticket, agent, lang), lang)


def pick_text(text_en: str, text_ja: str, lang: str) -> tuple[str, str]:
    """The text in `lang` and its language; the other language's when that one is blank."""
    texts = {"en": text_en, "ja": text_ja}
    if texts.get(lang, "").strip():
        return texts[lang], lang
    other = next((code for code, text in texts.items() if text.strip()), lang)
    return texts.get(other, ""), other
