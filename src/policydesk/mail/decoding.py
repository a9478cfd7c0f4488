"""Reading a raw message: headers, text, HTML and attachments, whatever the sender's mailer did.

The stdlib parser (`policy=default`) splits the message; everything that turns bytes into
text is ours, because mailers lie about charsets: `shift_jis` that is really cp932,
ISO-2022-JP with NEC/IBM extension characters, raw 8-bit headers, encoded-words split in
the middle of a character, unknown charsets. Nothing here touches the database.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.errors
import email.policy
import html
import re
import urllib.parse
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import getaddresses

import charset_normalizer
import nh3

# Charsets that mailers declare for a superset they really use.
CHARSET_ALIASES = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "csshiftjis": "cp932",
    "windows-31j": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "iso-8859-1": "cp1252",  # what senders of "latin-1" really mean (C1 controls never intended)
    "latin1": "cp1252",
    "us-ascii": "ascii",
    "iso-2022-jp": "iso-2022-jp-ms",
    "csiso2022jp": "iso-2022-jp-ms",
    "iso-2022-jp-1": "iso-2022-jp-ms",
    "iso-2022-jp-ms": "iso-2022-jp-ms",
    "cp50220": "iso-2022-jp-ms",
    "cp50221": "iso-2022-jp-ms",
    "cp50222": "iso-2022-jp-ms",
}

_ESC = 0x1B
_ISO2022_JP = re.compile(rb"\x1b\$[@B]")


def decode_iso2022jp_ms(data: bytes) -> str:
    """ISO-2022-JP as Microsoft and Japanese phone carriers send it (CP50220): JIS X 0208
    with the NEC row 13 and IBM extension characters, decoded through cp932.

    Python's `iso2022_jp` rejects ①, ㈱, ～ and friends; every JIS pair maps to a cp932
    pair by the Shift_JIS arithmetic, and cp932 knows those characters.
    """
    out: list[str] = []
    mode = "ascii"
    i = 0
    chunk = bytearray()

    def flush() -> None:
        if not chunk:
            return
        if mode in ("jis0208", "kana"):
            out.append(bytes(chunk).decode("cp932", errors="replace"))
        else:
            try:
                out.append(bytes(chunk).decode("ascii"))
            except UnicodeDecodeError:  # 8-bit bytes in a 7-bit charset: guess what they are
                out.append(decode_bytes(bytes(chunk)))
        chunk.clear()

    while i < len(data):
        byte = data[i]
        if byte == _ESC:
            sequence = data[i + 1 : i + 3]
            new_mode = None
            if sequence in (b"$B", b"$@"):
                new_mode = "jis0208"
            elif sequence in (b"(B", b"(J"):
                new_mode = "ascii"
            elif sequence == b"(I":
                new_mode = "kana"
            if new_mode is not None:
                flush()
                mode = new_mode
                i += 3
                continue
            i += 1
            continue
        if mode == "jis0208":
            if byte in (0x0A, 0x0D):  # a line break ends a line in any mode
                flush()
                out.append(chr(byte))
                i += 1
                continue
            if i + 1 < len(data) and 0x21 <= byte <= 0x7E and 0x21 <= data[i + 1] <= 0x7E:
                chunk.extend(_jis_to_sjis(byte, data[i + 1]))
                i += 2
                continue
            flush()
            out.append("\ufffd")
            i += 1
            continue
        if mode == "kana" and 0x21 <= byte <= 0x5F:
            chunk.append(byte + 0x80)
        elif byte >= 0x80:  # 8-bit bytes in a 7-bit charset: the sender meant cp932
            chunk.append(byte)
        else:
            if mode == "kana":
                flush()
                mode = "ascii"
            chunk.append(byte)
        i += 1
    flush()
    return "".join(out)


def _jis_to_sjis(first: int, second: int) -> bytes:
    if first % 2:
        trail = second + 0x1F
        if trail >= 0x7F:
            trail += 1
    else:
        trail = second + 0x7E
    lead = ((first + 1) >> 1) + 0x70
    if lead >= 0xA0:
        lead += 0x40
    return bytes((lead, trail))


def codec_for(charset: str | None) -> str | None:
    """The Python codec for a declared charset, through the aliases; None if unknown."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    name = CHARSET_ALIASES.get(name, name)
    if name == "iso-2022-jp-ms":
        return name
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Text from bytes in a declared (possibly wrong or unknown) charset; never raises.

    Order: the declared charset (through the aliases), strictly; then UTF-8; then
    detection with charset-normalizer; then cp932, which covers most raw 8-bit Japanese;
    the declared charset with replacement characters only as the very last resort.
    """
    codec = codec_for(charset)
    if _ISO2022_JP.search(data) and codec in (None, "ascii", "iso-2022-jp-ms", "utf-8"):
        return decode_iso2022jp_ms(data)
    if codec == "iso-2022-jp-ms":
        return decode_iso2022jp_ms(data)
    if codec is not None:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    guess = _detect(data)
    if guess is not None:
        return guess
    for fallback in ("cp932", codec or "utf-8"):
        try:
            return data.decode(fallback)
        except UnicodeDecodeError:
            continue
    return data.decode(codec or "utf-8", errors="replace")


def _detect(data: bytes) -> str | None:
    # Short Japanese strings fool detectors; cp932 first when it decodes cleanly and the
    # bytes look like Shift_JIS lead bytes (0x81-0x9F, 0xE0-0xFC).
    if len(data) < 64:
        try:
            text = data.decode("cp932")
        except UnicodeDecodeError:
            text = None
        if text is not None and re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text):
            return text
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        return None
    try:
        return data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        return None


# -- headers --------------------------------------------------------------------------

_ENCODED_WORD = re.compile(rb"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(rb"\r?\n(?=[ \t])")


def _encoded_word_bytes(encoding: bytes, payload: bytes) -> bytes:
    if encoding in (b"b", b"B"):
        payload = payload.rstrip(b"=")
        payload += b"=" * (-len(payload) % 4)
        try:
            return base64.b64decode(payload)
        except (binascii.Error, ValueError):
            return binascii.a2b_base64(payload + b"==") if payload else b""
    return _q_decode(payload)


def _q_decode(payload: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(payload):
        byte = payload[i]
        if byte == ord("_"):
            out.append(0x20)
        elif byte == ord("=") and re.fullmatch(rb"[0-9A-Fa-f]{2}", payload[i + 1 : i + 3]):
            out.append(int(payload[i + 1 : i + 3], 16))
            i += 2
        else:
            out.append(byte)
        i += 1
    return bytes(out)


def decode_header_bytes(raw: bytes) -> str:
    """A header value as text: unfolded, encoded-words decoded (adjacent words of one charset
    joined before decoding, so a character split across two words survives), raw 8-bit
    bytes decoded as UTF-8 or detected (Shift_JIS in the wild)."""
    raw = _FOLD.sub(b"", raw).strip()
    pieces: list[tuple[str | None, bytes]] = []  # (charset or None for raw text, bytes)
    position = 0
    for match in _ENCODED_WORD.finditer(raw):
        between = raw[position : match.start()]
        previous_is_word = bool(pieces) and pieces[-1][0] is not None
        if between and not (previous_is_word and not between.strip()):
            pieces.append((None, between))
        charset = match.group(1).decode("ascii", errors="replace").lower()
        data = _encoded_word_bytes(match.group(2), match.group(3))
        if pieces and pieces[-1][0] == charset:
            pieces[-1] = (charset, pieces[-1][1] + data)
        else:
            pieces.append((charset, data))
        position = match.end()
    if position < len(raw):
        pieces.append((None, raw[position:]))
    text = "".join(decode_bytes(data, charset) for charset, data in pieces)
    return text.replace("\r", "").replace("\n", " ")


def raw_header(message: Message, name: str) -> bytes | None:
    """The first `name` header's value as the bytes that arrived (never parsed or re-folded)."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return str(value).encode("ascii", errors="surrogateescape")
    return None


