"""Reply text: the quoted history and the signature stripped, for English and Japanese clients."""

from __future__ import annotations

import pytest

from policydesk.mail.replytext import reply_text

NEW = "エクスポートは直りました。ありがとうございます。"


@pytest.mark.parametrize(
    ("client", "quote"),
    [
        (
            "Gmail (ja)",
            "2026年12月1日(火) 18:00 Example Support <support@example.com>:\n"
            "> お問い合わせありがとうございます。",
        ),
        (
            "Outlook (ja) 元のメッセージ",
            "-----元のメッセージ-----\n差出人: Example Support <support@example.com>\n"
            "送信日時: 2026年12月1日 18:00\n"
            "件名: [#12] エクスポート\n\nお問い合わせありがとうございます。",
        ),
        (
            "Outlook (ja) header block",
            "________________________________\n差出人: Example Support <support@example.com>\n"
            "送信日時: 2026年12月1日 18:00\n宛先: hanna@kumo.example\n件名: [#12] エクスポート\n\n本文",
        ),
        (
            "Outlook (en)",
            "-----Original Message-----\nFrom: Example Support <support@example.com>\nSent: Tuesday\n\nBody",
        ),
        ("iPhone (ja)", "2026/12/01 18:00、Example Support <support@example.com>のメール:\n\n> 本文"),
        (
            "Thunderbird (ja)",
            "2026/12/01 18:00 に Example Support さんは書きました:\n> お問い合わせありがとうございます。",
        ),
        ("Gmail (en)", "On Tue, 1 Dec 2026 at 18:00, Example Support <support@example.com> wrote:\n> Hello"),
    ],
)
def test_quoted_history_is_stripped(client: str, quote: str) -> None:
    assert reply_text(f"{NEW}\n\n{quote}\n") == NEW, client


def test_signature_is_stripped() -> None:
    assert reply_text("Works now, thanks.\n\n-- \nHanna Kumo\nKumo GmbH\n") == "Works now, thanks."


def test_quoted_lines_at_the_end_are_stripped() -> None:
    assert reply_text("Yes, Chrome.\n\n> Which browser?\n> Thanks\n") == "Yes, Chrome."


def test_from_line_in_the_body_is_not_a_quote_header() -> None:
    text = "The report says:\nFrom: the dashboard\nTo be checked.\nThanks"
    assert reply_text(text) == text


def test_a_message_that_is_only_a_quote_keeps_its_whole_text() -> None:
    text = "> only quoted\n> nothing new"
    assert reply_text(text) == text


def test_crlf_is_normalised() -> None:
    assert reply_text("One\r\nTwo\r\n") == "One\nTwo"
