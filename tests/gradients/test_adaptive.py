"""Tests of ``pennylane_qnative.gradients.adaptive``."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from pennylane import numpy as pnp

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients import SPSA, AdaptiveGradient

from .conftest import make_tape


def run(adaptive, tape, dev):
    """One gradient evaluation at tape level; returns the number of circuits it used."""
    tapes, fn = adaptive(tape)
    fn(qp.execute(tapes, dev))
    return len(tapes)


class TestSwitchingRule:
    """SPSA warm-up, periodic parameter shift, natural gradient on plateaus."""

    def test_rule_with_observed_losses(self, dev, weights):
        """Falling loss: SPSA; every 10th: parameter shift; flat loss: natural."""
        adaptive = AdaptiveGradient(seed=0)
        tape = make_tape(weights)
        losses = [1.0 * 0.9**k for k in range(12)] + [0.28] * 12
        for loss in losses:
            run(adaptive, tape, dev)
            adaptive.observe(loss)
        history = adaptive.method_history
        assert history[:10] == ["spsa"] * 10
        assert history[10] == "parameter-shift"
        assert history[20] == "parameter-shift"
        assert history[11] == "spsa"  # still improving by > 1% over the window
        # losses are flat from index 12: plateau detected once the window is flat
        assert history[17] == "spsa"  # losses[16] vs losses[11]: still a 10% improvement
        assert set(history[18:20]) == {"natural"}
        assert set(history[21:]) == {"natural"}

    @pytest.mark.parametrize(
        ("options", "expected"),
        [
            pytest.param(
                {"warmup": 2, "exact_every": 3},
                ["spsa", "spsa", "spsa", "parameter-shift", "spsa", "spsa"],
                id="short-periods",
            ),
            pytest.param({"warmup": 0, "exact_every": 0}, ["spsa"] * 6, id="never-exact"),
        ],
    )
    def test_configurable_thresholds(self, dev, weights, options, expected):
        """warmup and exact_every are honoured (falling loss, so never natural)."""
        adaptive = AdaptiveGradient(seed=0, **options)
        for k in range(6):
            run(adaptive, make_tape(weights), dev)
            adaptive.observe(1.0 / (k + 1))
        assert adaptive.method_history == expected

    def test_threshold_zero_means_never_natural_on_improvement(self):
        """plateau() compares relative improvement with the threshold."""
        adaptive = AdaptiveGradient(window=2, threshold=0.5)
        for loss in (1.0, 0.8, 0.6):
            adaptive.observe(loss)
        assert adaptive.plateau()  # 40% < 50%
        adaptive.threshold = 0.3
        assert not adaptive.plateau()


class TestCircuitCounts:
    """Tracker-verified circuits per method (12 parameters)."""

    def test_counts_per_method(self, weights):
        """SPSA 2 (proxy loss is free), parameter shift 24 + 1, natural 2 + metric + 1."""
        dev = qp.device("default.qubit")
        adaptive = AdaptiveGradient(warmup=1, exact_every=2, window=1, threshold=2.0, seed=0)
        tape = make_tape(weights)
        counts = []
        for _ in range(4):
            with qp.Tracker(dev) as tracker:
                assert run(adaptive, tape, dev) == tracker.totals["executions"]
            counts.append(tracker.totals["executions"])
        metric_tapes = len(qp.metric_tensor(tape, approx="block-diag")[0])
        assert adaptive.method_history == ["spsa", "spsa", "parameter-shift", "natural"]
        assert counts == [2, 2, 24 + 1, 2 + metric_tapes + 1]
        assert len(adaptive.losses) == 4  # proxies recorded without observe()


class TestUsage:
    """From a plain QNode and from a trainer-like loop."""

    def test_plain_qnode_with_optimizer(self, dev):
        """diff_method=AdaptiveGradient in a GradientDescentOptimizer loop."""
        adaptive = AdaptiveGradient(warmup=3, exact_every=4, seed=1)

        @qp.qnode(dev, diff_method=adaptive)
        def circuit(x):
            qp.RX(x[0], 0)
            qp.RY(x[1], 0)
            return qp.expval(qp.Z(0))

        opt, x = qp.GradientDescentOptimizer(0.3), pnp.array([0.3, 0.4], requires_grad=True)
        for _ in range(8):
            x = opt.step(circuit, x)
        assert adaptive.k == 8
        assert len(adaptive.method_history) == 8
        assert adaptive.method_history[4] == "parameter-shift"
        assert circuit(x) < np.cos(0.3) * np.cos(0.4)

    def test_trainer_loop_with_observe(self, dev):
        """A trainer computes a real loss (not the QNode value) and reports it."""
        adaptive = AdaptiveGradient(warmup=2, exact_every=0, window=2, seed=1)

        @qp.qnode(dev, diff_method=adaptive)
        def model(x):
            qp.RX(x[0], 0)
            qp.RY(x[1], 0)
            return qp.expval(qp.Z(0))

        def loss(x):
            return (model(x) - 0.5) ** 2

        opt, x = qp.GradientDescentOptimizer(0.5), pnp.array([0.3, 0.4], requires_grad=True)
        for _ in range(5):
            x, value = opt.step_and_cost(loss, x)
            adaptive.observe(value)
        assert adaptive.losses == pytest.approx(adaptive.losses)  # floats
        assert len(adaptive.losses) == 5
        assert adaptive.k == 5

    def test_jax_jit(self, dev):
        """jax.jit(jax.grad) drives the switching too."""
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)
        adaptive = AdaptiveGradient(warmup=1, exact_every=2, seed=1)

        @qp.qnode(dev, diff_method=adaptive, interface="jax")
        def circuit(x):
            qp.RX(x[0], 0)
            qp.RY(x[1], 0)
            return qp.expval(qp.Z(0))

        grad = jax.jit(jax.grad(circuit))
        x = jax.numpy.array([0.3, 0.4])
        for _ in range(3):
            g = grad(x)
        assert adaptive.method_history == ["spsa", "spsa", "parameter-shift"]
        assert np.allclose(g, [-np.sin(0.3) * np.cos(0.4), -np.cos(0.3) * np.sin(0.4)])

    def test_state_dict_round_trip(self, dev, weights):
        """Counters, histories and sub-states are restored."""
        adaptive = AdaptiveGradient(warmup=1, exact_every=2, seed=0)
        for _ in range(3):
            run(adaptive, make_tape(weights), dev)
        clone = AdaptiveGradient(warmup=1, exact_every=2, seed=9)
        clone.load_state_dict(adaptive.state_dict())
        assert clone.k == 3
        assert clone.method_history == adaptive.method_history
        assert clone.spsa.k == adaptive.spsa.k
        assert clone.choose(4) == adaptive.choose(4) == "parameter-shift"

    @pytest.mark.parametrize(
        "options",
        [
            pytest.param({"warmup": -1}, id="warmup"),
            pytest.param({"window": 0}, id="window"),
            pytest.param({"threshold": float("nan")}, id="threshold"),
            pytest.param({"exact": "nope"}, id="exact"),
        ],
    )
    def test_refused(self, options):
        """Bad options raise ConfigurationError."""
        with pytest.raises(ConfigurationError):
            AdaptiveGradient(**options)

    def test_accepts_objects(self):
        """Sub-methods can be given as configured objects."""
        spsa = SPSA(c=0.3, seed=0)
        assert AdaptiveGradient(spsa=spsa).spsa is spsa
