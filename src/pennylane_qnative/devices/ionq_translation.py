"""Translation of PennyLane circuits into IonQ JSON circuits (``qis`` and ``native``).

The gate set is the device's capabilities file, ``ionq.toml``: :func:`qis_supports` and
:func:`native_supports` (the device's decomposition stopping condition) read it. Translation is
a :func:`functools.singledispatch` table, one short function per PennyLane operation, whose
default raises :class:`~pennylane_qnative.exceptions.UnsupportedCircuitError` naming the
operation; a test checks that the table translates exactly the operations of ``ionq.toml``.

A circuit is *compiled* once per structure into a :class:`CircuitTemplate` (the table is
consulted once per gate); circuits of the same structure only *bind* their parameters
(:meth:`CircuitTemplate.bind`), which is what the compiled level of the cache stores.

``qis``: :func:`qis_gate` maps each supported PennyLane gate to an IonQ gate; rotations carry
their angle in radians (``rotation``).

``native``: single-qubit gates become ``gpi2`` pulses with *virtual Z* phase tracking (every
``RZ`` is free: it shifts the phases of the later pulses on its qubit and, being diagonal, is
dropped before the measurement); ``IsingXX`` becomes ``ms`` (Aria-class backends) and
``IsingZZ`` becomes ``zz`` (Forte-class backends); ``CNOT`` and ``CZ`` are rewritten into
those. Phases are in turns, as the contract says (``docs/ionq-api.md`` section 5.3).

Qubits are numbered by the device's wire order; IonQ results are little-endian (qubit 0 is the
least significant bit of a result key).

**Example**

>>> import pennylane as qp
>>> qis_gate(qp.adjoint(qp.S(0))), qis_supports(qp.Toffoli([0, 1, 2]))
('si', False)
>>> tape = qp.tape.QuantumScript([qp.RX(0.5, 0), qp.CNOT([0, 1])])
>>> compile_circuit(tape, gateset="qis", wire_order=[0, 1]).bind([0.25])
[{'gate': 'rx', 'rotation': 0.25, 'target': 0}, {'gate': 'cnot', 'control': 0, 'target': 1}]
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import singledispatch
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pennylane as qp
from pennylane.devices.capabilities import DeviceCapabilities
from pennylane.operation import Operator
from pennylane.ops.op_math import Adjoint, CompositeOp, SymbolicOp

from pennylane_qnative.devices.ionq_ops import GPI, GPI2, MS, NativeZZ
from pennylane_qnative.exceptions import UnsupportedCircuitError
from pennylane_qnative.ionq.backends import NATIVE_ENTANGLERS

__all__ = [
    "CAPABILITIES_FILE",
    "NATIVE_TWO_QUBIT",
    "NO_OPS",
    "QIS_OPERATIONS",
    "CircuitTemplate",
    "compile_circuit",
    "native_supports",
    "qis_gate",
    "qis_supports",
    "translatable",
    "zyz_angles",
]

TWO_PI = 2 * math.pi

CAPABILITIES_FILE = Path(__file__).with_name("ionq.toml")
"""The device's capabilities file: its gate set."""
QIS_OPERATIONS = frozenset(DeviceCapabilities.from_toml_file(str(CAPABILITIES_FILE)).gate_set())
"""Names of the PennyLane operations the ``qis`` gate set runs (``ionq.toml``)."""
with CAPABILITIES_FILE.open("rb") as _file:
    _NATIVE = tomllib.load(_file)["qnative"]["native"]
NATIVE_TWO_QUBIT: dict[str, frozenset[str]] = {
    entangler: frozenset(_NATIVE["two_qubit"]) | frozenset(_NATIVE["pulses"][entangler])
    for entangler in NATIVE_ENTANGLERS
}
"""Two-qubit gates each native entangler executes (``ionq.toml``, ``[qnative.native]``): the
rewritten gates, and the entangler's own pulse (:class:`~.ionq_ops.MS` or
:class:`~.ionq_ops.NativeZZ`)."""


_HINTS = {
    "qis": "decompose it into the gates of ionq.toml first, e.g. with "
    "qp.transforms.decompose(tape, gate_set=QIS_OPERATIONS)",
    "native": "decompose it into single-qubit gates and CNOT, CZ, IsingXX or IsingZZ first",
}


