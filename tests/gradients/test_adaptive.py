"""Tests of ``pennylane_qnative.gradients.adaptive``."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from pennylane import numpy as pnp

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients import SPSA, AdaptiveGradient, NaturalGradient
from pennylane_qnative.gradients.spsa import HadamardSampler, rademacher_sampler

from .conftest import exact_jacobian, make_tape


def run(adaptive, tape, dev):
    """One gradient evaluation at tape level; returns the number of circuits it used."""
    tapes, fn = adaptive(tape)
    fn(qp.execute(tapes, dev))
    return len(tapes)


def feed(adaptive, tape, dev, losses):
    """One evaluation per loss, each followed by observing that loss."""
    for loss in losses:
        run(adaptive, tape, dev)
        adaptive.observe(loss)


class TestSwitchingRule:
    """SPSA warm-up, periodic parameter shift, natural gradient on plateaus."""

    def test_rule_with_observed_losses(self, dev, weights):
        """Falling loss: SPSA; every 10th: parameter shift; flat loss: natural (endpoints)."""
        adaptive = AdaptiveGradient(plateau_test="endpoints", seed=0)
        tape = make_tape(weights)
        losses = [1.0 * 0.9**k for k in range(12)] + [0.28] * 12
        feed(adaptive, tape, dev, losses)
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

    def test_means_rule_with_observed_losses(self, dev, weights):
        """Default test: means of two windows; the plateau shows once both windows are flat."""
        adaptive = AdaptiveGradient(seed=0)
        tape = make_tape(weights)
        losses = [1.0 * 0.9**k for k in range(12)] + [0.28] * 14
        feed(adaptive, tape, dev, losses)
        history = adaptive.method_history
        assert history[:10] == ["spsa"] * 10
        assert history[10] == history[20] == "parameter-shift"
        # evaluation k sees losses[:k]; the window means are flat from k = 22 (losses 12-21)
        assert set(history[11:20]) == {"spsa"}
        assert history[21] == "spsa"  # losses[11] (0.31) still in the older window: 2% drop
        assert history[22:] == ["natural"] * 4

    def test_means_test_ignores_noise_on_a_falling_trend(self):
        """Mini-batch noise of +-15% on a loss falling 3% a window: z=1 rarely calls it a
        plateau; the single-loss test and the plain means (z=0) do so about half the time."""
        rng = np.random.default_rng(0)
        losses = 0.7 * 0.97 ** (np.arange(60) / 5) * (1 + 0.15 * rng.standard_normal(60))
        counts = {}
        for name, options in {
            "z1": {},
            "z0": {"plateau_z": 0.0},
            "endpoints": {"plateau_test": "endpoints"},
        }.items():
            adaptive = AdaptiveGradient(**options)
            hits = 0
            for loss in losses:
                adaptive.observe(loss)
                hits += adaptive.plateau()
            counts[name] = hits
        assert counts["z1"] <= 0.2 * len(losses)
        assert counts["z0"] > 2 * counts["z1"]
        assert counts["endpoints"] > 2 * counts["z1"]

    def test_means_test_without_noise_is_the_threshold(self):
        """Noise-free losses: z has no effect, the drop of the means decides."""
        adaptive = AdaptiveGradient(window=2, threshold=0.05, plateau_z=3.0)
        for loss in (1.0, 1.0, 0.97, 0.97):  # means 1.0 -> 0.97: 3% < 5%
            adaptive.observe(loss)
        assert adaptive.plateau()
        adaptive.threshold = 0.02
        assert not adaptive.plateau()

    def test_threshold_zero_means_never_natural_on_improvement(self):
        """plateau() compares relative improvement with the threshold."""
        adaptive = AdaptiveGradient(window=2, threshold=0.5, plateau_test="endpoints")
        for loss in (1.0, 0.8, 0.6):
            adaptive.observe(loss)
        assert adaptive.plateau()  # 40% < 50%
        adaptive.threshold = 0.3
        assert not adaptive.plateau()


class TestCircuitCounts:
    """Tracker-verified circuits per method (12 parameters)."""

    def test_counts_per_method_default(self, weights):
        """SPSA 3 directions 6 (proxy free), parameter shift 24 + 1, natural 6 + 4 + 1."""
        dev = qp.device("default.qubit")
        adaptive = AdaptiveGradient(warmup=1, exact_every=2, window=1, threshold=2.0, seed=0)
        tape = make_tape(weights)
        counts = []
        for _ in range(4):
            with qp.Tracker(dev) as tracker:
                assert run(adaptive, tape, dev) == tracker.totals["executions"]
            counts.append(tracker.totals["executions"])
        assert adaptive.method_history == ["spsa", "spsa", "parameter-shift", "natural"]
        assert counts == [6, 6, 24 + 1, 6 + 4 + 1]
        assert len(adaptive.losses) == 4  # proxies recorded without observe()

    def test_counts_per_method(self, weights):
        """Literal rule: SPSA 2 (proxy free), parameter shift 24 + 1, natural 2 + metric + 1."""
        dev = qp.device("default.qubit")
        adaptive = AdaptiveGradient(
            warmup=1,
            exact_every=2,
            window=1,
            threshold=2.0,
            plateau_test="endpoints",
            spsa={"num_directions": 1},
            natural={"metric": "block-diag", "gradient_kwargs": {"num_directions": 1}},
            seed=0,
        )
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
        spsa = SPSA(schedule="spall", c=0.3, seed=0)
        assert AdaptiveGradient(spsa=spsa).spsa is spsa


class TestOptions:
    """plateau_test, plateau_z, match_norms and the natural step's rescaling."""

    @pytest.mark.parametrize(
        ("options", "words"),
        [
            pytest.param({"plateau_test": "median"}, ["plateau_test='median'", "means"], id="test"),
            pytest.param({"plateau_z": -1.0}, ["plateau_z=-1.0", ">= 0"], id="z-negative"),
            pytest.param({"plateau_z": float("nan")}, ["plateau_z=nan"], id="z-nan"),
            pytest.param({"plateau_z": float("inf")}, ["plateau_z=inf"], id="z-inf"),
        ],
    )
    def test_refused_with_message(self, options, words):
        """Bad plateau options name the option, the value and what to pass."""
        with pytest.raises(ConfigurationError) as info:
            AdaptiveGradient(**options)
        for word in words:
            assert word in str(info.value)

    def test_defaults(self):
        """The documented defaults."""
        adaptive = AdaptiveGradient(seed=0)
        assert (adaptive.plateau_test, adaptive.plateau_z, adaptive.match_norms) == (
            "means",
            1.0,
            True,
        )
        assert adaptive.spsa.num_directions == 3
        natural = adaptive.natural
        assert (natural.metric.value, natural.lam, natural.rescale) == ("qnspsa", 0.1, True)
        assert natural.gradient_kwargs["num_directions"] == 3

    @pytest.mark.parametrize("directions", [1, 3])
    def test_match_norms_scales_spsa(self, dev, weights, directions):
        """Same seed, same directions: the matched estimate is sqrt(m / (m + n - 1)) times
        the raw one (n = 12 parameters)."""
        tape = make_tape(weights)
        jacobians, factors = [], []
        for match in (True, False):
            adaptive = AdaptiveGradient(
                match_norms=match, spsa={"num_directions": directions}, seed=3
            )
            tapes, fn = adaptive(tape)
            jacobians.append(np.array(fn(qp.execute(tapes, dev))))
            factors.append(adaptive.norm_factor("spsa", 12))
        factor = np.sqrt(directions / (directions + 12 - 1))
        assert factors == [pytest.approx(factor), 1.0]
        assert np.allclose(jacobians[0], factor * jacobians[1])

    def test_match_norms_leaves_exact_steps(self, dev, weights):
        """Parameter shift is returned unscaled (factor 1) and equals the exact Jacobian."""
        adaptive = AdaptiveGradient(warmup=0, exact_every=1, seed=0)
        tape = make_tape(weights)
        tapes, fn = adaptive(tape)
        assert adaptive.method_history == ["parameter-shift"]
        assert adaptive.norm_factor("parameter-shift", 12) == 1.0
        assert np.allclose(np.array(fn(qp.execute(tapes, dev))), exact_jacobian(tape, dev))

    def test_norm_factor_of_natural_steps(self):
        """Rescaled natural steps on an SPSA base get the base's factor; others get 1."""
        default = AdaptiveGradient(seed=0)
        assert default.norm_factor("natural", 12) == pytest.approx(np.sqrt(3 / 14))
        unscaled = AdaptiveGradient(natural={"rescale": False}, seed=0)
        assert unscaled.norm_factor("natural", 12) == 1.0
        exact_base = AdaptiveGradient(
            natural={"gradient": "parameter-shift", "gradient_kwargs": {}}, seed=0
        )
        assert exact_base.norm_factor("natural", 12) == 1.0
        assert AdaptiveGradient(match_norms=False).norm_factor("spsa", 12) == 1.0
        assert default.norm_factor("spsa", 1) == 1.0

    def test_natural_rescale_keeps_the_base_norm(self, dev, weights):
        """NaturalGradient(rescale=True) returns J G^-1 scaled to the norm of J: same
        direction as without rescaling, the parameter-shift Jacobian's length."""
        tape = make_tape(weights)
        out = {}
        for rescale in (True, False):
            natural = NaturalGradient(metric="block-diag", rescale=rescale)
            tapes, fn = natural(tape)
            out[rescale] = np.array(fn(qp.execute(tapes, dev)))
        base = exact_jacobian(tape, dev)
        assert np.linalg.norm(out[True]) == pytest.approx(np.linalg.norm(base))
        cosine = out[True] @ out[False] / np.linalg.norm(out[True]) / np.linalg.norm(out[False])
        assert cosine == pytest.approx(1.0)

    def test_state_dict_round_trip_with_means_test(self, dev, weights):
        """A restored object makes the same plateau decisions and continues the same way."""
        adaptive = AdaptiveGradient(warmup=1, exact_every=0, window=2, threshold=0.05, seed=0)
        tape = make_tape(weights)
        feed(adaptive, tape, dev, (1.0, 0.9, 0.99, 0.98, 0.99))
        clone = AdaptiveGradient(warmup=1, exact_every=0, window=2, threshold=0.05, seed=9)
        clone.load_state_dict(adaptive.state_dict())
        assert clone.losses == adaptive.losses
        assert clone.plateau() == adaptive.plateau() is True
        jacobians = []
        for obj in (adaptive, clone):
            tapes, fn = obj(tape)
            jacobians.append(np.array(fn(qp.execute(tapes, dev))))
        assert np.allclose(jacobians[0], jacobians[1])  # random streams restored too
        assert clone.method_history == adaptive.method_history
        assert clone.method_history[-1] == "natural"


