"""The ``/jobs`` routes of the emulator: create, get, list, cancel, delete, results, cost,
estimate and the compiled circuits of dry runs.

Handlers are thin: validation and rendering live in :mod:`.job_records`, simulation in
:mod:`.results`, persistence in :mod:`.job_store`. Simulation runs on a worker thread, so the
event loop keeps answering polls while a big job is being simulated.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from aiohttp import web

from pennylane_qnative.emulator import results as results_mod
from pennylane_qnative.emulator.backends import BACKENDS, noise_model_for
from pennylane_qnative.emulator.compiled import SHORT_NAMES, artifact_id, render_artifacts
from pennylane_qnative.emulator.faults import CancelMode, job_failure
from pennylane_qnative.emulator.job_records import (
    PROJECT_ID,
    TERMINAL,
    EmulatorHTTPError,
    JobSpec,
    build_records,
    completed_before_cancel,
    iso,
    parse_job,
    render_job,
    status_at,
)
from pennylane_qnative.emulator.latency import Timeline, plan
from pennylane_qnative.emulator.sessions import admit, hold_until
from pennylane_qnative.emulator.simulation import GateError
from pennylane_qnative.emulator.state import STATE, EmulatorState
from pennylane_qnative.ionq.backends import DEFAULT_SHOTS, MAX_SHOTS
from pennylane_qnative.ionq.pricing import GateCounts, estimate_cost

__all__ = ["add_routes", "list_page", "read_json"]

logger = logging.getLogger(__name__)
ORGANIZATION = "qnative-emulator"


async def read_json(request: web.Request) -> Any:
    """The request body as JSON, whatever the Content-Type (``None`` when empty).

    Raises:
        EmulatorHTTPError: 413 above the size limit, 400 on malformed JSON
    """
    limit = request.app[STATE].config.max_body_bytes
    if (request.content_length or 0) > limit:
        await request.read()  # drain, so the client reads the 413 instead of a broken pipe
        raise EmulatorHTTPError(413, f"Request body exceeds the {limit}-byte limit; split it.")
    body = await request.read()
    if len(body) > limit:
        raise EmulatorHTTPError(413, f"Request body exceeds the {limit}-byte limit; split it.")
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise EmulatorHTTPError(400, f"The request body is not valid JSON: {error}.") from error


def _state(request: web.Request) -> EmulatorState:
    return request.app[STATE]


def _record(request: web.Request) -> dict[str, Any]:
    record = _state(request).store.get(request.match_info["id"])
    if record is None:
        raise EmulatorHTTPError(404, "Resource not found: no job with this id (or it was deleted).")
    return record


def _doomed(state: EmulatorState, spec: JobSpec, seq: int) -> tuple[str | None, str | None]:
    """The failure (code, message) a new job will end with, or ``(None, None)``."""
    failure = job_failure(state.faults.config, seed=state.config.seed, sequence=seq)
    widest = max(c.qubits for c in spec.circuits)
    if failure is None and widest > state.config.max_simulated_qubits:
        return "SimulationError", (
            f"The emulator simulates at most {state.config.max_simulated_qubits} qubits; this "
            f"job has {widest}. Use fewer qubits or raise --max-simulated-qubits."
        )
    return failure, None


def _plan_and_price(state: EmulatorState, spec: JobSpec, now: float) -> tuple[Timeline, float]:
    """The job's timeline and estimated cost; a session job is admitted (limits) first and
    runs in the session's hold on the backend (no second queue wait)."""
    cost = estimate_cost(
        backend=spec.backend,
        shots=spec.shots,
        gate_counts=[c.counts for c in spec.circuits],
        error_mitigation=spec.error_mitigation,
        rate_card=state.config.rate_card,
    )
    hold = None
    if spec.session_id is not None:
        jobs = state.store.session_jobs(spec.session_id, deleted=True)
        admit(
            state.store.get_session(spec.session_id), jobs, session_id=spec.session_id,
            backend=spec.backend, cost=cost, now=now,
        )  # fmt: skip
        hold = hold_until(jobs)
    ideal = noise_model_for(spec.backend, (spec.noise or {}).get("model")) is None
    timeline = plan(
        state.config.latency,
        now=now,
        shots=[spec.shots] * len(spec.circuits),
        charge_shots=not ideal,
        hold_until=hold,
    )
    return timeline, cost


