"""IonQ sessions in the emulator: a hold on one backend with limits (pure functions).

A session is stored as a small record (backend, limits, creation and end); everything else is
derived from the clock and from its jobs at read time, like a job's status:

* it is ``created`` until its first job starts, ``started`` from then on, ``ended`` once
  ``POST /sessions/{id}/end`` was called or ``duration_limit_min`` minutes have passed since it
  started;
* it **holds its backend**: its first job waits the queue once; each later job starts as soon as
  the session's previous job ends (:func:`hold_until`), without queueing again;
* a job that would exceed ``job_count_limit`` or ``cost_limit``, or that joins an ended session
  or a session on another backend, is refused with ``400`` and a message naming the limit
  (:func:`admit`); nothing is created or billed.

**Example**

>>> from pennylane_qnative.emulator.sessions import new_session, render_session
>>> record = new_session({"backend": "qpu.aria-1", "settings": {"job_count_limit": 2}}, now=0.0)
>>> render_session(record, [], now=1.0)["status"]
'created'
"""

from __future__ import annotations

import contextlib
import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from pennylane_qnative.emulator.backends import BACKENDS
from pennylane_qnative.emulator.job_records import PROJECT_ID, EmulatorHTTPError, iso

__all__ = [
    "ORGANIZATION_ID",
    "admit",
    "end_session",
    "hold_until",
    "new_session",
    "render_session",
    "session_backend",
]

ORGANIZATION_ID = "qnative-emulator"
CREATOR_ID = "64b03577072d45001c85e9c4"
LIMITS = ("job_count_limit", "duration_limit_min", "cost_limit")


def _bad(message: str, key: str = "settings") -> EmulatorHTTPError:
    return EmulatorHTTPError(400, message, keys=[key])


def session_backend(name: Any) -> str:
    """The backend a session request names (qiskit-ionq's ``ionq_`` prefix tolerated).

    Raises:
        EmulatorHTTPError: 400 for an unknown backend
    """
    if isinstance(name, str) and name.startswith("ionq_"):
        name = name.removeprefix("ionq_")
    if not isinstance(name, str) or name not in BACKENDS:
        raise _bad(f'"backend" must be one of {sorted(BACKENDS)}, got {name!r}.', "backend")
    return name


def _positive(value: Any, key: str, *, integer: bool) -> float:
    if isinstance(value, str):  # qiskit-ionq passes max_time / max_cost through as given
        with contextlib.suppress(ValueError):
            value = float(value.strip())
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value <= 0 or (integer and value != int(value)):
        kind = "a positive integer" if integer else "a positive number"
        raise _bad(f'"settings.{key}" must be {kind}, got {value!r}.')
    return int(value) if integer else float(value)


