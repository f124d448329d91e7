"""The deadline model: one instant bounds a whole call, end to end.

A call that has a deadline (a batch run under ``timeout=``) enters :func:`deadline_scope`
with a :func:`time.monotonic` instant. Every HTTP request made inside it, in any task it
spawns (asyncio copies the context into new tasks), is bounded by the time left: its httpx
timeouts become ``min(per-request timeout, time left)`` (:func:`bounded_timeout`) and the
whole request (connect, write, read) is cut at the deadline; a retry or a poll that could not
start before the deadline is not made. Whatever is cut raises
:class:`~pennylane_qnative.exceptions.JobTimeoutError`. Nested scopes keep the earliest
deadline. Outside any scope only the per-request timeouts apply.

**Example**

>>> import time
>>> with deadline_scope(time.monotonic() + 5.0):
...     0.0 < time_left() <= 5.0
True
>>> time_left() is None
True
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Awaitable, Iterator
from typing import TypeVar

import httpx

__all__ = ["bounded_timeout", "current_deadline", "deadline_scope", "time_left", "within"]

T = TypeVar("T")

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "qnative_deadline", default=None
)


def current_deadline() -> float | None:
    """The :func:`time.monotonic` instant the current call must end by (``None``: none)."""
    return _DEADLINE.get()


def time_left() -> float | None:
    """Seconds left before the current deadline (negative once passed; ``None``: none)."""
    deadline = _DEADLINE.get()
    return None if deadline is None else deadline - time.monotonic()


@contextlib.contextmanager
def deadline_scope(deadline: float | None) -> Iterator[float | None]:
    """Run a block under ``deadline`` (a monotonic instant; the earlier of it and an
    enclosing deadline wins; ``None`` keeps the enclosing one). Yields the deadline in force."""
    outer = _DEADLINE.get()
    effective = outer if deadline is None else deadline if outer is None else min(outer, deadline)
    token = _DEADLINE.set(effective)
    try:
        yield effective
    finally:
        _DEADLINE.reset(token)


async def within(seconds: float, awaitable: Awaitable[T]) -> T:
    """Await ``awaitable`` under a deadline ``seconds`` from now (clean-up calls: ending a
    session, cancelling at the deadline, so that they never ride out a whole outage)."""
    with deadline_scope(time.monotonic() + seconds):
        return await awaitable


def bounded_timeout(timeout: httpx.Timeout, left: float | None) -> httpx.Timeout:
    """``timeout`` with each phase (connect, read, write, pool) cut to ``left`` seconds."""
    if left is None:
        return timeout
    left = max(left, 0.001)

    def cut(value: float | None) -> float:
        return left if value is None else min(value, left)

    return httpx.Timeout(
        connect=cut(timeout.connect),
        read=cut(timeout.read),
        write=cut(timeout.write),
        pool=cut(timeout.pool),
    )