def _unsupported(op: Operator, gateset: str) -> UnsupportedCircuitError:
    """The error for an operation the ``gateset`` table cannot translate."""
    return UnsupportedCircuitError(
        f"{op.name} on wires {op.wires.tolist()} has no IonQ {gateset!r} translation. "
        "qnative.ionq decomposes circuits into its gate set before translating them, so this "
        f"operation reached translation undecomposed: {_HINTS[gateset]} (or report it if the "
        "device sent it)."
    )


# --- the qis table: PennyLane operation -> IonQ qis gate name (None: no gate) -------------------


@singledispatch
def qis_gate(op: Operator) -> str | None:
    """The IonQ ``qis`` gate ``op`` translates to (``None``: it compiles to nothing).

    Raises:
        UnsupportedCircuitError: for an operation outside the ``qis`` gate set, naming it
    """
    raise _unsupported(op, "qis")


@qis_gate.register
def _(op: qp.PauliX) -> str:
    return "x"


@qis_gate.register
def _(op: qp.PauliY) -> str:
    return "y"


@qis_gate.register
def _(op: qp.PauliZ) -> str:
    return "z"


@qis_gate.register
def _(op: qp.Hadamard) -> str:
    return "h"


@qis_gate.register
def _(op: qp.S) -> str:
    return "s"


@qis_gate.register
def _(op: qp.T) -> str:
    return "t"


@qis_gate.register
def _(op: qp.SX) -> str:
    return "v"


@qis_gate.register
def _(op: qp.CNOT) -> str:
    return "cnot"


@qis_gate.register
def _(op: qp.SWAP) -> str:
    return "swap"


@qis_gate.register
def _(op: qp.RX) -> str:
    return "rx"


@qis_gate.register
def _(op: qp.RY) -> str:
    return "ry"


@qis_gate.register
def _(op: qp.RZ) -> str:
    return "rz"


@qis_gate.register
def _(op: qp.IsingXX) -> str:
    return "xx"


@qis_gate.register
def _(op: qp.IsingYY) -> str:
    return "yy"


@qis_gate.register
def _(op: qp.IsingZZ) -> str:
    return "zz"


@qis_gate.register(qp.Identity)
@qis_gate.register(qp.GlobalPhase)
@qis_gate.register(qp.Barrier)
def _no_op(op: Operator) -> None:
    """No effect on measured probabilities: no gate."""
    return None


@qis_gate.register
def _(op: Adjoint) -> str:
    return _qis_adjoint(op.base, op)


@singledispatch
def _qis_adjoint(base: Operator, op: Adjoint) -> str:
    """The ``qis`` gate of ``op = Adjoint(base)``."""
    raise _unsupported(op, "qis")


@_qis_adjoint.register
def _(base: qp.S, op: Adjoint) -> str:
    return "si"


@_qis_adjoint.register
def _(base: qp.T, op: Adjoint) -> str:
    return "ti"


@_qis_adjoint.register
def _(base: qp.SX, op: Adjoint) -> str:
    return "vi"


NO_OPS = frozenset(cls.__name__ for cls, fn in qis_gate.registry.items() if fn is _no_op)
"""Operations with no effect on measured probabilities: compiled to nothing."""


def qis_supports(op: Operator) -> bool:
    """Whether ``op`` translates directly to a ``qis`` gate (or to nothing): ``ionq.toml``."""
    return op.name in QIS_OPERATIONS


def native_supports(op: Operator, entangler: str) -> bool:
    """Whether ``op`` compiles directly to ``native`` gates with ``entangler`` (ms or zz)."""
    if op.name in NATIVE_TWO_QUBIT[entangler] or op.name in NO_OPS:
        return True
    if isinstance(op, MS | NativeZZ):
        return False  # the other entangler's pulse: decomposed
    if op.data and isinstance(op, SymbolicOp | CompositeOp):
        return False  # rebinding their parameters is not uniform: decompose them first
    return len(op.wires) == 1 and op.has_matrix


# --- compiled templates -------------------------------------------------------------------------

Emit = Callable[..., None]
"""A native step's pulse emitter: ``emit(frames, entangler, step, data, out)``."""


