"""The shot policies and their allocation rule (:mod:`pennylane_qnative.training.shots`).

The statistical tests use fixed seeds; each tolerance is derived from the variance of the
estimate it bounds (stated at the test), never widened to pass.
"""

from __future__ import annotations

import math

import numpy as np
import pennylane as qp
import pytest

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients.registry import resolve
from pennylane_qnative.training import QuantumModel, QuantumTrainer, TrainingConfig
from pennylane_qnative.training.direct_step import DirectStep
from pennylane_qnative.training.shots import (
    AdaptiveShots,
    FixedShots,
    ScheduledShots,
    StepPrice,
    gradient_noise,
    noise_gain,
    shot_policy,
)


class TestPolicies:
    """What ``TrainingConfig.shots_per_circuit`` values mean."""

    def test_values(self):
        assert shot_policy(None) is None
        assert shot_policy(300).shots(step=7, epoch=2) == 300
        schedule = shot_policy((100, 300))
        assert isinstance(schedule, ScheduledShots)
        assert [schedule.shots(step=0, epoch=e) for e in range(4)] == [100, 300, 300, 300]
        assert isinstance(shot_policy("adaptive"), AdaptiveShots)

    @pytest.mark.parametrize(
        "value", [0, -5, 1.5, "lots", (), (100, 0), [True], 2_000_000, float("nan")]
    )
    def test_config_refuses(self, value):
        with pytest.raises(ConfigurationError, match="shots_per_circuit must be"):
            TrainingConfig(shots_per_circuit=value)

    def test_config_spellings(self):
        assert TrainingConfig(shots_per_circuit="Adaptive").shots_per_circuit == "adaptive"
        config = TrainingConfig(shots_per_circuit=[100, 200])
        assert config.shots_per_circuit == (100, 200)
        assert TrainingConfig.from_dict(config.to_dict()) == config

    @pytest.mark.parametrize(
        ("options", "match"),
        [
            ({"kappa": 0}, "kappa"),
            ({"min_shots": 0}, "min_shots"),
            ({"max_shots": 10, "min_shots": 20}, "above max_shots"),
            ({"smoothing": 1.0}, "smoothing"),
        ],
    )
    def test_adaptive_refuses(self, options, match):
        with pytest.raises(ConfigurationError, match=match):
            AdaptiveShots(**options)


class TestAllocationRule:
    """s* = kappa tr(Sigma) / |g|^2, priced per job, clipped."""

    def test_first_step_is_cheap(self):
        assert AdaptiveShots(min_shots=40).shots(step=0, epoch=0) == 40

    def test_rule_from_exact_observations(self):
        """A constant gradient: the bias-corrected moving averages are exact at once."""
        policy = AdaptiveShots(kappa=0.5, min_shots=1, max_shots=100_000, smoothing=0.9)
        for _ in range(5):
            policy.observe(gradient=[0.2, 0.0], noise=4.0, shots=400)
            assert policy.target() == pytest.approx(0.5 * 4.0 / 0.04)

    def test_more_shots_as_the_signal_falls(self):
        policy = AdaptiveShots(kappa=1.0, min_shots=10, max_shots=10_000, smoothing=0.0)
        counts = []
        for norm in (1.0, 0.5, 0.2, 0.1):
            policy.observe(gradient=[norm], noise=1.0, shots=100)
            counts.append(policy.shots(step=1, epoch=0))
        assert counts == [10, 10, 25, 100]

    def test_zero_gradient_takes_the_most(self):
        policy = AdaptiveShots(max_shots=777, smoothing=0.0)
        policy.observe(gradient=[0.0], noise=10.0, shots=10)
        assert policy.target() == math.inf
        assert policy.shots(step=1, epoch=0) == 777

    def test_job_minimum_pays_for_shots(self):
        """Shots below minimum / per_shot cost nothing more: never fewer than those."""
        policy = AdaptiveShots(kappa=1.0, min_shots=10, smoothing=0.0)
        policy.observe(gradient=[1.0], noise=20.0, shots=80)
        price = StepPrice(minimum=12.0, per_shot=0.1)
        assert policy.shots(step=1, epoch=0) == 20
        assert policy.shots(step=1, epoch=0, price=price) == 120
        assert price(120) == price(1) == 12.0

    def test_fixed_cost_per_job_buys_more_shots(self):
        """With a cost F per job, the gain per cost (A - B/s)/(F + k s) peaks above s*."""
        policy = AdaptiveShots(kappa=1.0, min_shots=1, max_shots=10**5, smoothing=0.0)
        policy.observe(gradient=[1.0], noise=100.0, shots=200)
        price = StepPrice(per_shot=0.01, fixed=5.0)
        chosen = policy.shots(step=1, epoch=0, price=price)
        star = 100.0  # s* = 2B/A with kappa = 1: A = 1, B = 50
        grid = np.arange(1, 5000)
        gain_per_cost = (1 - 50.0 / grid) / (5.0 + 0.01 * grid)
        assert chosen > star
        assert abs(chosen - grid[np.argmax(gain_per_cost)]) <= 1

    def test_moving_average_is_unbiased(self):
        """The bias-corrected moving average of T = 5 noisy gradients has mean g: over 4,000
        independent policies its mean is within 4 standard errors of g in every component
        (the standard error from the policies' own spread); uncorrected it is 0.41 g off."""
        rng = np.random.default_rng(11)
        g = np.array([0.05, -0.02, 0.03])
        means = []
        for _ in range(4000):
            policy = AdaptiveShots(smoothing=0.9)
            for _ in range(5):
                policy.observe(gradient=g + rng.normal(0, 0.05, 3), noise=1.0, shots=100)
            means.append(policy.mean / (1 - 0.9**5))
        means = np.asarray(means)
        standard_error = means.std(axis=0, ddof=1) / math.sqrt(len(means))
        assert np.all(np.abs(means.mean(axis=0) - g) < 4 * standard_error)
        uncorrected = means.mean(axis=0) * (1 - 0.9**5)
        assert np.all(np.abs(uncorrected - g) > 10 * standard_error)

    def test_state_round_trip(self):
        policy = AdaptiveShots(smoothing=0.5)
        policy.observe(gradient=[0.3], noise=2.0, shots=50)
        twin = AdaptiveShots(smoothing=0.5)
        twin.load_state_dict(policy.state_dict())
        assert twin.shots(step=1, epoch=0) == policy.shots(step=1, epoch=0)


