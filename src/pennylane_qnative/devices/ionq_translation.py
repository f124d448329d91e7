"""Translation of PennyLane circuits into IonQ JSON circuits (``qis`` and ``native``).

A circuit is *compiled* once per structure into a :class:`CircuitTemplate`; circuits of the
same structure only *bind* their parameters (:meth:`CircuitTemplate.bind`), which is what the
compiled level of the cache stores.

``qis``: a dispatch table maps each supported PennyLane gate to an IonQ gate; rotations carry
their angle in radians (``rotation``).

``native``: single-qubit gates become ``gpi2`` pulses with *virtual Z* phase tracking (every
``RZ`` is free: it shifts the phases of the later pulses on its qubit and, being diagonal, is
dropped before the measurement); ``IsingXX`` becomes ``ms`` (Aria-class backends) and
``IsingZZ`` becomes ``zz`` (Forte-class backends); ``CNOT`` and ``CZ`` are rewritten into
those. Phases are in turns, as the contract says (``docs/ionq-api.md`` section 5.3).

Qubits are numbered by the device's wire order; IonQ results are little-endian (qubit 0 is the
least significant bit of a result key).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pennylane as qp
from pennylane.ops.op_math import CompositeOp, SymbolicOp

from pennylane_qnative.exceptions import UnsupportedCircuitError

__all__ = [
    "NATIVE_TWO_QUBIT",
    "NO_OPS",
    "QIS_GATES",
    "CircuitTemplate",
    "compile_circuit",
    "native_supports",
    "qis_supports",
    "zyz_angles",
]

TWO_PI = 2 * math.pi

# PennyLane name -> IonQ qis gate, for gates without parameters.
QIS_GATES: dict[str, str] = {
    "PauliX": "x",
    "PauliY": "y",
    "PauliZ": "z",
    "Hadamard": "h",
    "S": "s",
    "Adjoint(S)": "si",
    "T": "t",
    "Adjoint(T)": "ti",
    "SX": "v",
    "Adjoint(SX)": "vi",
    "CNOT": "cnot",
    "SWAP": "swap",
}
# PennyLane name -> IonQ qis gate, for one-angle rotations (``rotation`` in radians).
QIS_ROTATIONS: dict[str, str] = {
    "RX": "rx",
    "RY": "ry",
    "RZ": "rz",
    "IsingXX": "xx",
    "IsingYY": "yy",
    "IsingZZ": "zz",
}
# Two-qubit gates each native family executes.
NATIVE_TWO_QUBIT: dict[str, frozenset[str]] = {
    "ms": frozenset({"IsingXX", "IsingZZ", "CNOT", "CZ"}),
    "zz": frozenset({"IsingXX", "IsingZZ", "CNOT", "CZ"}),
}


# Operations with no effect on measured probabilities: compiled to nothing.
NO_OPS = frozenset({"GlobalPhase", "Identity", "Barrier"})


def qis_supports(op: qp.operation.Operator) -> bool:
    """Whether ``op`` translates directly to a ``qis`` gate (or to nothing)."""
    return op.name in QIS_GATES or op.name in QIS_ROTATIONS or op.name in NO_OPS


def native_supports(op: qp.operation.Operator, entangler: str) -> bool:
    """Whether ``op`` compiles directly to ``native`` gates with ``entangler`` (ms or zz)."""
    if op.name in NATIVE_TWO_QUBIT[entangler] or op.name in NO_OPS:
        return True
    if op.data and isinstance(op, SymbolicOp | CompositeOp):
        return False  # rebinding their parameters is not uniform: decompose them first
    return len(op.wires) == 1 and op.has_matrix


@dataclass(frozen=True, slots=True)
class _Step:
    """One source gate: its kind, qubit indices and where its parameters sit in the tape."""

    name: str
    qubits: tuple[int, ...]
    params: slice
    op: qp.operation.Operator  # the source gate, for matrices of single-qubit gates
    angles: tuple[float, float, float] | None = None  # ZYZ angles of a parameter-free gate


@dataclass(frozen=True, slots=True)
class CircuitTemplate:
    """A circuit structure compiled for one gate set; :meth:`bind` makes IonQ gates.

    Attributes:
        gateset (str): ``"qis"`` or ``"native"``
        qubits (int): number of qubits of the IonQ circuit
        steps (tuple): the compiled gates
        entangler (str): native two-qubit gate, ``"ms"`` or ``"zz"``
    """

    gateset: str
    qubits: int
    steps: tuple[_Step, ...]
    entangler: str = "ms"

    def bind(self, parameters: Sequence[float]) -> list[dict[str, Any]]:
        """The IonQ gate list for the tape parameters ``parameters`` (``tape.data`` order)."""
        data = [float(p) if np.ndim(p) == 0 else p for p in parameters]
        if self.gateset == "qis":
            return [_qis_gate(step, data[step.params]) for step in self.steps]
        return _native_gates(self.steps, data, self.qubits, self.entangler)


def compile_circuit(
    tape: Any, *, gateset: str, wire_order: Sequence[Any], entangler: str = "ms"
) -> CircuitTemplate:
    """Compile the operations of ``tape`` (already decomposed for ``gateset``).

    Raises:
        UnsupportedCircuitError: for a gate the gate set cannot express, naming it
    """
    index = {wire: i for i, wire in enumerate(wire_order)}
    supported: Callable[[Any], bool] = (
        qis_supports if gateset == "qis" else lambda op: native_supports(op, entangler)
    )
    steps, position = [], 0
    for op in tape.operations:
        n = len(op.data)
        if not supported(op):
            raise UnsupportedCircuitError(
                f"{op.name} on wires {op.wires.tolist()} has no IonQ {gateset!r} translation "
                f"(entangler {entangler!r}); the device decomposes supported circuits, so this "
                "gate reached translation undecomposed: report it, or decompose it yourself."
            )
        if op.name not in NO_OPS:
            qubits = tuple(index[w] for w in op.wires)
            fixed = gateset == "native" and n == 0 and len(qubits) == 1
            angles = zyz_angles(qp.matrix(op)) if fixed else None
            steps.append(_Step(op.name, qubits, slice(position, position + n), op, angles))
        position += n
    return CircuitTemplate(gateset, len(wire_order), tuple(steps), entangler)


# --- qis ----------------------------------------------------------------------------------------


def _qis_gate(step: _Step, params: Sequence[float]) -> dict[str, Any]:
    qubits = step.qubits
    if step.name in QIS_ROTATIONS:
        gate = {"gate": QIS_ROTATIONS[step.name], "rotation": params[0]}
    else:
        gate = {"gate": QIS_GATES[step.name]}
    if step.name == "CNOT":
        gate.update(control=qubits[0], target=qubits[1])
    elif len(qubits) == 1:
        gate["target"] = qubits[0]
    else:
        gate["targets"] = list(qubits)
    return gate


# --- native -------------------------------------------------------------------------------------


def zyz_angles(matrix: np.ndarray) -> tuple[float, float, float]:
    """Angles ``(alpha, beta, gamma)`` with ``matrix ~ RZ(alpha) RY(beta) RZ(gamma)``.

    Equality holds up to a global phase. In time order the circuit is ``RZ(gamma)``, then
    ``RY(beta)``, then ``RZ(alpha)``.
    """
    u = np.asarray(matrix, dtype=complex)
    u = u / np.sqrt(np.linalg.det(u))
    beta = 2.0 * math.atan2(abs(u[1, 0]), abs(u[0, 0]))
    # u11 = e^{i(a+g)/2} cos(b/2) and u10 = e^{i(a-g)/2} sin(b/2): read the *half* angles
    # (differences of phases would lose a 2 pi that flips the sign of RY)
    half_sum = float(np.angle(u[1, 1]))
    half_diff = float(np.angle(u[1, 0]))
    return half_sum + half_diff, beta, half_sum - half_diff


class _Frames:
    """Virtual-Z frames: the RZ angle pushed past each qubit so far (radians)."""

    def __init__(self, n: int) -> None:
        self.angle = [0.0] * n

    def phase(self, qubit: int, phase_turns: float) -> float:
        """A pulse phase (turns) corrected for the qubit's frame, in [0, 1)."""
        return (phase_turns - self.angle[qubit] / TWO_PI) % 1.0