def raw_headers(message: Message, name: str) -> list[bytes]:
    return [
        str(value).encode("ascii", errors="surrogateescape")
        for key, value in message.raw_items()
        if key.lower() == name.lower()
    ]


def header_text(message: Message, name: str) -> str:
    """A decoded header, or '' when absent."""
    raw = raw_header(message, name)
    return decode_header_bytes(raw) if raw is not None else ""


def first_address(value: str) -> str:
    """The first mail address in a decoded From/To value, lower-cased; '' if none."""
    for _name, address in getaddresses([value]):
        address = address.strip().strip("<>").strip()
        if "@" in address and " " not in address:
            return address.lower()
    return ""


def all_addresses(values: list[str]) -> list[str]:
    found = []
    for _name, address in getaddresses(values):
        address = address.strip().strip("<>").strip().lower()
        if "@" in address:
            found.append(address)
    return found


_MSG_ID = re.compile(r"<([^<>\s]+)>")


def message_ids(value: str) -> list[str]:
    """Message-IDs in an In-Reply-To/References/Message-ID value, in order, brackets removed."""
    ids = _MSG_ID.findall(value)
    if not ids and value.strip() and "@" in value and " " not in value.strip():
        ids = [value.strip()]  # some mailers drop the angle brackets
    return ids


