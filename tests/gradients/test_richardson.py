"""Tests of ``pennylane_qnative.gradients.richardson``."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from pennylane import numpy as pnp

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients import (
    GradientEstimate,
    auto_step,
    richardson_grad,
    richardson_weights,
)

from .conftest import exact_jacobian, make_tape


def single_rx(x=0.5, shots=None):
    return qp.tape.QuantumScript(
        [qp.RX(pnp.array(x), 0), qp.RY(pnp.array(0.3), 1), qp.CNOT([0, 1])],
        [qp.expval(qp.Z(1))],
        shots=shots,
    )


def max_error(tape, dev, **options):
    tapes, fn = richardson_grad(tape, **options)
    return np.max(np.abs(np.array(fn(qp.execute(tapes, dev))) - exact_jacobian(tape, dev)))


class TestWeights:
    """The Richardson tableau as linear weights."""

    @pytest.mark.parametrize("levels", [1, 2, 3, 4])
    def test_weights_sum_to_one(self, levels):
        """An extrapolation of a constant is that constant; the error weights cancel."""
        value, error = richardson_weights(levels)
        assert np.isclose(value.sum(), 1)
        assert np.isclose(error.sum(), 0)

    def test_two_levels(self):
        """Two levels: (4 D(h/2) - D(h)) / 3."""
        assert np.allclose(richardson_weights(2)[0], [-1 / 3, 4 / 3])


class TestConvergence:
    """The error falls as h**(2 * levels)."""

    @pytest.mark.parametrize("levels", [1, 2, 3])
    def test_log_log_slope(self, dev, levels):
        """The fitted slope of log(error) against log(h) is 2 * levels."""
        tape = single_rx()
        steps = np.array([0.4, 0.2, 0.1, 0.05])
        errors = [max_error(tape, dev, h=h, levels=levels) for h in steps]
        slope = np.polyfit(np.log(steps), np.log(errors), 1)[0]
        assert abs(slope - 2 * levels) < 0.15

    def test_auto_reaches_rounding_level(self, dev, weights):
        """Analytic, h='auto', levels=2: error near 1e-12 on a 12-parameter circuit."""
        assert max_error(make_tape(weights), dev, levels=2) < 1e-10


class TestAgainstFiniteDiff:
    """Beats PennyLane's finite_diff on accuracy per circuit (documented comparison)."""

    def test_analytic(self, dev, weights):
        """Analytic: levels=1 (2P circuits) beats finite_diff center (2P circuits)."""
        tape = make_tape(weights)
        ours = max_error(tape, dev, levels=1)
        tapes, fn = qp.gradients.finite_diff(tape, approx_order=2, strategy="center")
        theirs = np.max(np.abs(np.array(fn(qp.execute(tapes, dev))) - exact_jacobian(tape, dev)))
        assert len(tapes) == 2 * 12
        assert ours < theirs / 5

    def test_with_shots(self, dev):
        """With 10,000 shots finite_diff's fixed tiny step is useless; h='auto' is not."""
        tape = single_rx(shots=10_000)
        exact = -np.sin(0.5) * np.cos(0.3)
        tapes, fn = richardson_grad(tape, levels=1)
        ours = abs(fn(qp.execute(tapes, dev, diff_method=None))[0] - exact)
        tapes, fn = qp.gradients.finite_diff(tape, approx_order=2, strategy="center")
        theirs = abs(fn(qp.execute(tapes, dev, diff_method=None))[0] - exact)
        assert ours < 0.1 < theirs


