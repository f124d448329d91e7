"""Tests of ``pennylane_qnative.gradients.natural``."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from pennylane import numpy as pnp

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients import NaturalGradient, natural_grad
from pennylane_qnative.gradients.natural import _qnspsa_tapes

from .conftest import ansatz


def two_qubit(x):
    ansatz(x, wires=2)
    return qp.expval(qp.Z(0) @ qp.Z(1)), qp.expval(qp.X(1))


@pytest.fixture
def x():
    return pnp.array(np.random.default_rng(4).uniform(0, np.pi, 8), requires_grad=True)


def reference(x, approx, lam, loss):
    """pinv(G + lam I) grad L from PennyLane's metric_tensor and parameter shift."""
    qnode = qp.QNode(two_qubit, qp.device("default.qubit"), diff_method="parameter-shift")
    metric = qp.metric_tensor(qnode, approx=approx)(x)
    grad = qp.grad(lambda v: loss(qnode(v)))(x)
    return np.linalg.pinv(metric + lam * np.eye(len(x))) @ grad


LOSSES = [
    pytest.param(lambda f: f[0], id="expval"),
    pytest.param(lambda f: (f[0] - 0.3) ** 2 + 2 * f[1], id="nonlinear-two-outputs"),
]


class TestAgainstMetricTensor:
    """Natural gradient == pinv(G + lam I) grad L, for any loss, to 1e-8."""

    @pytest.mark.parametrize("loss", LOSSES)
    @pytest.mark.parametrize(
        ("approx", "lam"),
        [
            pytest.param("block-diag", 0.0, id="block-diag"),
            pytest.param("block-diag", 0.05, id="block-diag-lam"),
            pytest.param("diag", 0.01, id="diag"),
        ],
    )
    def test_matches_reference(self, x, approx, lam, loss):
        """The QNode gradient with diff_method=natural_grad is the natural gradient."""
        qnode = qp.QNode(
            two_qubit,
            qp.device("default.qubit"),
            diff_method=natural_grad,
            gradient_kwargs={"metric": approx, "lam": lam},
        )
        ours = qp.grad(lambda v: loss(qnode(v)))(x)
        assert np.allclose(ours, reference(x, approx, lam, loss), atol=1e-8, rtol=0)

    def test_jax(self, x):
        """jax.grad gives the same natural gradient."""
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)
        qnode = qp.QNode(two_qubit, qp.device("default.qubit"), diff_method=natural_grad)
        ours = jax.grad(lambda v: qnode(v)[0])(jax.numpy.array(np.array(x)))
        expected = reference(x, "block-diag", 0.01, lambda f: f[0])
        assert np.allclose(ours, expected, atol=1e-8)


class TestBroadcasting:
    """With data broadcast over a batch each sample gets its own metric."""

    def test_per_sample_metric(self, dev):
        """Row b of the Jacobian is J_b pinv(G_b + lam I)."""
        data = np.array([0.1, 0.7, 1.3])
        w = pnp.array([0.4, 0.9, 0.2], requires_grad=True)

        def circuit(w, d):
            qp.RX(d, 0)
            qp.RY(w[0], 0)
            qp.RY(w[1], 1)
            qp.CNOT([0, 1])
            qp.RX(w[2], 1)
            return qp.expval(qp.Z(1))

        jac = natural_grad(qp.QNode(circuit, dev), lam=0.01)(w, data)
        assert np.shape(jac) == (3, 3)
        for b, d in enumerate(data):
            single = qp.QNode(circuit, dev)
            metric = qp.metric_tensor(single, approx="block-diag")(w, d)
            grad = qp.jacobian(single)(w, d)
            expected = np.linalg.pinv(metric + 0.01 * np.eye(3)) @ grad
            assert np.allclose(jac[b], expected, atol=1e-8)


class TestQNSPSA:
    """Gacon et al.'s stochastic metric: 4 overlap circuits, running average."""

    def test_unbiased_metric_estimate(self, dev):
        """The mean of 400 raw estimates is within 4 standard errors of the exact metric."""
        x = pnp.array([0.3, 0.8, 0.5], requires_grad=True)
        tape = qp.tape.QuantumScript(
            [qp.RX(x[0], 0), qp.RY(x[1], 1), qp.CNOT([0, 1]), qp.RY(x[2], 0)],
            [qp.expval(qp.Z(0))],
        )
        rng = np.random.default_rng(0)
        batches = [_qnspsa_tapes(tape, [0, 1, 2], 3, 0.01, rng) for _ in range(400)]
        results = qp.execute([t for tapes, _ in batches for t in tapes], dev)
        est = np.array([fn(results[4 * i : 4 * i + 4]) for i, (_, fn) in enumerate(batches)])
        exact = qp.metric_tensor(tape, approx=None)
        exact = exact[1](qp.execute(exact[0], dev))
        std_error = est.std(axis=0, ddof=1) / np.sqrt(len(est))
        assert np.all(np.abs(est.mean(axis=0) - exact) < 4 * std_error)

    def test_six_circuits_and_running_average(self, dev, x):
        """2 SPSA + 4 overlap circuits per evaluation; the average folds each estimate."""
        qn = NaturalGradient(metric="qnspsa", seed=1)
        qnode = qp.QNode(two_qubit, dev, diff_method=qn)
        with qp.Tracker(dev) as tracker:
            for _ in range(3):
                qp.grad(lambda v: qnode(v)[0])(x)
        # per step: forward (2 circuits: Z0Z1 and X1 do not commute), SPSA (2 tapes x 2),
        # and 4 overlap circuits
        assert tracker.totals["executions"] == 3 * (2 + 4 + 4)
        assert qn.k == 3
        assert qn.num_estimates == 3
        assert qn.metric_average.shape == (8, 8)

    def test_state_dict(self, dev, x):
        """The running average and the random stream survive a checkpoint."""
        qn = NaturalGradient(metric="qnspsa", seed=1)
        tape = qp.workflow.construct_tape(qp.QNode(two_qubit, dev))(x)
        tapes, fn = qn(tape)
        fn(qp.execute(tapes, dev))
        clone = NaturalGradient(metric="qnspsa", seed=5)
        clone.load_state_dict(qn.state_dict())
        assert np.allclose(clone.metric_average, qn.metric_average)
        assert clone.k == 1
        assert np.allclose(qn(tape)[0][0].get_parameters(), clone(tape)[0][0].get_parameters())


class TestCountsAndValidation:
    """Circuit counts and option validation."""

    def test_block_diag_circuit_count(self, dev, x):
        """Parameter shift (2 per parameter) plus one circuit per metric layer."""
        tape = qp.workflow.construct_tape(qp.QNode(two_qubit, dev))(x)
        tapes, _ = natural_grad(tape)
        layers = len(qp.metric_tensor(tape, approx="block-diag")[0])
        assert len(tapes) == 2 * 8 + layers

    @pytest.mark.parametrize(
        "options",
        [
            pytest.param({"metric": "full"}, id="metric"),
            pytest.param({"lam": -1.0}, id="lam"),
            pytest.param({"gradient": "magic"}, id="gradient"),
        ],
    )
    def test_refused(self, dev, x, options):
        """Bad options raise ConfigurationError."""
        tape = qp.workflow.construct_tape(qp.QNode(two_qubit, dev))(x)
        with pytest.raises(ConfigurationError):
            natural_grad(tape, **options)
