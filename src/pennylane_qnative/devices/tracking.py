"""What our devices record in ``qp.Tracker``: PennyLane's keys with their meaning, plus ours.

Per circuit, as PennyLane's simulators record them: ``executions`` (a broadcast circuit of 10
is 10), ``results``, ``shots`` (requested, with finite shots, cache hits included), and
``resources`` and ``errors`` (``circuit.specs``; a tracker with ``record_resources = False``
skips them, they are costly); ``simulations`` on a simulator (one per circuit that was
simulated, so cache hits add none). Per batch, ``batches`` and ``batch_len``; each device adds
its own keys (see :data:`TRACKER_KEYS`).

**Example**

>>> import pennylane as qp
>>> dev = qp.device("qnative.simulator", wires=1)
>>> @qp.qnode(dev)
... def circuit(x):
...     qp.RX(x, 0)
...     return qp.expval(qp.Z(0))
>>> with qp.Tracker(dev) as tracker:
...     _ = circuit(0.1)
...     _ = circuit(0.1)  # a cache hit: executed, not simulated
>>> tracker.totals["executions"], tracker.totals["simulations"], tracker.totals["cache_hits"]
(2, 1, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pennylane.devices.qubit.sampling import get_num_shots_and_executions
from pennylane.tape import QuantumScript

__all__ = ["TRACKER_KEYS", "record_circuits"]

TRACKER_KEYS: dict[str, str] = {
    "batches": "executions of a batch of circuits (both devices)",
    "batch_len": "circuits per batch, as given (both devices)",
    "executions": "circuits as hardware runs them: a broadcast circuit of 10 is 10 (both)",
    "simulations": "circuits actually simulated: cache hits add none (qnative.simulator)",
    "results": "each circuit's result (both)",
    "shots": "each circuit's requested shots, with finite shots (both)",
    "resources": "each circuit's gate counts and depth, `circuit.specs` (both)",
    "errors": "each circuit's algorithmic errors, `circuit.specs` (both)",
    "cache_hits": "circuits answered by the result cache (both)",
    "cache_misses": "keyed circuits not in the cache (qnative.simulator)",
    "merged_circuits": "circuits merged into a broadcast with others (qnative.simulator)",
    "backend_executions": "circuits the backend ran after merging (qnative.simulator)",
    "circuits": "circuits after broadcasts were split (qnative.ionq)",
    "submitted_circuits": "circuits sent to IonQ, after cache hits and duplicates (qnative.ionq)",
    "submitted_shots": "shots paid for: submitted circuits times their shots (qnative.ionq)",
    "jobs": "IonQ jobs the batch used (qnative.ionq)",
    "job_ids": "their ids (qnative.ionq)",
    "jobs_created": "jobs created by this batch (qnative.ionq)",
    "journal_reuses": "jobs re-attached from the journal instead of paid again (qnative.ionq)",
    "estimated_cost_usd": "the batch's estimate at the rate card (qnative.ionq)",
    "billed_cost_usd": "what IonQ billed for it (qnative.ionq, paid backends)",
    "session_id": "the IonQ session the batch's jobs ran in (qnative.ionq with session=)",
    "queued_seconds": "seconds the batch's jobs waited in IonQ's queue (qnative.ionq)",
}
"""Every key our devices record, with its meaning (the docs render this table)."""


def record_circuits(
    tracker: Any,
    circuits: Sequence[QuantumScript],
    results: Sequence[Any],
    *,
    simulated: Sequence[bool] | None = None,
) -> None:
    """Record PennyLane's per-circuit keys for ``circuits`` and their ``results``.

    Args:
        tracker (qp.Tracker): the active tracker
        circuits (Sequence[QuantumScript]): the circuits as the device received them
        results (Sequence): their results
        simulated (Sequence[bool] | None): per circuit, whether it was simulated (records
            ``simulations``); ``None`` on hardware
    """
    resources = getattr(tracker, "record_resources", True)  # costly: an opt-out exists
    for k, (circuit, result) in enumerate(zip(circuits, results, strict=True)):
        executions, shots = get_num_shots_and_executions(circuit)
        info: dict[str, Any] = {"executions": executions, "results": result}
        if simulated is not None:
            info["simulations"] = int(simulated[k])
        if circuit.shots:
            info["shots"] = shots
        if resources:
            specs = circuit.specs
            info.update(resources=specs["resources"], errors=specs["errors"])
        tracker.update(**info)
        tracker.record()
