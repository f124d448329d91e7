"""The emulator's HTTP application (aiohttp): IonQ API v0.4 plus a small admin API.

Why aiohttp: fault injection needs to *reset connections*, which requires the request's
transport (``request.transport.abort()``); aiohttp exposes it officially, while ASGI servers
hide it. aiohttp is also one dependency for a fast asyncio server with a clean programmatic
start/stop (``AppRunner``), which ``running()`` needs to run it on a background thread.

Routes (``<root>`` is ``EmulatorConfig.root``, empty by default):

.. code-block:: text

    GET    <root>/v0.4/backends[/{backend}[/characterizations[/{id}]]]   (no auth)
    POST   <root>/v0.4/jobs                 GET    <root>/v0.4/jobs (cursor: next)
    PUT    <root>/v0.4/jobs/status/cancel   DELETE <root>/v0.4/jobs            {"ids": [...]}
    GET    <root>/v0.4/jobs/estimate        GET    <root>/v0.4/whoami
    GET    <root>/v0.4/jobs/{id}            DELETE <root>/v0.4/jobs/{id}
    PUT    <root>/v0.4/jobs/{id}/status/cancel     GET <root>/v0.4/jobs/{id}/cost
    GET    <root>/v0.4/jobs/{id}/results/{probabilities[/aggregated]|histogram|shots}
    GET    <root>/v0.4/jobs/{id}/artifacts/{aid}   GET <root>/v0.4/jobs/{id}/circuits/{lang}
    POST   <root>/v0.4/sessions         GET    <root>/v0.4/sessions[?active=]
    GET    <root>/v0.4/sessions/{id}    POST   <root>/v0.4/sessions/{id}/end
    GET    <root>/v0.4/sessions/{id}/jobs
    GET    <root>/_emulator/stats           GET|PUT <root>/_emulator/faults
    POST   <root>/_emulator/reset           (admin: no faults)

Authentication: ``Authorization: apiKey <key>`` on every route but ``/backends``; the admin
routes (``/_emulator/*``) need it too whenever keys are configured. API keys are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from pennylane_qnative.emulator import jobs_api, sessions_api
from pennylane_qnative.emulator.backends import (
    BACKENDS,
    backend_json,
    characterization_id,
    characterization_json,
)
from pennylane_qnative.emulator.config import EmulatorConfig
from pennylane_qnative.emulator.job_records import PROJECT_ID, EmulatorHTTPError
from pennylane_qnative.emulator.state import STATE, EmulatorState
from pennylane_qnative.exceptions import ConfigurationError

__all__ = ["create_app", "error_response"]

logger = logging.getLogger(__name__)
API_KEY: Any = web.RequestKey("api_key", str) if hasattr(web, "RequestKey") else "api_key"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_HTML_5XX = (
    "<html><head><title>{0} Bad Gateway</title></head><body><center><h1>{0}</h1></center>"
    "<hr><center>cloudflare</center></body></html>"
)


def error_response(status: int, message: str) -> web.Response:
    """IonQ's ``{error, message, statusCode}`` response."""
    return web.json_response(EmulatorHTTPError(status, message).body(), status=status)


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except EmulatorHTTPError as error:
        return web.json_response(error.body(), status=error.status_code or 500)
    except ConfigurationError as error:
        return error_response(400, error.message)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        message = f"{error.reason}: {request.method} {request.path}."
        return error_response(error.status, message)
    except Exception:
        logger.exception("emulator: unhandled error on %s %s", request.method, request.path)
        return error_response(500, "Internal service outage (emulator bug); see the server log.")


def _is_admin(request: web.Request) -> bool:
    return request.path.startswith(f"{request.app[STATE].config.root}/_emulator")


@web.middleware
async def _faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    if _is_admin(request):
        return await handler(request)
    decision = request.app[STATE].faults.decide(request.method)
    if decision.reset and request.transport is not None:
        logger.info("emulator: fault: connection reset on %s %s", request.method, request.path)
        request.transport.abort()
        raise asyncio.CancelledError
    if decision.status == 429:
        response = error_response(
            429, "Too Many Requests. To get a higher rate limit, reach out to support@ionq.co."
        )
        response.headers["Retry-After"] = f"{decision.retry_after_s:g}"
        return response
    if decision.status is not None:
        if decision.non_json:
            html = _HTML_5XX.format(decision.status)
            return web.Response(status=decision.status, text=html, content_type="text/html")
        return error_response(decision.status, "Internal service outage (injected fault).")
    if decision.delay_s:
        await asyncio.sleep(decision.delay_s)
    return await handler(request)


