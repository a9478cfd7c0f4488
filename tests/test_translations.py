"""The Japanese message catalogue: complete, not fuzzy, placeholders intact, compiled, and used.

The catalogue is read with the standard library only (no polib), so the test needs nothing
the desk does not already install.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

import policydesk

CATALOGUE = Path(policydesk.__file__).parent / "locale" / "ja" / "LC_MESSAGES"

# %(name)s / %(n)d / %% (python-format), {name} / {0} (brace-format), and HTML tags.
PYTHON_FORMAT = re.compile(r"%\([A-Za-z_]\w*\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%%")
BRACE_FORMAT = re.compile(r"\{[A-Za-z_0-9]*\}")
HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def where(self) -> str:
        return f"django.po:{self.line} {self.msgid!r}"


def read_po(path: Path) -> list[Entry]:
    """The entries of a PO file (the header is the entry with the empty msgid)."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] = ("msgid", 0)

    def append(text: str) -> None:
        assert current is not None
        value = ast.literal_eval(text)
        if target[0] == "msgstr":
            current.msgstr[target[1]] = current.msgstr.get(target[1], "") + value
        elif target[0] == "msgid_plural":
            current.msgid_plural = (current.msgid_plural or "") + value
        else:
            current.msgid += value

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            current = None
            continue
        if current is None:
            current = Entry(line=number)
            entries.append(current)
        if line.startswith("#~"):
            current.obsolete = True
        elif line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid_plural "):
            target = ("msgid_plural", 0)
            current.msgid_plural = ""
            append(line.removeprefix("msgid_plural "))
        elif line.startswith("msgid "):
            target = ("msgid", 0)
            current.line = number
            append(line.removeprefix("msgid "))
        elif line.startswith("msgstr["):
            index = int(line[len("msgstr[") : line.index("]")])
            target = ("msgstr", index)
            current.msgstr[index] = ""
            append(line[line.index("]") + 1 :].strip())
        elif line.startswith("msgstr "):
            target = ("msgstr", 0)
            current.msgstr[0] = ""
            append(line.removeprefix("msgstr "))
        elif line.startswith('"'):
            append(line)
        else:  # pragma: no cover - a malformed catalogue
            pytest.fail(f"django.po:{number}: cannot read {raw!r}")
    return entries


def messages() -> list[Entry]:
    return [entry for entry in read_po(CATALOGUE / "django.po") if entry.msgid and not entry.obsolete]


def placeholders(text: str) -> list[str]:
    return sorted(PYTHON_FORMAT.findall(text) + BRACE_FORMAT.findall(text) + HTML_TAG.findall(text))


def test_catalogue_header_declares_japanese_with_one_plural_form() -> None:
    header = next(entry for entry in read_po(CATALOGUE / "django.po") if entry.msgid == "")
    assert "Language: ja\n" in header.msgstr[0]
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header.msgstr[0]
    assert "Content-Type: text/plain; charset=UTF-8\n" in header.msgstr[0]
    assert "fuzzy" not in header.flags


def test_every_message_is_translated_and_none_is_fuzzy() -> None:
    entries = messages()
    assert len(entries) > 400  # the whole UI, not an empty file
    untranslated = [e.where for e in entries if not e.msgstr or not all(t.strip() for t in e.msgstr.values())]
    fuzzy = [e.where for e in entries if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []


def test_plural_messages_have_exactly_the_one_japanese_form() -> None:
    plurals = [entry for entry in messages() if entry.msgid_plural is not None]
    assert plurals  # days, hours, status-page history, the confirmation email
    assert [e.where for e in plurals if set(e.msgstr) != {0}] == []


def test_translations_keep_every_placeholder_and_add_none() -> None:
    problems = []
    for entry in messages():
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural is not None else [])
        # With one plural form, msgstr[0] serves n == 1 and every other n, so it carries the
        # plural's count too (where the English singular spells "a day").
        needed = set().union(*(placeholders(source) for source in sources))
        for text in entry.msgstr.values():
            shown = placeholders(text)
            if needed - set(shown):
                problems.append(f"{entry.where}: lost {sorted(needed - set(shown))}")
            if set(shown) - needed:
                problems.append(f"{entry.where}: added {sorted(set(shown) - needed)}")
            if shown.count("%%") != placeholders(sources[-1]).count("%%"):
                problems.append(f"{entry.where}: a literal % must stay %%")
            if "python-format" not in entry.flags and "%" in text and "%" not in entry.msgid:
                problems.append(f"{entry.where}: a bare % may break the caller's formatting")
    assert problems == []


def test_compiled_catalogue_matches_the_po_file() -> None:
    """django.mo is what Django reads: it must be compiled from the current django.po."""
    with (CATALOGUE / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    stale = []
    for entry in messages():
        if entry.msgid_plural is None:
            shown = catalogue.gettext(entry.msgid)
        else:
            shown = catalogue.ngettext(entry.msgid, entry.msgid_plural, 2)
        if shown != entry.msgstr[0]:
            stale.append(entry.where)
    assert stale == []


def test_django_translates_with_the_catalogue() -> None:
    with translation.override("ja"):
        assert translation.gettext("Sign in") == "ログイン"
        assert translation.gettext("First response due") == "初期対応期限"
        days = translation.ngettext("%(days)d day %(hours)d h", "%(days)d days %(hours)d h", 1)
        assert days % {"days": 1, "hours": 3} == "1日3時間"
        assert translation.ngettext("%(n)d hour", "%(n)d hours", 5) % {"n": 5} == "5時間"
    with translation.override("en"):
        assert translation.gettext("Sign in") == "Sign in"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "japanese", "english"),
    [
        ("/policy/", ["ヘルプセンター", "サポートポリシー", "ログイン", "このページは"], ["Sign in<"]),
        (
            "/signin/",
            ["ヘルプセンターにログイン", "パスワードでログイン", "ログインリンクをメールで受け取る"],
            ["Sign in to the help center", "With your password"],
        ),
        (
            "/status/",
            ["システムステータス", "すべてのシステムが正常に稼働しています", "メールで更新情報を受け取る"],
            ["System status", "All systems operational"],
        ),
    ],
)
def test_key_pages_render_their_chrome_in_japanese(
    client: Client, path: str, japanese: list[str], english: list[str]
) -> None:
    response = client.get(f"{path}?lang=ja", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "ja"
    assert '<html lang="ja">' in html
    assert [text for text in japanese if text not in html] == []
    assert [text for text in english if text in html] == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/policy/", "/signin/", "/status/"])
def test_key_pages_stay_english_for_an_unknown_language(client: Client, path: str) -> None:
    response = client.get(f"{path}?lang=xx", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response["Content-Language"] == "en"
    assert "Help center" in html and "ヘルプセンター" not in html