class _Step(NamedTuple):
    """One source gate: its kind, qubit indices and where its parameters sit in the tape."""

    name: str
    qubits: tuple[int, ...]
    params: slice
    op: Operator  # the source gate, for matrices of single-qubit gates
    angles: tuple[float, float, float] | None = None  # ZYZ angles of a parameter-free gate
    gate: str | None = None  # qis: the IonQ gate
    emit: Emit | None = None  # native: what emits its pulses


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
            return [_qis_bind(step, data) for step in self.steps]
        frames, out, entangler = _Frames(self.qubits), [], self.entangler
        for step in self.steps:
            step.emit(frames, entangler, step, data, out)
        return out


def compile_circuit(
    tape: Any, *, gateset: str, wire_order: Sequence[Any], entangler: str = "ms"
) -> CircuitTemplate:
    """Compile the operations of ``tape`` (already decomposed for ``gateset``).

    Raises:
        UnsupportedCircuitError: for a gate the gate set cannot express, naming it
    """
    index = {wire: i for i, wire in enumerate(wire_order)}
    steps, position = [], 0
    for op in tape.operations:
        n = len(op.data)
        params = slice(position, position + n)
        position += n
        if gateset == "qis":
            gate = qis_gate(op)
            if gate is not None:
                steps.append(
                    _Step(op.name, tuple(index[w] for w in op.wires), params, op, gate=gate)
                )
            continue
        emit = _native_step(op)
        if emit is not None:
            qubits = tuple(index[w] for w in op.wires)
            angles = zyz_angles(qp.matrix(op)) if emit is _emit_fixed else None
            steps.append(_Step(op.name, qubits, params, op, angles, emit=emit))
    return CircuitTemplate(gateset, len(wire_order), tuple(steps), entangler)


def translatable(gateset: str = "qis", entangler: str = "ms") -> frozenset[str]:
    """Names of the operations the translation table handles by name.

    ``qis``: every operation :func:`qis_gate` translates (compare ``ionq.toml``'s gates);
    ``native``: the two-qubit gates of the native table that ``entangler`` runs (compare
    ``ionq.toml``'s ``[qnative.native]``; single-qubit gates with a matrix compile generically).
    """
    if gateset == "native":
        other = {"ms": NativeZZ, "zz": MS}[entangler]  # the other entangler's pulse
        return frozenset(
            c.__name__ for c in _native_step.registry if _two_qubit_class(c) and c is not other
        )
    names = {c.__name__ for c in qis_gate.registry if c not in (object, Adjoint)}
    adjoints = {f"Adjoint({c.__name__})" for c in _qis_adjoint.registry if c is not object}
    return frozenset(names | adjoints)


def _two_qubit_class(cls: type) -> bool:
    return getattr(cls, "num_wires", None) == 2


def _qis_bind(step: _Step, data: Sequence[float]) -> dict[str, Any]:
    """The IonQ gate of a qis step (``data``: all the tape's parameters)."""
    gate, qubits, first = step.gate, step.qubits, step.params.start
    if first == step.params.stop:  # no parameter
        if gate == "cnot":
            return {"gate": gate, "control": qubits[0], "target": qubits[1]}
        if len(qubits) == 1:
            return {"gate": gate, "target": qubits[0]}
        return {"gate": gate, "targets": list(qubits)}
    if len(qubits) == 1:
        return {"gate": gate, "rotation": data[first], "target": qubits[0]}
    return {"gate": gate, "rotation": data[first], "targets": list(qubits)}


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


# Emitters: emit(frames, entangler, step, data, out) appends a step's pulses to ``out``; ``data``
# holds all the tape's parameters (the step's are ``data[step.params]``).


def _emit_rz(frames, entangler, step, data, out) -> None:
    """RZ is virtual: it only shifts the qubit's frame."""
    frames.angle[step.qubits[0]] += data[step.params.start]


def _emit_ry(frames, entangler, step, data, out) -> None:
    """RY(b) = GPI2(0) RZ(-b) GPI2(0.5), as :func:`_ry` (inlined: the commonest pulse)."""
    q = step.qubits[0]
    out.append({"gate": "gpi2", "target": q, "phase": frames.phase(q, 0.5)})
    frames.angle[q] -= data[step.params.start]
    out.append({"gate": "gpi2", "target": q, "phase": frames.phase(q, 0.0)})


