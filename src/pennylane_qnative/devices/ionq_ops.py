"""IonQ's native gates as PennyLane operations: what ``gateset="native"`` bills, made visible.

``qnative.ionq(gateset="native")`` ends its preprocessing with
:func:`~pennylane_qnative.devices.ionq_preprocess.compile_native`, which compiles every circuit
into these operations, so ``qp.specs(qnode, level="device")`` counts and
``qp.draw(qnode, level="device")`` shows exactly the pulses a job is billed for; ``execute``
translates them one to one. They may also be written directly in a circuit (as with
pennylane-ionq's ``GPI``, ``GPI2`` and ``MS``, whose signatures they share).

Phases and angles are in *turns* (fractions of 2 pi), as in IonQ's JSON (``docs/ionq-api.md``
section 5.3): with :math:`\\sigma_\\phi = \\cos(2\\pi\\phi) X + \\sin(2\\pi\\phi) Y`,

=============================== ==========================================================
``GPI(phi)``                    :math:`\\sigma_\\phi`
``GPI2(phi)``                   :math:`\\exp(-i \\frac{\\pi}{4} \\sigma_\\phi)`
``MS(phi0, phi1, theta=0.25)``  :math:`\\exp(-i \\pi \\theta\\, \\sigma_{\\phi_0} \\otimes
                                \\sigma_{\\phi_1})` (Aria-class backends)
``NativeZZ(theta)``             :math:`\\exp(-i \\pi \\theta\\, Z \\otimes Z)` (IonQ's native
                                ``zz``, Forte-class backends)
=============================== ==========================================================

Each has a decomposition into ``RZ``, ``RX``, ``PauliX``, ``IsingXX`` and ``IsingZZ``, so the
``qis`` gate set and every PennyLane simulator run them too. Like pennylane-ionq's, they have
no gradient recipe (``grad_method = None``): differentiate the circuit before compilation.

**Example**

>>> import numpy as np
>>> import pennylane as qp
>>> bool(np.allclose(qp.matrix(GPI2(0.0, wires=0)), qp.matrix(qp.RX(np.pi / 2, 0))))
True
>>> from_ionq({"gate": "ms", "targets": [0, 1], "phases": [0.0, 0.5], "angle": 0.25}, ["a", "b"])
MS(0.0, 0.5, 0.25, wires=['a', 'b'])
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pennylane as qp
from pennylane.operation import Operation

from pennylane_qnative.exceptions import UnsupportedCircuitError

__all__ = ["GPI", "GPI2", "MS", "NATIVE_OPERATIONS", "NativeZZ", "from_ionq"]

TWO_PI = 2 * math.pi


_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)


def _sigma(phi: Any) -> Any:
    """:math:`\\sigma_\\phi` (``phi`` in turns; broadcast along leading axes)."""
    angle = qp.math.cast(TWO_PI * phi, complex)
    return qp.math.einsum("...,ij->...ij", qp.math.cos(angle), _X) + qp.math.einsum(
        "...,ij->...ij", qp.math.sin(angle), _Y
    )


class GPI(Operation):
    """GPI(phi, wires): IonQ's native single-qubit pi pulse, :math:`\\sigma_\\phi`.

    Args:
        phi (float): the phase, in turns
        wires (Sequence[int] | int): the qubit
    """

    num_params = 1
    num_wires = 1
    grad_method = None

    @staticmethod
    def compute_matrix(phi):
        return _sigma(phi)

    @staticmethod
    def compute_decomposition(phi, wires):
        a = TWO_PI * phi
        return [qp.RZ(-a, wires), qp.PauliX(wires), qp.RZ(a, wires)]


class GPI2(Operation):
    """GPI2(phi, wires): IonQ's native pi/2 pulse, :math:`\\exp(-i\\pi\\sigma_\\phi/4)`.

    Args:
        phi (float): the phase, in turns
        wires (Sequence[int] | int): the qubit
    """

    num_params = 1
    num_wires = 1
    grad_method = None

    @staticmethod
    def compute_matrix(phi):
        return (np.eye(2, dtype=complex) - 1j * _sigma(phi)) / math.sqrt(2)

    @staticmethod
    def compute_decomposition(phi, wires):
        a = TWO_PI * phi
        return [qp.RZ(-a, wires), qp.RX(math.pi / 2, wires), qp.RZ(a, wires)]


class MS(Operation):
    """MS(phi0, phi1, theta=0.25, wires): IonQ's native Molmer-Sorensen gate.

    :math:`\\exp(-i \\pi \\theta\\, \\sigma_{\\phi_0} \\otimes \\sigma_{\\phi_1})`;
    ``theta=0.25`` is fully entangling.

    Args:
        phi0 (float): the phase of the first qubit, in turns
        phi1 (float): the phase of the second qubit, in turns
        theta (float): the angle, in turns, 0 to 0.25
        wires (Sequence[int]): the two qubits
    """

    num_params = 3
    num_wires = 2
    grad_method = None

    def __init__(self, phi0, phi1, theta=0.25, wires=None, id=None):
        super().__init__(phi0, phi1, theta, wires=wires, id=id)

    @staticmethod
    def compute_matrix(phi0, phi1, theta):
        a, b = _sigma(phi0), _sigma(phi1)
        both = qp.math.reshape(
            qp.math.einsum("...ij,...kl->...ikjl", a, b), (*qp.math.shape(a)[:-2], 4, 4)
        )
        angle = qp.math.cast(math.pi * theta, complex)
        eye = np.eye(4, dtype=complex)
        return qp.math.einsum("...,ij->...ij", qp.math.cos(angle), eye) - 1j * qp.math.einsum(
            "...,...ij->...ij", qp.math.sin(angle), both
        )

    @staticmethod
    def compute_decomposition(phi0, phi1, theta, wires):
        a, b = TWO_PI * phi0, TWO_PI * phi1
        return [
            qp.RZ(-a, wires[0]),
            qp.RZ(-b, wires[1]),
            qp.IsingXX(TWO_PI * theta, wires),
            qp.RZ(a, wires[0]),
            qp.RZ(b, wires[1]),
        ]


class NativeZZ(Operation):
    """NativeZZ(theta, wires): IonQ's native ``zz`` gate, :math:`\\exp(-i\\pi\\theta Z\\otimes Z)`.

    (Not pennylane-ionq's ``ZZ``, a ``qis`` gate in radians: this is the native one, in turns.)

    Args:
        theta (float): the angle, in turns
        wires (Sequence[int]): the two qubits
    """

    num_params = 1
    num_wires = 2
    grad_method = None

    @staticmethod
    def compute_matrix(theta):
        return qp.IsingZZ.compute_matrix(TWO_PI * theta)

    @staticmethod
    def compute_decomposition(theta, wires):
        return [qp.IsingZZ(TWO_PI * theta, wires)]


NATIVE_OPERATIONS: dict[str, type[Operation]] = {
    "gpi": GPI,
    "gpi2": GPI2,
    "ms": MS,
    "zz": NativeZZ,
}
"""IonQ native gate name -> its operation."""


def from_ionq(gate: Mapping[str, Any], wires: Sequence[Any]) -> Operation:
    """The operation of one IonQ native JSON gate (``wires[i]`` is qubit ``i``).

    Raises:
        UnsupportedCircuitError: for a gate that is not native
    """
    name = gate.get("gate")
    if name in ("gpi", "gpi2"):
        return NATIVE_OPERATIONS[name](gate["phase"], wires=wires[gate["target"]])
    targets = [wires[q] for q in gate.get("targets", ())]
    if name == "ms":
        return MS(*gate["phases"], gate.get("angle", 0.25), wires=targets)
    if name == "zz":
        return NativeZZ(gate["angle"], wires=targets)
    raise UnsupportedCircuitError(
        f"IonQ gate {name!r} is not a native gate (gpi, gpi2, ms, zz): it has no native "
        "operation; compile the circuit with gateset='native'."
    )
