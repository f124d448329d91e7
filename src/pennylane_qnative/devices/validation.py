"""Validation transforms shared by our devices: refuse, before running, what cannot be right.

:func:`validate_finite_parameters` raises :class:`~.UnsupportedCircuitError` for a NaN or
infinite gate parameter (a diverged optimiser, a bad input) instead of returning NaN results
or paying for a job that measures nothing meaningful. Both ``qnative.simulator`` and
``qnative.ionq`` run it in their preprocessing.

**Example**

>>> import pennylane as qp
>>> tape = qp.tape.QuantumScript([qp.RX(float("nan"), 0)], [qp.expval(qp.Z(0))])
>>> validate_finite_parameters(tape)
Traceback (most recent call last):
...
pennylane_qnative.exceptions.UnsupportedCircuitError: RX on wires [0] has a non-finite ...
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pennylane as qp
from pennylane.tape import QuantumScript, QuantumScriptBatch
from pennylane.transforms.core import transform

from pennylane_qnative.exceptions import UnsupportedCircuitError

__all__ = ["check_finite_parameters", "validate_finite_parameters"]


def _concrete(value: Any) -> np.ndarray | None:
    """``value`` as a NumPy array, or ``None`` for a traced (abstract) value."""
    if qp.math.is_abstract(value):  # checked when it is concrete
        return None
    try:
        array = np.asarray(qp.math.unwrap(value))
    except (TypeError, ValueError):  # a framework value NumPy cannot read here
        return None
    return array if array.dtype.kind in "biufc" else None


def check_finite_parameters(tape: QuantumScript) -> None:
    """Raise if a gate of ``tape`` has a NaN or infinite parameter.

    Raises:
        UnsupportedCircuitError: naming the gate, its wires and the value
    """
    for op in tape.operations:
        for p in op.data:
            values = _concrete(p)
            if values is not None and not np.all(np.isfinite(values)):
                raise UnsupportedCircuitError(
                    f"{op.name} on wires {op.wires.tolist()} has a non-finite parameter {p!r}; "
                    "nothing was run or submitted. Check the inputs and the learning rate."
                )


@transform
def validate_finite_parameters(tape: QuantumScript) -> tuple[QuantumScriptBatch, Any]:
    """Refuse a circuit with a NaN or infinite gate parameter (:func:`check_finite_parameters`)."""
    check_finite_parameters(tape)
    return (tape,), lambda results: results[0]
