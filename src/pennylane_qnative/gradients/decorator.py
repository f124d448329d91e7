"""The QNode decorator :func:`gradient`, which swaps a QNode's gradient method.

Names are resolved by :func:`~pennylane_qnative.gradients.registry.resolve` over the one
table of :mod:`~pennylane_qnative.gradients.methods`, shared with the devices'
``diff_method="device"`` path and the trainer, so a name means the same thing everywhere.
``METHODS``, ``BoundGradient`` and ``resolve`` are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable

import pennylane as qp

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients._compat import Transform
from pennylane_qnative.gradients.methods import METHODS
from pennylane_qnative.gradients.registry import BoundGradient, resolve

__all__ = ["METHODS", "BoundGradient", "gradient", "resolve"]


def gradient(method: str | Transform, **options) -> Callable[[qp.QNode], qp.QNode]:
    """Decorator swapping the gradient method of a QNode.

    Place it above ``@qp.qnode``. The method is resolved once (:func:`resolve`), so stateful
    methods keep their state across calls; it is reachable as ``circuit.diff_method``. The
    QNode's previous ``gradient_kwargs`` belonged to its previous method and are dropped.

    Args:
        method (str | Transform): a name from :data:`METHODS` or a transform object
        **options: options of the method

    **Example**

    >>> import pennylane as qp
    >>> from pennylane import numpy as pnp
    >>> import pennylane_qnative.gradients as qg
    >>> @qg.gradient("spsa", schedule="spall", c=0.2, seed=0)
    ... @qp.qnode(qp.device("default.qubit"))
    ... def circuit(x):
    ...     qp.RX(x, 0)
    ...     return qp.expval(qp.Z(0))
    >>> _ = qp.grad(circuit)(pnp.array(0.5, requires_grad=True))
    >>> circuit.diff_method.k
    1
    """
    transform = resolve(method, **options)

    def decorate(qnode: qp.QNode) -> qp.QNode:
        if not isinstance(qnode, qp.QNode):
            raise ConfigurationError(
                f"gradient({method!r}) decorates a QNode, got {type(qnode).__name__}: place it "
                "above @qp.qnode(...)."
            )
        new = qnode.update(diff_method=transform)
        new.gradient_kwargs = {}
        return new

    return decorate
