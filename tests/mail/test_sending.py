"""How an outgoing message is written (`mail/sending.py`): `QuickFolding` writes every header as
`compat32` does, the standard library's policy that Django's messages use."""

from __future__ import annotations

import email
import email.policy
from email.policy import compat32
from typing import Any

import pytest

from policydesk.mail.ingest import process_message
from policydesk.mail.models import OutgoingMail
from policydesk.mail.sending import QUICK_FOLDING, build_email
from tests.conftest import NOW, Personas
from tests.mail.conftest import corpus_files
from tests.mail.test_outgoing import new_request

pytestmark = pytest.mark.usefixtures("mail_settings")

EDGES = [
    "", " ", "x", " leading", "trailing ", "trailing\\t".replace("\\t", "\t"), "two  spaces", "a\tb",
    "=?utf-8?q?looks=20encoded?=", "semi;colon, comma", "\x00\x07 control", "line\nbreak", "cr\rhere",
    "form\x0cfeed", "group\x1dsep", "日本語の件名", "caf\u00e9", "x" * 69, "x" * 70, "x" * 71, "x" * 200,
    "word " * 30, "<a@b.example> <c@d.example>", "surrogate \udce9",
]  # fmt: skip


def _both(name: str, value: Any, policy: Any) -> tuple[Any, Any]:
    quick = QUICK_FOLDING.clone(linesep=policy.linesep, max_line_length=policy.max_line_length)
    results = []
    for folding in (quick, policy):
        try:
            results.append(("folded", folding.fold_binary(name, value), folding.fold(name, value)))
        except Exception as error:
            results.append(("raised", type(error)))
    return results[0], results[1]


@pytest.mark.parametrize(
    "policy", [compat32, compat32.clone(linesep="\r\n"), compat32.clone(max_line_length=0)]
)
def test_every_header_is_folded_as_compat32_folds_it(policy: Any, personas: Personas) -> None:
    headers = [(name, value) for value in EDGES for name in ("Subject", "X-A-Rather-Long-Header-Name")]
    process_message(new_request(), mailbox="smtp", now=NOW)
    for outgoing in OutgoingMail.objects.all():
        headers += list(build_email(outgoing).message().items())
    ours = len(headers)
    for path in corpus_files():  # where the corpus is beside the repository (CI's clone)
        message = email.message_from_bytes(path.read_bytes(), policy=compat32)
        headers += list(message.items())
    assert ours > 50 and (len(headers) - ours > 200 or not corpus_files())
    for name, value in headers:
        quick, theirs = _both(name, value, policy)
        assert quick == theirs, (name, value)


def test_a_message_is_written_byte_for_byte_as_compat32_writes_it(personas: Personas) -> None:
    process_message(new_request(), mailbox="smtp", now=NOW)
    written = 0
    for outgoing in OutgoingMail.objects.all():
        message = build_email(outgoing).message()
        assert message.policy is QUICK_FOLDING
        quick = message.as_bytes(linesep="\r\n")
        message.policy = compat32
        assert quick == message.as_bytes(linesep="\r\n")
        written += 1
    assert written
