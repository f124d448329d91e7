"""What our devices record in ``qp.Tracker``: PennyLane's keys with their meaning, plus ours.

Per circuit, as PennyLane's simulators record them: ``executions`` (a broadcast circuit of 10
is 10), ``results`` (of the circuit the device was given: on ``qnative.ionq``, whose
preprocessing splits a Hamiltonian into one circuit per measured basis, the Hamiltonian's
value, recorded by :func:`track_results`), ``shots`` (requested, with finite shots, cache
hits included), and ``resources`` and ``errors`` (``circuit.specs``; a tracker with
``record_resources = False`` skips them, they are costly); ``simulations`` on a simulator
(one per circuit that was simulated, so cache hits add none). Per batch, ``batches`` and
``batch_len``; each device adds its own keys (see :data:`TRACKER_KEYS`).

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

from pennylane import math as qml_math
from pennylane.devices.qubit.sampling import get_num_shots_and_executions
from pennylane.tape import QuantumScript, QuantumScriptBatch
from pennylane.transforms.core import transform

__all__ = ["TRACKER_KEYS", "record_circuits", "track_results"]

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
    with_results: bool = True,
) -> None:
    """Record PennyLane's per-circuit keys for ``circuits`` and their ``results``.

    Args:
        tracker (qp.Tracker): the active tracker
        circuits (Sequence[QuantumScript]): the circuits as the device received them
        results (Sequence): their results
        simulated (Sequence[bool] | None): per circuit, whether it was simulated (records
            ``simulations``); ``None`` on hardware
        with_results (bool): record ``results`` (``False`` when :func:`track_results`
            records them for the circuits before preprocessing)
    """
    resources = getattr(tracker, "record_resources", True)  # costly: an opt-out exists
    for k, (circuit, result) in enumerate(zip(circuits, results, strict=True)):
        executions, shots = get_num_shots_and_executions(circuit)
        info: dict[str, Any] = {"executions": executions}
        if with_results:
            info["results"] = result
        if simulated is not None:
            info["simulations"] = int(simulated[k])
        if circuit.shots:
            info["shots"] = shots
        if resources:
            specs = circuit.specs
            info.update(resources=specs["resources"], errors=specs["errors"])
        tracker.update(**info)
        tracker.record()


@transform
def track_results(tape: QuantumScript, *, device: Any) -> tuple[QuantumScriptBatch, Any]:
    """Record ``results`` of ``tape`` as given, before the device's preprocessing changes it.

    The first transform of ``qnative.ionq``'s preprocessing: the circuit is unchanged and its
    result, once post-processed (a Hamiltonian's value, not its terms'), goes to
    ``device.tracker`` when it is active, as ``default.qubit`` records it.
    """

    def record(results: Any) -> Any:
        tracker = device.tracker
        if tracker.active:  # plain values, as default.qubit records (not autograd's boxes)
            tracker.update(results=qml_math.unwrap([results[0]])[0])
            tracker.record()
        return results[0]

    return (tape,), record