def _model_and_step(gradient, shots):
    config = TrainingConfig(n_qubits=2, circuit_depth=1, batch_size=6, seed=5)
    model = QuantumModel.from_config(config)
    device = qp.device("qnative.simulator", wires=2, cache=False)
    step = DirectStep.build(device, model, gradient, shots)
    assert step is not None
    return model, step


@pytest.mark.parametrize(
    "method",
    [("spsa-grad", {"h": 0.3, "sampler_rng": 7}), ("parameter-shift", {})],
    ids=["spsa", "parameter-shift"],
)
def test_gradient_noise_is_the_shot_variance(method):
    """The predicted one-shot variance tr(Sigma) of the loss gradient matches the variance of
    800 independent estimates at 100 shots (fixed direction, only the shots differ).

    The sample variance of N draws has relative standard deviation sqrt(2 / (N - 1)) for
    Gaussian estimates (0.05 here); summed over correlated components it is at most that of
    one component, so 4 of them (20 %) bound the sampling error. The prediction itself uses
    1 - <O>^2 at the unshifted point for circuits evaluated nearby (an approximation of order
    the shift for SPSA, exact in expectation for parameter shift), which the same bound covers.
    """
    name, options = method
    gradient = resolve(name, **options)
    model, step = _model_and_step(gradient, 100)
    rng = np.random.default_rng(3)
    X = rng.uniform(0, np.pi, (6, 2))
    targets = np.array([1.0, -1.0, 1.0, 1.0, -1.0, -1.0])
    weights = model.quantum_layer.parameters
    _, exact_step = _model_and_step(gradient, None)
    exact = exact_step.run(weights, X).outputs
    output_grad = 2 * (exact - targets) / len(targets)  # MSE at the exact outputs
    estimates = []
    for seed in range(800):
        jacobian = step.run(weights, X, seed=seed).jacobian
        estimates.append(DirectStep.chain(jacobian, output_grad, weights.shape).ravel())
    measured = float(np.sum(np.var(np.asarray(estimates), axis=0, ddof=1))) * 100
    predicted = gradient_noise(exact, output_grad, noise_gain(gradient), len(step.weight_positions))
    assert measured == pytest.approx(predicted, rel=4 * math.sqrt(2 / 799))


class TestNoiseGain:
    """The sums of squared coefficients of the linear gradient estimators."""

    def test_known_methods(self):
        assert noise_gain(resolve("parameter-shift")) == 0.5
        assert noise_gain(resolve("spsa-grad", h=0.1, num_directions=4)) == pytest.approx(
            2 / 0.2**2 / 4
        )
        spsa = resolve("spsa", c=0.2, num_directions=2)
        c0 = float(np.mean(spsa.c_k))
        assert noise_gain(spsa) == pytest.approx(2 / (2 * c0) ** 2 / 2)

    def test_unknown_method(self):
        assert noise_gain(resolve("natural")) is None

    def test_adaptive_shots_need_a_known_estimator(self):
        config = TrainingConfig(n_qubits=2, gradient_method="natural", shots_per_circuit="adaptive")
        with pytest.raises(ConfigurationError, match="adaptive"):
            QuantumTrainer(config, "qnative.simulator", progress=False)


def test_fixed_shots_never_change():
    policy = FixedShots(250)
    policy.observe(gradient=[10.0], noise=1.0, shots=250)
    assert policy.shots(step=10, epoch=3) == 250
    assert policy.state_dict() == {}
