"""The languages the desk speaks (settings.LANGUAGES), and the one way to pick a person's,
a ticket's or a request's language among them."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation


def spoken() -> tuple[str, ...]:
    """The language codes the desk speaks, in settings order."""
    return tuple(code for code, _name in settings.LANGUAGES)


def supported_language(code: str | None) -> str | None:
    """'ja-JP' -> 'ja'; None for a language the desk does not speak."""
    if not code:
        return None
    short = code.strip().split("-")[0].split("_")[0].lower()
    return short if short in spoken() else None


def choose(*candidates: str | None) -> str:
    """The first of `candidates` the desk speaks (a person's, then a ticket's, ...), else the
    default language (settings.LANGUAGE_CODE)."""
    for candidate in candidates:
        if (lang := supported_language(candidate)) is not None:
            return lang
    return str(settings.LANGUAGE_CODE)


def current() -> str:
    """The language the request being served (or a `translation.override`) speaks."""
    return choose(translation.get_language())
