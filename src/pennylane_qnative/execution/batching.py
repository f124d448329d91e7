"""Batch planning: merge circuits that share a structure into one broadcast circuit.

Within one batch, circuits with the same operations, wires, measurements and shots that differ
only in their parameters (parameter-shift and SPSA perturbations, a data set evaluated point by
point) are stacked into a single *broadcast* circuit: one vectorised simulation instead of many.
Results are split back into per-circuit results, in input order.

All functions are pure.

**Example**

>>> import pennylane as qp
>>> tapes = [qp.tape.QuantumScript([qp.RX(x, 0)], [qp.expval(qp.Z(0))]) for x in (0.1, 0.2)]
>>> merged = merge_broadcast(tapes)
>>> merged.batch_size
2
>>> res = qp.device("default.qubit").execute([merged])[0]
>>> import numpy as np
>>> bool(np.allclose(split_broadcast(res, 2), np.cos([0.1, 0.2])))
True
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pennylane as qp
from pennylane.operation import _UNSET_BATCH_SIZE  # private: the "not inferred yet" sentinel
from pennylane.tape import QuantumScript

__all__ = [
    "batch_size",
    "group_by_structure",
    "merge_batches",
    "merge_broadcast",
    "mergeable",
    "rebind",
    "split_broadcast",
]

# Measurements whose broadcast result is an array (or tuple of arrays) with a leading batch axis.
_ARRAY_MEASUREMENTS = (
    qp.measurements.ExpectationMP,
    qp.measurements.VarianceMP,
    qp.measurements.ProbabilityMP,
    qp.measurements.StateMP,
    qp.measurements.DensityMatrixMP,
    qp.measurements.SampleMP,
)


def mergeable(tape: QuantumScript) -> bool:
    """Whether ``tape`` may take part in a broadcast merge.

    Circuits with measurements whose broadcast result is not a plain array (counts, classical
    shadows, mid-circuit statistics, entropies) are executed as they are. Circuits that are
    already broadcast merge too: their batches are concatenated.
    """
    return all(type(m) in _ARRAY_MEASUREMENTS and m.mv is None for m in tape.measurements)


def group_by_structure(structures: Sequence[Hashable | None]) -> list[list[int]]:
    """Indices grouped by equal structure, groups ordered by first appearance.

    ``None`` (a circuit that cannot be merged) always forms a group of its own.

    >>> group_by_structure(["a", "b", None, "a", None])
    [[0, 3], [1], [2], [4]]
    """
    groups: dict[object, list[int]] = {}
    for i, structure in enumerate(structures):
        groups.setdefault(i if structure is None else structure, []).append(i)
    return list(groups.values())


def merge_broadcast(
    tapes: Sequence[QuantumScript], *, values: np.ndarray | None = None
) -> QuantumScript:
    """One broadcast circuit equivalent to ``tapes`` (which must share a structure).

    Un-broadcast circuits contribute one row each: parameters equal in every circuit stay
    scalars, the others are stacked along a new leading batch axis. When some circuits are
    already broadcast, every gate parameter is expanded to its circuit's batch and the batches
    are concatenated (an SPSA step: the forward batch and its two perturbed batches become one
    simulation). Split the result with :func:`split_broadcast` and the circuits' batch sizes
    (:func:`merge_batches` returns them).

    Args:
        tapes (Sequence[QuantumScript]): at least two circuits of identical structure, with
            NumPy/Python parameters
        values (np.ndarray | None): when every parameter of every circuit is a real scalar,
            the parameters as a float64 matrix, one row per circuit (fingerprints carry them),
            which spares reading them again

    Returns:
        QuantumScript: a circuit with ``batch_size == sum(t.batch_size or 1 for t in tapes)``

    Raises:
        ValueError: when no parameter differs (nothing to broadcast), observables differ, or an
            operation refuses a broadcast parameter
    """
    return merge_batches(tapes, values=values)[0]


def merge_batches(
    tapes: Sequence[QuantumScript], *, values: np.ndarray | None = None
) -> tuple[QuantumScript, list[int | None]]:
    """:func:`merge_broadcast`, and the circuits' batch sizes (``None``: not broadcast).

    The sizes are read from the parameters' shapes (PennyLane's own inference checks every
    parameter of every operation, which costs more than the merge).
    """
    if values is None:
        rows = [t.get_parameters(trainable_only=False) for t in tapes]
        ndims = [
            op.ndim_params[i] if op.ndim_params is not None else 0
            for op in tapes[0].operations
            for i in range(len(op.data))
        ]
        sizes = [_row_batch_size(row, ndims) for row in rows]
    else:
        values = np.asarray(values, dtype=np.float64)
        rows, ndims, sizes = [list(values[0])], [], [None] * len(tapes)
    n_gate_params = len(ndims) if values is None else _n_gate_params(tapes[0])
    if any(size is not None for size in sizes):
        params = _concatenate_batches(rows, ndims, sizes)
    else:
        params = _stack_real_scalars(rows if values is None else values)
        if params is None:
            params = [_stack_column(column) for column in zip(*rows, strict=True)]
        if not any(
            getattr(p, "ndim", 0) > np.ndim(first) for p, first in zip(params, rows[0], strict=True)
        ):
            raise ValueError("the circuits are identical: there is no parameter to broadcast")
    if any(
        getattr(p, "ndim", 0) > np.ndim(first) for p, first in _tail(params, rows[0], n_gate_params)
    ):
        raise ValueError("the observables' parameters differ: only gate parameters broadcast")
    merged = rebind(tapes[0], params[:n_gate_params])
    expected = sum(size or 1 for size in sizes)
    if merged.batch_size != expected:
        raise ValueError(f"broadcast gave batch size {merged.batch_size}, not {expected}")
    return merged, sizes


def _n_gate_params(tape: QuantumScript) -> int:
    return sum(len(op.data) for op in tape.operations)


def _row_batch_size(row: list[Any], ndims: list[int]) -> int | None:
    """The batch size of a circuit from its gate parameters (the first broadcast one)."""
    for value, ndim in zip(row, ndims, strict=False):  # the tail holds observables' data
        if isinstance(value, np.ndarray) and value.ndim > ndim:
            return value.shape[0]
    return None


def _concatenate_batches(
    rows: list[list[Any]], ndims: list[int], batch_sizes: Sequence[int | None]
) -> list[Any]:
    """Gate parameters expanded to each circuit's batch and concatenated; observables kept.

    Scalar parameters (the common case: weights, shifts) are repeated row-wise as one matrix;
    only broadcast parameters (data) are concatenated one by one.
    """
    n_gate_params = len(ndims)
    sizes = [size or 1 for size in batch_sizes]
    first = rows[0]
    scalar = [
        j
        for j in range(n_gate_params)
        if ndims[j] == 0 and all(isinstance(row[j], _SCALARS) for row in rows)
    ]
    params: list[Any] = [None] * n_gate_params
    if scalar:
        matrix = np.array([[row[j] for j in scalar] for row in rows], dtype=np.float64)
        columns = np.repeat(matrix, sizes, axis=0).T.copy()  # one contiguous row per parameter
        for column, j in zip(columns, scalar, strict=True):
            params[j] = column
    for j, ndim in enumerate(ndims):
        if params[j] is not None:
            continue
        blocks = []
        for row, size in zip(rows, sizes, strict=True):
            value = np.asarray(row[j])
            batched = value.ndim > ndim
            blocks.append(value if batched else np.broadcast_to(value, (size, *value.shape)))
        params[j] = np.concatenate(blocks)
    return params + list(first[n_gate_params:])


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

    >>> tape = QuantumScript([qp.RX(0.1, 0), qp.CNOT([0, 1]), qp.RY(0.2, 1)], [qp.probs()])
    >>> rebind(tape, [np.array([0.3, 0.4])], [1]).batch_size
    2
    """
    ops, position = [], 0
    if indices is None:  # every gate parameter, in order
        for op in tape.operations:
            n = len(op.data)
            if n:
                op = _rebound(op, tuple(params[position : position + n]))
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
                    op = _rebound(op, (new[position],))
            elif n and any(position + i in new for i in range(n)):
                op = _rebound(op, tuple(new.get(position + i, d) for i, d in enumerate(data)))
            ops.append(op)
            position += n
        if new and max(new) >= position:  # observables' parameters: PennyLane's way
            return tape.bind_new_parameters(list(new.values()), list(new))
    return QuantumScript(
        ops, tape.measurements, shots=tape.shots, trainable_params=tape.trainable_params
    )