def _ry(frames: _Frames, q: int, beta: float, out: list[dict[str, Any]]) -> None:
    # RY(b) = GPI2(0) RZ(-b) GPI2(0.5): in time order GPI2(0.5), RZ(-b), GPI2(0).
    out.append({"gate": "gpi2", "target": q, "phase": frames.phase(q, 0.5)})
    frames.angle[q] -= beta
    out.append({"gate": "gpi2", "target": q, "phase": frames.phase(q, 0.0)})


def _single(frames: _Frames, q: int, angles: tuple, out: list[dict[str, Any]]) -> None:
    """A single-qubit gate given by its ZYZ angles (see :func:`zyz_angles`)."""
    alpha, beta, gamma = angles
    frames.angle[q] += gamma
    if not math.isclose(beta, 0.0, abs_tol=1e-12):
        _ry(frames, q, beta, out)
    frames.angle[q] += alpha


def _ms(frames: _Frames, a: int, b: int, theta: float, out: list[dict[str, Any]]) -> None:
    """``IsingXX(theta) = exp(-i theta/2 XX)`` as MS pulses (each angle at most 0.25 turn)."""
    turns = math.remainder(theta / TWO_PI, 1.0)  # in [-0.5, 0.5]; period 2 pi up to phase
    flip = 0.5 if turns < 0 else 0.0  # sigma_(phi + 1/2) = -sigma_phi
    remaining = abs(turns)
    while remaining > 1e-15:
        angle = min(remaining, 0.25)
        phases = [frames.phase(a, flip), frames.phase(b, 0.0)]
        out.append({"gate": "ms", "targets": [a, b], "phases": phases, "angle": angle})
        remaining -= angle


