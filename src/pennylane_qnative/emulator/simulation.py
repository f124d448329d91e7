"""State-vector simulation of IonQ JSON circuits (``qis`` and ``native`` gate sets).

The state of ``n`` qubits is a complex tensor of shape ``(2,) * n`` whose axis ``k`` is qubit
``k``. A gate on ``m`` target qubits is a ``2**m x 2**m`` matrix whose first target is the most
significant bit of its basis (PennyLane's convention); it is applied with one
:func:`numpy.tensordot` on the target axes. Controls are applied by slicing the sub-tensor where
every control is ``|1>``, so a multi-controlled gate never builds a big matrix.

Conventions follow the contract (``docs/ionq-api.md`` section 5):

* ``qis`` rotations (``rx ry rz xx yy zz``) take ``rotation`` in radians, ``exp(-i θ/2 sigma)``;
* native gates take phases in **turns**: ``gpi(φ)``, ``gpi2(φ)``, ``ms(φ0, φ1, θ=0.25)``
  ``= exp(-iπθ sigma_φ0 ⊗ sigma_φ1)``, ``zz(θ) = exp(-iπθ Z⊗Z)`` (``phase`` accepted as an alias of
  ``angle``); ``nop`` is the identity;
* ``pauliexp`` is ``exp(-i·time·Σ c_j P_j)``, each term string little-endian with respect to
  ``targets`` (its last character acts on ``targets[0]``);
* results are **little-endian**: bit ``i`` of a basis-state integer is qubit ``i``.

**Example**

>>> from pennylane_qnative.emulator.simulation import probabilities
>>> bell = [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}]
>>> {k: round(v, 6) for k, v in sparse(probabilities(bell, 2)).items()}
{'0': 0.5, '3': 0.5}
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import reduce
from typing import Any

import numpy as np

from pennylane_qnative.ionq.backends import BACKENDS, NATIVE_GATES, QIS_GATES

__all__ = [
    "MAX_QUBITS",
    "GateError",
    "gate_matrix",
    "gate_wires",
    "probabilities",
    "sample_counts",
    "simulate",
    "sparse",
]

MAX_QUBITS = BACKENDS["simulator"].qubits
"""The largest register the emulator will simulate (the IonQ simulator's limit)."""

_I2 = np.eye(2, dtype=complex)
_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
_Z = np.array([[1, 0], [0, -1]], dtype=complex)
_H = np.array([[1, 1], [1, -1]], dtype=complex) / math.sqrt(2)
_S = np.diag([1, 1j]).astype(complex)
_T = np.diag([1, np.exp(1j * np.pi / 4)])
_V = 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]])
_SWAP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex)
_PAULI = {"I": _I2, "X": _X, "Y": _Y, "Z": _Z}

_FIXED = {
    "x": _X,
    "not": _X,
    "cnot": _X,
    "y": _Y,
    "z": _Z,
    "h": _H,
    "s": _S,
    "si": _S.conj().T,
    "t": _T,
    "ti": _T.conj().T,
    "v": _V,
    "vi": _V.conj().T,
    "swap": _SWAP,
}
_ROTATIONS = {"rx": _X, "ry": _Y, "rz": _Z}
_ISING = {"xx": np.kron(_X, _X), "yy": np.kron(_Y, _Y), "zz": np.kron(_Z, _Z)}

_TWO_TARGET = frozenset({"swap", "xx", "yy", "zz", "ms"})


class GateError(ValueError):
    """A gate is unknown, malformed or out of range (the API answers 400 ``InvalidInput``)."""


def _expi_herm(generator: np.ndarray, scale: float) -> np.ndarray:
    """``exp(-i * scale * G)`` for a Hermitian ``G`` (exact, via its eigendecomposition)."""
    values, vectors = np.linalg.eigh(generator)
    return (vectors * np.exp(-1j * scale * values)) @ vectors.conj().T


def _sigma(phase: float) -> np.ndarray:
    """``cos(2πφ) X + sin(2πφ) Y`` (φ in turns)."""
    return np.array([[0, np.exp(-2j * np.pi * phase)], [np.exp(2j * np.pi * phase), 0]])


def _number(gate: Mapping[str, Any], key: str, default: float | None = None) -> float:
    value = gate.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise GateError(f"gate {gate.get('gate')!r} needs a finite number {key!r}, got {value!r}")
    return float(value)


