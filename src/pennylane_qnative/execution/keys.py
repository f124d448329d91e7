"""Exact circuit keys: fingerprints (structure + parameters) and SHA-256 digests.

:func:`fingerprint` splits a circuit into its *structure* (operations, wires,
hyper-parameters, measurements, shots: everything but numeric parameters) and its
*parameters* (every one at full float64/complex128 precision, never rounded).
:func:`circuit_digest` hashes both, plus a *context* mapping for whatever else changes the
result (backend, gate set, noise model, seed, ...), into a key that is stable across
processes (no salted ``hash()``; PennyLane's ``tape.hash`` rounds angles, so it is never
used). :class:`~pennylane_qnative.execution.cache.QuantumCircuitCache` keys its results with
:func:`digest` and its compiled circuits with :attr:`Fingerprint.structure`.

**Example**

>>> import pennylane as qp
>>> a = qp.tape.QuantumScript([qp.RX(0.5, 0)], [qp.expval(qp.Z(0))])
>>> b = qp.tape.QuantumScript([qp.RX(0.5 + 1e-12, 0)], [qp.expval(qp.Z(0))])
>>> fingerprint(a).structure == fingerprint(b).structure
True
>>> circuit_digest(a) == circuit_digest(b)
False
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from pennylane.ops import Conditional, MidMeasure

from pennylane_qnative.execution.rebinding import PARAMETRIC_GATES

__all__ = [
    "Fingerprint",
    "Structure",
    "circuit_digest",
    "context_bytes",
    "digest",
    "fingerprint",
]

_MISSING = object()
_PLAIN_NUMBERS = (bool, int, float, complex, np.number)


class Structure(tuple):
    """A circuit's structure: a tuple that computes its hash once.

    Structures key the batch planner's groups, the digest's prefix cache and compiled
    circuits, so each is hashed several times per ``execute``, and hashing a 60-gate
    structure walks every nested tuple. Equal to, and hashed like, the plain tuple.
    """

    def __hash__(self) -> int:
        try:
            return self._hash
        except AttributeError:
            self._hash = tuple.__hash__(self)
            return self._hash


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """A circuit split into its structure and its parameters, both exact.

    Args:
        structure (tuple): operations (names, wires, hyper-parameters), measurements and
            shots, without numeric parameters: circuits with equal structure differ only in
            parameters. Made of strings, numbers and tuples, so its ``repr`` is canonical.
        parameters (bytes): every parameter in circuit order, as float64 (or complex128)
            bytes with shapes, never rounded.
        analytic (bool): whether the circuit has no finite shots
        scalar (bool): whether every parameter is a real scalar (so the circuit is not
            broadcast)
        values (np.ndarray | None): the parameters as one float64 row when ``scalar``
    """

    structure: tuple
    parameters: bytes
    analytic: bool
    scalar: bool
    values: np.ndarray | None = None


def fingerprint(tape: Any, memo: dict[int, tuple] | None = None) -> Fingerprint | None:
    """Exact fingerprint of a ``QuantumScript``, or ``None`` if it cannot be keyed.

    A circuit cannot be keyed when a parameter is not a plain NumPy/Python number (an autograd
    box, a JAX tracer, a torch tensor: the result must flow through the autodiff framework) or
    when it has mid-circuit measurements (results depend on sampled branches).

    Args:
        tape (QuantumScript): the circuit
        memo (dict | None): operation structures already read in this batch, by operation
            identity. The circuits of a gradient batch share most operation objects (only the
            shifted ones are new), so one memo for a batch reads each shared operation once.
            Use one memo for circuits that are all alive together (one ``execute`` batch) and
            drop it afterwards: an identity can only be reused once its object is gone.

    Returns:
        Fingerprint | None: the fingerprint, or ``None`` for a circuit that cannot be keyed
    """
    structure: list[Any] = []
    data: list[Any] = []  # tape.data, read in the same pass
    for op in tape.operations:
        reader = _reader(op)
        if reader is _plain_structure:  # as cheap as a memo lookup
            structure.append((op.name, op.wires.labels))
        elif reader is None:
            return None
        elif memo is None:
            structure.append(reader(op))
        else:
            key = id(op)
            seen = memo.get(key)
            if seen is None:
                seen = memo[key] = reader(op)
            structure.append(seen)
        params = op.data
        if params:
            data.extend(params)
    structure.append("|M|")
    for m in tape.measurements:
        if m.mv is not None:
            return None
        structure.append(_measurement_structure(m))
        if m.obs is not None:
            data.extend(m.obs.data)
    shots = tape.shots
    structure.append(shots.shot_vector if shots else None)
    values = _real_scalars(data)
    parameters = values.tobytes() if values is not None else _parameter_bytes(data)
    if parameters is None:
        return None
    return Fingerprint(
        structure=Structure(structure),
        parameters=parameters,
        analytic=not shots,
        scalar=values is not None,
        values=values,
    )


def circuit_digest(tape: Any, context: Mapping[str, Any] | None = None) -> str | None:
    """SHA-256 hex digest identifying a circuit's result exactly, or ``None``.

    Stable across processes and machines (no salted ``hash()``), so it can key a persistent
    store. ``context`` holds everything outside the circuit that changes its result.

    Args:
        tape (QuantumScript): the circuit
        context (Mapping[str, Any] | None): e.g. ``{"backend": "default.qubit"}``

    Returns:
        str | None: 64 hex characters, or ``None`` when :func:`fingerprint` is ``None``

    **Example**

    >>> import pennylane as qp
    >>> a = qp.tape.QuantumScript([qp.RX(0.5, 0)], [qp.expval(qp.Z(0))])
    >>> b = qp.tape.QuantumScript([qp.RX(0.5 + 1e-12, 0)], [qp.expval(qp.Z(0))])
    >>> circuit_digest(a) == circuit_digest(b)
    False
    """
    fp = fingerprint(tape)
    return None if fp is None else digest(fp, context_bytes(context))


_STRUCTURE_HASHES: dict[tuple, Any] = {}  # structure -> sha256 state after hashing it


def digest(fp: Fingerprint, context: bytes) -> str:
    """The SHA-256 hex digest of a fingerprint under a serialised context
    (:func:`context_bytes`); :func:`circuit_digest` is this for a tape."""
    prefix = _STRUCTURE_HASHES.get(fp.structure)
    if prefix is None:
        if len(_STRUCTURE_HASHES) >= 4096:
            _STRUCTURE_HASHES.clear()
        prefix = _STRUCTURE_HASHES[fp.structure] = hashlib.sha256(repr(fp.structure).encode())
    h = prefix.copy()
    h.update(b"\x00P")
    h.update(fp.parameters)
    h.update(b"\x00C")
    h.update(context)
    return h.hexdigest()


def context_bytes(context: Mapping[str, Any] | None) -> bytes:
    """A canonical, exact serialisation of a context mapping (``b""`` for none)."""
    if not context:
        return b""
    return repr(sorted((str(k), _canonical(v)) for k, v in context.items())).encode()


def _real_scalars(data: Sequence[Any]) -> np.ndarray | None:
    """The parameters as one float64 row when every one is a real Python/NumPy scalar."""
    for p in data:
        t = type(p)
        if not (t is float or t is np.float64 or t is int):
            return None
    return np.asarray(data, dtype=np.float64)


def _parameter_bytes(data: Sequence[Any]) -> bytes | None:
    """Every parameter at full precision: the values, and where the arrays among them are.

    Real values (scalars and arrays, in circuit order) are written as one float64 block,
    complex ones as one complex128 block. When every parameter is a real scalar that block is
    the whole encoding; otherwise a header lists the position, kind and shape of each array
    parameter (the rest are scalars), which makes the encoding unambiguous.
    """
    values = _real_scalars(data)
    if values is not None:
        return values.tobytes()
    types = [type(p) for p in data]
    arrays: list[tuple] = []  # (position, shape) of real arrays, (position, "c", shape)
    reals: list[Any] = []  # float64 pieces in circuit order
    complexes: list[np.ndarray] = []
    scalars: list[float] = []  # real scalars since the last array
    for i, (p, t) in enumerate(zip(data, types, strict=True)):
        if t is float or t is int or t is np.float64:
            scalars.append(p)
            continue
        if isinstance(p, _PLAIN_NUMBERS):
            arr = np.asarray(p)
        elif isinstance(p, np.ndarray) and p.dtype.kind in "biufc":
            arr = p
        else:
            return None  # a framework tensor or tracer: not ours to key
        if arr.dtype.kind == "c":
            arrays.append((i, "c", arr.shape))
            complexes.append(arr.astype(np.complex128).ravel())
        elif arr.ndim == 0:  # a NumPy scalar or 0-d array: the same key as a Python float
            scalars.append(float(arr))
        else:
            if scalars:
                reals.append(np.asarray(scalars, dtype=np.float64))
                scalars = []
            arrays.append((i, arr.shape))
            reals.append(arr.ravel())
    if not arrays:
        return np.asarray(scalars, dtype=np.float64).tobytes()
    if scalars:
        reals.append(np.asarray(scalars, dtype=np.float64))
    values = np.concatenate(reals, dtype=np.float64).tobytes() if reals else b""
    imaginary = np.concatenate(complexes).tobytes() if complexes else b""
    return repr((len(types), arrays)).encode() + b"\x00" + values + b"\x00" + imaginary


# Named controlled gates whose hyper-parameters (base, control values, ...) are fixed by
# their class and wires: serialising those hyper-parameters would only cost time.
_FIXED_HYPERPARAMETERS = frozenset(
    [
        "CNOT",
        "CZ",
        "CY",
        "CH",
        "CSWAP",
        "CCZ",
        "Toffoli",
        "CRX",
        "CRY",
        "CRZ",
        "CRot",
        "ControlledPhaseShift",
    ]
)


# Gates without hyper-parameters: their structure is their name and wires.
_NO_HYPERPARAMETERS = PARAMETRIC_GATES | {
    "Hadamard",
    "PauliX",
    "PauliY",
    "PauliZ",
    "S",
    "T",
    "SX",
    "SWAP",
    "ISWAP",
    "ECR",
}


def _op_structure(op: Any) -> tuple:
    return (_reader(op) or _generic_structure)(op)


def _reader(op: Any) -> Callable[[Any], tuple] | None:
    """How to read the structure of operations of ``type(op)``, decided once per type;
    ``None`` for mid-circuit measurements and conditionals, whose results depend on sampled
    branches (:func:`fingerprint` gives up on their circuits)."""
    reader = _READERS.get(type(op), _MISSING)
    if reader is _MISSING:
        reader = _READERS[type(op)] = _reader_for(op)
    return reader


def _reader_for(op: Any) -> Callable[[Any], tuple] | None:
    cls = type(op)
    if issubclass(cls, MidMeasure | Conditional):
        return None
    ours = cls.__module__.startswith("pennylane.ops.")
    if ours and cls.__name__ in _FIXED_HYPERPARAMETERS:
        return _controlled_structure
    if ours and cls.__name__ in _NO_HYPERPARAMETERS and not op.hyperparameters:
        return _plain_structure
    return _generic_structure


def _plain_structure(op: Any) -> tuple:
    return (op.name, op.wires.labels)


def _controlled_structure(op: Any) -> tuple:
    # ``op.wires`` is slow on controlled operations
    hyper = op.hyperparameters
    return (op.name, hyper["control_wires"].labels + hyper["base"].wires.labels)


def _generic_structure(op: Any) -> tuple:
    name = op.name
    hyper = op.hyperparameters
    if not hyper:
        return (name, op.wires.labels)
    return (name, op.wires.labels, tuple(sorted((k, _canonical(v)) for k, v in hyper.items())))


_READERS: dict[type, Callable[[Any], tuple] | None] = {}


def _measurement_structure(m: Any) -> tuple:
    """Type, options (wires, ``all_outcomes``, ``log_base``, ``seed``, ...) and observable.

    The observable's parameters are part of the structure: circuits whose observables differ
    are never merged into one broadcast (only gate parameters are broadcast).
    """
    _, metadata = m._flatten()  # PennyLane's pytree metadata: every option of the process
    structure = (type(m).__name__, _canonical(metadata))
    obs = m.obs
    if obs is not None:
        return (*structure, _observable_structure(obs), _parameter_bytes(obs.data))
    eigvals = m.eigvals()
    if eigvals is not None:
        return (*structure, _canonical(np.asarray(eigvals)))
    return structure


def _observable_structure(obs: Any) -> tuple:
    operands = getattr(obs, "operands", None)
    if operands is not None:  # Sum, Prod, SProd, ... (their data is in tape.data)
        return (obs.name, tuple(_observable_structure(o) for o in operands))
    base = getattr(obs, "base", None)
    if base is not None:
        return (obs.name, _observable_structure(base))
    return _op_structure(obs)


def _canonical(value: Any) -> Any:
    """A repr-stable, exact stand-in for a hyper-parameter or context value."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float | complex | np.number):
        return repr(complex(value)) if isinstance(value, complex) else float(value).hex()
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape, value.tobytes().hex())
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _canonical(v)) for k, v in value.items()))
    if hasattr(value, "labels") and hasattr(value, "toset"):  # Wires
        return ("wires", value.labels)
    if isinstance(value, list | tuple):
        return tuple(_canonical(v) for v in value)
    if hasattr(value, "wires") and hasattr(value, "data"):  # a nested operator
        return ("op", _op_structure(value))  # its parameters are in the tape data
    if isinstance(value, StrEnum):
        return str(value)
    return repr(value)
