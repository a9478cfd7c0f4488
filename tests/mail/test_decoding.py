"""Decoding what mailers really send: charsets that lie, Japanese encodings, broken MIME."""

from __future__ import annotations

import base64

import pytest

from policydesk.mail.decoding import decode_bytes, decode_header_bytes, parse_message, search_key

# ① and ㈱ are NEC row-13 characters, ～ (U+FF5E) is what cp932 makes of the wave dash:
# none of them is in JIS X 0208 / strict Shift_JIS.
NEC_TEXT = "①の件、㈱クモ様より～お問い合わせ"


def jis(text: str) -> bytes:
    """ISO-2022-JP as Outlook writes it (CP50220): cp932 pairs shifted into JIS rows."""
    out = bytearray()
    in_jis = False
    for char in text:
        if ord(char) < 0x80:
            if in_jis:
                out += b"\x1b(B"
                in_jis = False
            out.append(ord(char))
            continue
        lead, trail = char.encode("cp932")
        if not in_jis:
            out += b"\x1b$B"
            in_jis = True
        # Shift_JIS → JIS arithmetic
        lead -= 0x70 if lead < 0xA0 else 0xB0
        lead = lead * 2 - (1 if trail < 0x9F else 0)
        trail -= 0x1F if trail < 0x7F else (0x20 if trail < 0x9F else 0x7E)
        out += bytes((lead, trail))
    if in_jis:
        out += b"\x1b(B"
    return bytes(out)


def message(headers: bytes, body: bytes) -> bytes:
    return headers.replace(b"\n", b"\r\n") + b"\r\n" + body.replace(b"\n", b"\r\n")


def test_shift_jis_is_read_as_cp932_with_nec_characters() -> None:
    raw = message(
        b"From: a@kumo.example\nSubject: test\nContent-Type: text/plain; charset=Shift_JIS\n"
        b"Content-Transfer-Encoding: 8bit\n",
        NEC_TEXT.encode("cp932"),
    )
    assert parse_message(raw).text == NEC_TEXT


def test_iso_2022_jp_with_nec_extension_characters() -> None:
    raw = message(
        b"From: a@kumo.example\nSubject: test\nContent-Type: text/plain; charset=ISO-2022-JP\n"
        b"Content-Transfer-Encoding: 7bit\n",
        jis(NEC_TEXT),
    )
    with pytest.raises(UnicodeDecodeError):
        jis(NEC_TEXT).decode("iso2022_jp")  # what the stdlib alone would do
    assert parse_message(raw).text == NEC_TEXT


def test_iso_2022_jp_encoded_word_subject_with_ibm_extension() -> None:
    subject = "髙橋さんの件"  # 髙 is an IBM extension character (cp932 0xFBFC)
    word = base64.b64encode(jis(subject)).decode()
    raw = message(f"From: a@kumo.example\nSubject: =?ISO-2022-JP?B?{word}?=\n".encode(), b"x\n")
    assert parse_message(raw).subject == subject


def test_raw_8bit_shift_jis_in_subject_and_filename() -> None:
    subject = "請求書について"
    name = "請求書.pdf"
    raw = (
        b"From: a@kumo.example\r\nSubject: " + subject.encode("cp932") + b"\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/plain; charset=shift_jis\r\n\r\n" + "本文です".encode("cp932") + b"\r\n"
        b'--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="'
        + name.encode("cp932")
        + b'"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--B--\r\n'
    )
    parsed = parse_message(raw)
    assert parsed.subject == subject
    assert parsed.text.strip() == "本文です"
    assert [a.filename for a in parsed.attachments] == [name]
    assert parsed.attachments[0].content == b"%PDF-"


def test_raw_utf8_in_headers() -> None:
    raw = message("From: 山田 <yamada@kumo.example>\nSubject: ログインできません\n".encode(), b"x\n")
    parsed = parse_message(raw)
    assert (parsed.subject, parsed.from_name, parsed.from_address) == (
        "ログインできません",
        "山田",
        "yamada@kumo.example",
    )


def test_encoded_words_split_in_the_middle_of_a_character() -> None:
    data = "エクスポート失敗".encode()
    first, second = data[:7], data[7:]  # 7 bytes: the third character is cut in two
    words = (
        f"=?UTF-8?B?{base64.b64encode(first).decode()}?=\n =?UTF-8?B?{base64.b64encode(second).decode()}?="
    )
    raw = message(f"From: a@kumo.example\nSubject: {words}\n".encode(), b"x\n")
    assert parse_message(raw).subject == "エクスポート失敗"


def test_encoded_word_q_and_surrounding_text() -> None:
    assert decode_header_bytes(b"Re: =?utf-8?Q?caf=C3=A9_au_lait?= (2)") == "Re: café au lait (2)"


def test_rfc2231_filename_with_continuations() -> None:
    raw = message(
        b"From: a@kumo.example\nSubject: f\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n",
        b"--B\nContent-Type: text/plain\n\nhi\n--B\nContent-Type: text/csv\n"
        b"Content-Disposition: attachment;\n filename*0*=utf-8''%E5%A3%B2%E4%B8%8A;\n"
        b" filename*1*=%E8%A1%A8.csv\n\n"
        b"a,b\n--B--\n",
    )
    assert [a.filename for a in parse_message(raw).attachments] == ["売上表.csv"]