def _native_matrix(name: str, gate: Mapping[str, Any]) -> np.ndarray:
    if name == "gpi":
        return _sigma(_number(gate, "phase"))
    if name == "gpi2":
        return (_I2 - 1j * _sigma(_number(gate, "phase"))) / math.sqrt(2)
    if name == "ms":
        phases = gate.get("phases", [0.0, 0.0])
        if not isinstance(phases, list) or len(phases) != 2:
            raise GateError(f"gate 'ms' needs two 'phases' (turns), got {phases!r}")
        phi0, phi1 = (_number({"p": p, "gate": "ms"}, "p") for p in phases)
        theta = _number(gate, "angle", 0.25)
        return _expi_herm(np.kron(_sigma(phi0), _sigma(phi1)), math.pi * theta)
    if name == "zz":
        theta = _number(gate, "angle" if "angle" in gate else "phase")
        return _expi_herm(_ISING["zz"], math.pi * theta)
    return _I2  # nop


def _pauliexp_matrix(gate: Mapping[str, Any], n_targets: int) -> np.ndarray:
    terms, coefficients = gate.get("terms"), gate.get("coefficients")
    if not isinstance(terms, list) or not isinstance(coefficients, list):
        raise GateError("gate 'pauliexp' needs lists 'terms' and 'coefficients'")
    if len(terms) != len(coefficients):
        raise GateError(f"pauliexp has {len(terms)} terms but {len(coefficients)} coefficients")
    generator = np.zeros((2**n_targets, 2**n_targets), dtype=complex)
    for term, coefficient in zip(terms, coefficients, strict=True):
        if not isinstance(term, str) or len(term) != n_targets or set(term) - set(_PAULI):
            raise GateError(f"pauliexp term {term!r} must be {n_targets} letters from IXYZ")
        factors = [_PAULI[letter] for letter in reversed(term)]  # little-endian strings
        generator += _number({"c": coefficient, "gate": "pauliexp"}, "c") * reduce(np.kron, factors)
    return _expi_herm(generator, _number(gate, "time"))


