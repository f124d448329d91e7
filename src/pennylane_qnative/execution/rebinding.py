"""Fast copies of PennyLane operations with new parameters.

PennyLane binds new parameters by rebuilding each operation through its constructor, and
infers each operation's batch size lazily, parameter by parameter through its dispatch layer.
On the hot paths here (gradient circuits, broadcast merges, fused gates) that is most of the
cost. For *plain* parametric gates (rotations and Ising gates: their whole state is wires,
data and batch metadata, with no base operator or data-dependent Pauli representation) the
functions below copy the operation and set its data and batch size directly, with the values
PennyLane would compute. Every other operation, and every framework tensor, goes through
PennyLane's own functions. ``tests/execution/test_rebinding.py`` checks both paths against
PennyLane's.

**Example**

>>> import numpy as np
>>> import pennylane as qp
>>> from pennylane.tape import QuantumScript
>>> tape = QuantumScript([qp.RX(0.1, 0), qp.CNOT([0, 1]), qp.RY(0.2, 1)], [qp.probs()])
>>> rebind(tape, [np.array([0.3, 0.4])], [1]).batch_size
2
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pennylane as qp
from pennylane.operation import _UNSET_BATCH_SIZE  # private: the "not inferred yet" sentinel
from pennylane.tape import QuantumScript

__all__ = ["PARAMETRIC_GATES", "PLAIN_GATES", "batch_size", "is_plain", "rebind", "rebound"]

# Parametric gates without hyper-parameters (their structure is their name and wires).
PARAMETRIC_GATES = frozenset(
    "RX RY RZ PhaseShift Rot U1 U2 U3 MultiRZ IsingXX IsingYY IsingZZ IsingXY".split()  # noqa: SIM905
)
# Parametric gates safe to copy with new data: the above, and PauliRot (its one
# hyper-parameter, the Pauli word, does not depend on the data).
PLAIN_GATES = PARAMETRIC_GATES | {"PauliRot"}


def rebind(
    tape: QuantumScript, params: Sequence[Any], indices: Sequence[int] | None = None
) -> QuantumScript:
    """``tape.bind_new_parameters(params, indices)`` without PennyLane's per-gate overhead.

    PennyLane rebuilds each operation through its constructor and later infers every
    operation's batch size parameter by parameter; for the plain parametric gates (rotations,
    Ising gates, ...) this copies the operation and sets its data and batch size directly,
    which is several times faster. Other operations, and parameters of observables, go
    through PennyLane's own ``bind_new_parameters``.

    Args:
        tape (QuantumScript): the circuit
        params (Sequence): the new values, one per index
        indices (Sequence[int] | None): positions in ``tape.get_parameters(trainable_only=False)``;
            ``None`` replaces every gate parameter in order

    Returns:
        QuantumScript: a new circuit with the same operations, measurements, shots and
        trainable parameters
    """
    ops, position = [], 0
    if indices is None:  # every gate parameter, in order
        for op in tape.operations:
            n = len(op.data)
            if n:
                op = rebound(op, tuple(params[position : position + n]))
                position += n
            ops.append(op)
        if position != len(params):
            raise ValueError(f"{len(params)} values for {position} gate parameters")
    else:
        new = dict(zip(indices, params, strict=True))
        for op in tape.operations:
            data = op.data
            n = len(data)
            if n == 1:
                if position in new:
                    op = rebound(op, (new[position],))
            elif n and any(position + i in new for i in range(n)):
                op = rebound(op, tuple(new.get(position + i, d) for i, d in enumerate(data)))
            ops.append(op)
            position += n
        if new and max(new) >= position:  # observables' parameters: PennyLane's way
            return tape.bind_new_parameters(list(new.values()), list(new))
    return QuantumScript(
        ops, tape.measurements, shots=tape.shots, trainable_params=tape.trainable_params
    )


_PLAIN_STATE = frozenset(
    [
        "data",
        "grad_recipe",
        "_name",
        "_id",
        "_pauli_rep",
        "_num_params",
        "_wires",
        "_batch_size",
        "_ndim_params",
        "_hyperparameters",
    ]
)
_SCALARS = (int, float, np.floating)
_VALUES = (*_SCALARS, np.ndarray)
_plain_types: dict[type, bool] = {}


def is_plain(op: Any) -> bool:
    cls = type(op)
    plain = _plain_types.get(cls)
    if plain is None:
        plain = _plain_types[cls] = (
            cls.__name__ in PLAIN_GATES
            and cls.__module__.startswith("pennylane.ops.")
            and isinstance(cls.__dict__.get("ndim_params"), tuple)
            and set(vars(op)) <= _PLAIN_STATE
        )
    return plain and op.__dict__.get("_pauli_rep") is None


def rebound(op: Any, values: tuple) -> Any:
    """``op`` with new parameter ``values`` (NumPy/Python numbers or arrays)."""
    if not (is_plain(op) and _all_values(values)):
        return qp.ops.functions.bind_new_parameters(op, values)
    ndims, batch = _broadcast_of(op, values)
    new = object.__new__(type(op))
    state = new.__dict__
    state.update(op.__dict__)
    state["data"] = values
    state["_ndim_params"] = ndims
    state["_batch_size"] = batch
    return new


def _all_values(values: tuple) -> bool:
    for value in values:  # noqa: SIM110 (a loop: no generator per gate on this hot path)
        if not isinstance(value, _VALUES):
            return False
    return True


def _broadcast_of(op: Any, values: tuple) -> tuple[tuple[int, ...], int | None]:
    """PennyLane's ``_check_batching`` for a plain gate: parameter ndims and batch size."""
    expected = type(op).ndim_params
    ndims = []
    batch = None
    for value, exp in zip(values, expected, strict=True):
        ndim = value.ndim if isinstance(value, np.ndarray) else 0
        ndims.append(ndim)
        if ndim == exp:
            continue
        if ndim != exp + 1:
            raise ValueError(
                f"{op.name}: wrong number(s) of dimensions in parameters. "
                f"Parameters with ndims {tuple(np.ndim(v) for v in values)} passed, "
                f"{expected} expected."
            )
        if batch is not None and value.shape[0] != batch:
            raise ValueError(f"{op.name}: broadcast dimensions differ ({batch}, {value.shape[0]})")
        batch = value.shape[0]
    return tuple(ndims), batch


def batch_size(tape: QuantumScript) -> int | None:
    """``tape.batch_size``, with plain gates' batch sizes worked out directly.

    PennyLane infers an operation's batch size lazily, parameter by parameter through its
    dispatch layer, and caches it on the operation; this fills the same cache, with the same
    values, several times faster for plain gates with NumPy parameters.

    """
    for op in tape.operations:
        state = op.__dict__
        if state.get("_batch_size", None) != _UNSET_BATCH_SIZE or not is_plain(op):
            continue
        values = op.data
        if _all_values(values):
            state["_ndim_params"], state["_batch_size"] = _broadcast_of(op, values)
    return tape.batch_size
