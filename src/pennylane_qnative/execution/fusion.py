"""Circuit simplification before a simulator runs a circuit; every step is exact.

* **Rotation fusion** (:func:`fuse_rotations`): :math:`R_Y(a)\\,R_Y(b) = R_Y(a + b)`, and gates
  on other wires commute with both, so a rotation can be folded into the previous gate on its
  wire when that gate is a rotation of the same kind. An angle-encoded input followed by a
  trainable rotation (``RY(x)`` then ``RY(w)``, the reference model) costs one gate instead of
  two. Results are equal up to floating-point rounding (the angles are added instead of the
  matrices multiplied).
* **Readout pruning** (:func:`prune_unread`, :func:`unread_operations`): a gate that acts
  only on wires outside the *backward light cone* of the measured wires cannot change what is
  measured. Nor can a diagonal gate followed on its wires only by diagonal gates and basis
  permutations (``CNOT``, ``SWAP``, ``X``...) when every measurement is in the computational
  basis (``expval(Z(0))``, ``probs(wires)``, ``sample(wires)``): the state it leaves differs
  only in the phases of basis states. Both kinds of gate are dropped. A readout of ``Z(0)``
  after the reference model's CNOT chain sees 11 of its 46 gates, on 3 of its 8 wires, and
  PennyLane's simulator only simulates the wires a circuit acts on.
* :func:`simplify` does both, pruning first.

Pure functions; callers pass circuits with NumPy parameters (not framework tensors).

**Example**

>>> import pennylane as qp
>>> tape = qp.tape.QuantumScript(
...     [qp.RY(0.1, 0), qp.RX(0.2, 1), qp.RY(0.3, 0), qp.CNOT([0, 1]), qp.RY(0.4, 0)],
...     [qp.expval(qp.Z(0))],
... )
>>> [op.name for op in fuse_rotations(tape).operations]
['RY', 'RX', 'CNOT', 'RY']
>>> round(float(fuse_rotations(tape).operations[0].data[0]), 12)
0.4
>>> readout = qp.tape.QuantumScript(
...     [qp.RY(0.1, 0), qp.RY(0.2, 1), qp.RZ(0.3, 0), qp.CNOT([0, 1]), qp.RY(0.4, 2)],
...     [qp.expval(qp.Z(1))],
... )
>>> [op.name for op in prune_unread(readout).operations]  # RY on wire 2 unseen, RZ a phase
['RY', 'RY', 'CNOT']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pennylane.measurements import CountsMP, ExpectationMP, ProbabilityMP, SampleMP, VarianceMP
from pennylane.tape import QuantumScript

from pennylane_qnative.execution.rebinding import is_plain, rebound

__all__ = ["fuse_rotations", "prune_unread", "simplify", "unread_operations"]

# One-parameter, one-wire rotations whose angles add: R(a) R(b) = R(a + b).
_ADDITIVE = frozenset(["RX", "RY", "RZ", "PhaseShift"])

# Gates whose matrix is diagonal in the computational basis ...
_DIAGONAL = frozenset({
    "RZ", "PhaseShift", "PauliZ", "S", "T", "Adjoint(S)", "Adjoint(T)", "CZ", "CCZ",
    "ControlledPhaseShift", "CRZ", "IsingZZ", "MultiRZ", "DiagonalQubitUnitary", "Identity",
    "GlobalPhase",
})  # fmt: skip
# ... and gates that permute basis states (up to phases): a diagonal gate moves through them.
_PERMUTING = frozenset({
    "CNOT", "PauliX", "PauliY", "SWAP", "ISWAP", "Adjoint(ISWAP)", "CSWAP", "Toffoli", "CY",
    "MultiControlledX",
})  # fmt: skip
# Operations that see or change more than a unitary on their wires, or ask that nothing be
# optimised across them (a barrier): nothing is pruned.
_OPAQUE = frozenset(["Snapshot", "MidMeasureMP", "Projector", "PauliMeasure", "Barrier"])
# Measurements that depend only on the state of their wires.
_LOCAL = (ExpectationMP, VarianceMP, ProbabilityMP, SampleMP, CountsMP)


def fuse_rotations(tape: QuantumScript, structure: Sequence[Any] | None = None) -> QuantumScript:
    """``tape`` with each rotation folded into the previous gate on its wire when that gate
    is a rotation of the same kind.

    Args:
        tape (QuantumScript): a circuit with NumPy/Python parameters
        structure (Sequence | None): the circuit's fingerprint structure
            (:attr:`~pennylane_qnative.execution.cache.Fingerprint.structure`), whose entries
            start with each operation's name and wires: reading those is cheaper than asking
            the operations (controlled gates compute their wires on every access)

    Returns:
        QuantumScript: the fused circuit, or ``tape`` itself when nothing fuses
    """
    ops = tape.operations
    fused: list[Any] = []
    last: dict[Any, int] = {}  # wire -> index in ``fused`` of the last gate acting on it
    changed = False
    for k, op in enumerate(ops):
        if structure is None:
            name, wires = op.name, op.wires.labels
        else:
            name, wires = structure[k][0], structure[k][1]
        if name in _ADDITIVE and len(wires) == 1 and is_plain(op):
            j = last.get(wires[0])
            if j is not None and type(fused[j]) is type(op):
                previous = fused[j]
                fused[j] = rebound(previous, (previous.data[0] + op.data[0],))
                changed = True
                continue
        if not wires:  # a wireless operation (a snapshot, a barrier on all wires) sees all
            last.clear()
        for wire in wires:
            last[wire] = len(fused)
        fused.append(op)
    if not changed:
        return tape
    return QuantumScript(fused, tape.measurements, shots=tape.shots)


def prune_unread(tape: QuantumScript, structure: Sequence[Any] | None = None) -> QuantumScript:
    """``tape`` without the gates its measurements cannot see (:func:`unread_operations`).

    Args:
        tape (QuantumScript): a circuit
        structure (Sequence | None): the circuit's fingerprint structure, as for
            :func:`fuse_rotations`

    Returns:
        QuantumScript: the pruned circuit, or ``tape`` itself when every gate is seen, or when
        a measurement reads more than the state of its wires (the state, all wires, a
        mid-circuit result), or when pruning would drop the circuit's broadcast
    """
    if any(type(m) not in _LOCAL or not m.wires for m in tape.measurements):
        return tape
    dark = unread_operations(tape, structure)
    if not dark:
        return tape
    ops = [op for k, op in enumerate(tape.operations) if k not in dark]
    pruned = QuantumScript(ops, tape.measurements, shots=tape.shots)
    return pruned if pruned.batch_size == tape.batch_size else tape


def simplify(tape: QuantumScript, structure: Sequence[Any] | None = None) -> QuantumScript:
    """:func:`prune_unread`, then :func:`fuse_rotations` on what is left."""
    pruned = prune_unread(tape, structure)
    if pruned is not tape and structure is not None:
        kept = {id(op) for op in pruned.operations}
        structure = [e for op, e in zip(tape.operations, structure, strict=False) if id(op) in kept]
    return fuse_rotations(pruned, structure)


def unread_operations(
    tape: QuantumScript, structure: Sequence[Any] | None = None, *, phases: bool = True
) -> set[int] | None:
    """Indices of the operations that cannot change what ``tape`` measures.

    One backward pass. ``cone`` is the backward light cone of the measured wires (all wires for
    a measurement without any) through the operations kept so far: an operation outside it
    cannot be seen. With ``phases``, when every measurement is in the computational basis,
    ``blocked`` holds the wires on which a kept gate is neither diagonal nor a permutation: a
    diagonal gate on none of them only changes the phases of basis states before the readout.

    Args:
        tape (QuantumScript): a circuit
        structure (Sequence | None): its fingerprint structure, as for :func:`fuse_rotations`
        phases (bool): also count those diagonal gates (their derivatives are zero too)

    Returns:
        set[int] | None: the indices, or ``None`` when the circuit has mid-circuit measurements
        or snapshots (which see what the measurements do not), or a barrier
    """
    measurements = tape.measurements
    cone: set[Any] = set()
    for m in measurements:
        cone.update(m.wires.labels if len(m.wires) else tape.wires.labels)
    phases = phases and all(
        type(m) in _LOCAL and m.mv is None and (m.obs is None or _z_only(m.obs))
        for m in measurements
    )
    blocked: set[Any] = set()
    dark: set[int] = set()
    ops = tape.operations
    for k in range(len(ops) - 1, -1, -1):
        if structure is None:
            name, wires = ops[k].name, ops[k].wires.labels
        else:
            name, wires = structure[k][0], structure[k][1]
        if name in _OPAQUE or name.startswith("Conditional"):
            return None
        if cone.isdisjoint(wires):
            dark.add(k)  # outside the light cone (a global phase without wires too)
            continue
        if phases and blocked.isdisjoint(wires):
            if name in _DIAGONAL:
                dark.add(k)
                continue
            if name not in _PERMUTING:
                blocked.update(wires)
        else:
            blocked.update(wires)
        cone.update(wires)
    return dark


def _z_only(obs: Any) -> bool:
    """Whether ``obs`` is a combination of products of Pauli Z (diagonal in the basis)."""
    rep = obs.pauli_rep
    return rep is not None and all(set(word.values()) <= {"Z"} for word in rep)
