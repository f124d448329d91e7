"""``SessionHandle``: the IonQ session a device's jobs run in (one queue wait for a training).

The handle is a long-lived object its owner (a device, through its job manager) keeps, like
its cache and budget guard: nothing of it lives on the device. It is thread-safe and lazy:

* the session is opened at the first job (:meth:`SessionHandle.acquire`, awaited on the job
  manager's private event loop; never ``asyncio.run``), or joined when an id was given;
* the id is recorded in the :class:`~.Journal` under a key naming the service, backend and
  limits, so a resumed run **rejoins** the session while it is active (or opens a new one when
  it has ended);
* a session that ended under the handle (ended elsewhere, or its ``max_minutes`` ran out) is
  replaced once, transparently; a job refused by ``max_jobs`` or ``max_cost_usd`` raises
  :class:`~.SessionLimitError` naming the session and the limit;
* :meth:`SessionHandle.close` ends a session the handle opened (a joined one is left to its
  owner); a :func:`weakref.finalize` does it best-effort at interpreter exit.

Budget and session agree: when the owner has a budget, the session's ``cost_limit`` is the
smaller of ``max_cost_usd`` and what remains of the budget when the session opens, so the
service refuses what the budget guard would have refused (the guard still refuses each batch
before it is submitted).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import math
import threading
import weakref
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from pennylane_qnative.exceptions import IonQError, QnativeError
from pennylane_qnative.execution.journal import Journal
from pennylane_qnative.ionq.client import IonQClient
from pennylane_qnative.ionq.deadline import within
from pennylane_qnative.ionq.sessions import SessionLimits

__all__ = ["SessionHandle", "SessionRequest"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class SessionRequest:
    """What session a device asked for: a new one with ``limits``, or ``join`` an existing id.

    Args:
        limits (SessionLimits): the limits of a session to open
        join (str | None): the id of an existing session to run in (never ended by us)
    """

    limits: SessionLimits = field(default_factory=SessionLimits)
    join: str | None = None


END_TIMEOUT_S = 2.0
"""The longest ending a session may take (a clean-up: it does not ride out an outage)."""


@dataclass(slots=True)
class _State:
    """What the exit finalizer needs (it must not hold the handle itself)."""

    session_id: str | None = None
    owned: bool = False


def _end_at_exit(client: IonQClient, run: Callable[[Coroutine], Any], state: _State) -> None:
    session_id = state.session_id

    async def end() -> None:  # the request is made only if the runner runs it
        await within(END_TIMEOUT_S, client.end_session(session_id or ""))

    if session_id is not None and state.owned:
        with contextlib.suppress(Exception):
            run(end())
            logger.info("session %s ended at exit", state.session_id)


class SessionHandle:
    """The session of one job manager: opened lazily, journaled, ended on :meth:`close`.

    Args:
        client (IonQClient): the client (owned by the caller)
        backend (str): the backend the session holds
        request (SessionRequest): new session with limits, or an id to join
        journal (Journal | None): where the session is recorded for resumed runs
        remaining_budget (Callable[[], float] | None): dollars left of the owner's budget
        run (Callable[[Coroutine], Any] | None): runs a coroutine to completion from
            synchronous code (the owner's event-loop runner), for :meth:`close` and exit
    """

    def __init__(
        self,
        client: IonQClient,
        *,
        backend: str,
        request: SessionRequest,
        journal: Journal | None = None,
        remaining_budget: Callable[[], float] | None = None,
        run: Callable[[Coroutine], Any] | None = None,
    ) -> None:
        self.client = client
        self.backend = backend
        self.request = request
        self.journal = journal
        self._remaining = remaining_budget
        self._run = run
        self._state = _State(session_id=request.join)
        self._lock = threading.Lock()
        self._opening: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self.opened = 0
        """Sessions this handle opened (a replaced session counts again)."""
        self.key = _journal_key(client.api_url, backend, request.limits)
        if run is not None:
            weakref.finalize(self, _end_at_exit, client, run, self._state)

    def __repr__(self) -> str:
        return f"SessionHandle(backend={self.backend!r}, session_id={self.session_id!r})"

    @property
    def session_id(self) -> str | None:
        """The current session's id (``None`` until the first job opens one)."""
        with self._lock:
            return self._state.session_id

    def _loop_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._opening is None or self._opening[0] is not loop:
                self._opening = (loop, asyncio.Lock())
            return self._opening[1]

    async def acquire(self) -> str:
        """The id of the session the next job joins (opened or rejoined at the first call)."""
        current = self.session_id
        if current is not None:
            return current
        async with self._loop_lock():
            current = self.session_id
            if current is None:
                current = await self._rejoin() or await self._open()
            return current

    async def replace(self, ended_id: str) -> str:
        """A new session after ``ended_id`` ended under us (if another job already replaced
        it, that replacement). Only for an opened session (:attr:`replaceable`): the caller
        re-raises the refusal of a joined one."""
        async with self._loop_lock():
            current = self.session_id
            if current != ended_id:
                return current or await self._open()
            if self.journal is not None:
                await asyncio.to_thread(self.journal.record_session_end, ended_id)
            with self._lock:
                self._state.session_id = None
            logger.info("session %s ended; opening a new one", ended_id)
            return await self._open()

    @property
    def replaceable(self) -> bool:
        """Whether an ended session may be replaced (not when the user gave its id)."""
        return self.request.join is None

    async def _rejoin(self) -> str | None:
        """The journal's session for this run, if it is still usable."""
        if self.journal is None:
            return None
        recorded = await asyncio.to_thread(self.journal.session, self.key)
        if recorded is None:
            return None
        try:
            session = await self.client.get_session(recorded)
        except IonQError:
            session = None
        if session is None or not session.usable or session.backend != self.backend:
            await asyncio.to_thread(self.journal.record_session_end, recorded)
            return None
        logger.info("session %s rejoined (recorded in the journal)", recorded)
        with self._lock:
            self._state.session_id, self._state.owned = recorded, True
        return recorded

    async def _open(self) -> str:
        limits = self.request.limits
        left = self._remaining() if self._remaining is not None else math.inf
        if math.isfinite(left) and left > 0 and (limits.max_cost_usd or math.inf) > left:
            limits = dataclasses.replace(limits, max_cost_usd=round(left, 6))
        session = await self.client.create_session(self.backend, limits)
        logger.info("session %s opened on %s (%s)", session.id, self.backend, limits.to_json())
        if self.journal is not None:
            await asyncio.to_thread(self.journal.record_session, self.key, session.id)
        with self._lock:
            self._state.session_id, self._state.owned = session.id, True
            self.opened += 1
        return session.id

    async def end(self) -> None:
        """End the session if this handle opened it (a joined session is left running)."""
        with self._lock:
            session_id, owned = self._state.session_id, self._state.owned
            if owned:
                self._state.session_id, self._state.owned = None, False
        if session_id is None or not owned:
            return
        with contextlib.suppress(QnativeError):
            await within(END_TIMEOUT_S, self.client.end_session(session_id))
            logger.info("session %s ended", session_id)
        if self.journal is not None:
            with contextlib.suppress(QnativeError):
                await asyncio.to_thread(self.journal.record_session_end, session_id)

    def close(self) -> None:
        """End the session from synchronous code (through the owner's runner)."""
        if self._run is not None:
            with contextlib.suppress(RuntimeError):
                self._run(self.end())


def _journal_key(api_url: str, backend: str, limits: SessionLimits) -> str:
    text = json.dumps([api_url, backend, limits.to_json()], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
