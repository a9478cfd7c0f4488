"""Email templates: one folder per email, rendered in the recipient's language.

An email's words live in `<app>/templates/<name>/`: `subject.txt`, `body.txt` (the plain-text
part) and, where a person reads it, `body.html` (the HTML alternative). The function that
writes an email (`mail.outgoing`, `watch.notify`, `watch.paging`, `status.tasks`,
`portal.signin`) gathers its template context and calls `render`; the words are
`{% translate %}` / `{% blocktranslate %}` strings, so a template serves every language.

Text templates are wrapped in `{% autoescape off %}` (plain text is not HTML); the HTML part
is autoescaped and extends `mail/base.html`: plain markup (paragraphs, emphasis, quotes,
links written out in full), no styles (like every template of the desk, tests/test_security_headers.py)
and no remote resources (no images, fonts or style sheets fetched when the mail is opened).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import translation

from policydesk.oneline import one_line


@dataclass(frozen=True)
class Rendered:
    """An email's words: a one-line subject, the plain-text body, the HTML body ('' = none)."""

    subject: str
    body: str
    html_body: str


def render(template: str, context: Mapping[str, Any], language: str) -> Rendered:
    """Render the email `template` (a folder of templates) with `context` in `language`."""
    with translation.override(language):
        subject = one_line(render_to_string(f"{template}/subject.txt", dict(context)))
        # Templates begin and end on tag lines: the body is trimmed to end with one line break.
        body = render_to_string(f"{template}/body.txt", dict(context)).strip("\n") + "\n"
        try:
            html_template = get_template(f"{template}/body.html")
        except TemplateDoesNotExist:
            html_body = ""
        else:
            html_body = html_template.render({**context, "email_subject": subject})
    return Rendered(subject=subject, body=body, html_body=html_body)
