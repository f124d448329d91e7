"""IonQ sessions (API v0.4 ``/sessions``): models and the client's session calls.

A session holds one backend for a series of jobs, with optional limits on their number, their
total cost and the session's duration; jobs join it by carrying ``session_id``. On a QPU the
queue is then waited once for the whole series instead of once per job.

* :class:`SessionLimits` — the limits asked for (``settings`` of ``POST /sessions``).
* :class:`Session` — the ``Session`` object of the API.
* :class:`SessionsAPI` — the session methods of :class:`~pennylane_qnative.ionq.IonQClient`
  (create, get, list, end, jobs).
* :func:`session_refusal` — the :class:`~.SessionLimitError` of a job the service refused
  because of its session (pure).

**Example**

>>> SessionLimits(max_jobs=10, max_cost_usd=25.0).to_json()
{'job_count_limit': 10, 'cost_limit': {'unit': 'usd', 'value': 25.0}}
>>> Session.from_json({"id": "s1", "backend": "qpu.aria-1", "status": "started",
...                    "active": True}).usable
True
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from pennylane_qnative.exceptions import ConfigurationError, SessionLimitError
from pennylane_qnative.ionq.models import JobPage

__all__ = [
    "Session",
    "SessionLimits",
    "SessionStatus",
    "SessionsAPI",
    "is_session_refusal",
    "session_refusal",
]

_REFUSAL = re.compile(r"SessionLimitExceeded \((\w+)\)")


class SessionStatus(StrEnum):
    """The v0.4 session statuses."""

    CREATED = "created"
    STARTED = "started"
    ENDED = "ended"


def _positive(name: str, value: Any, *, integer: bool) -> None:
    kind = int if integer else (int, float)
    ok = isinstance(value, kind) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value <= 0:
        raise ConfigurationError(
            f"session {name} must be a positive {'integer' if integer else 'number'} or None, "
            f"got {value!r}."
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class SessionLimits:
    """The limits of a session (``None``: no limit).

    Args:
        max_jobs (int | None): jobs it may run (``job_count_limit``)
        max_cost_usd (float | None): dollars its jobs may cost (``cost_limit``)
        max_minutes (int | None): minutes it may last once started (``duration_limit_min``)

    Raises:
        ConfigurationError: if a limit is not positive (or ``max_jobs``/``max_minutes`` not
            an integer)
    """

    max_jobs: int | None = None
    max_cost_usd: float | None = None
    max_minutes: int | None = None

    def __post_init__(self) -> None:
        for name, integer in (("max_jobs", True), ("max_cost_usd", False), ("max_minutes", True)):
            if getattr(self, name) is not None:
                _positive(name, getattr(self, name), integer=integer)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> SessionLimits:
        """Limits from ``{"max_jobs", "max_cost_usd", "max_minutes"}`` (unknown keys refused).

        Raises:
            ConfigurationError: on an unknown key or an invalid limit
        """
        known = {"max_jobs", "max_cost_usd", "max_minutes"}
        unknown = set(data) - known
        if unknown:
            raise ConfigurationError(
                f"session limits take {sorted(known)}, got unknown {sorted(unknown)}."
            )
        return cls(**dict(data))

    def to_json(self) -> dict[str, Any]:
        """The ``settings`` of ``POST /sessions``."""
        settings: dict[str, Any] = {}
        if self.max_jobs is not None:
            settings["job_count_limit"] = self.max_jobs
        if self.max_minutes is not None:
            settings["duration_limit_min"] = self.max_minutes
        if self.max_cost_usd is not None:
            settings["cost_limit"] = {"unit": "usd", "value": float(self.max_cost_usd)}
        return settings


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, kw_only=True, slots=True)
class Session:
    """A v0.4 ``Session`` object (unknown keys ignored).

    Args:
        id (str): the session id
        backend (str | None): the backend it holds
        status (SessionStatus): ``created``, ``started`` or ``ended``
        active (bool): whether jobs may still join it
        settings (dict): its limits as the API reports them
        created_at, started_at, ended_at (datetime | None): its timeline
    """

    id: str
    backend: str | None
    status: SessionStatus
    active: bool
    settings: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Session:
        """Parse a ``Session`` object.

        Raises:
            KeyError: if ``id`` is missing
            ValueError: on an unknown status
        """
        status = SessionStatus(data.get("status", "created"))
        return cls(
            id=str(data["id"]),
            backend=data.get("backend"),
            status=status,
            active=bool(data.get("active", status is not SessionStatus.ENDED)),
            settings=dict(data.get("settings") or {}),
            created_at=_time(data.get("created_at")),
            started_at=_time(data.get("started_at")),
            ended_at=_time(data.get("ended_at")),
        )

    @property
    def usable(self) -> bool:
        """Whether a job may join it (active and not ended)."""
        return self.active and self.status is not SessionStatus.ENDED


def session_refusal(message: str, *, session_id: str | None, **kwargs: Any) -> SessionLimitError:
    """The :class:`~.SessionLimitError` of a job refused because of its session (pure).

    The service's message names the limit (``SessionLimitExceeded (job_count_limit)``...).
    """
    found = _REFUSAL.search(message)
    limit = found.group(1) if found else "ended"
    return SessionLimitError(
        f"session {session_id} refused the job ({limit}): {message} Open a new session "
        "(session=True opens one), or raise its limits.",
        session_id=session_id,
        limit=limit,
        **kwargs,
    )


def is_session_refusal(message: str) -> bool:
    """Whether an error message is a session's refusal of a job."""
    return _REFUSAL.search(message) is not None


class _Requester(Protocol):
    async def _request(self, method: str, path: str, **kwargs: Any) -> Any: ...


class SessionsAPI:
    """The ``/sessions`` calls of the IonQ client (mixed into :class:`~.IonQClient`)."""

    async def create_session(
        self: _Requester, backend: str, limits: SessionLimits | None = None
    ) -> Session:
        """``POST /sessions``: open a session holding ``backend``."""
        body = {"backend": backend, "settings": (limits or SessionLimits()).to_json()}
        return Session.from_json(await self._request("POST", "sessions", json=body))

    async def get_session(self: _Requester, session_id: str) -> Session:
        """``GET /sessions/{id}``."""
        return Session.from_json(await self._request("GET", f"sessions/{session_id}"))

    async def list_sessions(self: _Requester, *, active: bool | None = None) -> list[Session]:
        """``GET /sessions`` (``active``: only active, or only ended, sessions)."""
        params = {} if active is None else {"active": str(active).lower()}
        body = await self._request("GET", "sessions", params=params)
        return [Session.from_json(s) for s in body.get("sessions") or ()]

    async def end_session(self: _Requester, session_id: str) -> Session:
        """``POST /sessions/{id}/end`` (ending an ended session is harmless)."""
        return Session.from_json(await self._request("POST", f"sessions/{session_id}/end"))

    async def list_session_jobs(
        self: _Requester, session_id: str, *, limit: int = 100, cursor: str | None = None
    ) -> JobPage:
        """One page of ``GET /sessions/{id}/jobs``."""
        params: dict[str, Any] = {"limit": limit} | ({"next": cursor} if cursor else {})
        body = await self._request("GET", f"sessions/{session_id}/jobs", params=params)
        return JobPage.from_json(body)
