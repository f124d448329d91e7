"""One ``execute`` of ``qnative.ionq``: the run's own state, so the device is never mutated.

:class:`IonQRun` looks the circuits up in the result cache, compiles and packs the misses
once, estimates and charges the budget, runs the jobs, converts the probabilities into
PennyLane results and records the tracker's keys (see :class:`~.IonQDevice`).
"""

from __future__ import annotations

import math
import secrets
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
from pennylane.measurements import ProbabilityMP
from pennylane.tape import QuantumScript, QuantumScriptBatch

from pennylane_qnative.devices.ionq_options import ShotsReuse
from pennylane_qnative.devices.ionq_results import Distribution, tape_results
from pennylane_qnative.devices.ionq_translation import compile_circuit
from pennylane_qnative.devices.tracking import record_circuits
from pennylane_qnative.execution.cache import fingerprint
from pennylane_qnative.execution.job_manager import BatchReport
from pennylane_qnative.ionq.models import Circuit

__all__ = ["IonQRun", "nan_like"]


class IonQRun:
    """The state of one ``execute``: keys, hits, jobs, costs (the device is not mutated)."""

    def __init__(
        self, device: Any, tapes: list[QuantumScript], rng: Any, run_id: str | None
    ) -> None:
        self.device = device
        self.tapes = tapes
        self.rng = rng
        self.run_id = run_id
        self.hits = 0
        self.job_ids: list[str] = []
        self.created = self.reused = 0
        self.submitted = 0
        self.shots = 0
        self.estimated_usd = self.billed_usd = 0.0
        self.queued_s = 0.0
        self.session_id: str | None = None

    def results(self) -> list[Any]:
        """Look up, pack once, estimate, charge, run; one PennyLane result per tape."""
        dev = self.device
        memo: dict = {}  # operations shared by the circuits of this batch are read once
        fps = [fingerprint(t, memo) for t in self.tapes]
        keys = [None if dev.cache is None else dev.cache.key_for(fp, dev._context) for fp in fps]
        dists: list[Distribution | None] = [
            None if key is None else dev.cache.get(key) for key in keys
        ]
        self.hits = sum(d is not None for d in dists)
        groups: dict[int, dict[Any, list[int]]] = {}
        for i, tape in enumerate(self.tapes):
            if dists[i] is None:
                shots = tape.shots.total_shots if tape.shots else 1
                twin = keys[i] if keys[i] is not None else ("unique", i)
                groups.setdefault(shots, {}).setdefault(twin, []).append(i)
        packed = {
            shots: dev._manager.pack(
                self._circuits(owners, fps), shots, name=dev.job_name, tag=self._tag(owners)
            )
            for shots, owners in groups.items()
        }
        self.estimated_usd = sum(p.estimate_usd for p in packed.values())
        dev.budget.quote(self.estimated_usd)
        if dev.dry_run:
            warnings.warn(
                f"dry_run: nothing was submitted; estimated cost ${self.estimated_usd:.2f}",
                UserWarning,
                stacklevel=3,
            )
            return [nan_like(t) for t in self.tapes]
        dev.budget.charge(self.estimated_usd)  # the whole execute is refused before submitting
        for shots, owners in groups.items():
            self._submit(packed[shots], owners, dists, keys)
            if self.tapes[next(iter(owners.values()))[0]].shots:
                self.shots += shots * len(owners)
        return [
            tape_results(t, d, dev.wire_order(t), exact=dev.exact, rng=self.rng)
            for t, d in zip(self.tapes, dists, strict=True)
        ]

    def _tag(self, owners: Mapping[Any, list[int]]) -> str | None:
        """The journal tag of a sampled batch under ``"skip"``: fresh shots, a new job.

        Without a run identity every such batch is a new job, in this process or another
        (PennyLane's semantics). With one (``run_id``, which the trainer sets and keeps in its
        checkpoint), the tag is drawn from the execution's seeded stream, so a run repeated
        under the same identity and seeds (a resumed run) re-attaches to the jobs it paid for.
        """
        dev = self.device
        sampled = bool(self.tapes[next(iter(owners.values()))[0]].shots)
        if not sampled or dev.exact or dev.options.shots_policy is not ShotsReuse.SKIP:
            return None
        if self.run_id is None:
            return f"fresh:{secrets.token_hex(16)}"
        return f"{self.run_id}:{int(self.rng.integers(2**62))}"

    def _circuits(self, owners: Mapping[Any, list[int]], fps: list) -> list[Circuit]:
        dev = self.device
        circuits = []
        for indices in owners.values():
            tape, fp = self.tapes[indices[0]], fps[indices[0]]
            wires = dev.wire_order(tape)
            build = lambda tape=tape, wires=wires: compile_circuit(  # noqa: E731
                tape, gateset=dev.gateset.value, wire_order=wires, entangler=dev.entangler
            )
            template = (
                build()
                if fp is None or dev.cache is None
                else dev.cache.compiled((fp.structure, dev.gateset.value, dev.entangler), build)
            )
            circuits.append(
                Circuit(qubits=max(len(wires), 1), gates=tuple(template.bind(tape.data)),
                        gateset=dev.gateset)
            )  # fmt: skip
        return circuits

    def _submit(self, packed, owners, dists, keys) -> None:
        dev = self.device
        report = BatchReport()
        try:
            probabilities = dev._manager.run(packed, report=report)
        finally:
            self.job_ids.extend(j for j in report.job_ids if j)
            self.created += report.created
            self.reused += report.reused
            self.billed_usd += report.billed_usd
            self.queued_s += report.queued_s
            self.session_id = report.session_id or self.session_id
        dev.budget.settle(packed.estimate_usd, report.billed_usd if report.created else 0.0)
        self.submitted += len(packed.circuits)
        fresh = []
        for indices, probs in zip(owners.values(), probabilities, strict=True):
            tape = self.tapes[indices[0]]
            dist = Distribution.from_ionq(probs, n_qubits=max(len(dev.wire_order(tape)), 1))
            for i in indices:
                dists[i] = dist
            fresh.append((keys[indices[0]], dist))
        if dev.cache is not None:  # all or none: a part cached would be paid for again
            dev.cache.put_many(fresh)

    def track(
        self, tracker: Any, circuits: QuantumScriptBatch, results: Any, *, with_results: bool
    ) -> None:
        """PennyLane's per-circuit keys, then the batch's; a failed batch records the batch's
        keys and its ``executions`` only. ``results`` are recorded here unless preprocessing
        records them for the circuits as given (:func:`~.track_results`, after this)."""
        failed = (
            {}
            if results is not None
            else {"executions": sum(max(c.batch_size or 1, 1) for c in circuits)}
        )
        if results is not None:
            record_circuits(tracker, circuits, results, with_results=with_results)
        session = {} if self.session_id is None else {"session_id": self.session_id}
        tracker.update(
            **session,
            batches=1,
            batch_len=len(circuits),
            circuits=len(self.tapes),
            submitted_circuits=self.submitted,
            submitted_shots=self.shots,
            jobs=len(self.job_ids),
            job_ids=list(self.job_ids),
            jobs_created=self.created,
            journal_reuses=self.reused,
            estimated_cost_usd=self.estimated_usd,
            billed_cost_usd=self.billed_usd,
            cache_hits=self.hits,
            queued_seconds=self.queued_s,
            **failed,
        )
        tracker.record()


def nan_like(tape: QuantumScript) -> Any:
    """NaN results shaped like ``tape``'s (what a dry run returns)."""

    def one(m: Any) -> Any:
        if isinstance(m, ProbabilityMP):
            return np.full(2 ** len(m.wires), math.nan)
        return np.float64(math.nan)

    values = [one(m) for m in tape.measurements]
    result = values[0] if len(values) == 1 else tuple(values)
    return tuple(result for _ in tape.shots) if tape.shots.has_partitioned_shots else result
