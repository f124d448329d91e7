"""Typed request and response models of the IonQ v0.4 API (contract: ``docs/ionq-api.md``).

All models are frozen dataclasses; building a payload and parsing a response are pure
functions (no I/O), so they are tested without a network.

* :class:`Circuit` — one circuit as the contract's JSON gate dicts (``{"gate": "h", ...}``).
* :class:`JobRequest` — the body of ``POST /jobs`` (single or multi-circuit).
* :class:`JobCreated`, :class:`Job`, :class:`JobPage` — responses of create, get and list.
* :func:`parse_probabilities` — a results body as one ``{basis_state: probability}`` per circuit.

**Example**

>>> from pennylane_qnative.ionq.models import Circuit, JobRequest
>>> bell = Circuit(qubits=2, gates=({"gate": "h", "target": 0},
...                                 {"gate": "cnot", "control": 0, "target": 1}))
>>> payload = JobRequest(backend="simulator", shots=100, circuits=(bell,)).to_payload()
>>> payload["type"], payload["input"]["circuit"][1]["gate"]
('ionq.circuit.v1', 'cnot')
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.ionq.backends import MAX_SHOTS

__all__ = [
    "CLIENT_ID_KEY",
    "Circuit",
    "CostEstimate",
    "Failure",
    "Gateset",
    "Job",
    "JobCost",
    "JobCreated",
    "JobPage",
    "JobRequest",
    "JobStatus",
    "Probabilities",
    "parse_probabilities",
]

CLIENT_ID_KEY = "qnative_client_id"
"""The ``metadata`` key holding the client-generated id that makes job creation idempotent."""

Probabilities = dict[int, float]
"""Probabilities of one circuit: basis state (little-endian integer, qubit 0 = bit 0) -> p."""


class JobStatus(StrEnum):
    """The v0.4 job statuses (``running`` from v0.3 is read as ``started``)."""

    SUBMITTED = "submitted"
    READY = "ready"
    STARTED = "started"
    COMPLETED = "completed"
    CANCELED = "canceled"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        """Whether the job has ended (``completed``, ``canceled`` or ``failed``)."""
        return self in (JobStatus.COMPLETED, JobStatus.CANCELED, JobStatus.FAILED)

    @classmethod
    def parse(cls, value: Any) -> JobStatus:
        """The status named ``value`` (accepting v0.3's ``running``).

        Raises:
            ValueError: on an unknown status
        """
        return cls.STARTED if value == "running" else cls(value)


class Gateset(StrEnum):
    """The two IonQ gate sets."""

    QIS = "qis"
    NATIVE = "native"


@dataclass(frozen=True, kw_only=True, slots=True)
class Circuit:
    """One circuit in IonQ's JSON form; all ``qubits`` are measured at the end.

    Args:
        qubits (int): number of qubits (>= 1)
        gates (tuple[Mapping[str, Any], ...]): the contract's gate dicts, in order
        gateset (Gateset | str): ``"qis"`` or ``"native"``
        name (str | None): optional name sent with the circuit

    Raises:
        ConfigurationError: if ``qubits`` is not a positive integer or a gate is not a dict
    """

    qubits: int
    gates: tuple[Mapping[str, Any], ...]
    gateset: Gateset = Gateset.QIS
    name: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.qubits, bool) or not isinstance(self.qubits, int) or self.qubits < 1:
            raise ConfigurationError(f"Circuit.qubits must be an int >= 1, got {self.qubits!r}.")
        gates = tuple(self.gates)
        if not all(isinstance(g, Mapping) and "gate" in g for g in gates):
            raise ConfigurationError(
                "Circuit.gates must be IonQ gate dicts such as {'gate': 'h', 'target': 0}."
            )
        object.__setattr__(self, "gates", gates)
        try:
            object.__setattr__(self, "gateset", Gateset(self.gateset))
        except ValueError as error:
            raise ConfigurationError(
                f"Circuit.gateset must be 'qis' or 'native', got {self.gateset!r}."
            ) from error

    def to_json(self) -> dict[str, Any]:
        """The circuit as an element of ``input.circuits`` of a multi-circuit job."""
        data: dict[str, Any] = {
            "qubits": self.qubits,
            "gateset": str(self.gateset),
            "circuit": [dict(g) for g in self.gates],
        }
        if self.name is not None:
            data["name"] = self.name
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Circuit:
        """Inverse of :meth:`to_json`."""
        return cls(
            qubits=int(data["qubits"]),
            gates=tuple(data["circuit"]),
            gateset=data.get("gateset", "qis"),
            name=data.get("name"),
        )

    @property
    def n_gates(self) -> int:
        """Number of gates (the unit of the API's 150,000-gate limit)."""
        return len(self.gates)

    def json_size(self) -> int:
        """Bytes this circuit adds to a job body (compact JSON)."""
        return len(json.dumps(self.to_json(), separators=(",", ":")).encode())


@dataclass(frozen=True, kw_only=True, slots=True)
class JobRequest:
    """The body of ``POST /jobs``.

    Args:
        backend (str): ``"simulator"``, ``"qpu.aria-1"``, ...
        shots (int): shots per circuit (1 ... 1,000,000)
        circuits (tuple[Circuit, ...]): one circuit (``ionq.circuit.v1``) or several
            (``ionq.multi-circuit.v1``), in result order
        name (str | None): job name
        metadata (Mapping[str, str] | None): string-to-string metadata (max 10 keys)
        noise (Mapping[str, Any] | None): ``{"model": ..., "seed": ...}`` (simulator only)
        settings (Mapping[str, Any] | None): ``{"compilation": ..., "error_mitigation": ...}``
        dry_run (bool): compile and price only
        session_id (str | None): the session to join

    Raises:
        ConfigurationError: on invalid shots, no circuits or non-string metadata
    """

    backend: str
    shots: int
    circuits: tuple[Circuit, ...]
    name: str | None = None
    metadata: Mapping[str, str] | None = None
    noise: Mapping[str, Any] | None = None
    settings: Mapping[str, Any] | None = None
    dry_run: bool = False
    session_id: str | None = None

    def __post_init__(self) -> None:
        shots = self.shots
        if isinstance(shots, bool) or not isinstance(shots, int) or not 1 <= shots <= MAX_SHOTS:
            raise ConfigurationError(
                f"JobRequest.shots must be an int in [1, {MAX_SHOTS}], got {shots!r}."
            )
        object.__setattr__(self, "circuits", tuple(self.circuits))
        if not self.circuits:
            raise ConfigurationError("JobRequest.circuits is empty; pass at least one circuit.")
        meta = self.metadata or {}
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
            raise ConfigurationError("JobRequest.metadata values must be strings.")

    def with_metadata(self, key: str, value: str) -> JobRequest:
        """A copy with ``metadata[key] = value``."""
        from dataclasses import replace

        return replace(self, metadata={**(self.metadata or {}), key: value})

    def to_payload(self) -> dict[str, Any]:
        """The JSON body: ``ionq.circuit.v1`` for one circuit, else ``ionq.multi-circuit.v1``."""
        payload: dict[str, Any] = {"backend": self.backend, "shots": self.shots}
        if len(self.circuits) == 1:
            only = self.circuits[0].to_json()
            only.pop("name", None)
            payload["type"] = "ionq.circuit.v1"
            payload["input"] = only
        else:
            first = self.circuits[0]
            payload["type"] = "ionq.multi-circuit.v1"
            payload["input"] = {
                "qubits": max(c.qubits for c in self.circuits),
                "gateset": str(first.gateset),
                "circuits": [c.to_json() for c in self.circuits],
            }
        optional = {
            "name": self.name,
            "metadata": dict(self.metadata) if self.metadata else None,
            "noise": dict(self.noise) if self.noise else None,
            "settings": dict(self.settings) if self.settings else None,
            "session_id": self.session_id,
        }
        payload.update({k: v for k, v in optional.items() if v is not None})
        if self.dry_run:
            payload["dry_run"] = True
        return payload


@dataclass(frozen=True, kw_only=True, slots=True)
class JobCreated:
    """The response of ``POST /jobs``."""

    id: str
    status: JobStatus
    session_id: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JobCreated:
        """Parse ``{"id", "status", "session_id"}``."""
        return cls(
            id=str(data["id"]),
            status=JobStatus.parse(data.get("status", "submitted")),
            session_id=data.get("session_id"),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Failure:
    """Why a job failed (``failure`` of the job object)."""

    code: str | None
    message: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Failure:
        """Parse v0.4 ``{code, message}`` or v0.3 ``{code, error}``."""
        message = data.get("message") or data.get("error") or "no message"
        return cls(code=data.get("code"), message=str(message))


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _ms(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True, kw_only=True, slots=True)
class Job:
    """A v0.4 job object (``GET /jobs/{id}``); unknown keys are ignored.

    Args:
        id (str): job id
        status (JobStatus): current status
        type (str | None): ``ionq.circuit.v1`` or ``ionq.multi-circuit.v1``
        backend (str | None): the backend
        metadata (dict[str, str]): the job's metadata (empty if none)
        parent_job_id (str | None): the parent of a multi-circuit child job
        child_job_ids (tuple[str, ...]): children of a multi-circuit job, in circuit order
        predicted_wait_time_ms (float | None): predicted time from submission to start
        predicted_execution_duration_ms (float | None): predicted run time
        submitted_at (datetime | None): submission time
        started_at (datetime | None): start of execution (end of queueing)
        completed_at (datetime | None): completion time
        session_id (str | None): the session the job ran in
        failure (Failure | None): why the job failed
        results_url (str | None): the probabilities URL (host-relative, version included)
    """

    id: str
    status: JobStatus
    type: str | None = None
    backend: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    parent_job_id: str | None = None
    child_job_ids: tuple[str, ...] = ()
    predicted_wait_time_ms: float | None = None
    predicted_execution_duration_ms: float | None = None
    submitted_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    failure: Failure | None = None
    results_url: str | None = None
    session_id: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Job:
        """Parse a job object (v0.4; v0.3 ``children``/``running`` tolerated).

        Raises:
            KeyError: if ``id`` or ``status`` is missing
            ValueError: on an unknown status
        """
        results = data.get("results") or {}
        probabilities = results.get("probabilities") if isinstance(results, Mapping) else None
        failure = data.get("failure")
        return cls(
            id=str(data["id"]),
            status=JobStatus.parse(data["status"]),
            type=data.get("type"),
            backend=data.get("backend") or data.get("target"),
            metadata=dict(data.get("metadata") or {}),
            parent_job_id=data.get("parent_job_id"),
            child_job_ids=tuple(data.get("child_job_ids") or data.get("children") or ()),
            predicted_wait_time_ms=_ms(data.get("predicted_wait_time_ms")),
            predicted_execution_duration_ms=_ms(data.get("predicted_execution_duration_ms")),
            submitted_at=_parse_time(data.get("submitted_at")),
            started_at=_parse_time(data.get("started_at")),
            completed_at=_parse_time(data.get("completed_at")),
            session_id=data.get("session_id"),
            failure=Failure.from_json(failure) if isinstance(failure, Mapping) else None,
            results_url=probabilities.get("url") if isinstance(probabilities, Mapping) else None,
        )

    @property
    def is_multi_circuit(self) -> bool:
        """Whether the job is a multi-circuit parent."""
        return self.type == "ionq.multi-circuit.v1" or bool(self.child_job_ids)

    @property
    def queued_s(self) -> float | None:
        """Seconds from submission to start, as the service reports them (``None``: unknown)."""
        if self.submitted_at is None or self.started_at is None:
            return None
        return max(0.0, (self.started_at - self.submitted_at).total_seconds())

    @property
    def predicted_remaining_s(self) -> float | None:
        """Predicted seconds from submission to completion (``None`` if not predicted)."""
        wait, run = self.predicted_wait_time_ms, self.predicted_execution_duration_ms
        if wait is None and run is None:
            return None
        return ((wait or 0.0) + (run or 0.0)) / 1000.0


@dataclass(frozen=True, kw_only=True, slots=True)
class JobPage:
    """One page of ``GET /jobs``: the jobs and the cursor of the next page (``None``: last)."""

    jobs: tuple[Job, ...]
    next: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JobPage:
        """Parse ``{"jobs": [...], "next": ...}``."""
        return cls(
            jobs=tuple(Job.from_json(j) for j in data.get("jobs") or ()), next=data.get("next")
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class CostEstimate:
    """The answer of ``GET /jobs/estimate`` (May and September 2026 shapes)."""

    cost: float
    unit: str = "usd"
    execution_time_ms: float | None = None
    queue_time_ms: float | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CostEstimate:
        """Parse ``estimated_cost`` (May) or ``estimated_total_cost`` (September)."""
        cost = data.get("estimated_cost", data.get("estimated_total_cost", 0.0))
        if isinstance(cost, Mapping):
            cost = cost.get("value", 0.0)
        return cls(
            cost=float(cost or 0.0),
            unit=str(data.get("cost_unit") or data.get("estimated_unit") or "usd"),
            execution_time_ms=_ms(data.get("estimated_execution_time")),
            queue_time_ms=_ms(data.get("current_predicted_queue_time")),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class JobCost:
    """The answer of ``GET /jobs/{id}/cost``: estimate, and the billed amount once final."""

    estimated: float
    billed: float | None = None
    unit: str = "usd"
    dry_run: bool = False

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JobCost:
        """Parse ``{"estimated_cost": {value, unit}, "cost": {value, unit}?, "dry_run"}``."""

        def value(entry: Any) -> float | None:
            if entry is None:
                return None
            return float(entry.get("value", 0.0)) if isinstance(entry, Mapping) else float(entry)

        estimate = data.get("estimated_cost")
        unit = estimate.get("unit", "usd") if isinstance(estimate, Mapping) else "usd"
        return cls(
            estimated=value(estimate) or 0.0,
            billed=value(data.get("cost")),
            unit=str(unit),
            dry_run=bool(data.get("dry_run", False)),
        )


def _flat(data: Mapping[str, Any]) -> Probabilities:
    return {int(k): float(v) for k, v in data.items()}


def parse_probabilities(
    data: Mapping[str, Any], *, child_job_ids: Sequence[str] = ()
) -> list[Probabilities]:
    """One probability map per circuit from a results body.

    A single-circuit body is flat (``{"0": 0.5, "3": 0.5}``); a multi-circuit (aggregated)
    body maps child job ids to flat maps, in circuit order. When ``child_job_ids`` is given the
    order is taken from it rather than from the body.

    Args:
        data (Mapping[str, Any]): the JSON body
        child_job_ids (Sequence[str]): the parent's children, in circuit order

    Returns:
        list[Probabilities]: one map per circuit

    Raises:
        ValueError: if the body has neither shape, or misses a child

    **Example**

    >>> parse_probabilities({"0": 0.5, "3": 0.5})
    [{0: 0.5, 3: 0.5}]
    >>> parse_probabilities({"b": {"1": 1}, "a": {"0": 1}}, child_job_ids=["a", "b"])
    [{0: 1.0}, {1: 1.0}]
    """
    if not data or not all(isinstance(v, Mapping) for v in data.values()):
        if any(isinstance(v, Mapping) for v in data.values()):
            raise ValueError("results body mixes nested and flat entries")
        return [_flat(data)]
    order = list(child_job_ids) or list(data)
    missing = [c for c in order if c not in data]
    if missing:
        raise ValueError(f"results body lacks children {missing[:3]}")
    return [_flat(data[c]) for c in order]
