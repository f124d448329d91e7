"""Preprocessing transforms of ``qnative.ionq``: what IonQ needs, checked before submission.

:func:`lowering` splits, diagonalises and decomposes a circuit for a gate set (and drops the
gates that compile to nothing); :func:`lowered` says whether a circuit (e.g. one a gradient
transform generated from a lowered circuit) already is; :func:`validate_for_ionq` refuses what
IonQ would refuse or bill for nothing; :func:`compile_native`, last with ``gateset="native"``,
compiles a circuit into IonQ's native pulses (:mod:`~pennylane_qnative.devices.ionq_ops`), so
the circuits preprocessing hands to ``execute`` are the ones billed: ``qp.specs(qnode,
level="device")`` counts their gates as IonQ does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pennylane as qp
from pennylane.devices.preprocess import decompose
from pennylane.tape import QuantumScript, QuantumScriptBatch
from pennylane.transforms import diagonalize_measurements, split_non_commuting
from pennylane.transforms.core import transform

from pennylane_qnative.devices.ionq_ops import from_ionq
from pennylane_qnative.devices.ionq_translation import NO_OPS, compile_circuit
from pennylane_qnative.devices.validation import check_finite_parameters
from pennylane_qnative.exceptions import UnsupportedCircuitError
from pennylane_qnative.execution.batching import split_broadcasts
from pennylane_qnative.ionq.backends import MAX_SHOTS

__all__ = [
    "compile_native",
    "diagonalize_general_observables",
    "drop_no_ops",
    "lowered",
    "lowering",
    "validate_for_ionq",
]


def lowering(stops: Callable[[qp.operation.Operator], bool], name: str) -> qp.CompilePipeline:
    """Split, diagonalise and decompose (until ``stops``): what IonQ needs of every circuit."""
    program = qp.CompilePipeline()
    program.add_transform(split_non_commuting, grouping_strategy="qwc")
    program.add_transform(diagonalize_general_observables)
    program.add_transform(diagonalize_measurements)
    program.add_transform(
        decompose, stopping_condition=stops, skip_initial_state_prep=False, name=name
    )
    program.add_transform(drop_no_ops)
    return program


def lowered(tape: QuantumScript, stops: Callable[[qp.operation.Operator], bool]) -> bool:
    """Whether ``tape`` needs no lowering: every gate stops, every measurement is diagonal."""
    for m in tape.measurements:
        obs = m.obs
        if obs is None:
            continue
        rep = obs.pauli_rep
        if rep is None or len(rep) != 1 or any(set(word.values()) - {"Z"} for word in rep):
            return False
    return all(stops(op) for op in tape.operations)


@transform
def drop_no_ops(tape: QuantumScript) -> tuple[QuantumScriptBatch, Any]:
    """Remove the gates that compile to no IonQ gate (``Identity``, ``GlobalPhase``,
    ``Barrier``): they change no measured probability and are not billed."""
    if not any(op.name in NO_OPS for op in tape.operations):
        return (tape,), lambda results: results[0]
    kept = [op for op in tape.operations if op.name not in NO_OPS]
    return (tape.copy(operations=kept),), lambda results: results[0]


@transform
def compile_native(tape: QuantumScript, *, entangler: str) -> tuple[QuantumScriptBatch, Any]:
    """Compile a lowered circuit into IonQ's native pulses, the gates billed.

    Single-qubit gates become ``GPI2`` pulses with virtual-Z phases (``RZ`` is free), the
    two-qubit gates ``MS`` (``entangler="ms"``) or ``NativeZZ`` (``"zz"``); see
    :mod:`~pennylane_qnative.devices.ionq_translation`. A broadcast circuit becomes one
    circuit per parameter set (their phases differ), its results stacked back. ``execute``
    translates the pulses one to one, so the job is exactly this circuit. The pulses'
    parameters are plain numbers: the device compiles circuits that are differentiated
    again inside ``execute`` instead (see ``IonQDevice.preprocess_transforms``).
    """
    tapes, stack = split_broadcasts([tape])
    wires = tape.wires.labels
    template = compile_circuit(tapes[0], gateset="native", wire_order=wires, entangler=entangler)
    native = [
        tape.copy(operations=[from_ionq(g, wires) for g in template.bind(qp.math.unwrap(t.data))])
        for t in tapes
    ]
    if tape.batch_size is None:
        return native, lambda results: results[0]
    return native, lambda results: stack(results)[0]


@transform
def diagonalize_general_observables(tape: QuantumScript) -> tuple[QuantumScriptBatch, Any]:
    """Rotate non-Pauli observables (Hermitian, Projector, ...) into the computational basis.

    Runs after ``split_non_commuting``, which gives such observables wires of their own in
    each tape; Pauli observables are left to ``diagonalize_measurements``.
    """
    gates, measurements, seen = [], [], []
    for m in tape.measurements:
        obs = m.obs
        if obs is None or obs.pauli_rep is not None:
            measurements.append(m)
            continue
        if not any(qp.equal(obs, other) for other in seen):
            seen.append(obs)
            gates.extend(obs.diagonalizing_gates())
        measurements.append(type(m)(eigvals=obs.eigvals(), wires=obs.wires))
    if not seen:
        return (tape,), lambda results: results[0]
    new = tape.copy(operations=[*tape.operations, *gates], measurements=measurements)
    return (new,), lambda results: results[0]


@transform
def validate_for_ionq(
    tape: QuantumScript, *, qubits: int, exact: bool, target: str
) -> tuple[QuantumScriptBatch, Any]:
    """Refuse, before any submission, what IonQ would refuse or bill for nothing."""
    if len(tape.wires) > qubits:
        raise UnsupportedCircuitError(
            f"the circuit uses {len(tape.wires)} qubits but {target} has {qubits}."
        )
    shots = tape.shots
    if not shots and not exact:
        raise UnsupportedCircuitError(
            f"{target} returns sampled counts, not exact probabilities: set shots, e.g. "
            "qp.set_shots(qnode, shots=1000), or use target='simulator' without a noise model."
        )
    if shots and not 1 <= shots.total_shots <= MAX_SHOTS:
        raise UnsupportedCircuitError(
            f"IonQ accepts 1 to {MAX_SHOTS:,} shots per circuit, got {shots.total_shots}."
        )
    check_finite_parameters(tape)
    return (tape,), lambda results: results[0]
