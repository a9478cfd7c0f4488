"""The list of receivers beside the signals (`tickets/signals.RECEIVERS`) is the list of
receivers actually connected: a receiver added, moved or removed without the list fails here."""

from __future__ import annotations

import weakref
from typing import Any

from django.dispatch import Signal

from policydesk.tickets import signals


def _name(entry: tuple[Any, ...]) -> str:
    receiver = entry[1]
    if isinstance(receiver, weakref.ReferenceType):
        receiver = receiver()
    return f"{receiver.__module__}.{receiver.__qualname__}"


def _connected() -> dict[str, set[str]]:
    return {
        name: {_name(entry) for entry in value.receivers}
        for name, value in vars(signals).items()
        if isinstance(value, Signal)
    }


def test_every_signal_is_documented_with_the_receivers_actually_connected() -> None:
    documented = {name: set(receivers) for name, receivers in signals.RECEIVERS.items()}
    assert _connected() == documented


def test_every_documented_receiver_says_what_it_does() -> None:
    assert all(what.strip() for receivers in signals.RECEIVERS.values() for what in receivers.values())
