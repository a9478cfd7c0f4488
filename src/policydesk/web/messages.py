"""Django's messages middleware, its storage made on first use.

`django.contrib.messages.middleware.MessageMiddleware` makes each request's message storage at
once: a cookie signer (its key derived from the secret key) and a session store, for every
request, the API's included, though only pages that say something to the person use it
(0.6 % of an API intake's time served; issue 17). Here the storage is made when something
first adds or reads a message, and a request that never did has nothing to store: Django's
`update` stores only what was read or added.
"""

from __future__ import annotations

from typing import Any

from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty


class LazyMessageMiddleware(MessageMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(lambda: default_storage(request))  # type: ignore[attr-defined]  # Django's attribute

    def process_response(self, request: HttpRequest, response: HttpResponse) -> Any:
        storage = getattr(request, "_messages", None)
        if isinstance(storage, SimpleLazyObject) and storage.__dict__["_wrapped"] is empty:  # never used
            return response
        return super().process_response(request, response)
