"""`done_together`: work collected inside a block is done once, for all of it, at the outer end;
nothing when the block raises or collected nothing; `later_or_now` adds to the open block or
does the work at once (no database needed)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from contextvars import ContextVar

import pytest

from policydesk.together import done_together, later_or_now

_waiting: ContextVar[list[str] | None] = ContextVar("test_waiting", default=None)


def block(done: list[list[str]]) -> AbstractContextManager[None]:
    return done_together(_waiting, list, done.append)


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
    with done_together(waiting, dict, done.append):
        with pytest.raises(ValueError, match="x"), done_together(waiting, dict, done.append):
            collected = waiting.get()
            assert collected is not None
            collected["x"] = 1
            raise ValueError("x")
    assert done == [{"x": 1}]