class TestErrorEstimate:
    """``return_error`` gives a GradientEstimate whose error bounds the true error."""

    @pytest.mark.parametrize(
        ("levels", "h"), [pytest.param(2, 0.2, id="L2-h0.2"), pytest.param(3, 0.4, id="L3-h0.4")]
    )
    def test_bounds_true_error(self, dev, weights, levels, h):
        """The estimate is at least the true error and not absurdly larger."""
        tape = make_tape(weights)
        tapes, fn = richardson_grad(tape, h=h, levels=levels, return_error=True)
        est = fn(qp.execute(tapes, dev))
        assert isinstance(est, GradientEstimate)
        true = np.abs(np.array(est.jacobian) - exact_jacobian(tape, dev))
        assert np.all(true <= np.array(est.error) + 1e-14)
        assert np.max(est.error) < 1e3 * max(np.max(true), 1e-12)

    def test_on_qnode_through_classical_processing(self, dev):
        """On a QNode the error is propagated through the classical Jacobian."""

        @qp.qnode(dev)
        def circuit(x):
            qp.RX(2 * x, 0)
            return qp.expval(qp.Z(0))

        est = richardson_grad(circuit, h=0.1, levels=2, return_error=True)(
            pnp.array(0.3, requires_grad=True)
        )
        assert np.isclose(est.jacobian, -2 * np.sin(0.6), atol=est.error)


class TestStepAndStructure:
    """Automatic steps, circuit counts, output structure and validation."""

    def test_auto_step_grows_with_noise(self):
        """Shots make the automatic step larger than in analytic mode."""
        analytic = auto_step(single_rx(), 0, 2)
        noisy = auto_step(single_rx(shots=1000), 0, 2)
        assert 1e-4 < analytic < 1e-2 < noisy

    @pytest.mark.parametrize("levels", [1, 2, 3])
    def test_tape_count(self, weights, levels):
        """2 * levels circuits per parameter."""
        tapes, _ = richardson_grad(make_tape(weights), levels=levels)
        assert len(tapes) == 2 * levels * 12

    @pytest.mark.parametrize("levels", [1, 3])
    def test_tracker_count_on_qnode(self, levels):
        """The Tracker sees exactly 2 * levels circuits per parameter."""
        dev = qp.device("default.qubit")

        @qp.qnode(dev)
        def circuit(x):
            qp.RX(x[0], 0)
            qp.RY(x[1], 1)
            qp.CNOT([0, 1])
            qp.RZ(x[2], 1)
            qp.RX(x[2], 1)
            return qp.expval(qp.Z(1))

        with qp.Tracker(dev) as tracker:
            richardson_grad(circuit, levels=levels)(pnp.array([0.1, 0.2, 0.3], requires_grad=True))
        assert tracker.totals["executions"] == 2 * levels * 4  # x[2] enters twice

    def test_shot_vector_and_argnum(self, dev, weights):
        """Shot vectors give one Jacobian per copy; argnum restricts the tapes."""
        tape = make_tape(weights, shots=(1000, 2000))
        tapes, fn = richardson_grad(tape, argnum=[0, 1], levels=1)
        jac = fn(qp.execute(tapes, dev))
        assert len(tapes) == 4
        assert len(jac) == 2
        assert len(jac[0]) == 12

    def test_as_diff_method_with_jax(self, dev):
        """jax.jit(jax.grad) through richardson_grad."""
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)

        @qp.qnode(dev, diff_method=richardson_grad, interface="jax")
        def circuit(x):
            qp.RX(x**2, 0)
            return qp.expval(qp.Z(0))

        g = jax.jit(jax.grad(circuit))(jax.numpy.array(0.7))
        assert np.isclose(g, -1.4 * np.sin(0.49), atol=1e-9)

    @pytest.mark.parametrize(
        "options",
        [
            pytest.param({"h": "big"}, id="h-string"),
            pytest.param({"h": -0.1}, id="h-negative"),
            pytest.param({"levels": 0}, id="levels-0"),
            pytest.param({"h": [0.1, 0.2]}, id="h-length"),
        ],
    )
    def test_refused(self, weights, options):
        """Bad options raise ConfigurationError."""
        with pytest.raises(ConfigurationError):
            richardson_grad(make_tape(weights), **options)
