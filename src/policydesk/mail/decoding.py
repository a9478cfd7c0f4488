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
import functools
import html
import itertools
import re
from dataclasses import dataclass, field
from email.message import Message

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
    if not _CHARSET_NAME.fullmatch(name):  # NULs, 8-bit bytes, spaces: no charset at all
        return None
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # `charset=base64` or `rot13` name codecs that are no text encoding.
    return info.name if getattr(info, "_is_text_encoding", True) else None


_CHARSET_NAME = re.compile(r"[a-z0-9][a-z0-9_.:+-]{0,39}")


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
    for candidate in (codec, "utf-8"):
        if candidate is not None:
            try:
                return data.decode(candidate)
            except UnicodeError:  # idna and friends raise the parent class
                pass
    guess = _detect(data)
    if guess is not None:
        return guess
    for fallback in ("cp932", codec or "utf-8"):
        try:
            return data.decode(fallback)
        except UnicodeError:
            continue
    try:
        return data.decode(codec or "utf-8", errors="replace")
    except UnicodeError:
        return data.decode("utf-8", errors="replace")


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
    except (UnicodeError, LookupError):
        return None


# -- headers --------------------------------------------------------------------------

_ENCODED_WORD = re.compile(rb"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(rb"\r?\n(?=[ \t])")


def _encoded_word_bytes(encoding: bytes, payload: bytes) -> bytes:
    if encoding in (b"b", b"B"):
        return lenient_base64(payload)
    return _q_decode(payload)


def lenient_base64(payload: bytes) -> bytes:
    """Base64 as far as it goes: stray characters skipped, a truncated last group dropped
    (`QUJDR` is `ABC`), missing padding added. Never raises."""
    data = re.sub(rb"[^A-Za-z0-9+/]", b"", payload)
    if len(data) % 4 == 1:  # one character cannot carry a byte: the word was cut
        data = data[:-1]
    data += b"=" * (-len(data) % 4)
    try:
        return base64.b64decode(data)
    except (binascii.Error, ValueError):  # not expected after the clean-up; nothing lost but the word
        return b""


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


# -- addresses: parsed before anything is decoded (C14) ---------------------------------


@dataclass(frozen=True)
class Mailbox:
    """One mailbox of an address header: the addr-spec as written (lower-cased, never
    decoded: it alone says who sent a message) and the display name (decoded, shown only)."""

    address: str
    name: str


@dataclass(frozen=True)
class AddressList:
    """The mailboxes of an address header, and what was wrong with it ('' when nothing)."""

    mailboxes: tuple[Mailbox, ...]
    problem: str = ""
    group: bool = False


#: An address header longer than this is not read (no sender in a From this long; a To this
#: long gives no threading evidence): the tokenizer's work is per token, in Python.
MAX_ADDRESS_HEADER = 64 * 1024

_ATOM_RUN = re.compile(r'[^\s()<>\[\]:;@\\,."]+')
_SPACE_RUN = re.compile(r"\s+")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)("?)', re.S)
_LITERAL = re.compile(r"\[[^\[\]\\]*\]?")
_COMMENT_TEXT = re.compile(r"[^()\\]+|\\.?", re.S)
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def _address_tokens(text: str) -> list[tuple[str, str]]:
    """RFC 5322 lexical tokens: ("atom" | "qs" | "lit" | "ws" | a special character, text).
    Comments are dropped (they are whitespace); an unterminated quote or comment runs to
    the end, as it would for any careful reader."""
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        char = text[position]
        if match := _SPACE_RUN.match(text, position):
            tokens.append(("ws", " "))
            position = match.end()
        elif char == "(":
            depth, position = 1, position + 1
            while position < len(text) and depth:
                if text[position] in "()":
                    depth += 1 if text[position] == "(" else -1
                    position += 1
                else:
                    position = _COMMENT_TEXT.match(text, position).end()  # type: ignore[union-attr]
            tokens.append(("ws", " "))
        elif char == '"':
            quoted = _QUOTED.match(text, position)
            assert quoted is not None  # noqa: S101 - the pattern matches any text after a quote
            tokens.append(("qs", re.sub(r"\\(.)", r"\1", quoted.group(1), flags=re.S)))
            position = quoted.end() if quoted.group(2) else len(text)
        elif char == "[":
            literal = _LITERAL.match(text, position)
            assert literal is not None  # noqa: S101 - the pattern matches any text after a bracket
            tokens.append(("lit", literal.group()))
            position = literal.end()
        elif match := _ATOM_RUN.match(text, position):
            tokens.append(("atom", match.group()))
            position = match.end()
        else:
            tokens.append((char, char))
            position += 1
    return tokens


def parse_address_list(raw: bytes | None) -> AddressList:
    """The mailboxes of a raw From/To/Cc value, parsed before any encoded-word is decoded:
    `=?utf-8?b?...?= <attacker@evil.example>` is attacker@evil.example, whatever the
    display name says. Group syntax is read (To: `team: a@x, b@y;`) and flagged."""
    if raw is None:
        return AddressList(())
    if len(raw) > MAX_ADDRESS_HEADER:
        return AddressList((), f"longer than {MAX_ADDRESS_HEADER // 1024} KB")
    text = _FOLD.sub(b"", raw).replace(b"\r", b"").replace(b"\n", b"").decode("utf-8", "surrogateescape")
    mailboxes: list[Mailbox] = []
    problems: list[str] = []
    group = False
    element: list[tuple[str, str]] = []
    in_angle = False

    def flush() -> None:
        words = [t for t in element if t[0] != "ws"]
        if words:
            mailbox = _mailbox(element)
            if mailbox is None:
                problems.append("not an address: " + storable("".join(t[1] for t in element).strip()[:80]))
            else:
                mailboxes.append(mailbox)
        element.clear()

    for token in _address_tokens(text):
        kind = token[0]
        if kind == "<":
            in_angle = True
        elif kind == ">":
            in_angle = False
        if not in_angle and kind in (",", ";"):
            flush()
        elif not in_angle and kind == ":" and not any(t[0] in ("@", "<") for t in element):
            group = True  # "display-name:" opens a group; its name is no mailbox
            element.clear()
        else:
            element.append(token)
    flush()
    return AddressList(tuple(mailboxes), "; ".join(problems), group)


def _mailbox(tokens: list[tuple[str, str]]) -> Mailbox | None:
    kinds = [t[0] for t in tokens]
    if "<" in kinds:
        start = kinds.index("<")
        if ">" not in kinds[start:]:
            return None
        end = start + kinds[start:].index(">")
        if any(k != "ws" for k in kinds[end + 1 :]):
            return None  # text after the angle address: two addresses without a comma
        spec = [t for t in tokens[start + 1 : end] if t[0] != "ws"]
        if spec and spec[0][0] == "@" and ":" in [t[0] for t in spec]:  # obsolete source route
            spec = spec[[t[0] for t in spec].index(":") + 1 :]
        name_tokens = tokens[:start]
    else:
        spec = [t for t in tokens if t[0] != "ws"]
        name_tokens = []
    address = _addr_spec(spec)
    if address is None:
        return None
    return Mailbox(address, _display_name(name_tokens))


def _addr_spec(tokens: list[tuple[str, str]]) -> str | None:
    kinds = [t[0] for t in tokens]
    if kinds.count("@") != 1:
        return None
    at = kinds.index("@")
    local_tokens, domain_tokens = tokens[:at], tokens[at + 1 :]
    if not local_tokens or not domain_tokens:
        return None
    if any(t[0] not in ("atom", "qs", ".") for t in local_tokens):
        return None
    if any(t[0] not in ("atom", ".", "lit") for t in domain_tokens):
        return None
    for part in (local_tokens, domain_tokens):
        kinds = [t[0] for t in part]
        if any(a != "." and b != "." for a, b in itertools.pairwise(kinds)):
            return None  # two words with no dot between: `Hanna hanna@x` is a name and an address
    local = ""
    for kind, value in local_tokens:
        if kind == "qs":
            escaped = value.replace("\\", "\\\\").replace('"', '\\"')
            local += value if _DOT_ATOM.fullmatch(value) else f'"{escaped}"'
        else:
            local += value
    domain = "".join(value for _kind, value in domain_tokens)
    address = f"{local}@{domain}"
    if len(address) > 254:  # RFC 5321's limit: no mailbox is longer (and no column is either)
        return None
    if domain.startswith(".") or domain.endswith(".") or ".." in domain:
        return None
    if any(ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF for c in address):
        return None  # control characters or bytes that are not UTF-8: no address
    return address.lower()


def _display_name(tokens: list[tuple[str, str]]) -> str:
    name = "".join(value for kind, value in tokens if kind in ("atom", "qs", ".", "ws"))
    return decode_header_bytes(" ".join(name.split()).encode("utf-8", "surrogateescape")).strip()


def sender_mailbox(message: Message) -> tuple[str, str, str]:
    """(address, display name, problem) of the From header. The address is '' unless From
    holds exactly one valid mailbox; `problem` says why in words for a person."""
    values = raw_headers(message, "From")
    if not values:
        return "", "", "no From header"
    if len(values) > 1:
        return "", "", f"{len(values)} From headers"
    parsed = parse_address_list(values[0])
    name = parsed.mailboxes[0].name if parsed.mailboxes else ""
    if parsed.problem:
        return "", name, f"From is not a valid address ({parsed.problem})"
    if parsed.group:
        return "", name, "From uses group syntax"
    if not parsed.mailboxes:
        return "", "", "no sender address in From"
    if len(parsed.mailboxes) > 1:
        return "", name, f"From names {len(parsed.mailboxes)} mailboxes"
    return parsed.mailboxes[0].address, name, ""


def all_addresses(message: Message, names: tuple[str, ...]) -> list[str]:
    """Every valid addr-spec in the given headers (all occurrences), in order."""
    return [
        mailbox.address
        for name in names
        for value in raw_headers(message, name)
        for mailbox in parse_address_list(value).mailboxes
    ]


_MSG_ID = re.compile(r"<([^<>\s]+)>")
_UNREADABLE_ID = re.compile(r"[\x00-\x1f\x7f\ufffd]")


def raw_header_text(message: Message, name: str) -> str:
    """A header as written, unfolded, without encoded-word decoding (Message-IDs are not
    text: `<=?utf-8?b?QUJDR?=@x>` is an id made of those characters); '' when absent."""
    raw = raw_header(message, name)
    if raw is None:
        return ""
    return _FOLD.sub(b"", raw).decode("utf-8", errors="replace").replace("\r", " ").replace("\n", " ")


def message_ids(value: str) -> list[str]:
    """Message-IDs in an In-Reply-To/References/Message-ID value, in order, brackets removed;
    ids with control characters or bytes that are not UTF-8 are left out (not readable)."""
    ids = _MSG_ID.findall(value)
    if not ids and value.strip() and "@" in value and " " not in value.strip():
        ids = [value.strip()]  # some mailers drop the angle brackets
    ids = [i for i in ids if not _UNREADABLE_ID.search(i)]
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
                data.extend(_percent_bytes(val))
            else:
                data.extend(val.encode("ascii", errors="surrogateescape"))
        return decode_bytes(bytes(data), charset or None)
    if simple is not None:
        return decode_header_bytes(simple.encode("ascii", errors="surrogateescape"))
    return None


def _rfc2231(value: str, charset: str | None) -> str:
    if value.count("'") >= 2:
        charset, _lang, value = value.split("'", 2)
    return decode_bytes(_percent_bytes(value), charset or None)


_PERCENT = re.compile(rb"%([0-9A-Fa-f]{2})")


def _percent_bytes(value: str) -> bytes:
    """RFC 2231 %XX decoding on the bytes as they arrived (raw 8-bit bytes in a `filename*`
    are kept as bytes, not refused)."""
    return _PERCENT.sub(lambda m: bytes((int(m.group(1), 16),)), value.encode("ascii", "surrogateescape"))


# -- the whole message ------------------------------------------------------------------

#: Deeper than this a message is refused: no mailer nests so deep, and the stdlib parser's
#: work grows with depth times lines (and ends in RecursionError near 1,000 levels).
MAX_DEPTH = 50
#: Parts read per message; the parts after these are counted, not read (a 3 MB message can
#: hold 30,000 tiny parts).
MAX_PARTS = 2000


class MessageRefused(ValueError):
    """A message the desk will not read, with the reason in words for a person; it is
    quarantined, kept whole. `subject` and `sender` are read from its headers for the list."""

    def __init__(self, reason: str, *, subject: str = "", sender: str = "") -> None:
        super().__init__(reason)
        self.subject = subject
        self.sender = sender


def _refused(raw: bytes, reason: str) -> MessageRefused:
    headers = _flat_message(raw)
    return MessageRefused(
        reason, subject=storable(header_text(headers, "Subject")), sender=sender_mailbox(headers)[0]
    )


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """Text the database takes: no NUL (PostgreSQL refuses it) and no lone surrogates (the
    bytes that were not UTF-8, which no database encodes), each a U+FFFD instead."""
    return _UNSTORABLE.sub("\ufffd", text)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class ParsedMessage:
    """What the desk needs from a message; `message` is the stdlib object for header tests.

    `from_address` is the addr-spec of the one mailbox in From, '' when From is not exactly
    one valid mailbox (`from_problem` says why); the display name never counts (C14).
    """

    message: Message
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
    from_problem: str = ""
    unread_parts: int = 0  # parts after the first MAX_PARTS, counted but not read

    def header(self, name: str) -> str:
        return header_text(self.message, name)


_BOUNDARY_DEFECTS = (
    email.errors.NoBoundaryInMultipartDefect,
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.CloseBoundaryNotFoundDefect,
    email.errors.MultipartInvariantViolationDefect,
)


def parse_message(raw: bytes, *, max_parts: int = MAX_PARTS, max_depth: int = MAX_DEPTH) -> ParsedMessage:
    """Parse raw bytes into what the desk stores. Odd input is read leniently (replacement
    characters, the raw text kept); a message the desk will not read raises MessageRefused
    with a reason for a person. Nothing else is raised.

    The stdlib parser runs with `compat32`: it splits the structure and leaves header
    values alone (the `default` policy's header parsers raise on hostile parameters, and
    are ten times slower on many parts); everything that reads a header is ours.
    """
    structure = scan_structure(raw, max_depth=max_depth, max_parts=max_parts)
    if structure.depth > max_depth:
        raise _refused(raw, f"MIME nesting deeper than {max_depth} levels")
    source = raw if structure.cut is None else raw[: structure.cut]
    defects: list[str] = []
    try:
        message = email.message_from_bytes(source, policy=email.policy.compat32)
    except RecursionError as error:
        raise _refused(raw, f"MIME nesting deeper than {max_depth} levels") from error
    except Exception:  # a stdlib parser bug on hostile bytes: keep the headers and the raw text
        message = _flat_message(raw)
        defects.append("unreadable MIME structure")
    from_address, from_name, from_problem = sender_mailbox(message)
    reader = _Reader(max_parts=max_parts, max_depth=max_depth, defects=defects)
    try:
        reader.walk(message, 1)
    except MessageRefused as refused:
        raise _refused(raw, str(refused)) from refused
    text = "\n\n".join(t for t in reader.texts if t.strip())
    body_html = "\n".join(reader.htmls)
    if not text.strip() and body_html.strip():
        text = html_to_text(body_html)
    if not text.strip() and (defects or not reader.attachments):
        # C13: a message is never taken with an empty body when bytes were sent: a broken
        # MIME structure keeps its raw text.
        text = _raw_body_text(raw, message)
    message_id_list = message_ids(raw_header_text(message, "Message-ID"))
    return ParsedMessage(
        message=message,
        subject=storable(header_text(message, "Subject")),
        from_address=from_address,
        from_name=storable(from_name),
        from_problem=from_problem,
        to_addresses=all_addresses(message, ("To", "Cc", "Delivered-To")),
        message_id=message_id_list[0] if message_id_list else "",
        in_reply_to=message_ids(raw_header_text(message, "In-Reply-To")),
        references=message_ids(raw_header_text(message, "References")),
        text=storable(text),
        html=storable(body_html),
        attachments=[
            Attachment(storable(a.filename), storable(a.content_type), a.content) for a in reader.attachments
        ],
        defects=defects,
        unread_parts=max(0, structure.parts - max_parts) + reader.skipped,
    )


def _flat_message(raw: bytes) -> Message:
    """Headers split by hand and the body as one text part: what is left when the stdlib
    parser fails on a message."""
    message = Message()
    match = _HEADER_END.search(raw)
    head, body = (raw[: match.start()], raw[match.end() :]) if match else (raw, b"")
    for line in re.split(rb"\r?\n(?![ \t])", head):
        name, colon, value = line.partition(b":")
        if colon and name.strip() and not name.startswith((b" ", b"\t")):
            message.set_raw(
                name.strip().decode("ascii", "surrogateescape"),
                value.strip().decode("ascii", "surrogateescape"),
            )
    message.set_payload(body.decode("ascii", "surrogateescape"))
    return message


@dataclass
class _Reader:
    """One walk over the parsed tree: texts, HTML and attachments, within the limits."""

    max_parts: int
    max_depth: int
    defects: list[str]
    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    parts: int = 0
    skipped: int = 0

    def walk(self, part: Message, depth: int, texts: list[str] | None = None) -> None:
        if depth > self.max_depth:  # scan_structure missed it (an odd boundary): still refused
            raise MessageRefused(f"MIME nesting deeper than {self.max_depth} levels")
        self.parts += 1
        if self.parts > self.max_parts + 1:  # the parts below the message itself, as scan_structure counts
            self.skipped += 1
            return
        texts = self.texts if texts is None else texts
        self.defects.extend(type(d).__name__ for d in part.defects if isinstance(d, _BOUNDARY_DEFECTS))
        content_type = part.get_content_type()
        disposition_raw = raw_header(part, "Content-Disposition")
        disposition = (
            disposition_raw.split(b";")[0].strip().lower().decode("ascii", "replace")
            if disposition_raw
            else ""
        )
        filename = header_param(disposition_raw, "filename") or header_param(
            raw_header(part, "Content-Type"), "name"
        )
        if part.is_multipart():
            raw_payload = part.get_payload()
            payload = (
                [p for p in raw_payload if isinstance(p, Message)] if isinstance(raw_payload, list) else []
            )
            if content_type == "message/rfc822" or (content_type.startswith("message/") and filename):
                self.attachments.append(
                    Attachment(filename or "message.eml", "message/rfc822", _as_bytes(payload))
                )
                return
            if content_type == "multipart/alternative" and payload:
                # One of the alternatives: plain text preferred, HTML kept beside it.
                plain = [p for p in payload if p.get_content_type() == "text/plain"][:1]
                for sub in plain:
                    self.walk(sub, depth + 1, texts)
                for sub in payload:
                    if not any(sub is p for p in plain):
                        # The other alternatives repeat the text: keep their HTML, not their text.
                        self.walk(sub, depth + 1, [] if plain else texts)
                return
            for sub in payload:
                self.walk(sub, depth + 1, texts)
            return
        data = _payload_bytes(part)
        charset = header_param(raw_header(part, "Content-Type"), "charset")
        is_attachment = disposition == "attachment" or (filename is not None and disposition != "inline")
        if content_type == "text/plain" and not is_attachment:
            texts.append(decode_bytes(data, charset))
        elif content_type == "text/html" and not is_attachment:
            self.htmls.append(decode_bytes(data, charset))
        elif content_type.startswith("multipart/"):
            # A multipart whose boundary never appears: the parser leaves it as text.
            texts.append(decode_bytes(data, charset))
        elif data or filename:
            self.attachments.append(Attachment(filename or _default_name(content_type), content_type, data))


def _as_bytes(payload: list[Message]) -> bytes:
    # An attached message has no bytes of its own in the parsed tree; it is serialised again
    # (the top-level message never is: its raw bytes are stored as received).
    if not payload:
        return b""
    try:
        return payload[0].as_bytes(policy=email.policy.compat32)
    except Exception:  # the generator meets what the parser let through: keep a readable copy
        return str(payload[0].get_payload()).encode("utf-8", errors="replace")


def _payload_bytes(part: Message) -> bytes:
    """The decoded body of a part; the bytes as sent when the transfer encoding is broken."""
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding or charset parameter: the raw payload below
        data = None
    if isinstance(data, bytes):
        return data
    payload = vars(part).get("_payload")  # undecoded: get_payload() decodes with the charset and may raise
    if isinstance(payload, str):
        return payload.encode("ascii", errors="surrogateescape")
    return b""


# -- the structure, before the stdlib parser sees it ---------------------------------------


@dataclass(frozen=True)
class Structure:
    """What one linear pass over the bytes says: the deepest nesting (counting stops past
    the limit), the parts in all, and where the part after the first `max_parts` begins."""

    depth: int
    parts: int
    cut: int | None


_HEADER_END = re.compile(rb"\r?\n\r?\n")
_CONTENT_TYPE_LINE = re.compile(rb"(?im)^content-type[ \t]*:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)")
_BOUNDARY_PARAM = re.compile(rb'(?i);\s*boundary\s*=\s*(?:"([^"\r\n]*)"|([^;\s]+))')
# Header lines as the stdlib's feedparser knows them ("From ", a name and a colon, a
# continuation): a block ends at the first other line, so finding its end is linear.
_HEADER_LINES = re.compile(rb"(?:(?:From |[\x21-\x39\x3b-\x7e]*:|[\t ])[^\n]*\n)*")


def scan_structure(raw: bytes, *, max_depth: int = MAX_DEPTH, max_parts: int = MAX_PARTS) -> Structure:
    """Nesting depth and part count in one pass over the header blocks and `--` lines.

    Run before the stdlib parser, whose work grows with depth times lines: a message
    nested deeper than `max_depth` is refused before it is parsed, and only its first
    `max_parts` parts are parsed at all.
    """
    stack: list[tuple[bytes | None, bool]] = []  # (boundary, or None for a message/* level; is a digest)
    where: dict[bytes, int] = {}  # open boundary -> its index in `stack`
    depth = parts = 0
    cut: int | None = None  # stays None: the parts after the cut are counted in one go
    position = 0
    in_digest = False
    while True:
        kind, boundary, position = _header_block(raw, position, in_digest)
        if kind != "leaf":
            stack.append((boundary, kind == "digest"))
            if boundary is not None:
                where[boundary] = len(stack) - 1
            depth = max(depth, len(stack))
            if depth > max_depth:
                return Structure(depth, parts, cut)
            if boundary is None:  # message/*: the enclosed message's headers follow
                in_digest = False
                continue
        if not stack:
            return Structure(depth, parts + 1, cut)
        pattern = _delimiters(tuple(where))
        while True:  # the next delimiter of an open multipart
            line = pattern.search(raw, max(position - 1, 0))
            if line is None:
                return Structure(depth, parts, cut)
            position = line.end()
            closing = line.group(2) is not None
            index = where[line.group(1)]
            for gone, _digest in stack[index if closing else index + 1 :]:
                if gone is not None:
                    where.pop(gone, None)
            del stack[index if closing else index + 1 :]
            pattern = _delimiters(tuple(where))
            if closing:
                continue
            parts += 1
            if parts > max_parts:
                # The rest is counted, not read (their own parts are not looked for), in C.
                rest = [close for _name, close in pattern.findall(raw, position) if not close]
                return Structure(depth, parts + len(rest), line.start() + 1)
            in_digest = stack[index][1]
            position += 1 if raw[position : position + 1] == b"\n" else 0
            break


@functools.lru_cache(maxsize=256)
def _delimiters(boundaries: tuple[bytes, ...]) -> re.Pattern[bytes]:
    """The delimiter or close line of any of the open boundaries. The literal "\n--" lets the
    regex engine skip ahead in C; a line is checked only where it starts with "--"."""
    if not boundaries:
        return re.compile(rb"(?!)")
    names = b"|".join(re.escape(b) for b in sorted(boundaries, key=len, reverse=True))
    return re.compile(rb"\n--(" + names + rb")(--)?[ \t]*\r?(?=\n|\Z)")


def _header_block(raw: bytes, position: int, in_digest: bool) -> tuple[str, bytes | None, int]:
    """(kind, boundary, where the body begins) of the header block at `position`; kind is
    "multipart", "digest" (a multipart/digest), "message" (message/*) or "leaf"."""
    end = _HEADER_LINES.match(raw, position).end()  # type: ignore[union-attr]
    block, body = raw[position:end], end
    if raw.startswith(b"\n", body) or raw.startswith(b"\r\n", body):  # the blank line
        body = raw.index(b"\n", body) + 1
    match = _CONTENT_TYPE_LINE.search(block)
    if match is None:
        return ("message" if in_digest else "leaf"), None, body
    value = match.group(1)
    main = value.split(b";")[0].strip().lower()
    if main.startswith(b"multipart/"):
        param = _BOUNDARY_PARAM.search(value)
        if param is None:
            return "leaf", None, body  # no boundary: the parser reads it as text
        boundary = (param.group(1) if param.group(1) is not None else param.group(2)).rstrip()
        return ("digest" if main == b"multipart/digest" else "multipart"), boundary, body
    if main.startswith(b"message/") and main != b"message/delivery-status":
        return "message", None, body
    return "leaf", None, body


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
