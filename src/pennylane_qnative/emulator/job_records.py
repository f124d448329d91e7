"""Jobs: payload validation, record creation and the v0.4 job object.

Pure functions: :func:`parse_job` turns a ``POST /jobs`` body into a :class:`JobSpec` (or
raises :class:`EmulatorHTTPError` 400/413-style), :func:`build_records` plans the timeline and
creates the stored records (a parent plus one child per circuit for multi-circuit jobs, in
circuit order), :func:`status_at` derives the status from the clock and :func:`render_job` emits
every required key of the v0.4 job object.

**Example**

>>> from pennylane_qnative.emulator.job_records import parse_job
>>> spec = parse_job({"type": "ionq.circuit.v1", "backend": "simulator",
...                   "input": {"qubits": 1, "circuit": [{"gate": "h", "target": 0}]}})
>>> spec.shots, spec.circuits[0].counts.one_qubit
(100, 1)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pennylane_qnative.emulator.backends import BACKENDS, NOISE_MODELS
from pennylane_qnative.emulator.compiled import descriptors, render_artifacts
from pennylane_qnative.emulator.latency import Timeline
from pennylane_qnative.emulator.simulation import GateError, gate_wires
from pennylane_qnative.exceptions import QnativeError
from pennylane_qnative.ionq.backends import (
    DEFAULT_SHOTS,
    MAX_METADATA_VALUE_CHARS,
    MAX_NOISE_SEED,
    MAX_SHOTS,
    NATIVE_GATES,
    QIS_GATES,
    QIS_ROTATION_GATES,
)
from pennylane_qnative.ionq.backends import MAX_CIRCUITS_PER_JOB as MAX_CIRCUITS
from pennylane_qnative.ionq.backends import MAX_GATES_PER_JOB as MAX_GATES
from pennylane_qnative.ionq.pricing import GateCounts, count_gates

__all__ = [
    "MAX_CIRCUITS",
    "MAX_GATES",
    "MAX_SHOTS",
    "CircuitSpec",
    "EmulatorHTTPError",
    "JobSpec",
    "build_records",
    "completed_before_cancel",
    "iso",
    "parse_job",
    "render_job",
    "status_at",
]

# ``input.qubits`` is an int32; a register wider than its backend is ``NotEnoughQubits``
# (also when it is wider than every backend).
_MAX_QUBITS_FIELD = 2**31 - 1
SINGLE = "ionq.circuit.v1"
MULTI = "ionq.multi-circuit.v1"
TERMINAL = frozenset({"completed", "failed", "canceled"})
_REASONS = {
    400: "Bad Request",
    401: "Unauthorized Error",
    403: "Forbidden Error",
    404: "Not Found Error",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
PROJECT_ID = "1333d459-cf47-4a5e-acc1-8d4eb4f7b025"


class EmulatorHTTPError(QnativeError):
    """An HTTP error the emulator answers with IonQ's ``{error, message, statusCode}`` body.

    Args:
        status_code (int): the HTTP status
        message (str): what was wrong and what to do
        keys (list[str] | None): the offending request keys (``validation.keys``)
    """

    def __init__(self, status_code: int, message: str, *, keys: list[str] | None = None) -> None:
        super().__init__(message, status_code=status_code)
        self.keys = keys

    def body(self) -> dict[str, Any]:
        """The JSON error body."""
        status = self.status_code or 500
        data: dict[str, Any] = {
            "error": _REASONS.get(status, "Error"),
            "message": self.message,
            "statusCode": status,
        }
        if self.keys:
            data["validation"] = {"keys": self.keys, "source": "payload"}
        return data


def _bad(message: str, *keys: str) -> EmulatorHTTPError:
    return EmulatorHTTPError(400, message, keys=list(keys) or None)


@dataclass(frozen=True, kw_only=True, slots=True)
class CircuitSpec:
    """One validated circuit of a job."""

    name: str | None
    qubits: int
    gateset: str
    circuit: tuple[Mapping[str, Any], ...]
    counts: GateCounts


@dataclass(frozen=True, kw_only=True, slots=True)
class JobSpec:
    """A validated job-creation request."""

    type: str
    backend: str
    name: str | None
    shots: int
    metadata: dict[str, str] | None
    noise: dict[str, Any] | None
    settings: dict[str, Any]
    dry_run: bool
    session_id: str | None
    circuits: tuple[CircuitSpec, ...]
    payload_hash: str

    @property
    def error_mitigation(self) -> bool:
        """Whether debiasing was requested."""
        return bool((self.settings.get("error_mitigation") or {}).get("debiasing", False))


def _int(value: Any, key: str, low: int, high: int) -> int:
    if isinstance(value, str):  # cirq-ionq sends shots as a string
        with contextlib.suppress(ValueError):
            value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(f'"{key}" must be an integer in [{low}, {high}], got {value!r}.', key)
    return value


def _metadata(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and len(v) <= MAX_METADATA_VALUE_CHARS
        for k, v in value.items()
    ):
        raise _bad(
            f'"metadata" must map strings to strings of at most {MAX_METADATA_VALUE_CHARS} chars.',
            "metadata",
        )
    return value


def _noise(value: Any, backend: str) -> dict[str, Any] | None:
    if backend != "simulator" or value is None:
        return {"model": "ideal"} if backend == "simulator" else None
    model = value.get("model", "ideal") if isinstance(value, dict) else None
    if not isinstance(model, str) or model not in NOISE_MODELS:
        raise _bad(f'"noise.model" must be one of {sorted(NOISE_MODELS)}.', "noise")
    seed = value.get("seed")
    if seed is not None:
        _int(seed, "noise.seed", 0, MAX_NOISE_SEED)
    return {"model": value.get("model", "ideal"), **({"seed": seed} if seed is not None else {})}


def _check_gates(circuit: Any, qubits: int, gateset: str, backend: str) -> None:
    if not isinstance(circuit, list):
        raise _bad('"circuit" must be a list of gates.', "circuit")
    allowed = NATIVE_GATES if gateset == "native" else QIS_GATES
    if gateset == "native" and backend != "simulator":
        allowed = frozenset({*BACKENDS[backend].native_gates, "nop"})
    for gate in circuit:
        if not isinstance(gate, dict) or not isinstance(gate.get("gate"), str):
            raise _bad(f"InvalidInput: each gate needs a string 'gate', got {gate!r}.", "circuit")
        if gate["gate"] not in allowed:
            name = gate.get("gate") if isinstance(gate, dict) else gate
            raise _bad(
                f"UnsupportedGate: gate {name!r} is not supported by {backend} in the "
                f"{gateset} gate set; use one of {sorted(allowed)}.",
                "circuit",
            )
        if "rotation" in gate and (gateset == "native" or gate["gate"] not in QIS_ROTATION_GATES):
            raise _bad(
                f"InvalidInput: gate {gate['gate']!r} takes no 'rotation' (got "
                f"{gate['rotation']!r}); it would be ignored. Send a rotation gate "
                f"({sorted(QIS_ROTATION_GATES)}), e.g. a phase gate as 'rz'.",
                "circuit",
            )
        try:
            gate_wires(gate, qubits)
        except GateError as error:
            raise _bad(f"InvalidInput: {error}", "circuit") from error


def _is_list(entry: dict[str, Any]) -> bool:
    return isinstance(entry.get("circuit"), list)


def _circuit(entry: Any, parent: Mapping[str, Any], backend: str) -> CircuitSpec:
    if not isinstance(entry, dict):
        raise _bad('each element of "input.circuits" must be an object.', "input.circuits")
    qubits = _int(entry.get("qubits", parent.get("qubits")), "input.qubits", 1, _MAX_QUBITS_FIELD)
    limit = BACKENDS[backend].qubits
    if qubits > limit:
        raise _bad(
            f"NotEnoughQubits: {qubits} qubits requested but {backend} has {limit}; "
            "use fewer qubits or another backend.",
            "input.qubits",
        )
    gateset = entry.get("gateset", parent.get("gateset", "qis"))
    if gateset not in ("qis", "native"):
        raise _bad(f'"gateset" must be "qis" or "native", got {gateset!r}.', "input.gateset")
    circuit = entry.get("circuit")
    _check_gates(circuit, qubits, gateset, backend)
    name = entry.get("name")
    return CircuitSpec(
        name=str(name) if name is not None else None,
        qubits=qubits,
        gateset=gateset,
        circuit=tuple(circuit),
        counts=count_gates(circuit),
    )


def _circuits(job_type: str, job_input: Any, backend: str) -> tuple[CircuitSpec, ...]:
    if not isinstance(job_input, dict):
        raise _bad('"input" must be an object with "qubits", "gateset" and circuits.', "input")
    if job_type == SINGLE:
        if "circuits" in job_input:
            raise _bad('"input.circuits" needs type "ionq.multi-circuit.v1".', "input.circuits")
        return (_circuit({"circuit": job_input.get("circuit")}, job_input, backend),)
    entries = job_input.get("circuits")
    if "circuit" in job_input:
        raise _bad('a multi-circuit job takes "input.circuits", not "input.circuit".', "input")
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_CIRCUITS:
        raise _bad(f'"input.circuits" must hold 1 to {MAX_CIRCUITS} circuits.', "input.circuits")
    gates = sum(len(e["circuit"]) for e in entries if isinstance(e, dict) and _is_list(e))
    if gates > MAX_GATES:
        raise _bad(f"TooManyGates: a job may hold at most {MAX_GATES} gates.", "input.circuits")
    return tuple(_circuit(e, job_input, backend) for e in entries)


def parse_job(payload: Any) -> JobSpec:
    """Validate a ``POST /jobs`` body (lenient: unknown keys are ignored).

    Args:
        payload (Any): the decoded JSON body

    Returns:
        JobSpec: the validated request

    Raises:
        EmulatorHTTPError: 400 with a message naming the offending key
    """
    if not isinstance(payload, dict):
        raise _bad("the request body must be a JSON object.")
    job_type = payload.get("type", SINGLE)
    if job_type not in (SINGLE, MULTI):
        raise _bad(f'"type" must be "{SINGLE}" or "{MULTI}", got {job_type!r}.', "type")
    backend = payload.get("backend", payload.get("target"))
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise _bad(f'"backend" must be one of {sorted(BACKENDS)}, got {backend!r}.', "backend")
    circuits = _circuits(job_type, payload.get("input"), backend)
    if len(circuits) == 1 and len(circuits[0].circuit) > MAX_GATES:
        raise _bad(f"TooManyGates: a job may hold at most {MAX_GATES} gates.", "input.circuit")
    shots = payload.get("shots")
    settings = payload.get("settings") or {}
    if not isinstance(settings, dict):
        raise _bad('"settings" must be an object.', "settings")
    name = payload.get("name")
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return JobSpec(
        type=job_type,
        backend=backend,
        name=str(name) if name is not None else None,
        shots=DEFAULT_SHOTS if shots is None else _int(shots, "shots", 1, MAX_SHOTS),
        metadata=_metadata(payload.get("metadata")),
        noise=_noise(payload.get("noise"), backend),
        settings=settings,
        dry_run=bool(payload.get("dry_run", False)),
        session_id=payload.get("session_id"),
        circuits=circuits,
        payload_hash=hashlib.sha256(encoded.encode()).hexdigest(),
    )


def _base_record(spec: JobSpec, *, seq: int, job_id: str, timeline: Timeline) -> dict[str, Any]:
    return {
        "id": job_id,
        "seq": seq,
        "backend": spec.backend,
        "name": spec.name,
        "metadata": spec.metadata,
        "shots": spec.shots,
        "noise": spec.noise,
        "settings": spec.settings,
        "dry_run": spec.dry_run,
        "session_id": spec.session_id,
        "submitted_at": timeline.submitted_at,
        "ready_at": timeline.ready_at,
        "started_at": timeline.started_at,
        "completed_at": timeline.completed_at,
        "canceled_at": None,
        "failure": None,
        "parent_job_id": None,
        "child_job_ids": None,
    }


def _child_record(
    spec: JobSpec, parent: dict[str, Any], *, index: int, timeline: Timeline
) -> dict[str, Any]:
    """The record of circuit ``index`` of a multi-circuit job (an ordinary circuit job)."""
    circuit = spec.circuits[index]
    start, end = timeline.circuit_windows[index]
    child = _base_record(spec, seq=parent["seq"], job_id=str(uuid.uuid4()), timeline=timeline)
    return child | {
        "type": SINGLE,
        "name": circuit.name,
        "started_at": start,
        "completed_at": end,
        "failure": parent["failure"],
        "parent_job_id": parent["id"],
        "circuit_index": index,
        "cost": 0.0,
        "compiled_formats": _formats(spec, index),
        "stats": {
            "qubits": circuit.qubits,
            "circuits": 1,
            "gate_counts": circuit.counts.as_api(),
        },
    }


def _formats(spec: JobSpec, index: int) -> list[str] | None:
    """The compiled formats a dry-run circuit is published in (``None``: not a dry run)."""
    if not spec.dry_run:
        return None
    circuit = spec.circuits[index]
    return list(render_artifacts(circuit.circuit, qubits=circuit.qubits, gateset=circuit.gateset))


def build_records(
    spec: JobSpec,
    *,
    seq: int,
    timeline: Timeline,
    failure_code: str | None,
    cost: float,
    failure_message: str | None = None,
) -> list[dict[str, Any]]:
    """The records to store for a new job: the job itself, then its children in circuit order.

    Args:
        spec (JobSpec): the validated request
        seq (int): the job's sequence number
        timeline (Timeline): its planned timeline (one window per circuit)
        failure_code (str | None): the failure the job will end with, if any
        cost (float): the estimated cost
        failure_message (str | None): the failure's message (default: "Injected failure")

    Returns:
        list[dict[str, Any]]: the parent (or single) record first
    """
    failure = None
    if failure_code is not None:
        message = failure_message or f"Injected failure ({failure_code})."
        failure = {"code": failure_code, "message": message}
    top = _base_record(spec, seq=seq, job_id=str(uuid.uuid4()), timeline=timeline)
    total = sum((c.counts for c in spec.circuits), GateCounts())
    top |= {
        "type": spec.type,
        "failure": failure,
        "payload_hash": spec.payload_hash,
        "cost": cost,
        "stats": {
            "qubits": max(c.qubits for c in spec.circuits),
            "circuits": len(spec.circuits),
            "gate_counts": total.as_api(),
        },
    }
    if spec.type == SINGLE:
        top["circuit_index"] = 0
        top["compiled_formats"] = _formats(spec, 0)
        return [top]
    children = [
        _child_record(spec, top, index=i, timeline=timeline) for i in range(len(spec.circuits))
    ]
    top["child_job_ids"] = [c["id"] for c in children]
    return [top, *children]


def status_at(record: Mapping[str, Any], now: float) -> str:
    """The status of a job at time ``now`` (derived from its planned timeline)."""
    canceled = record.get("canceled_at")
    if canceled is not None and now >= canceled:
        return "canceled"
    if now < record["ready_at"]:
        return "submitted"
    if now < record["started_at"]:
        return "ready"
    if now < record["completed_at"]:
        return "started"
    return "failed" if record.get("failure") else "completed"


def completed_before_cancel(record: Mapping[str, Any]) -> bool:
    """Whether a canceled job had completed first (its results stay retrievable)."""
    canceled = record.get("canceled_at")
    return canceled is not None and canceled >= record["completed_at"] and not record["failure"]


def iso(timestamp: float | None) -> str | None:
    """ISO-8601 UTC with milliseconds (``2025-05-28T20:47:05.440Z``), or ``None``."""
    if timestamp is None:
        return None
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _results_json(record: Mapping[str, Any], status: str, prefix: str) -> dict[str, Any] | None:
    done = status == "completed" or (status == "canceled" and completed_before_cancel(record))
    if not done or record["dry_run"]:
        return None
    base = f"{prefix}/jobs/{record['id']}/results"
    if record.get("child_job_ids"):
        return {"probabilities": {"url": f"{base}/probabilities/aggregated"}}
    return {kind: {"url": f"{base}/{kind}"} for kind in ("probabilities", "histogram", "shots")}


def _timing(record: Mapping[str, Any], status: str) -> tuple[float | None, float | None]:
    """``(started_at, completed_at)`` as visible in ``status``."""
    if status in ("submitted", "ready"):
        return None, None
    if status == "started":
        return record["started_at"], None
    if status == "canceled" and not completed_before_cancel(record):
        end = record["canceled_at"]
        started = record["started_at"] if end >= record["started_at"] else None
        return started, end
    return record["started_at"], record["completed_at"]


def _settings_json(settings: Mapping[str, Any]) -> dict[str, Any]:
    echo: dict[str, Any] = {"compilation": settings.get("compilation") or {}}
    if "error_mitigation" in settings:
        echo["error_mitigation"] = settings["error_mitigation"]
    return echo


def render_job(record: Mapping[str, Any], *, now: float, prefix: str = "/v0.4") -> dict[str, Any]:
    """The v0.4 job object (every required key; ``null`` where unknown).

    Args:
        record (Mapping[str, Any]): the stored record
        now (float): the current time, seconds since the epoch
        prefix (str): the path prefix of result URLs (host-relative, version included)

    Returns:
        dict[str, Any]: the JSON object of ``GET /jobs/{id}``
    """
    status = status_at(record, now)
    started, ended = _timing(record, status)
    executed = None
    if started is not None and ended is not None:
        executed = math.floor((ended - started) * 1000)
    output: dict[str, Any] = {"compilation": {}}
    if record["dry_run"] and record.get("compiled_formats") and status == "completed":
        output["compilation"]["compiled_circuits"] = descriptors(
            record["id"], record["compiled_formats"]
        )
    job = {
        "id": record["id"],
        "status": status,
        "type": record["type"],
        "backend": record["backend"],
        "dry_run": record["dry_run"],
        "cost_model": "QCT" if BACKENDS[record["backend"]].is_simulator else "2QGE_operations",
        "submitter_id": "64b03577072d45001c85e9c4",
        "project_id": PROJECT_ID,
        "parent_job_id": record["parent_job_id"],
        "child_job_ids": record["child_job_ids"],
        "session_id": record["session_id"],
        "metadata": record["metadata"],
        "name": record["name"],
        "submitted_at": iso(record["submitted_at"]),
        "started_at": iso(started),
        "completed_at": iso(ended),
        "predicted_wait_time_ms": round((record["started_at"] - record["submitted_at"]) * 1000),
        "predicted_execution_duration_ms": round(
            (record["completed_at"] - record["started_at"]) * 1000
        ),
        "execution_duration_ms": executed,
        "shots": record["shots"],
        "failure": record["failure"] if status == "failed" else None,
        "settings": _settings_json(record["settings"]),
        "stats": record["stats"],
        "results": _results_json(record, status, prefix),
        "output": output,
    }
    if record["noise"] is not None:
        job["noise"] = record["noise"]
    return job