def _settings(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _bad('"settings" must be an object.')
    unknown = set(value) - set(LIMITS)
    if unknown:
        raise _bad(f'"settings" takes only {list(LIMITS)}, got {sorted(unknown)}.')
    settings: dict[str, Any] = {}
    for key in ("job_count_limit", "duration_limit_min"):
        if value.get(key) is not None:
            settings[key] = _positive(value[key], key, integer=True)
    cost = value.get("cost_limit")
    if cost is not None:
        if not isinstance(cost, Mapping) or "value" not in cost:
            raise _bad('"settings.cost_limit" must be {"unit": "usd", "value": <number>}.')
        unit = cost.get("unit", "usd")
        if unit != "usd":
            raise _bad(f'"settings.cost_limit.unit" must be "usd", got {unit!r}.')
        settings["cost_limit"] = {
            "unit": "usd",
            "value": _positive(cost["value"], "cost_limit", integer=False),
        }
    return settings


def new_session(body: Any, *, now: float) -> dict[str, Any]:
    """The record of a session created by ``POST /sessions`` with ``body``.

    Raises:
        EmulatorHTTPError: 400 naming the offending key
    """
    if not isinstance(body, Mapping):
        raise _bad('send {"backend": "qpu.aria-1", "settings": {...}}.', "backend")
    return {
        "id": str(uuid.uuid4()),
        "backend": session_backend(body.get("backend")),
        "settings": _settings(body.get("settings")),
        "created_at": now,
        "ended_at": None,
        "ender_id": None,
    }


def _end_of(job: Mapping[str, Any]) -> float:
    canceled = job.get("canceled_at")
    return job["completed_at"] if canceled is None else min(canceled, job["completed_at"])


def _started_at(jobs: Sequence[Mapping[str, Any]], now: float) -> float | None:
    starts = [
        j["started_at"] for j in jobs if j["started_at"] <= now and _end_of(j) >= j["started_at"]
    ]
    return min(starts) if starts else None


def _expires_at(record: Mapping[str, Any], started: float | None) -> float | None:
    minutes = record["settings"].get("duration_limit_min")
    return None if minutes is None or started is None else started + 60.0 * minutes


def _ended_at(
    record: Mapping[str, Any], jobs: Sequence[Mapping[str, Any]], now: float
) -> float | None:
    expires = _expires_at(record, _started_at(jobs, now))
    ends = [t for t in (record["ended_at"], expires) if t is not None and t <= now]
    return min(ends) if ends else None


def render_session(
    record: Mapping[str, Any], jobs: Sequence[Mapping[str, Any]], *, now: float
) -> dict[str, Any]:
    """The v0.4 ``Session`` object (every required key) at time ``now``.

    Args:
        record (Mapping[str, Any]): the stored session
        jobs (Sequence[Mapping[str, Any]]): its top-level job records
        now (float): seconds since the epoch
    """
    started = _started_at(jobs, now)
    ended = _ended_at(record, jobs, now)
    status = "ended" if ended is not None else ("started" if started is not None else "created")
    settings = dict(record["settings"])
    expires = _expires_at(record, started)
    if expires is not None:
        settings["expires_at"] = iso(expires)
    return {
        "id": record["id"],
        "created_at": iso(record["created_at"]),
        "organization_id": ORGANIZATION_ID,
        "backend": record["backend"],
        "project_id": PROJECT_ID,
        "creator_id": CREATOR_ID,
        "ended_at": iso(ended),
        "ender_id": (record["ender_id"] or "system") if ended is not None else None,
        "settings": settings,
        "active": ended is None,
        "status": status,
        "started_at": iso(started),
    }


def end_session(
    record: Mapping[str, Any], jobs: Sequence[Mapping[str, Any]], *, now: float
) -> dict[str, Any]:
    """The record after ``POST /sessions/{id}/end`` (ending an ended session changes nothing)."""
    if _ended_at(record, jobs, now) is not None:
        return dict(record)
    return {**record, "ended_at": now, "ender_id": CREATOR_ID}


def admit(
    record: Mapping[str, Any] | None,
    jobs: Sequence[Mapping[str, Any]],
    *,
    session_id: str,
    backend: str,
    cost: float,
    now: float,
) -> None:
    """Check that a new job may join the session; raise when a limit refuses it.

    Args:
        record (Mapping[str, Any] | None): the session (``None``: unknown id)
        jobs (Sequence[Mapping[str, Any]]): its top-level jobs so far (deleted ones included)
        session_id (str): the id the job names
        backend (str): the job's backend
        cost (float): the job's estimated cost
        now (float): seconds since the epoch

    Raises:
        EmulatorHTTPError: 400 whose message starts with ``SessionLimitExceeded`` and names
            the limit (``job_count_limit``, ``cost_limit``, ``duration_limit_min``, ``ended``),
            or ``InvalidInput`` for an unknown session or another backend
    """
    if record is None:
        raise _bad(f"InvalidInput: session_id {session_id!r} does not exist.", "session_id")
    if backend != record["backend"]:
        raise _bad(
            f"InvalidInput: session {session_id} holds {record['backend']}; this job is for "
            f"{backend}. Submit it without session_id or open a session on {backend}.",
            "session_id",
        )
    refusal = _refusal(record, jobs, cost=cost, now=now)
    if refusal is not None:
        raise _bad(
            f"SessionLimitExceeded ({refusal[0]}): session {session_id} {refusal[1]}", "session_id"
        )


def _refusal(
    record: Mapping[str, Any], jobs: Sequence[Mapping[str, Any]], *, cost: float, now: float
) -> tuple[str, str] | None:
    """``(limit, explanation)`` of the limit that refuses a new job, or ``None``."""
    settings = record["settings"]
    ended = _ended_at(record, jobs, now)
    if ended is not None:
        expires = _expires_at(record, _started_at(jobs, now))
        if record["ended_at"] is None and expires is not None:
            minutes = settings["duration_limit_min"]
            return (
                "duration_limit_min",
                f"ran its {minutes} minute(s) and has ended; open a new session.",
            )
        return "ended", "has ended; open a new session."
    count = settings.get("job_count_limit")
    if count is not None and len(jobs) >= count:
        return (
            "job_count_limit",
            f"already ran its job_count_limit of {count} job(s); open a new session.",
        )
    limit = settings.get("cost_limit")
    spent = sum(float(j.get("cost") or 0.0) for j in jobs)
    if limit is not None and spent + cost > limit["value"] + 1e-9:
        return "cost_limit", (
            f"has spent ${spent:.2f} of its cost_limit of ${limit['value']:.2f}; this job "
            f"(${cost:.2f}) would exceed it. Open a new session or raise the limit."
        )
    return None


def hold_until(jobs: Sequence[Mapping[str, Any]]) -> float | None:
    """When the session's backend is free for its next job (``None``: no job yet, so the next
    one waits the queue)."""
    return max((_end_of(j) for j in jobs), default=None)
