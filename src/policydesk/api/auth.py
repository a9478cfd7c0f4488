"""Who is calling: a bearer API token (people and integrations), or a staff member's browser
session (with CSRF on unsafe methods). Either way the handler gets an active Person."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from policydesk.api.tokens import person_for_token
from policydesk.tickets.access import is_staff
from policydesk.tickets.models import Person

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


def _speak_their_language(person: Person) -> None:
    # The person's preference first; LocaleMiddleware already chose from Accept-Language.
    if person.language in dict(settings.LANGUAGES):
        translation.activate(person.language)


class BearerToken(HttpBearer):
    """`Authorization: Bearer pd_...`. A bad token is a 401 at once, never a fallback to the session."""

    def authenticate(self, request: HttpRequest, token: str) -> Person:
        person = person_for_token(token.strip(), timezone.now())
        if person is None:
            raise AuthenticationError()
        _speak_their_language(person)
        return person


class StaffSession(APIKeyCookie):
    """The Django session of a signed-in agent, lead or admin, for using the API from a browser."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=False)  # checked below, once we know there is a session at all

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if not isinstance(user, Person) or not is_staff(user):
            return None  # customers use tokens; anonymous gets the 401
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise HttpError(403, _("CSRF check failed: send the X-CSRFToken header with session requests."))
        _speak_their_language(user)
        return user


def caller(request: HttpRequest) -> Person:
    """The authenticated person of an API request."""
    person = request.auth  # type: ignore[attr-defined]
    assert isinstance(person, Person)  # noqa: S101 - every operation requires auth
    return person
