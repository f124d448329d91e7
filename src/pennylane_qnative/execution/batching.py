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
from pennylane.tape import QuantumScript

from pennylane_qnative.execution.rebinding import rebind, rebound

__all__ = [
    "group_by_structure",
    "merge_batches",
    "merge_broadcast",
    "mergeable",
    "split_broadcast",
    "split_broadcasts",
]

_SCALARS = (int, float, np.floating)

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
    ndims = [
        op.ndim_params[i] if op.ndim_params is not None else 0
        for op in tapes[0].operations
        for i in range(len(op.data))
    ]
    n_gate_params = len(ndims)
    if values is None:
        rows = [t.get_parameters(trainable_only=False) for t in tapes]
        sizes = [_row_batch_size(row, ndims) for row in rows]
    else:  # real scalars only: nothing is broadcast
        values = np.asarray(values, dtype=np.float64)
        rows, sizes = [list(values[0])], [None] * len(tapes)
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


def split_broadcasts(tapes: Sequence[QuantumScript]) -> tuple[list[QuantumScript], Any]:
    """Un-broadcast circuits, as ``qp.transforms.broadcast_expand`` does, without rebuilding
    the plain gates (see :func:`~.rebinding.rebound`).

    Args:
        tapes (Sequence[QuantumScript]): circuits, some broadcast

    Returns:
        tuple: the un-broadcast circuits, and a function of their results that stacks each
        broadcast circuit's results back (PennyLane's result shape)

    >>> tape = QuantumScript([qp.RX(np.array([0.1, 0.2]), 0)], [qp.expval(qp.Z(0))])
    >>> tapes, stack = split_broadcasts([tape])
    >>> len(tapes), bool(np.allclose(stack([np.cos(0.1), np.cos(0.2)])[0], np.cos([0.1, 0.2])))
    (2, True)
    """
    out: list[QuantumScript] = []
    sizes: list[int | None] = []
    for tape in tapes:
        size = tape.batch_size
        sizes.append(size)
        if size is None:
            out.append(tape)
            continue
        rows: list[list[Any]] = [[] for _ in range(size)]
        for op in tape.operations:
            _split_operation(op, rows)
        out.extend(
            QuantumScript(
                r, tape.measurements, shots=tape.shots, trainable_params=tape.trainable_params
            )
            for r in rows
        )

    def stack(results: Sequence[Any]) -> list[Any]:
        stacked, start = [], 0
        for tape, size in zip(tapes, sizes, strict=True):
            if size is None:
                stacked.append(results[start])
            else:
                stacked.append(_stack_rows(tape, results[start : start + size]))
            start += size or 1
        return stacked

    return out, stack


def _split_operation(op: Any, rows: list[list[Any]]) -> None:
    if not op.batch_size:
        for row in rows:
            row.append(op)
        return
    ndims = op.ndim_params
    for b, row in enumerate(rows):
        values = tuple(p if qp.math.ndim(p) == ndims[j] else p[b] for j, p in enumerate(op.data))
        row.append(rebound(op, values))


def _stack_rows(tape: QuantumScript, rows: Sequence[Any]) -> Any:
    """One broadcast circuit's result from its rows (``broadcast_expand``'s shapes)."""
    n = len(tape.measurements)

    def per_copy(get):
        if n > 1:
            return tuple(qp.math.stack([get(r)[m] for r in rows]) for m in range(n))
        return qp.math.stack([get(r) for r in rows])

    if tape.shots.has_partitioned_shots:
        return tuple(per_copy(lambda r, s=s: r[s]) for s in range(tape.shots.num_copies))
    return per_copy(lambda r: r)
