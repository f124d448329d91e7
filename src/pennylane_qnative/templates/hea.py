"""The hardware-efficient ansatz (Kandala et al. 2017) with two rotations per qubit per layer.

Each layer applies, on every wire, a short sequence of single-qubit rotations (``RY`` then
``RZ`` by default: two parameters per qubit, a third fewer than the usual ``RX RY RZ``), then an
entangling gate on each pair of the *entanglement* pattern (which wires are coupled; the
keyword was called ``entangler`` before, a name now kept for the IonQ device's two-qubit gate).

Reference: A. Kandala et al., "Hardware-efficient variational quantum eigensolver for small
molecules and quantum magnets", Nature 549, 242 (2017).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import Any

import pennylane as qp
from pennylane import math
from pennylane.operation import Operation
from pennylane.wires import Wires

from pennylane_qnative.exceptions import ConfigurationError

__all__ = [
    "ENTANGLEMENTS",
    "ENTANGLERS",
    "HardwareEfficientAnsatz",
    "entanglement_argument",
    "entanglement_pairs",
    "entangler_pairs",
]

ENTANGLEMENTS = ("linear", "ring", "full", "device")
"""The named wiring patterns of the entangling gates."""
ENTANGLERS = ENTANGLEMENTS
"""Old name of :data:`ENTANGLEMENTS`."""
_ROTATIONS = {"RX": qp.RX, "RY": qp.RY, "RZ": qp.RZ, "PhaseShift": qp.PhaseShift}


def entanglement_pairs(
    entanglement: str | Iterable[Sequence[int]], n_wires: int, *, device: Any = None
) -> tuple[tuple[int, int], ...]:
    """The (control, target) wire *positions* an entanglement pattern couples.

    Args:
        entanglement (str | Iterable[Sequence[int]]): ``"linear"`` (0-1, 1-2, ...), ``"ring"``
            (linear plus the last to the first wire, from 3 wires on), ``"full"`` (every pair),
            ``"device"`` (the pairs the device's ``connectivity`` allows; every pair when the
            device is all-to-all or says nothing), or explicit pairs of positions
        n_wires (int): number of wires of the template
        device (Device | None): the device, for ``"device"``

    Returns:
        tuple[tuple[int, int], ...]: pairs of positions into the template's wires

    Raises:
        ConfigurationError: for an unknown pattern or a pair outside ``range(n_wires)``

    >>> entanglement_pairs("ring", 3)
    ((0, 1), (1, 2), (2, 0))
    """
    return _pairs(entanglement, n_wires, device, "entanglement")


def entangler_pairs(
    entangler: str | Iterable[Sequence[int]], n_wires: int, *, device: Any = None
) -> tuple[tuple[int, int], ...]:
    """Deprecated name of :func:`entanglement_pairs` (errors name ``entangler``)."""
    _warn_renamed("entangler_pairs", "entanglement_pairs")
    return _pairs(entangler, n_wires, device, "entangler")


def entanglement_argument(
    entanglement: Any, entangler: Any = None, *, stacklevel: int = 4
) -> tuple[Any, str]:
    """The pattern given as ``entanglement=`` or as the deprecated ``entangler=``, with the
    keyword used (for error messages). ``stacklevel`` locates the user's call in the warning.

    Raises:
        ConfigurationError: when both keywords are given
    """
    if entangler is None:
        return entanglement, "entanglement"
    _warn_renamed("entangler=", "entanglement=", stacklevel=stacklevel)
    if entanglement != "linear":
        raise ConfigurationError(
            f"entangler={entangler!r} and entanglement={entanglement!r} both set the wiring "
            "pattern: give entanglement= only."
        )
    return entangler, "entangler"


def _warn_renamed(old: str, new: str, *, stacklevel: int = 3) -> None:
    warnings.warn(
        f"{old} is deprecated: use {new} (the wiring pattern of the entangling gates; "
        "'entangler' on the IonQ device means the two-qubit gate).",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def _pairs(pattern: Any, n_wires: int, device: Any, keyword: str) -> tuple[tuple[int, int], ...]:
    if isinstance(pattern, str):
        if pattern == "linear":
            return tuple((i, i + 1) for i in range(n_wires - 1))
        if pattern == "ring":
            ring = ((n_wires - 1, 0),) if n_wires > 2 else ()
            return _pairs("linear", n_wires, None, keyword) + ring
        if pattern == "full":
            return tuple(combinations(range(n_wires), 2))
        if pattern == "device":
            return _device_pairs(device, n_wires, keyword)
        raise ConfigurationError(
            f"{keyword} must be one of {', '.join(map(repr, ENTANGLEMENTS))} or a list of wire "
            f"pairs, got {pattern!r}."
        )
    pairs = tuple(tuple(int(w) for w in pair) for pair in pattern)
    for pair in pairs:
        if len(pair) != 2 or pair[0] == pair[1] or not all(0 <= w < n_wires for w in pair):
            raise ConfigurationError(
                f"{keyword} pair {pair!r} is not two distinct positions in range({n_wires}); "
                "give pairs of indices into the template's wires, e.g. [(0, 1), (1, 2)]."
            )
    return pairs


def _device_pairs(device: Any, n_wires: int, keyword: str) -> tuple[tuple[int, int], ...]:
    if device is None:
        raise ConfigurationError(
            f'{keyword}="device" needs the device: pass device=dev (or choose "linear", '
            '"ring" or "full").'
        )
    connectivity = getattr(device, "connectivity", None)
    if connectivity is None:  # all-to-all (IonQ, simulators)
        return _pairs("full", n_wires, None, keyword)
    allowed = {tuple(sorted(pair)) for pair in connectivity}
    return tuple(p for p in combinations(range(n_wires), 2) if p in allowed)


class HardwareEfficientAnsatz(Operation):
    r"""Layers of single-qubit rotations followed by an entangling pattern.

    Args:
        weights (tensor_like): shape ``(n_layers, n_wires, len(rotations))``, or with a leading
            batch axis for broadcasting
        wires (Iterable): the wires
        rotations (Sequence[str]): rotation gates applied in order on each wire, from
            ``"RX"``, ``"RY"``, ``"RZ"``, ``"PhaseShift"``; default ``("RY", "RZ")``
        entanglement (str | Iterable[Sequence[int]]): ``"linear"`` (default), ``"ring"``,
            ``"full"``, ``"device"`` or explicit pairs of wire positions (see
            :func:`entanglement_pairs`)
        gate (str): the entangling gate, ``"CNOT"`` (default) or ``"CZ"``
        device (Device | None): the device, needed for ``entanglement="device"``
        entangler: deprecated name of ``entanglement``

    Raises:
        ConfigurationError: for a weight shape, rotation, gate or pattern that does not fit

    **Example**

    >>> import numpy as np
    >>> import pennylane as qp
    >>> import pennylane_qnative as qnative
    >>> dev = qp.device("qnative.simulator", wires=4)
    >>> shape = qnative.HardwareEfficientAnsatz.shape(n_layers=2, n_wires=4)
    >>> shape
    (2, 4, 2)
    >>> @qp.qnode(dev)
    ... def circuit(weights):
    ...     qnative.HardwareEfficientAnsatz(weights, wires=range(4), entanglement="ring")
    ...     return qp.expval(qp.Z(0))
    >>> bool(-1 <= circuit(np.zeros(shape)) <= 1)
    True
    """

    grad_method = None
    num_params = 1
    ndim_params = (3,)

    def __init__(
        self,
        weights: Any,
        wires: Any,
        rotations: Sequence[str] = ("RY", "RZ"),
        entanglement: str | Iterable[Sequence[int]] = "linear",
        gate: str = "CNOT",
        device: Any = None,
        id: str | None = None,
        *,
        entangler: str | Iterable[Sequence[int]] | None = None,
    ) -> None:
        pattern, keyword = entanglement_argument(entanglement, entangler, stacklevel=5)
        wires = Wires(wires)
        rotations = tuple(rotations)
        unknown = [r for r in rotations if r not in _ROTATIONS]
        if not rotations or unknown:
            raise ConfigurationError(
                f"rotations must be a non-empty sequence of {sorted(_ROTATIONS)}, got "
                f"{rotations!r}."
            )
        if gate not in ("CNOT", "CZ"):
            raise ConfigurationError(f'gate must be "CNOT" or "CZ", got {gate!r}.')
        shape = math.shape(weights)
        expected = (len(wires), len(rotations))
        if len(shape) not in (3, 4) or tuple(shape[-2:]) != expected:
            raise ConfigurationError(
                f"weights must have shape (n_layers, {expected[0]}, {expected[1]}) (n_layers, "
                f"wires, rotations), with an optional leading batch axis; got {tuple(shape)}. "
                "Use HardwareEfficientAnsatz.shape(n_layers, n_wires) to build them."
            )
        self._hyperparameters = {
            "rotations": rotations,
            "pairs": _pairs(pattern, len(wires), device, keyword),
            "gate": gate,
        }
        super().__init__(weights, wires=wires, id=id)

    @property
    def num_layers(self) -> int:
        """Number of layers."""
        return math.shape(self.data[0])[-3]

    @staticmethod
    def shape(n_layers: int, n_wires: int, n_rotations: int = 2) -> tuple[int, int, int]:
        """Shape of the ``weights`` argument: ``(n_layers, n_wires, n_rotations)``."""
        for name, value in (("n_layers", n_layers), ("n_wires", n_wires)):
            if not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"{name} must be a positive integer, got {value!r}.")
        return (n_layers, n_wires, n_rotations)

    @staticmethod
    def compute_decomposition(
        weights: Any,
        wires: Wires,
        rotations: tuple[str, ...],
        pairs: tuple[tuple[int, int], ...],
        gate: str,
    ) -> list[qp.operation.Operator]:
        """Rotations on every wire, then the entangling gates, layer by layer."""
        entangle = qp.CNOT if gate == "CNOT" else qp.CZ
        ops: list[qp.operation.Operator] = []
        for layer in range(math.shape(weights)[-3]):
            for position, wire in enumerate(wires):
                for r, name in enumerate(rotations):
                    ops.append(_ROTATIONS[name](weights[..., layer, position, r], wires=wire))
            ops.extend(entangle(wires=[wires[a], wires[b]]) for a, b in pairs)
        return ops