# -- parameters (filename, charset) ---------------------------------------------------


def _split_params(value: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for char in value:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\" and quoted:
            current.append(char)
            escaped = True
        elif char == '"':
            quoted = not quoted
            current.append(char)
        elif char == ";" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def header_param(raw: bytes | None, name: str) -> str | None:
    """A parameter of a structured header (Content-Type, Content-Disposition), decoded:
    RFC 2231 (`name*=charset''...`, continuations), quoted strings with encoded-words,
    raw 8-bit bytes. None if the parameter is absent."""
    if raw is None:
        return None
    value = _FOLD.sub(b"", raw).decode("ascii", errors="surrogateescape")
    simple: str | None = None
    sections: dict[int, tuple[bool, str]] = {}
    extended_whole: str | None = None
    for part in _split_params(value)[1:]:
        if "=" not in part:
            continue
        key, _, val = part.partition("=")
        key = key.strip().lower()
        val = val.strip()
        if len(val) >= 2 and val[0] == '"' and val[-1] == '"':
            val = re.sub(r"\\(.)", r"\1", val[1:-1])
        if key == name:
            simple = val
        elif key == name + "*":
            extended_whole = val
        elif key.startswith(name + "*"):
            rest = key[len(name) + 1 :]
            extended = rest.endswith("*")
            number = rest.rstrip("*")
            if number.isdigit():
                sections[int(number)] = (extended, val)
    if extended_whole is not None:
        return _rfc2231(extended_whole, None)
    if sections:
        charset: str | None = None
        data = bytearray()
        for index in sorted(sections):
            extended, val = sections[index]
            if extended:
                if index == 0 and val.count("'") >= 2:
                    charset, _lang, val = val.split("'", 2)
                data.extend(urllib.parse.unquote_to_bytes(val))
            else:
                data.extend(val.encode("ascii", errors="surrogateescape"))
        return decode_bytes(bytes(data), charset or None)
    if simple is not None:
        return decode_header_bytes(simple.encode("ascii", errors="surrogateescape"))
    return None


def _rfc2231(value: str, charset: str | None) -> str:
    if value.count("'") >= 2:
        charset, _lang, value = value.split("'", 2)
    return decode_bytes(urllib.parse.unquote_to_bytes(value), charset or None)


# -- the whole message ------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class ParsedMessage:
    """What the desk needs from a message; `message` is the stdlib object for header tests."""

    message: EmailMessage
    subject: str
    from_address: str
    from_name: str
    to_addresses: list[str]
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    text: str
    html: str
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        return header_text(self.message, name)


_BOUNDARY_DEFECTS = (
    email.errors.NoBoundaryInMultipartDefect,
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.CloseBoundaryNotFoundDefect,
    email.errors.MultipartInvariantViolationDefect,
)


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse raw bytes into what the desk stores. Never raises on odd input."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)  # noqa: S101 - policy=default builds EmailMessage
    from_value = header_text(message, "From")
    from_pairs = getaddresses([from_value])
    from_name = from_pairs[0][0] if from_pairs else ""
    message_id_list = message_ids(header_text(message, "Message-ID"))
    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[Attachment] = []
    defects: list[str] = []
    _walk(message, texts, htmls, attachments, defects)
    text = "\n\n".join(t for t in texts if t.strip())
    body_html = "\n".join(htmls)
    if not text.strip() and body_html.strip():
        text = html_to_text(body_html)
    if not text.strip() and (defects or not attachments):
        # C13: a message is never taken with an empty body when bytes were sent: a broken
        # MIME structure keeps its raw text.
        text = _raw_body_text(raw, message)
    return ParsedMessage(
        message=message,
        subject=header_text(message, "Subject"),
        from_address=first_address(from_value),
        from_name=from_name,
        to_addresses=all_addresses(
            [header_text(message, "To"), header_text(message, "Cc"), header_text(message, "Delivered-To")]
        ),
        message_id=message_id_list[0] if message_id_list else "",
        in_reply_to=message_ids(header_text(message, "In-Reply-To")),
        references=message_ids(header_text(message, "References")),
        text=text,
        html=body_html,
        attachments=attachments,
        defects=defects,
    )


def _walk(
    part: Message, texts: list[str], htmls: list[str], attachments: list[Attachment], defects: list[str]
) -> None:
    defects.extend(type(d).__name__ for d in part.defects if isinstance(d, _BOUNDARY_DEFECTS))
    content_type = part.get_content_type()
    disposition_raw = raw_header(part, "Content-Disposition")
    disposition = (
        disposition_raw.split(b";")[0].strip().lower().decode("ascii", "replace") if disposition_raw else ""
    )
    filename = header_param(disposition_raw, "filename") or header_param(
        raw_header(part, "Content-Type"), "name"
    )
    if part.is_multipart():
        raw_payload = part.get_payload()
        payload = [p for p in raw_payload if isinstance(p, Message)] if isinstance(raw_payload, list) else []
        if content_type == "message/rfc822" or (content_type.startswith("message/") and filename):
            attachments.append(Attachment(filename or "message.eml", "message/rfc822", _as_bytes(payload)))
            return
        if payload:
            if content_type == "multipart/alternative":
                # One of the alternatives: plain text preferred, HTML kept beside it.
                plain = [p for p in payload if p.get_content_type() == "text/plain"][:1]
                for sub in plain:
                    _walk(sub, texts, htmls, attachments, defects)
                for sub in payload:
                    if not any(sub is p for p in plain):
                        # The other alternatives repeat the text: keep their HTML, not their text.
                        _walk(sub, [] if plain else texts, htmls, attachments, defects)
                return
            for sub in payload:
                _walk(sub, texts, htmls, attachments, defects)
        return
    data = _payload_bytes(part)
    charset = header_param(raw_header(part, "Content-Type"), "charset")
    is_attachment = disposition == "attachment" or (filename is not None and disposition != "inline")
    if content_type == "text/plain" and not is_attachment:
        texts.append(decode_bytes(data, charset))
    elif content_type == "text/html" and not is_attachment:
        htmls.append(decode_bytes(data, charset))
    elif content_type.startswith("multipart/"):
        # A multipart whose boundary never appears: the parser leaves it as text.
        texts.append(decode_bytes(data, charset))
    elif data or filename:
        attachments.append(Attachment(filename or _default_name(content_type), content_type, data))


def _as_bytes(payload: list[Message]) -> bytes:
    # An attached message has no bytes of its own in the parsed tree; it is serialised again
    # (the top-level message never is: its raw bytes are stored as received).
    if not payload:
        return b""
    try:
        return payload[0].as_bytes(policy=email.policy.compat32)
    except (ValueError, LookupError, UnicodeError):
        return str(payload[0]).encode("utf-8", errors="replace")


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, LookupError, AssertionError):
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("ascii", errors="surrogateescape")
    return b""