def _emit_fixed(frames, entangler, step, data, out) -> None:
    """A gate without parameters: its ZYZ angles were computed at compile time."""
    _single(frames, step.qubits[0], step.angles, out)


def _emit_bound(frames, entangler, step, data, out) -> None:
    """A parametrised single-qubit gate: its matrix at these parameters."""
    op = qp.ops.functions.bind_new_parameters(step.op, data[step.params])
    _single(frames, step.qubits[0], zyz_angles(qp.matrix(op)), out)


def _emit_cnot(frames, entangler, step, data, out) -> None:
    """CNOT = RY_c(pi/2), XX(pi/2), RX_c(-pi/2), RX_t(-pi/2), RY_c(-pi/2) (time order)."""
    a, b = step.qubits
    _single(frames, a, _RY_HALF, out)
    _entangle(frames, entangler, a, b, math.pi / 2, out)
    _single(frames, a, _RX_MINUS_HALF, out)
    _single(frames, b, _RX_MINUS_HALF, out)
    _single(frames, a, _RY_MINUS_HALF, out)


def _emit_cz(frames, entangler, step, data, out) -> None:
    """CZ = H_t CNOT H_t."""
    _single(frames, step.qubits[1], _HADAMARD, out)
    _emit_cnot(frames, entangler, step, data, out)
    _single(frames, step.qubits[1], _HADAMARD, out)


def _emit_xx(frames, entangler, step, data, out) -> None:
    _entangle(frames, entangler, *step.qubits, data[step.params.start], out)


def _emit_zz(frames, entangler, step, data, out) -> None:
    a, b = step.qubits
    theta = data[step.params.start]
    if entangler == "zz":
        _zz(a, b, theta, out)
        return
    for q in (a, b):  # on an MS backend: H H XX H H
        _single(frames, q, _HADAMARD, out)
    _entangle(frames, entangler, a, b, theta, out)
    for q in (a, b):
        _single(frames, q, _HADAMARD, out)


def _emit_pulse(frames, entangler, step, data, out) -> None:
    """A native pulse (:mod:`~.ionq_ops`), its phases corrected for the frames so far (none
    in a circuit :func:`~.compile_native` made: its pulses are emitted as they are)."""
    q, params = step.qubits, data[step.params]
    if len(q) == 1:
        gate = "gpi" if step.name == "GPI" else "gpi2"
        out.append({"gate": gate, "target": q[0], "phase": frames.phase(q[0], params[0])})
    elif step.name == "MS":
        phases = [frames.phase(q[0], params[0]), frames.phase(q[1], params[1])]
        out.append({"gate": "ms", "targets": list(q), "phases": phases, "angle": params[2]})
    else:  # zz commutes with the frames' Z rotations
        out.append({"gate": "zz", "targets": list(q), "angle": params[0]})


# --- the native table: PennyLane operation -> pulse emitter (None: no pulse) -------------------


@singledispatch
def _native_step(op: Operator) -> Emit | None:
    """Any other single-qubit gate with a matrix compiles through its ZYZ angles.

    Raises:
        UnsupportedCircuitError: for anything else (the device decomposes it first)
    """
    if op.data and isinstance(op, SymbolicOp | CompositeOp):
        raise _unsupported(op, "native")  # rebinding their parameters is not uniform
    if len(op.wires) != 1 or not op.has_matrix:
        raise _unsupported(op, "native")
    return _emit_bound if op.data else _emit_fixed


_native_step.register(qp.Identity, _no_op)
_native_step.register(qp.GlobalPhase, _no_op)
_native_step.register(qp.Barrier, _no_op)


@_native_step.register(GPI)
@_native_step.register(GPI2)
@_native_step.register(MS)
@_native_step.register(NativeZZ)
def _pulse(op: Operator) -> Emit:
    return _emit_pulse


@_native_step.register
def _(op: qp.RZ) -> Emit:
    return _emit_rz


@_native_step.register
def _(op: qp.RY) -> Emit:
    return _emit_ry


@_native_step.register
def _(op: qp.CNOT) -> Emit:
    return _emit_cnot


@_native_step.register
def _(op: qp.CZ) -> Emit:
    return _emit_cz


@_native_step.register
def _(op: qp.IsingXX) -> Emit:
    return _emit_xx


@_native_step.register
def _(op: qp.IsingZZ) -> Emit:
    return _emit_zz