class TestHadamardSampler:
    """The default SPSA directions: Hadamard rows without replacement."""

    def test_cycle_is_orthogonal(self):
        """12 parameters: a cycle of 16 rows gives sum(D D^T) = 16 I, entries +-1; the next
        cycle draws a new order."""
        sampler, rng = HadamardSampler(), np.random.default_rng(0)
        indices = list(range(1, 13))  # parameter 0 is not perturbed
        rows = np.array([sampler(indices, 13, rng=rng) for _ in range(16)])
        assert np.all(rows[:, 0] == 0)
        assert set(np.unique(rows[:, 1:])) == {-1.0, 1.0}
        assert np.allclose(rows[:, 1:].T @ rows[:, 1:], 16 * np.eye(12))
        order = sampler.order.copy()
        sampler(indices, 13, rng=rng)
        assert sampler.position == 1
        assert not np.array_equal(sampler.order, order)

    def test_spsa_state_round_trip(self, dev, weights):
        """SPSA checkpoints the sampler's position: a restored object continues the cycle."""
        tape = make_tape(weights)
        spsa = SPSA(schedule="spall", sampler=HadamardSampler(), num_directions=3, seed=0)
        for _ in range(2):
            tapes, fn = spsa(tape)
            fn(qp.execute(tapes, dev))
        clone = SPSA(schedule="spall", sampler=HadamardSampler(), num_directions=3, seed=5)
        clone.load_state_dict(spsa.state_dict())
        assert clone.sampler.position == spsa.sampler.position == 6
        out = []
        for obj in (spsa, clone):
            tapes, fn = obj(tape)
            out.append(np.array(fn(qp.execute(tapes, dev))))
        assert np.allclose(out[0], out[1])

    def test_adaptive_default_and_state(self, dev, weights):
        """AdaptiveGradient's default SPSA uses it, and its state travels in state_dict()."""
        adaptive = AdaptiveGradient(seed=0)
        assert isinstance(adaptive.spsa.sampler, HadamardSampler)
        tape = make_tape(weights)
        run(adaptive, tape, dev)
        state = adaptive.state_dict()
        assert state["spsa"]["sampler"]["position"] == 3
        clone = AdaptiveGradient(seed=1)
        clone.load_state_dict(state)
        out = []
        for obj in (adaptive, clone):
            tapes, fn = obj(tape)
            out.append(np.array(fn(qp.execute(tapes, dev))))
        assert np.allclose(out[0], out[1])
        assert clone.method_history == adaptive.method_history == ["spsa", "spsa"]

    def test_refuses_incomplete_state(self):
        """A state without the sampler's keys is refused with the missing names."""
        with pytest.raises(ConfigurationError, match="position"):
            HadamardSampler().load_state_dict({"order": None, "signs": None})

    def test_rademacher_still_selectable(self, dev, weights):
        """spsa={'sampler': rademacher_sampler} restores independent directions."""
        adaptive = AdaptiveGradient(spsa={"sampler": rademacher_sampler}, seed=0)
        assert adaptive.spsa.sampler is rademacher_sampler
        assert "sampler" not in adaptive.state_dict()["spsa"]
        assert run(adaptive, make_tape(weights), dev) == 6