async def _simulate(
    state: EmulatorState, spec: JobSpec, records: list[dict[str, Any]], seq: int
) -> dict[str, Any]:
    """What to store for a new job: its results, or a dry run's compiled circuits."""
    singles = records[1:] or records[:1]
    if spec.dry_run:
        return {
            r["id"]: {"artifacts": render_artifacts(c.circuit, qubits=c.qubits, gateset=c.gateset)}
            for r, c in zip(singles, spec.circuits, strict=True)
        }
    if records[0]["failure"] is not None:
        return {}
    ids = [r["id"] for r in singles]
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(
            None, lambda: results_mod.run_job(spec, ids, seed=state.config.seed, sequence=seq)
        )
    except GateError as error:
        raise EmulatorHTTPError(400, f"InvalidInput: {error}", keys=["input"]) from error


async def _create(request: web.Request) -> web.Response:
    state = _state(request)
    spec = parse_job(await read_json(request))
    timeline, cost = _plan_and_price(state, spec, time.time())
    seq = state.allocate_seq()
    failure, message = _doomed(state, spec, seq)
    records = build_records(
        spec, seq=seq, timeline=timeline, failure_code=failure, cost=cost, failure_message=message
    )
    stored = await _simulate(state, spec, records, seq)
    state.store.insert(records, stored)
    state.submissions += 1
    top = records[0]
    logger.info(
        "emulator: job %s created (%s, %s, %d circuit(s), %d shots%s%s)",
        top["id"],
        spec.type,
        spec.backend,
        len(spec.circuits),
        spec.shots,
        f", session {spec.session_id}" if spec.session_id else "",
        f", will fail: {failure}" if failure else "",
    )
    body = {"id": top["id"], "status": "submitted", "session_id": spec.session_id}
    return web.json_response(body, status=201)


async def _get(request: web.Request) -> web.Response:
    record = _record(request)
    return web.json_response(render_job(record, now=time.time(), prefix=_state(request).prefix))


def _query_list(request: web.Request, *names: str) -> set[str] | None:
    values: list[str] = []
    for name in names:
        for value in request.query.getall(name, []):
            values += [v for v in value.split(",") if v]
    return set(values) if values else None


def _limit(request: web.Request) -> int:
    try:
        return max(1, min(1000, int(request.query.get("limit", "100"))))
    except ValueError as error:
        raise EmulatorHTTPError(400, '"limit" must be an integer.', keys=["limit"]) from error


# Status names other clients filter on: qiskit-ionq's Session.cancel lists ``queued`` jobs.
_STATUS_ALIASES = {"queued": {"submitted", "ready"}, "running": {"started"}}


def list_page(request: web.Request, *, session_id: str | None = None) -> dict[str, Any]:
    """One page of ``GET /jobs`` (filters and cursor from the query; ``session_id`` forced)."""
    state, now = _state(request), time.time()
    ids = _query_list(request, "ids", "ids[]", "id")
    statuses = _query_list(request, "status")
    if statuses:
        statuses = set().union(*(_STATUS_ALIASES.get(s, {s}) for s in statuses))
    targets = _query_list(request, "target", "backend")
    parent = request.query.get("parent_job_id")
    session = session_id or request.query.get("session_id")
    cursor, limit = request.query.get("next"), _limit(request)
    page: list[dict[str, Any]] = []
    skipping = cursor is not None
    more = False
    for record in state.store.iter_records(parent_job_id=parent):
        if skipping:
            skipping = record["id"] != cursor
            continue
        status = status_at(record, now)
        if (
            (ids and record["id"] not in ids)
            or (statuses and status not in statuses)
            or (targets and record["backend"] not in targets)
            or (session and record["session_id"] != session)
        ):
            continue
        if len(page) == limit:
            more = True
            break
        page.append(render_job(record, now=now, prefix=state.prefix))
    next_cursor = page[-1]["id"] if more and page else None
    return {"jobs": page, "next": next_cursor}


async def _list(request: web.Request) -> web.Response:
    return web.json_response(list_page(request))


def _cancel_one(state: EmulatorState, record: dict[str, Any], now: float) -> str:
    status = status_at(record, now)
    if status in TERMINAL:
        mode = state.faults.config.cancel_mode
        if mode is CancelMode.REJECT:
            raise EmulatorHTTPError(409, f"Job {record['id']} already ended ({status}).")
        if mode is CancelMode.NOOP or status == "canceled":
            return status
    targets = [record] + [
        child
        for child_id in record.get("child_job_ids") or []
        if (child := state.store.get(child_id)) is not None
        and status_at(child, now) not in TERMINAL
    ]
    for target in targets:
        target["canceled_at"] = now
        state.store.update(target)
    logger.info("emulator: job %s canceled (was %s)", record["id"], status)
    return "canceled"


async def _cancel(request: web.Request) -> web.Response:
    record = _record(request)
    status = _cancel_one(_state(request), record, time.time())
    return web.json_response({"id": record["id"], "status": status})


