"""`done_together`: work collected inside a block is done once, for all of it, at the outer end;
nothing when the block raises or collected nothing; `later_or_now` adds to the open block or
does the work at once (no database needed)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from contextvars import ContextVar

import pytest

from policydesk.together import Collection, done_now, done_together, later_or_now

_waiting: ContextVar[Collection[str] | None] = ContextVar("test_waiting", default=None)


def block(done: list[list[str]]) -> AbstractContextManager[None]:
    return done_together(_waiting, Collection, done.append)


def add(item: str, done: list[list[str]]) -> None:
    later_or_now(_waiting, [item], done.append)


def test_what_is_collected_is_done_once_at_the_outer_end() -> None:
    done: list[list[str]] = []
    with block(done):
        add("a", done)
        with block(done):
            add("b", done)
        assert done == []  # the inner end leaves it to the outer one
        add("c", done)
    assert done == [["a", "b", "c"]]
    add("d", done)
    assert done == [["a", "b", "c"], ["d"]]  # no block open: at once
    with block(done):
        later_or_now(_waiting, ["e", "f"], done.append)
        assert done == [["a", "b", "c"], ["d"]]
    assert done[-1] == ["e", "f"]  # every item of a call, in order


def test_a_block_that_raises_or_collects_nothing_does_nothing() -> None:
    done: list[list[str]] = []

    def fail() -> None:
        with block(done):
            add("a", done)
            raise RuntimeError("the chunk fails")

    with pytest.raises(RuntimeError, match="the chunk fails"):
        fail()
    with block(done):
        pass
    assert done == []
    assert _waiting.get() is None  # the block left nothing behind


def test_a_nested_block_that_raises_takes_back_what_it_added() -> None:
    """As a savepoint rolls back: the outer block writes only what the blocks that ended well added."""
    done: list[list[str]] = []

    def message(item: str, *, fails: bool) -> None:
        with block(done):
            add(item, done)
            if fails:
                raise ValueError(item)

    with block(done):
        add("a", done)
        message("b", fails=False)
        with pytest.raises(ValueError, match="c"):
            message("c", fails=True)
        message("d", fails=False)
    assert done == [["a", "b", "d"]]


def test_a_nested_dictionary_is_kept_when_its_block_raises() -> None:
    """A dictionary's work re-reads the database at the end: nothing is taken back from it."""
    waiting: ContextVar[dict[str, int] | None] = ContextVar("test_waiting_dict", default=None)
    done: list[dict[str, int]] = []

    def change() -> None:
        with done_together(waiting, dict, done.append):
            collected = waiting.get()
            assert collected is not None
            collected["x"] = 1
            raise ValueError("x")

    with done_together(waiting, dict, done.append), pytest.raises(ValueError, match="x"):
        change()
    assert done == [{"x": 1}]


def test_a_nested_block_that_raises_after_work_done_early_takes_back_only_its_own() -> None:
    """`done_now` (a read that must see the writes) empties the collection inside a nested block:
    when that block then raises, what it added after stays out, and what came before it was done."""
    waiting: ContextVar[Collection[str] | None] = ContextVar("test_waiting_flushed", default=None)
    done: list[list[str]] = []

    def message() -> None:
        with done_together(waiting, Collection, done.append):
            later_or_now(waiting, ["b"], done.append)
            done_now(waiting, done.append)  # done early: "a" and "b" (b's rolls back with its savepoint)
            later_or_now(waiting, ["c"], done.append)
            raise ValueError("b")

    with done_together(waiting, Collection, done.append):
        later_or_now(waiting, ["a"], done.append)
        with pytest.raises(ValueError, match="b"):
            message()
        later_or_now(waiting, ["d"], done.append)
    assert done == [["a", "b"], ["d"]]
    done_now(waiting, done.append)  # outside any block: nothing to do
    assert done == [["a", "b"], ["d"]]
