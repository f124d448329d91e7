"""Swap a QNode's gradient method with the ``qnative.gradient`` decorator.

The same circuit is differentiated with parameter shift, SPSA (2 circuits per gradient,
whatever the number of parameters), Richardson-extrapolated finite differences and the
natural gradient; the tracker shows what each costs. Run with
``python examples/swap_gradients.py``.
"""

from __future__ import annotations

import numpy as np
import pennylane as qp
from pennylane import numpy as pnp

import pennylane_qnative as qnative

dev = qp.device("qnative.simulator", wires=4, seed=0)


def circuit(weights):
    qnative.HardwareEfficientAnsatz(weights, wires=range(4), entanglement="ring")
    return qp.expval(qp.Z(0) @ qp.Z(1))


def main() -> None:
    weights = pnp.array(np.random.default_rng(1).uniform(0, np.pi, (2, 4, 2)), requires_grad=True)
    exact = qp.grad(qp.QNode(circuit, dev, diff_method="backprop"))(weights)
    for method, options in [
        ("parameter-shift", {}),
        ("spsa", {"schedule": "spall", "c": 0.1, "seed": 0}),
        ("richardson", {"levels": 2}),
        ("natural", {"metric": "block-diag"}),
    ]:
        qnode = qnative.gradient(method, **options)(qp.QNode(circuit, dev))
        with qp.Tracker(dev) as tracker:
            grad = qp.grad(qnode)(weights)
        cosine = np.dot(grad.ravel(), exact.ravel()) / (
            np.linalg.norm(grad) * np.linalg.norm(exact)
        )
        print(
            f"{method:16s} {tracker.totals['executions']:4d} circuits, "
            f"cosine with the exact gradient {cosine:+.3f}"
        )


if __name__ == "__main__":
    main()