def gate_matrix(gate: Mapping[str, Any], gateset: str = "qis") -> np.ndarray:
    """The unitary a gate applies to its targets (controls excluded).

    Args:
        gate (Mapping[str, Any]): one IonQ JSON gate
        gateset (str): ``"qis"`` or ``"native"``; native ``zz`` (turns) differs from qis ``zz``

    Returns:
        np.ndarray: a ``2**m x 2**m`` matrix, first target = most significant bit

    Raises:
        GateError: if the gate is unknown in ``gateset`` or its parameters are invalid

    **Example**

    >>> gate_matrix({"gate": "gpi", "phase": 0.0}, "native").real.tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    name = gate.get("gate")
    if gateset == "native":
        if name not in NATIVE_GATES:
            raise GateError(f"gate {name!r} is not in the native gate set {sorted(NATIVE_GATES)}")
        return _native_matrix(name, gate)
    if name not in QIS_GATES:
        raise GateError(f"gate {name!r} is not in the qis gate set {sorted(QIS_GATES)}")
    if name in _FIXED:
        return _FIXED[name]
    if name in _ROTATIONS:
        return _expi_herm(_ROTATIONS[name], _number(gate, "rotation") / 2)
    if name in _ISING:
        return _expi_herm(_ISING[name], _number(gate, "rotation") / 2)
    return _pauliexp_matrix(gate, len(gate_wires(gate, 10**9)[1]))


def _as_indices(value: Any, key: str) -> list[int]:
    items = value if isinstance(value, list) else [value]
    if not items or any(isinstance(i, bool) or not isinstance(i, int) for i in items):
        raise GateError(f"{key!r} must be a qubit index or a non-empty list of them, got {value!r}")
    return items


def gate_wires(gate: Mapping[str, Any], n_qubits: int) -> tuple[list[int], list[int]]:
    """The controls and targets of a gate, validated against the register size.

    Accepts ``target`` or ``targets`` and ``control`` or ``controls`` (all clients' styles).

    Args:
        gate (Mapping[str, Any]): one IonQ JSON gate
        n_qubits (int): the register size

    Returns:
        tuple[list[int], list[int]]: ``(controls, targets)``

    Raises:
        GateError: if an index is missing, repeated or out of range
    """
    if "targets" in gate:
        targets = _as_indices(gate["targets"], "targets")
    elif "target" in gate:
        targets = _as_indices(gate["target"], "target")
    else:
        raise GateError(f"gate {gate.get('gate')!r} has no 'target' or 'targets'")
    controls: list[int] = []
    for key in ("control", "controls"):
        if key in gate and gate[key] is not None:
            controls += _as_indices(gate[key], key)
    wires = controls + targets
    if len(set(wires)) != len(wires) or any(not 0 <= w < n_qubits for w in wires):
        raise GateError(
            f"gate {gate.get('gate')!r} acts on qubits {wires}: each must be distinct and in "
            f"[0, {n_qubits - 1}]"
        )
    return controls, targets


def _expected_targets(name: str, gate: Mapping[str, Any]) -> int | None:
    if name in _TWO_TARGET:
        return 2
    if name == "pauliexp":
        return None
    return 1


def _apply(state: np.ndarray, matrix: np.ndarray, targets: list[int]) -> np.ndarray:
    m = len(targets)
    tensor = matrix.reshape((2,) * (2 * m))
    moved = np.tensordot(tensor, state, axes=(list(range(m, 2 * m)), targets))
    return np.moveaxis(moved, list(range(m)), targets)


def _apply_controlled(
    state: np.ndarray, matrix: np.ndarray, controls: list[int], targets: list[int]
) -> np.ndarray:
    if not controls:
        return _apply(state, matrix, targets)
    index: list[Any] = [slice(None)] * state.ndim
    for c in controls:
        index[c] = 1
    sub_targets = [t - sum(c < t for c in controls) for t in targets]
    sub = state[tuple(index)]
    state[tuple(index)] = _apply(sub, matrix, sub_targets)
    return state


def simulate(circuit: Sequence[Mapping[str, Any]], n_qubits: int, gateset: str = "qis"):
    """Run a circuit from ``|0...0>`` and return the final state tensor.

    Args:
        circuit (Sequence[Mapping[str, Any]]): IonQ JSON gates
        n_qubits (int): register size (1 .. :data:`MAX_QUBITS`)
        gateset (str): ``"qis"`` or ``"native"``

    Returns:
        np.ndarray: complex tensor of shape ``(2,) * n_qubits``, axis ``k`` = qubit ``k``

    Raises:
        GateError: on any invalid gate or register size
    """
    if isinstance(n_qubits, bool) or not isinstance(n_qubits, int):
        raise GateError(f"qubits must be an integer, got {n_qubits!r}")
    if not 1 <= n_qubits <= MAX_QUBITS:
        raise GateError(f"qubits must be in [1, {MAX_QUBITS}], got {n_qubits}")
    state = np.zeros((2,) * n_qubits, dtype=complex)
    state[(0,) * n_qubits] = 1.0
    for gate in circuit:
        if not isinstance(gate, Mapping):
            raise GateError(f"each gate must be a JSON object, got {gate!r}")
        controls, targets = gate_wires(gate, n_qubits)
        name = str(gate.get("gate"))
        expected = _expected_targets(name, gate)
        if name == "cnot" and not controls:
            raise GateError("gate 'cnot' needs a 'control'")
        if expected is not None and len(targets) != expected:
            raise GateError(f"gate {name!r} needs {expected} target(s), got {targets}")
        matrix = gate_matrix({**gate, "targets": targets}, gateset)
        state = _apply_controlled(state, matrix, controls, targets)
    return state


def probabilities(
    circuit: Sequence[Mapping[str, Any]], n_qubits: int, gateset: str = "qis"
) -> np.ndarray:
    """Exact measurement probabilities, indexed little-endian (bit ``i`` = qubit ``i``).

    Args:
        circuit (Sequence[Mapping[str, Any]]): IonQ JSON gates
        n_qubits (int): register size
        gateset (str): ``"qis"`` or ``"native"``

    Returns:
        np.ndarray: real vector of length ``2**n_qubits`` summing to 1
    """
    state = simulate(circuit, n_qubits, gateset)
    probs = np.abs(state.transpose(tuple(reversed(range(n_qubits))))) ** 2
    return probs.reshape(-1)


def sample_counts(probs: np.ndarray, shots: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``shots`` outcomes; return the count of each basis state.

    Args:
        probs (np.ndarray): probability vector (renormalised here)
        shots (int): number of draws
        rng (np.random.Generator): the seeded generator to draw from

    Returns:
        np.ndarray: integer counts, same length as ``probs``
    """
    p = np.clip(probs, 0.0, None)
    return rng.multinomial(shots, p / p.sum())


def sparse(values: np.ndarray, *, atol: float = 1e-12) -> dict[str, float]:
    """The non-zero entries of a result vector as IonQ's ``{"<int>": value}`` map.

    Args:
        values (np.ndarray): probabilities or counts, little-endian index
        atol (float): entries at or below this are dropped

    Returns:
        dict[str, float]: decimal-string keys in increasing order
    """
    (index,) = np.nonzero(values > atol)
    return {str(int(i)): values[i].item() for i in index}
