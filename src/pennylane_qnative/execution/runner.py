"""``EventLoopRunner``: the one async boundary between synchronous devices and async I/O.

A private asyncio event loop runs on a daemon thread; synchronous code (a PennyLane device, a
Jupyter cell, any thread, even code already inside a running event loop) hands it coroutines
with :func:`asyncio.run_coroutine_threadsafe` and waits for the result. Never ``asyncio.run``
inside a device, never ``nest_asyncio``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Awaitable, Coroutine, Sequence
from typing import Any, TypeVar

__all__ = ["EventLoopRunner", "gather_or_cancel", "shared_runner"]

logger = logging.getLogger(__name__)
T = TypeVar("T")


class EventLoopRunner:
    """A private asyncio event loop on a daemon thread, driven from synchronous code.

    Coroutines are handed over with :func:`asyncio.run_coroutine_threadsafe`, so the caller may
    be any thread, including one that runs its own event loop (Jupyter). Calling :meth:`run`
    from the runner's own thread is refused (it would deadlock).

    Args:
        name (str): the thread's name

    **Example**

    >>> import asyncio
    >>> with EventLoopRunner() as runner:
    ...     runner.run(asyncio.sleep(0, result=42))
    42
    """

    def __init__(self, name: str = "qnative-event-loop") -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"EventLoopRunner(name={self.name!r}, running={self.running})"

    def __enter__(self) -> EventLoopRunner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def running(self) -> bool:
        """Whether the loop thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The private loop (started on first use)."""
        with self._lock:
            if self._loop is None or not self.running:
                loop = asyncio.new_event_loop()
                ready = threading.Event()
                thread = threading.Thread(
                    target=self._serve, args=(loop, ready), name=self.name, daemon=True
                )
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
            return self._loop

    @staticmethod
    def _serve(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            loop.close()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the loop; returns a thread-safe future."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], *, timeout: float | None = None) -> T:
        """Run ``coro`` on the private loop and block until it returns.

        Args:
            coro (Coroutine): the coroutine
            timeout (float | None): seconds to wait; the coroutine is cancelled on expiry

        Raises:
            RuntimeError: if called from the runner's own thread
            TimeoutError: if ``timeout`` expires
        """
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError(
                "EventLoopRunner.run was called from its own loop thread; await the coroutine."
            )
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except BaseException:  # timeout, KeyboardInterrupt: do not leave it running
            future.cancel()
            raise

    def close(self) -> None:
        """Cancel pending tasks, stop the loop and join its thread (idempotent)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None or not thread.is_alive():
            return

        async def _cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(_cancel_all(), loop).result(5.0)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5.0)


async def gather_or_cancel(coros: Sequence[Awaitable[T]]) -> list[T]:
    """Like :func:`asyncio.gather`, but the first error cancels the remaining tasks."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


_shared_runner: EventLoopRunner | None = None
_shared_lock = threading.Lock()


def shared_runner() -> EventLoopRunner:
    """The process-wide runner used by default by every :class:`CircuitBatchManager`."""
    global _shared_runner
    with _shared_lock:
        if _shared_runner is None:
            _shared_runner = EventLoopRunner()
        return _shared_runner