async def _ids_body(request: web.Request) -> list[str]:
    body = await read_json(request)
    ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise EmulatorHTTPError(400, 'send {"ids": ["<job id>", ...]}.', keys=["ids"])
    return ids


async def _cancel_many(request: web.Request) -> web.Response:
    state, now = _state(request), time.time()
    ids = await _ids_body(request)
    for job_id in ids:
        if (record := state.store.get(job_id)) is not None:
            _cancel_one(state, record, now)
    return web.json_response({"ids": ids, "status": "canceled"})


def _delete_ids(state: EmulatorState, ids: list[str]) -> None:
    for job_id in ids:
        record = state.store.get(job_id)
        if record is not None:
            state.store.delete([job_id, *(record.get("child_job_ids") or [])])
            logger.info("emulator: job %s deleted", job_id)


async def _delete(request: web.Request) -> web.Response:
    record = _record(request)
    _delete_ids(_state(request), [record["id"]])
    return web.json_response({"id": record["id"], "status": "deleted"})


async def _delete_many(request: web.Request) -> web.Response:
    ids = await _ids_body(request)
    _delete_ids(_state(request), ids)
    return web.json_response({"ids": ids, "status": "deleted"})


def _billed(record: dict[str, Any], status: str) -> float | None:
    if record["dry_run"] or status not in TERMINAL:
        return None
    if status == "completed":
        return record["cost"]
    if status == "failed":
        return 0.0
    start, end, stop = record["started_at"], record["completed_at"], record["canceled_at"]
    if stop <= start or end <= start:
        return 0.0
    return round(record["cost"] * min(1.0, (stop - start) / (end - start)), 6)


async def _cost(request: web.Request) -> web.Response:
    state, record = _state(request), _record(request)
    unit = state.config.rate_card.currency
    body: dict[str, Any] = {
        "dry_run": record["dry_run"],
        "estimated_cost": {"value": record["cost"], "unit": unit},
    }
    billed = _billed(record, status_at(record, time.time()))
    if billed is not None:
        body["cost"] = {"value": billed, "unit": unit}
    return web.json_response(body)


def _query_int(request: web.Request, name: str, default: int) -> int:
    try:
        return int(request.query.get(name, default))
    except ValueError as error:
        raise EmulatorHTTPError(400, f'"{name}" must be an integer.', keys=[name]) from error


async def _estimate(request: web.Request) -> web.Response:
    state = _state(request)
    backend = request.query.get("backend")
    if backend not in BACKENDS:
        raise EmulatorHTTPError(
            400, f'"backend" must be one of {sorted(BACKENDS)}, got {backend!r}.', keys=["backend"]
        )
    shots = _query_int(request, "shots", DEFAULT_SHOTS)
    counts = GateCounts(
        one_qubit=_query_int(request, "1q_gates", 0), two_qubit=_query_int(request, "2q_gates", 0)
    )
    mitigation = request.query.get("error_mitigation", "false").lower() in ("true", "1")
    if not 1 <= shots <= MAX_SHOTS or counts.one_qubit < 0 or counts.two_qubit < 0:
        raise EmulatorHTTPError(400, f"shots must be in [1, {MAX_SHOTS:,}] and gate counts >= 0.")
    card = state.config.rate_card
    cost = estimate_cost(
        backend=backend,
        shots=shots,
        gate_counts=counts,
        error_mitigation=mitigation,
        rate_card=card,
    )
    latency = state.config.latency
    charge = 0.0 if backend == "simulator" else shots * latency.exec_per_shot_s
    execution_ms = round((latency.exec_per_circuit_s + charge) * 1000)
    queue_ms = round((latency.validation_s + latency.queue_s) * 1000)
    free = card.is_free(backend)
    rates = {
        "job_cost_minimum": 0.0 if free else card.minimum(error_mitigation=mitigation),
        "cost_1q_gate": 0.0 if free else card.cost_1q_gate_shot,
        "cost_2q_gate": 0.0 if free else card.cost_2q_gate_shot,
    }
    inputs = {
        "backend": backend,
        "type": request.query.get("type", "ionq.circuit.v1"),
        "qubits": _query_int(request, "qubits", 1),
        "shots": shots,
        "1q_gates": counts.one_qubit,
        "2q_gates": counts.two_qubit,
        "error_mitigation": mitigation,
    }
    # Both generations of the estimate (contract section 12.3): the May 2026 fields that
    # qiskit-ionq reads and the September ones that ionq-core requires.
    return web.json_response(
        {
            "input_values": inputs,
            "estimate_context": inputs | {"organization": ORGANIZATION, "project": PROJECT_ID},
            "estimated_at": iso(time.time()),
            "cost_unit": card.currency,
            "estimated_unit": card.currency,
            "rate_information": rates | {"organization": ORGANIZATION},
            "rate_card": {
                "id": f"qnative-emulator-{backend}",
                "rates": [{"sku": f"{backend}-gate-shots", "unit": "gates", **rates}],
            },
            "estimated_cost": cost,
            "estimated_total_cost": cost,
            "estimated_execution_time": execution_ms,
            "current_predicted_queue_time": queue_ms,
        }
    )