def _zz(a: int, b: int, theta: float, out: list[dict[str, Any]]) -> None:
    """``IsingZZ(theta) = exp(-i theta/2 ZZ)`` = native ``zz(theta / 2 pi)`` (commutes with Z)."""
    out.append({"gate": "zz", "targets": [a, b], "angle": math.remainder(theta / TWO_PI, 1.0)})


# ZYZ angles of the fixed gates the two-qubit rewrites use (computed once)
_RX_MINUS_HALF = zyz_angles(qp.matrix(qp.RX(-math.pi / 2, 0)))
_RY_HALF = zyz_angles(qp.matrix(qp.RY(math.pi / 2, 0)))
_RY_MINUS_HALF = zyz_angles(qp.matrix(qp.RY(-math.pi / 2, 0)))
_HADAMARD = zyz_angles(qp.matrix(qp.Hadamard(0)))


def _entangle(frames, entangler, a, b, theta, out) -> None:
    """``exp(-i theta/2 XX)`` on (a, b) with the backend's entangler."""
    if entangler == "ms":
        _ms(frames, a, b, theta, out)
        return
    for q in (a, b):
        _single(frames, q, _HADAMARD, out)
    _zz(a, b, theta, out)
    for q in (a, b):
        _single(frames, q, _HADAMARD, out)


def _two_qubit(frames, entangler, step, params, out) -> None:
    a, b = step.qubits
    if step.name == "IsingZZ" and entangler == "zz":
        _zz(a, b, params[0], out)
    elif step.name == "IsingXX":
        _entangle(frames, entangler, a, b, params[0], out)
    elif step.name == "CNOT":
        # CNOT = RY_c(pi/2), XX(pi/2), RX_c(-pi/2), RX_t(-pi/2), RY_c(-pi/2) (time order).
        _single(frames, a, _RY_HALF, out)
        _entangle(frames, entangler, a, b, math.pi / 2, out)
        _single(frames, a, _RX_MINUS_HALF, out)
        _single(frames, b, _RX_MINUS_HALF, out)
        _single(frames, a, _RY_MINUS_HALF, out)
    elif step.name == "CZ":
        _single(frames, b, _HADAMARD, out)
        _two_qubit(frames, entangler, _Step("CNOT", (a, b), slice(0, 0), step.op), (), out)
        _single(frames, b, _HADAMARD, out)
    else:  # IsingZZ on an MS backend: H H XX H H
        for q in (a, b):
            _single(frames, q, _HADAMARD, out)
        _entangle(frames, entangler, a, b, params[0], out)
        for q in (a, b):
            _single(frames, q, _HADAMARD, out)


def _native_gates(steps, data, n_qubits: int, entangler: str) -> list[dict[str, Any]]:
    frames, out = _Frames(n_qubits), []
    for step in steps:
        params = data[step.params]
        if len(step.qubits) == 2:
            _two_qubit(frames, entangler, step, params, out)
        elif step.name == "RZ":
            frames.angle[step.qubits[0]] += params[0]
        elif step.name == "RY":
            _ry(frames, step.qubits[0], params[0], out)
        elif step.angles is not None:  # a gate without parameters: angles from compile time
            _single(frames, step.qubits[0], step.angles, out)
        else:
            op = qp.ops.functions.bind_new_parameters(step.op, params)
            _single(frames, step.qubits[0], zyz_angles(qp.matrix(op)), out)
    return out
