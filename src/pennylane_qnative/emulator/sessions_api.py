"""The ``/sessions`` routes of the emulator: create, get, list, end and a session's jobs.

Handlers are thin: the session logic (limits, status, the backend hold) is in
:mod:`~pennylane_qnative.emulator.sessions`; listing a session's jobs is ``GET /jobs`` with
the session filter.
"""

from __future__ import annotations

import logging
import time

from aiohttp import web

from pennylane_qnative.emulator import jobs_api
from pennylane_qnative.emulator.job_records import EmulatorHTTPError
from pennylane_qnative.emulator.sessions import (
    ORGANIZATION_ID,
    end_session,
    new_session,
    render_session,
)
from pennylane_qnative.emulator.state import STATE

__all__ = ["add_routes"]

logger = logging.getLogger(__name__)


def _session(request: web.Request) -> dict:
    record = request.app[STATE].store.get_session(request.match_info["session_id"])
    if record is None:
        raise EmulatorHTTPError(404, "Resource not found: no session with this id.")
    return record


def _render(request: web.Request, record: dict, now: float) -> dict:
    jobs = request.app[STATE].store.session_jobs(record["id"], deleted=True)
    return render_session(record, jobs, now=now)


async def _create(request: web.Request) -> web.Response:
    record = new_session(await jobs_api.read_json(request), now=time.time())
    request.app[STATE].store.put_session(record)
    logger.info(
        "emulator: session %s created on %s %s", record["id"], record["backend"], record["settings"]
    )
    return web.json_response(_render(request, record, time.time()), status=201)


async def _get(request: web.Request) -> web.Response:
    return web.json_response(_render(request, _session(request), time.time()))


async def _list(request: web.Request) -> web.Response:
    now, active = time.time(), request.query.get("active")
    wanted = None if active is None else active.lower() in ("true", "1")
    sessions = [_render(request, r, now) for r in request.app[STATE].store.sessions()]
    if wanted is not None:
        sessions = [s for s in sessions if s["active"] is wanted]
    return web.json_response({"organization_id": ORGANIZATION_ID, "sessions": sessions})


async def _end(request: web.Request) -> web.Response:
    state, record, now = request.app[STATE], _session(request), time.time()
    ended = end_session(record, state.store.session_jobs(record["id"], deleted=True), now=now)
    state.store.put_session(ended)
    logger.info("emulator: session %s ended", record["id"])
    return web.json_response(_render(request, ended, now))


async def _jobs(request: web.Request) -> web.Response:
    record = _session(request)
    return web.json_response(jobs_api.list_page(request, session_id=record["id"]))


def add_routes(router: web.UrlDispatcher, api: str) -> None:
    """Register the ``/sessions`` routes under ``api`` (e.g. ``/v0.4``)."""
    router.add_post(f"{api}/sessions", _create)
    router.add_get(f"{api}/sessions", _list)
    router.add_get(f"{api}/sessions/{{session_id}}", _get)
    router.add_post(f"{api}/sessions/{{session_id}}/end", _end)
    router.add_get(f"{api}/sessions/{{session_id}}/jobs", _jobs)
