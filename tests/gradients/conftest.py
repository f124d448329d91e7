"""Small circuits shared by the gradient tests."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from pennylane import numpy as pnp


def ansatz(weights, wires=3):
    """Hardware-efficient layers: RY/RZ on every wire, then a CNOT ring."""
    weights = qp.math.reshape(weights, (-1, wires, 2))
    for layer in weights:
        for w in range(wires):
            qp.RY(layer[w, 0], w)
            qp.RZ(layer[w, 1], w)
        for w in range(wires):
            qp.CNOT([w, (w + 1) % wires])


def make_tape(weights, *, wires=3, measurements=None, shots=None, data=None):
    """A tape of :func:`ansatz` with trainable ``weights`` (optionally after data encoding)."""
    with qp.queuing.AnnotatedQueue() as q:
        if data is not None:
            for w in range(wires):
                qp.RX(np.asarray(data)[..., w], w)
        ansatz(weights, wires)
    measurements = measurements or [qp.expval(qp.Z(0) @ qp.Z(1))]
    tape = qp.tape.QuantumScript(q.queue, measurements, shots=shots)
    tape.trainable_params = [
        i
        for i, p in enumerate(tape.get_parameters(trainable_only=False))
        if qp.math.requires_grad(p)
    ]
    return tape


@pytest.fixture
def dev():
    return qp.device("default.qubit")


@pytest.fixture
def weights():
    return pnp.array(np.random.default_rng(0).uniform(0, np.pi, 12), requires_grad=True)


def exact_jacobian(tape, dev):
    """Parameter-shift Jacobian on an analytic simulator, as a (params, ...) array."""
    tapes, fn = qp.gradients.param_shift(tape)
    return np.array(fn(qp.execute(tapes, dev, diff_method=None)))