def _completed(request: web.Request) -> tuple[EmulatorState, dict[str, Any]]:
    state = _state(request)
    record = state.store.get(request.match_info["id"])
    status = None if record is None else status_at(record, time.time())
    done = status == "completed" or (status == "canceled" and completed_before_cancel(record))
    if record is None or not done or record["dry_run"]:
        raise EmulatorHTTPError(404, "Resource not found: job not found or not yet completed.")
    return state, record


def _artifacts(request: web.Request) -> dict[str, Any]:
    """The compiled circuits of a finished dry-run job, by format."""
    record = _record(request)
    stored = _state(request).store.results(record["id"]) or {}
    if status_at(record, time.time()) != "completed" or not stored.get("artifacts"):
        raise EmulatorHTTPError(
            404, "Resource not found: this job has no compiled circuits (dry runs have them)."
        )
    return stored["artifacts"]


async def _artifact(request: web.Request) -> web.Response:
    artifacts, wanted = _artifacts(request), request.match_info["aid"]
    for fmt, content in artifacts.items():
        if artifact_id(request.match_info["id"], fmt) == wanted:
            return web.json_response(content)
    raise EmulatorHTTPError(404, "Resource not found: no artifact with this id on this job.")


async def _compiled_circuit(request: web.Request) -> web.Response:
    fmt = SHORT_NAMES[request.match_info["lang"]]
    artifacts = _artifacts(request)
    if fmt not in artifacts:
        raise EmulatorHTTPError(
            404, f"Resource not found: no {fmt} circuit; this job has {sorted(artifacts)}."
        )
    content = artifacts[fmt]  # the schema's type is a string: a JSON circuit is sent encoded
    return web.json_response(content if isinstance(content, str) else json.dumps(content))


def _circuit_results(state: EmulatorState, record: dict[str, Any], kind: str) -> Any:
    stored = state.store.results(record["id"])
    if stored is None:
        raise EmulatorHTTPError(404, "Resource not found: this job has no results.")
    if kind == "probabilities":
        return stored["probabilities"]
    rng = results_mod.circuit_rng(state.config.seed, record["seq"], record["circuit_index"], 1)
    if kind == "histogram":
        return results_mod.histogram(stored, shots=record["shots"], rng=rng)
    return results_mod.shots_list(stored, shots=record["shots"], rng=rng)


async def _results(request: web.Request) -> web.Response:
    state, record = _completed(request)
    kind = request.match_info["kind"]
    children = record.get("child_job_ids")
    if not children and request.match_info.get("aggregated") is None:
        return web.json_response(_circuit_results(state, record, kind))
    if not children:
        return web.json_response({record["id"]: _circuit_results(state, record, kind)})
    body = {}
    for child_id in children:
        child = state.store.get(child_id)
        if child is not None:
            body[child_id] = _circuit_results(state, child, kind)
    return web.json_response(body)


def add_routes(router: web.UrlDispatcher, api: str) -> None:
    """Register the ``/jobs`` routes under ``api`` (e.g. ``/v0.4``)."""
    router.add_post(f"{api}/jobs", _create)
    router.add_get(f"{api}/jobs", _list)
    router.add_delete(f"{api}/jobs", _delete_many)
    router.add_put(f"{api}/jobs/status/cancel", _cancel_many)
    router.add_get(f"{api}/jobs/estimate", _estimate)
    router.add_get(f"{api}/jobs/{{id}}", _get)
    router.add_delete(f"{api}/jobs/{{id}}", _delete)
    router.add_put(f"{api}/jobs/{{id}}/status/cancel", _cancel)
    router.add_get(f"{api}/jobs/{{id}}/cost", _cost)
    router.add_get(f"{api}/jobs/{{id}}/artifacts/{{aid}}", _artifact)
    router.add_get(f"{api}/jobs/{{id}}/circuits/{{lang:native|qasm3}}", _compiled_circuit)
    kinds = "{kind:probabilities|histogram|shots}"
    router.add_get(f"{api}/jobs/{{id}}/results/{kinds}", _results)
    router.add_get(f"{api}/jobs/{{id}}/results/{kinds}/{{aggregated:aggregated}}", _results)