def test_gb2312_is_read_as_gb18030() -> None:
    text = "数据导出失败𠀀"  # the last character exists only in GB18030
    raw = message(
        b"From: a@kumo.example\nSubject: x\nContent-Type: text/plain; charset=gb2312\n",
        text.encode("gb18030"),
    )
    assert parse_message(raw).text == text


def test_ks_c_5601_1987_is_read_as_cp949() -> None:
    text = "똠방각하"  # 똠 is a cp949 (UHC) extension
    raw = message(
        b"From: a@kumo.example\nSubject: x\nContent-Type: text/plain; charset=ks_c_5601-1987\n",
        text.encode("cp949"),
    )
    assert parse_message(raw).text == text


def test_unknown_charset_falls_back_to_detection() -> None:
    text = (
        "お世話になっております。ダッシュボードのエクスポートが途中で止まってしまいます。至急ご確認ください。"
    )
    raw = message(
        b"From: a@kumo.example\nSubject: x\nContent-Type: text/plain; charset=X-UNKNOWN\n",
        text.encode("cp932"),
    )
    assert parse_message(raw).text == text


def test_charset_that_lies_falls_back_to_utf8() -> None:
    text = "こんにちは"
    assert decode_bytes(text.encode(), "us-ascii") == text


def test_broken_boundary_keeps_the_raw_text_rather_than_an_empty_body() -> None:
    raw = message(
        b"From: a@kumo.example\nSubject: x\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=NOPE\n",
        b"--SOMETHING-ELSE\nContent-Type: text/plain\n\nThe export is broken.\n--SOMETHING-ELSE--\n",
    )
    parsed = parse_message(raw)
    assert "The export is broken." in parsed.text
    assert parsed.defects


def test_nested_multiparts_find_the_text_and_the_attachments() -> None:
    raw = message(
        b"From: a@kumo.example\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=OUT\n",
        b"--OUT\nContent-Type: multipart/alternative; boundary=ALT\n\n"
        b"--ALT\nContent-Type: text/plain; charset=utf-8\n\nplain words\n"
        b"--ALT\nContent-Type: multipart/related; boundary=REL\n\n"
        b"--REL\nContent-Type: text/html; charset=utf-8\n\n<p>html <b>words</b></p>\n"
        b"--REL\nContent-Type: image/png\nContent-Disposition: inline; filename=logo.png\n\nPNG\n--REL--\n"
        b"--ALT--\n"
        b"--OUT\nContent-Type: application/pdf\n"
        b"Content-Disposition: attachment; filename=report.pdf\n\n%PDF\n"
        b"--OUT--\n",
    )
    parsed = parse_message(raw)
    assert parsed.text.strip() == "plain words"
    assert "<b>words</b>" in parsed.html
    assert [a.filename for a in parsed.attachments] == ["logo.png", "report.pdf"]


def test_html_only_message_gets_a_text_body() -> None:
    raw = message(
        b"From: a@kumo.example\nSubject: x\nContent-Type: text/html; charset=utf-8\n",
        b"<html><body><p>Line one</p><p>Line&nbsp;two <script>alert(1)</script></p></body></html>\n",
    )
    parsed = parse_message(raw)
    assert "Line one" in parsed.text and "Line\xa0two" in parsed.text and "alert" not in parsed.text


def test_wave_dash_is_folded_for_search_but_stored_as_received() -> None:
    cp932_text = "10時～12時"  # FULLWIDTH TILDE, as cp932 decodes 0x8160
    jis_text = "10時〜12時"  # WAVE DASH, as strict Shift_JIS / ISO-2022-JP decode it
    assert cp932_text != jis_text
    assert search_key(cp932_text) == search_key(jis_text)
    raw = message(
        b"From: a@kumo.example\nSubject: x\nContent-Type: text/plain; charset=shift_jis\n",
        cp932_text.encode("cp932"),
    )
    assert parse_message(raw).text == cp932_text


def test_message_ids_and_addresses() -> None:
    raw = message(
        b'From: "Kumo, Hanna" <Hanna@Kumo.Example>\nTo: support@example.com, x@y.example\n'
        b"Message-ID: <abc@kumo.example>\nIn-Reply-To: <p1@example.com>\n"
        b"References: <p0@example.com>\n <p1@example.com>\nSubject: x\n",
        b"x\n",
    )
    parsed = parse_message(raw)
    assert parsed.from_address == "hanna@kumo.example"
    assert parsed.message_id == "abc@kumo.example"
    assert parsed.in_reply_to == ["p1@example.com"]
    assert parsed.references == ["p0@example.com", "p1@example.com"]
    assert parsed.to_addresses == ["support@example.com", "x@y.example"]


def test_garbage_does_not_raise() -> None:
    for raw in (
        b"",
        b"\x00\xff\xfe",
        b"Subject: =?bogus?X?zz?=\r\n\r\n",
        b"\r\n\r\n\r\n",
        b"From:\r\n\r\n" * 50,
    ):
        parse_message(raw)