def _default_name(content_type: str) -> str:
    main, _, sub = content_type.partition("/")
    return f"{main or 'attachment'}.{sub or 'bin'}"


def _raw_body_text(raw: bytes, message: Message) -> str:
    for separator in (b"\r\n\r\n", b"\n\n"):
        index = raw.find(separator)
        if index >= 0:
            body = raw[index + len(separator) :]
            break
    else:
        return ""
    charset = header_param(raw_header(message, "Content-Type"), "charset")
    return decode_bytes(body, charset).replace("\r\n", "\n")


def html_to_text(markup: str) -> str:
    """Readable text from an HTML body (for search and for the plain-text view)."""
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>|</h[1-6]>", "\n", markup)
    cleaned = nh3.clean(markup, tags=set(), clean_content_tags={"script", "style", "head", "title"})
    text = html.unescape(cleaned)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# Characters that cp932 and other Japanese encodings map to different code points for
# "the same" glyph; folded together for search and comparison only (stored text stays as is).
_SEARCH_FOLD = str.maketrans(
    {
        "\uff5e": "\u301c",  # FULLWIDTH TILDE → WAVE DASH
        "\u2225": "\u2016",  # PARALLEL TO → DOUBLE VERTICAL LINE
        "\uff0d": "\u2212",  # FULLWIDTH HYPHEN-MINUS → MINUS SIGN
        "\uffe0": "\u00a2",  # FULLWIDTH CENT SIGN → CENT SIGN
        "\uffe1": "\u00a3",  # FULLWIDTH POUND SIGN → POUND SIGN
        "\uffe2": "\u00ac",  # FULLWIDTH NOT SIGN → NOT SIGN
    }
)


def search_key(text: str) -> str:
    """`text` folded for search and comparison: the wave dash (U+301C/U+FF5E) and its
    cp932 siblings unified, case folded. Never stored as the message text."""
    return text.translate(_SEARCH_FOLD).casefold()