def _needs_key(request: web.Request) -> bool:
    """Whether a request must carry an accepted key.

    ``/v0.4/backends`` is open (as IonQ's is). The admin endpoints (``/_emulator/*``: faults,
    stats, reset) need a key whenever keys are configured; without keys, the emulator is a
    local open toy and they stay open.
    """
    state = request.app[STATE]
    if request.path.startswith(f"{state.prefix}/backends"):
        return False
    return not _is_admin(request) or bool(state.config.api_keys)


@web.middleware
async def _auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE]
    if _needs_key(request):
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme != "apiKey" or not state.key_accepted(key.strip()):
            return error_response(
                401,
                "Invalid key provided. Send the header 'Authorization: apiKey <key>' with a key "
                "the emulator accepts (--api-key-file, QNATIVE_EMULATOR_KEYS or --api-key).",
            )
        request[API_KEY] = key.strip()
    return await handler(request)


async def _backends(request: web.Request) -> web.Response:
    return web.json_response([backend_json(b) for b in BACKENDS.values()])


def _backend(request: web.Request):
    name = request.match_info["backend"]
    if name not in BACKENDS:
        raise EmulatorHTTPError(404, f"Resource not found: backend {name!r} does not exist.")
    return BACKENDS[name]


async def _backend_one(request: web.Request) -> web.Response:
    return web.json_response(backend_json(_backend(request)))


async def _characterizations(request: web.Request) -> web.Response:
    backend = _backend(request)
    if backend.is_simulator:
        return web.json_response({"characterizations": [], "pages": 0})
    return web.json_response({"characterizations": [characterization_json(backend)], "pages": 1})


async def _characterization(request: web.Request) -> web.Response:
    backend = _backend(request)
    if backend.is_simulator or request.match_info["cid"] != characterization_id(backend.name):
        raise EmulatorHTTPError(404, "Resource not found: no such characterization.")
    return web.json_response(characterization_json(backend))


async def _whoami(request: web.Request) -> web.Response:
    key_id = uuid.uuid5(uuid.NAMESPACE_OID, "qnative-emulator:" + request[API_KEY])
    return web.json_response(
        {"key_id": str(key_id), "key_name": "qnative-emulator", "project_id": PROJECT_ID}
    )


async def _admin_stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].stats())


async def _admin_faults(request: web.Request) -> web.Response:
    state = request.app[STATE]
    if request.method in ("PUT", "POST"):
        changes = await jobs_api.read_json(request)
        if not isinstance(changes, dict):
            raise EmulatorHTTPError(400, "send a JSON object of fault settings to change.")
        state.faults.config = state.faults.config.updated(changes)
        logger.info("emulator: faults set to %s", state.faults.config)
    return web.json_response(state.faults.config.to_json())


async def _admin_reset(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.reset()
    return web.json_response(state.stats())


async def _close_store(app: web.Application) -> None:
    app[STATE].store.close()


def create_app(config: EmulatorConfig) -> web.Application:
    """Build the aiohttp application of one emulator.

    Args:
        config (EmulatorConfig): the configuration

    Returns:
        web.Application: the app (its state is ``app[STATE]``)
    """
    app = web.Application(
        middlewares=[_errors, _faults, _auth], client_max_size=config.max_body_bytes * 8
    )
    state = EmulatorState(config)
    app[STATE] = state
    app.on_cleanup.append(_close_store)
    api, admin = state.prefix, f"{config.root}/_emulator"
    app.router.add_get(f"{api}/backends", _backends)
    app.router.add_get(f"{api}/backends/{{backend}}", _backend_one)
    app.router.add_get(f"{api}/backends/{{backend}}/characterizations", _characterizations)
    app.router.add_get(f"{api}/backends/{{backend}}/characterizations/{{cid}}", _characterization)
    app.router.add_get(f"{api}/whoami", _whoami)
    jobs_api.add_routes(app.router, api)
    sessions_api.add_routes(app.router, api)
    app.router.add_get(f"{admin}/stats", _admin_stats)
    app.router.add_route("*", f"{admin}/faults", _admin_faults)
    app.router.add_post(f"{admin}/reset", _admin_reset)
    return app
