"""A batch of circuits packed once into IonQ job payloads (pure; no I/O).

:func:`pack_batch` reads every circuit once: its JSON form, its size, its gate counts. From
those it computes the spans of the jobs (as few as the API limits allow, order kept), each
job's ``POST /jobs`` payload, its estimated price at the configured rate card, and the batch's
journal digest. The estimate, the budget, the journal and job creation all read the same
:class:`PackedBatch`; the client sends its payloads as they are.

**Example**

>>> from pennylane_qnative.execution.packing import JobLimits, JobSettings, pack_batch
>>> from pennylane_qnative.ionq.models import Circuit
>>> circuits = [Circuit(qubits=1, gates=({"gate": "h", "target": 0},))] * 5
>>> packed = pack_batch(circuits, 100, settings=JobSettings(limits=JobLimits(max_circuits=2)))
>>> packed.spans, packed.estimate_usd
([(0, 2), (2, 4), (4, 5)], 0.0)
>>> packed.jobs[0].payload["type"], len(packed.jobs[0].payload["input"]["circuits"])
('ionq.multi-circuit.v1', 2)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pennylane_qnative.exceptions import ConfigurationError, UnsupportedCircuitError
from pennylane_qnative.execution.journal import batch_digest
from pennylane_qnative.ionq.backends import MAX_BODY_BYTES, MAX_CIRCUITS_PER_JOB, MAX_GATES_PER_JOB
from pennylane_qnative.ionq.models import Circuit
from pennylane_qnative.ionq.pricing import (
    DEFAULT_RATE_CARD,
    GateCounts,
    RateCard,
    count_gates,
    estimate_cost,
)

__all__ = [
    "JobLimits",
    "JobSettings",
    "PackedBatch",
    "PackedJob",
    "as_circuit",
    "pack_batch",
    "pack_circuits",
]

# Bytes of a job body besides its circuits (type, backend, shots, metadata, settings...).
JOB_OVERHEAD_BYTES = 16 * 1024


@dataclass(frozen=True, kw_only=True, slots=True)
class JobLimits:
    """Per-job limits of the API (contract section 6).

    Args:
        max_circuits (int): circuits per job (API: 5,000)
        max_gates (int): gates per job, all circuits together (API: 150,000)
        max_bytes (int): request body size (API: 10 MB)

    Raises:
        ConfigurationError: if a limit is not a positive integer or exceeds the API's
    """

    max_circuits: int = MAX_CIRCUITS_PER_JOB
    max_gates: int = MAX_GATES_PER_JOB
    max_bytes: int = MAX_BODY_BYTES

    def __post_init__(self) -> None:
        for name, api in (("max_circuits", MAX_CIRCUITS_PER_JOB), ("max_gates", MAX_GATES_PER_JOB)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= api:
                raise ConfigurationError(
                    f"JobLimits.{name} must be an int in [1, {api}], got {value!r}."
                )
        if not isinstance(self.max_bytes, int) or self.max_bytes <= JOB_OVERHEAD_BYTES:
            raise ConfigurationError(
                f"JobLimits.max_bytes must exceed {JOB_OVERHEAD_BYTES}, got {self.max_bytes!r}."
            )


@dataclass(frozen=True, kw_only=True, slots=True)
class JobSettings:
    """What every job of a batch carries besides its circuits and shots.

    Args:
        api_url (str): the service (part of the journal digest)
        backend (str): IonQ backend of every job
        noise (Mapping[str, Any] | None): ``{"model", "seed"}`` (simulator only)
        settings (Mapping[str, Any] | None): ``{"compilation", "error_mitigation"}``
        metadata (Mapping[str, str] | None): user metadata attached to every job
        limits (JobLimits): packing limits
        rate_card (RateCard): prices of the estimate (and which backends are free)
    """

    api_url: str = field(default="", repr=False)  # may hold a key in its user-info
    backend: str = "simulator"
    noise: Mapping[str, Any] | None = None
    settings: Mapping[str, Any] | None = None
    metadata: Mapping[str, str] | None = None
    limits: JobLimits = field(default_factory=JobLimits)
    rate_card: RateCard = DEFAULT_RATE_CARD

    @property
    def error_mitigation(self) -> bool:
        """Whether debiasing is on (it raises the job minimum)."""
        mitigation = (self.settings or {}).get("error_mitigation") or {}
        return bool(mitigation.get("debiasing", False))


@dataclass(frozen=True, slots=True)
class PackedJob:
    """One job of a packed batch.

    Attributes:
        span (tuple[int, int]): ``[start, stop)`` of its circuits in the batch
        payload (dict): the ``POST /jobs`` body, sent as it is (the client adds its client id)
        gate_counts (tuple[GateCounts, ...]): billable gates of each circuit
        estimate_usd (float): estimated price at the batch's rate card
    """

    span: tuple[int, int]
    payload: dict[str, Any]
    gate_counts: tuple[GateCounts, ...]
    estimate_usd: float

    @property
    def n_circuits(self) -> int:
        """Circuits in the job."""
        return self.span[1] - self.span[0]


@dataclass(frozen=True, slots=True)
class PackedBatch:
    """A batch read once: per-circuit JSON, sizes and counts, its jobs and its digest.

    Attributes:
        shots (int): shots per circuit
        name (str | None): job name prefix
        settings (JobSettings): what every job carries
        circuits (tuple[dict, ...]): each circuit's JSON form
        sizes (tuple[int, ...]): each circuit's bytes in a job body
        gate_counts (tuple[GateCounts, ...]): each circuit's billable gates
        digest (str): the journal key (everything that determines the results)
        jobs (tuple[PackedJob, ...]): the jobs, in batch order
    """

    shots: int
    name: str | None
    settings: JobSettings
    circuits: tuple[dict[str, Any], ...]
    sizes: tuple[int, ...]
    gate_counts: tuple[GateCounts, ...]
    digest: str
    jobs: tuple[PackedJob, ...] = ()

    @property
    def spans(self) -> list[tuple[int, int]]:
        """``[start, stop)`` of each job."""
        return [job.span for job in self.jobs]

    @property
    def estimate_usd(self) -> float:
        """Estimated price of the whole batch."""
        return sum(job.estimate_usd for job in self.jobs)

    @property
    def is_free(self) -> bool:
        """Whether the backend is never billed (at the batch's rate card)."""
        return self.settings.rate_card.is_free(self.settings.backend)

    def with_spans(self, spans: Sequence[tuple[int, int]]) -> PackedBatch:
        """The same circuits split at ``spans`` (a plan read back from the journal)."""
        if list(spans) == self.spans:
            return self
        jobs = tuple(_job(self, span, k, len(spans)) for k, span in enumerate(spans))
        return PackedBatch(
            self.shots, self.name, self.settings, self.circuits, self.sizes, self.gate_counts,
            self.digest, jobs,
        )  # fmt: skip


def pack_batch(
    circuits: Sequence[Circuit],
    shots: int,
    *,
    settings: JobSettings,
    name: str | None = None,
    tag: str | None = None,
) -> PackedBatch:
    """Pack a batch once: JSON, sizes, gate counts, jobs, payloads, estimates and digest.

    Args:
        circuits (Sequence[Circuit]): the batch, in result order
        shots (int): shots per circuit (one count per job, as the API takes)
        settings (JobSettings): backend, noise, settings, metadata, limits and rate card
        name (str | None): job name prefix (``"<name> [k/n]"``)
        tag (str | None): tells apart deliberate repeats of a batch in the journal

    Returns:
        PackedBatch: the batch with its jobs

    Raises:
        UnsupportedCircuitError: if one circuit alone exceeds a per-job limit
    """
    jsons = tuple(c.to_json() for c in circuits)
    sizes = tuple(len(json.dumps(j, separators=(",", ":")).encode()) + 1 for j in jsons)
    counts = tuple(count_gates(c.gates) for c in circuits)
    gates = [c.n_gates for c in circuits]
    digest = batch_digest(
        api_url=settings.api_url, backend=settings.backend, shots=shots, circuits=jsons,
        noise=settings.noise, settings=settings.settings,
        extra=None if tag is None else {"tag": tag},
    )  # fmt: skip
    unpacked = PackedBatch(shots, name, settings, jsons, sizes, counts, digest)
    return unpacked.with_spans(_spans(gates, sizes, settings.limits))


def pack_circuits(circuits: Sequence[Circuit], *, limits: JobLimits) -> list[tuple[int, int]]:
    """Split circuits into as few contiguous jobs as the limits allow (greedy, order kept).

    Args:
        circuits (Sequence[Circuit]): the batch
        limits (JobLimits): the per-job limits

    Returns:
        list[tuple[int, int]]: ``[start, stop)`` spans covering ``range(len(circuits))``

    Raises:
        UnsupportedCircuitError: if one circuit alone exceeds a limit

    >>> circuits = [Circuit(qubits=1, gates=({"gate": "h", "target": 0},))] * 5
    >>> pack_circuits(circuits, limits=JobLimits(max_circuits=2))
    [(0, 2), (2, 4), (4, 5)]
    """
    return _spans([c.n_gates for c in circuits], [c.json_size() + 1 for c in circuits], limits)


def _spans(gates: Sequence[int], sizes: Sequence[int], limits: JobLimits) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start, total_gates, total_bytes = 0, 0, JOB_OVERHEAD_BYTES
    for i, (n, b) in enumerate(zip(gates, sizes, strict=True)):
        if n > limits.max_gates or b + JOB_OVERHEAD_BYTES > limits.max_bytes:
            raise UnsupportedCircuitError(
                f"circuit {i} has {n} gates and {b} bytes, more than one job may hold "
                f"({limits.max_gates} gates, {limits.max_bytes} bytes); shorten it."
            )
        full = i - start >= limits.max_circuits
        if full or total_gates + n > limits.max_gates or total_bytes + b > limits.max_bytes:
            spans.append((start, i))
            start, total_gates, total_bytes = i, 0, JOB_OVERHEAD_BYTES
        total_gates, total_bytes = total_gates + n, total_bytes + b
    if len(gates) > start:
        spans.append((start, len(gates)))
    return spans


def _job(batch: PackedBatch, span: tuple[int, int], k: int, n_jobs: int) -> PackedJob:
    """The payload and estimate of the ``k``-th of ``n_jobs`` jobs (the shape of
    :meth:`~pennylane_qnative.ionq.models.JobRequest.to_payload`)."""
    settings, (a, b) = batch.settings, span
    payload: dict[str, Any] = {"backend": settings.backend, "shots": batch.shots}
    if b - a == 1:
        only = dict(batch.circuits[a])
        only.pop("name", None)
        payload["type"], payload["input"] = "ionq.circuit.v1", only
    else:
        circuits = batch.circuits[a:b]
        payload["type"] = "ionq.multi-circuit.v1"
        payload["input"] = {
            "qubits": max(c["qubits"] for c in circuits),
            "gateset": circuits[0]["gateset"],
            "circuits": list(circuits),
        }
    optional = {
        "name": f"{batch.name or 'qnative'} [{k + 1}/{n_jobs}]",
        "metadata": dict(settings.metadata) if settings.metadata else None,
        "noise": dict(settings.noise) if settings.noise else None,
        "settings": dict(settings.settings) if settings.settings else None,
    }
    payload.update({key: v for key, v in optional.items() if v is not None})
    counts = batch.gate_counts[a:b]
    estimate = estimate_cost(
        backend=settings.backend, shots=batch.shots, gate_counts=counts,
        error_mitigation=settings.error_mitigation, rate_card=settings.rate_card,
    )  # fmt: skip
    return PackedJob(span=(a, b), payload=payload, gate_counts=counts, estimate_usd=estimate)


def as_circuit(circuit: Circuit | Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Circuit:
    """A :class:`Circuit` from itself, from ``{"qubits", "circuit", "gateset"?, "name"?}`` or
    from a bare list of gate dicts (qubits: the highest index used, plus one).

    >>> as_circuit([{"gate": "cnot", "control": 0, "target": 2}]).qubits
    3
    """
    if isinstance(circuit, Circuit):
        return circuit
    try:
        if isinstance(circuit, Mapping):
            return Circuit.from_json(circuit)
        gates = tuple(circuit)
        wires = [
            int(w)
            for g in gates
            for key in ("target", "control", "targets", "controls")
            for w in (g.get(key, []) if isinstance(g.get(key, []), list) else [g[key]])
        ]
        return Circuit(qubits=max(wires, default=0) + 1, gates=gates)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise ConfigurationError(
            f"not an IonQ circuit: {str(circuit)[:80]!r} ({error}); pass Circuit objects, "
            "dicts with 'qubits' and 'circuit', or lists of gate dicts."
        ) from error