# Parametric gates whose state is their wires, data and batch metadata (no base operator, no
# Pauli representation depending on the data): safe to copy with new data.
_PLAIN_GATES = frozenset(
    [
        "RX",
        "RY",
        "RZ",
        "PhaseShift",
        "Rot",
        "U1",
        "U2",
        "U3",
        "MultiRZ",
        "PauliRot",
        "IsingXX",
        "IsingYY",
        "IsingZZ",
        "IsingXY",
    ]
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


def _is_plain(op: Any) -> bool:
    cls = type(op)
    plain = _plain_types.get(cls)
    if plain is None:
        plain = _plain_types[cls] = (
            cls.__name__ in _PLAIN_GATES
            and cls.__module__.startswith("pennylane.ops.")
            and isinstance(cls.__dict__.get("ndim_params"), tuple)
            and set(vars(op)) <= _PLAIN_STATE
        )
    return plain and op.__dict__.get("_pauli_rep") is None


def _rebound(op: Any, values: tuple) -> Any:
    """``op`` with new parameter ``values`` (NumPy/Python numbers or arrays)."""
    if not (_is_plain(op) and _all_values(values)):
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

    >>> batch_size(QuantumScript([qp.RX(np.array([0.1, 0.2]), 0)], [qp.probs()]))
    2
    """
    for op in tape.operations:
        state = op.__dict__
        if state.get("_batch_size", None) != _UNSET_BATCH_SIZE or not _is_plain(op):
            continue
        values = op.data
        if _all_values(values):
            state["_ndim_params"], state["_batch_size"] = _broadcast_of(op, values)
    return tape.batch_size


def split_broadcast(result: Any, sizes: int | Sequence[int | None]) -> list[Any]:
    """Split the result of a merged circuit into per-circuit results.

    Args:
        result: the merged circuit's result (nested tuples for several measurements or shot
            vectors, arrays with the batch axis first)
        sizes (int | Sequence[int | None]): the circuits' batch sizes (``None``: not broadcast,
            one row); an int ``n`` means ``n`` un-broadcast circuits
    """
    sizes = [None] * sizes if isinstance(sizes, int) else list(sizes)
    if isinstance(result, tuple | list):
        parts = [split_broadcast(r, sizes) for r in result]
        return [tuple(p[i] for p in parts) for i in range(len(sizes))]
    array = np.asarray(result)
    total = sum(size or 1 for size in sizes)
    if array.shape[:1] != (total,):
        raise ValueError(f"expected a leading batch axis of {total}, got shape {array.shape}")
    out, start = [], 0
    for size in sizes:
        if size is None:
            row = array[start]
            out.append(row.copy() if row.ndim else row)  # NumPy scalar, or an independent array
        else:
            out.append(array[start : start + size].copy())
        start += size or 1
    return out


def _tail(params: list[Any], first: list[Any], start: int):
    return zip(params[start:], first[start:], strict=True)


def _stack_real_scalars(rows: list[list[Any]] | np.ndarray) -> list[Any] | None:
    """Fast path for circuits whose parameters are all real scalars (the common case)."""
    try:
        matrix = np.asarray(rows)
    except (TypeError, ValueError):  # ragged: array parameters
        return None
    if matrix.ndim != 2 or matrix.dtype.kind not in "biuf":
        return None
    matrix = matrix.astype(np.float64, copy=False)
    varying = (matrix != matrix[0]).any(axis=0)
    columns = matrix.T.copy()  # one contiguous row per parameter
    first = rows[0]
    return [columns[j] if varying[j] else first[j] for j in range(matrix.shape[1])]


def _stack_column(column: Sequence[Any]) -> Any:
    first = column[0]
    if all(_same(first, p) for p in column[1:]):
        return first
    return np.stack([np.asarray(p) for p in column])


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b))
