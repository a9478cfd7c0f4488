"""Work collected inside a block and done once, for everything collected, when the block ends:
a bulk change's chunk records its tickets' metric events (`tickets.sla_metrics`), re-plans
their SLA timers (`watch.timers`) and asks for their ratings (`satisfaction.receivers`)
together, in a few queries, instead of per ticket."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sized
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

Collected = TypeVar("Collected", bound=Sized)
Item = TypeVar("Item")


@contextmanager
def done_together(
    waiting: ContextVar[Collected | None],
    empty: Callable[[], Collected],
    finish: Callable[[Collected], object],
) -> Iterator[None]:
    """Inside the block, `waiting` holds a collection (`empty()` at first) that the code inside
    adds to instead of doing its work at once (outside any block, `waiting` is None); when the
    block ends, `finish` does the work for what was collected, if anything was, inside the
    caller's transaction. A nested block leaves it to the outer one; a block that raises does
    nothing (its transaction rolls back with the changes that were collected).

    A nested block is a savepoint's twin: when it raises, what was added to a list inside it is
    taken back (a mail batch keeps one outer block open over many messages, each in a savepoint
    of its own, and a message rolled back must leave nothing to write). Dictionaries are kept:
    their work re-reads the database at the end (metric events, SLA plans), where a change rolled
    back has left nothing."""
    outer = waiting.get()
    if outer is not None:
        mark, flushes = len(outer), getattr(outer, "flushes", 0)
        try:
            yield
        except BaseException:
            if isinstance(outer, list):
                # Done early inside this block (`done_now`): what is left was all added here.
                del outer[mark if getattr(outer, "flushes", 0) == flushes else 0 :]
            raise
        return
    token = waiting.set(empty())
    try:
        yield
        collected = waiting.get()
    finally:
        waiting.reset(token)
    if collected:
        finish(collected)


class Collection(list[Item]):
    """A block's list that a read may have done early (`done_now`), and how often it was."""

    flushes = 0


def done_now(waiting: ContextVar[Collection[Item] | None], finish: Callable[[list[Item]], object]) -> None:
    """What the open block on `waiting` has collected so far, done now, in the caller's
    transaction (a read that must see it comes next); nothing outside a block. Its items are
    then off the collection; a nested block that raises afterwards takes back the rest it holds,
    all added inside that block (what was done early rolls back with its savepoint)."""
    collected = waiting.get()
    if collected:
        finish(list(collected))
        collected.clear()
        collected.flushes += 1


def later_or_now(
    waiting: ContextVar[Collection[Item] | None], items: list[Item], do: Callable[[list[Item]], object]
) -> None:
    """`items` added to the collection of the open `done_together` block on `waiting`, whose end
    does their work; outside any block, `do(items)` at once. The one place that decides between
    the two, for the writers that collect a list (search entries, Message-ID links, surveys)."""
    collected = waiting.get()
    if collected is None:
        do(items)
    else:
        collected.extend(items)
