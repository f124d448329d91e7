r"""Shot policies: how many shots each training step spends, and why.

``TrainingConfig(shots_per_circuit=...)`` takes an ``int`` (every step the same), a schedule
(one count per epoch, the last one repeated) or ``"adaptive"``: :class:`AdaptiveShots`, which
spends few shots while the gradient is large and more as its signal-to-noise ratio falls.

**The allocation rule.** A step estimates the loss gradient :math:`g` with shot noise of
covariance :math:`\Sigma/s` at :math:`s` shots per circuit. For an :math:`L`-smooth loss and a
step :math:`\alpha`, the expected decrease of a gradient step is (Kübler et al. 2020, iCANS,
Lemma 1; Gu et al. 2021, gCANS)

.. math:: G(s) = \left(\alpha - \tfrac{L\alpha^2}{2}\right)\lVert g\rVert^2
   - \tfrac{L\alpha^2}{2}\,\frac{\operatorname{tr}\Sigma}{s},

and the gain per shot :math:`G(s)/s` is largest at

.. math:: s^\star = \kappa\,\frac{\operatorname{tr}\Sigma}{\lVert g\rVert^2},
   \qquad \kappa = \frac{2L\alpha}{2 - L\alpha},

iCANS's rule with the whole gradient in place of one component, because IonQ takes **one shot
count per job** (all circuits of a step share it). :math:`L\alpha` is not known for Adam, so
:math:`\kappa` is a constant of the policy (chosen on validation data, see
``docs/benchmarks.md``). What a step costs is priced as the API bills it (Ito et al. 2023 make
the same point for the latency of a job): ``cost(s) = fixed + max(minimum, per_shot * s)``.
Shots below ``minimum / per_shot`` cost nothing (the job minimum is paid anyway), so the
policy never spends fewer; with a fixed cost per job (the queue of a free, latency-bound
target) the gain per cost :math:`G(s)/(F + k s)` is largest at
:math:`s = \tfrac{s^\star}{2}\bigl(1 + \sqrt{1 + 2F/(k s^\star)}\bigr)`, more shots than
:math:`s^\star`. As in iCANS, :math:`g` is the exponential moving average of the gradient
estimates and :math:`\operatorname{tr}\Sigma` that of their one-shot noise, both with bias
correction (weight :math:`\mu` on the past): averaging the vector also averages out most of
the noise of each estimate (an SPSA estimate's random direction as well as its shots).

:math:`\operatorname{tr}\Sigma` comes from the step itself (:func:`gradient_noise`): a
Pauli-word expectation estimated from :math:`s` shots has variance :math:`(1 - \langle
O\rangle^2)/s`, and the gradient methods are linear in the circuit results, with a known sum
of squared coefficients (:func:`noise_gain`).

References:
    J. M. Kübler, A. Arrasmith, L. Cincio, P. J. Coles, "An adaptive optimizer for
    measurement-frugal variational algorithms", Quantum 4, 263 (2020).
    A. Gu, A. Lowe, P. A. Dub, P. J. Coles, A. Arrasmith, "Adaptive shot allocation for fast
    convergence in variational quantum algorithms", arXiv:2108.10434 (2021).
    K. Ito, "Latency-aware adaptive shot allocation for run-time efficient variational
    quantum algorithms", arXiv:2302.04422 (2023).

**Example**

>>> policy = AdaptiveShots(kappa=1.0, min_shots=50, max_shots=1000)
>>> policy.shots(step=0, epoch=0)             # nothing measured yet: few shots
50
>>> policy.observe(gradient=[0.3, 0.4], noise=10.0, shots=50)   # |g|^2 = 0.25
>>> policy.shots(step=1, epoch=0)             # kappa * 10 / 0.25
50
>>> policy.observe(gradient=[0.0, 0.1], noise=10.0, shots=50)   # the gradient falls
>>> policy.shots(step=2, epoch=0)
139
>>> policy.shots(step=2, epoch=0, price=StepPrice(minimum=12.0, per_shot=0.02))
600
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pennylane as qp

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients import SPSA, spsa_grad
from pennylane_qnative.gradients.registry import BoundGradient
from pennylane_qnative.ionq.backends import MAX_SHOTS

__all__ = [
    "ADAPTIVE",
    "AdaptiveShots",
    "FixedShots",
    "ScheduledShots",
    "ShotPolicy",
    "StepPrice",
    "gradient_noise",
    "noise_gain",
    "shot_policy",
]

ADAPTIVE = "adaptive"
"""The ``shots_per_circuit`` value that selects :class:`AdaptiveShots`."""


@dataclass(frozen=True, slots=True)
class StepPrice:
    """What one step's job costs at ``s`` shots: ``fixed + max(minimum, per_shot * s)``.

    Args:
        minimum (float): the least a job costs (IonQ's job minimum; 0 on a free target)
        per_shot (float): the price of one more shot of every circuit of the step
        fixed (float): a cost paid per job whatever its shots (e.g. seconds of queue)
    """

    minimum: float = 0.0
    per_shot: float = 0.0
    fixed: float = 0.0

    def __call__(self, shots: int) -> float:
        return self.fixed + max(self.minimum, self.per_shot * shots)

    @property
    def free_shots(self) -> int:
        """Shots the job minimum pays for anyway (0 when there is no minimum)."""
        if self.per_shot <= 0 or self.minimum <= 0:
            return 0
        return math.floor(self.minimum / self.per_shot)

    def affordable(self, usd: float) -> int:
        """The most shots one step can have for ``usd`` (0: not even the minimum)."""
        if usd < self(1):
            return 0
        if self.per_shot <= 0:
            return MAX_SHOTS
        return int(min(MAX_SHOTS, max(1, math.floor((usd - self.fixed) / self.per_shot))))


class ShotPolicy(Protocol):
    """What the trainer asks a shot policy (all three policies below implement it)."""

    def shots(self, *, step: int, epoch: int, price: StepPrice | None = None) -> int: ...

    def observe(self, *, gradient: Any, noise: float, shots: int) -> None: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


@dataclass(slots=True)
class FixedShots:
    """The same shots every step (``shots_per_circuit=1000``)."""

    count: int

    def shots(self, *, step: int, epoch: int, price: StepPrice | None = None) -> int:
        return self.count

    def observe(self, *, gradient: Any, noise: float, shots: int) -> None:
        """Nothing to learn."""

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Nothing to restore."""


@dataclass(slots=True)
class ScheduledShots(FixedShots):
    """One shot count per epoch, the last one repeated (``shots_per_circuit=(100, 300,
    1000)``)."""

    schedule: tuple[int, ...] = ()

    def shots(self, *, step: int, epoch: int, price: StepPrice | None = None) -> int:
        return self.schedule[min(epoch, len(self.schedule) - 1)]


class AdaptiveShots:
    """Shots by the gradient's signal-to-noise ratio, priced per job (see the module).

    Args:
        kappa (float): :math:`\\kappa = 2L\\alpha / (2 - L\\alpha)`, the constant of the rule
        min_shots (int): the fewest shots of a step (also the first step's); on a paid
            target never fewer than the job minimum pays for. The defaults (``kappa=0.05``,
            ``min_shots=150``) were chosen on a validation split, paired over 40 seeds (see
            ``docs/benchmarks.md``): fewer shots in the first steps slowed the training more
            than the rule's later savings made up for
        max_shots (int): the most shots of a step
        smoothing (float): iCANS's :math:`\\mu`, the weight of the past in the moving
            averages of the squared gradient norm and of the noise

    Raises:
        ConfigurationError: for a value out of range (named in the message)
    """

    def __init__(
        self,
        *,
        kappa: float = 0.05,
        min_shots: int = 150,
        max_shots: int = 1000,
        smoothing: float = 0.8,
    ) -> None:
        if not (isinstance(kappa, int | float) and math.isfinite(kappa) and kappa > 0):
            raise ConfigurationError(f"kappa must be a positive number, got {kappa!r}.")
        for name, value in (("min_shots", min_shots), ("max_shots", max_shots)):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SHOTS:
                raise ConfigurationError(
                    f"{name} must be an integer from 1 to {MAX_SHOTS:,}, got {value!r}."
                )
        if min_shots > max_shots:
            raise ConfigurationError(
                f"min_shots {min_shots} is above max_shots {max_shots}; pass min <= max."
            )
        if not (isinstance(smoothing, int | float) and 0 <= smoothing < 1):
            raise ConfigurationError(f"smoothing must be in [0, 1), got {smoothing!r}.")
        self.kappa, self.min_shots, self.max_shots = float(kappa), min_shots, max_shots
        self.smoothing = float(smoothing)
        self.steps = 0  # observations so far
        self.mean: np.ndarray | None = None  # moving average of the gradient (uncorrected)
        self.noise = 0.0  # moving average of tr(Sigma) (one shot), before bias correction

    def __repr__(self) -> str:
        return (
            f"AdaptiveShots(kappa={self.kappa}, min_shots={self.min_shots}, "
            f"max_shots={self.max_shots}, smoothing={self.smoothing})"
        )

    def observe(self, *, gradient: Any, noise: float, shots: int) -> None:
        """Record a step's gradient estimate and its one-shot noise ``tr(Sigma)``."""
        gradient = np.ravel(np.asarray(gradient, dtype=float))
        mu = self.smoothing
        previous = np.zeros_like(gradient) if self.mean is None else self.mean
        self.mean = mu * previous + (1 - mu) * gradient
        self.noise = mu * self.noise + (1 - mu) * float(noise)
        self.steps += 1

    def target(self) -> float:
        """:math:`s^\\star = \\kappa\\,\\mathrm{tr}\\Sigma / \\lVert g\\rVert^2` from the moving
        averages (``inf`` for a zero gradient, ``nan`` before any step)."""
        if self.steps == 0:
            return math.nan
        correction = 1 - self.smoothing**self.steps
        signal = float(np.sum(np.square(self.mean / correction)))
        noise = self.noise / correction
        if noise <= 0:
            return 0.0
        return math.inf if signal <= 0 else self.kappa * noise / signal

    def shots(self, *, step: int, epoch: int, price: StepPrice | None = None) -> int:
        """The next step's shots: :meth:`target` (``min_shots`` before any observation), raised
        to what the job minimum pays for and for a fixed cost per job, within ``[min_shots,
        max_shots]``."""
        best, low = self.target(), self.min_shots
        if price is not None:
            low = max(low, min(price.free_shots, self.max_shots))
            if price.fixed > 0 and price.per_shot <= 0:
                return self.max_shots  # a job costs its queue whatever its shots
            if price.fixed > 0 and math.isfinite(best) and best > 0:
                best = best / 2 * (1 + math.sqrt(1 + 2 * price.fixed / (price.per_shot * best)))
        if math.isnan(best):
            return low
        if not math.isfinite(best):
            return self.max_shots
        return int(min(self.max_shots, max(low, math.ceil(best - 1e-9))))  # no float fuzz

    def state_dict(self) -> dict[str, Any]:
        mean = None if self.mean is None else self.mean.tolist()
        return {"steps": self.steps, "mean": mean, "noise": self.noise}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.steps, self.noise = int(state["steps"]), float(state["noise"])
        mean = state["mean"]
        self.mean = None if mean is None else np.asarray(mean, dtype=float)


def shot_policy(value: Any) -> ShotPolicy | None:
    """The policy of a ``TrainingConfig.shots_per_circuit`` value (``None``: exact).

    Args:
        value (int | str | Sequence[int] | None): a count, ``"adaptive"`` or a schedule

    **Example**

    >>> shot_policy((100, 400)).shots(step=20, epoch=3)
    400
    """
    if value is None:
        return None
    if isinstance(value, str):
        return AdaptiveShots()
    if isinstance(value, Sequence):
        return ScheduledShots(count=value[-1], schedule=tuple(value))
    return FixedShots(value)


def noise_gain(gradient: Any) -> float | None:
    """The sum of squared coefficients by which ``gradient`` combines circuit results into one
    partial derivative (``None``: not a linear estimator we know).

    SPSA with perturbation :math:`c` and :math:`K` directions (center rule):
    :math:`2 / (2c)^2 / K`; parameter shift: :math:`2 \\cdot (1/2)^2`; central finite
    differences with step :math:`h`: :math:`2 / (2h)^2`.
    """
    if isinstance(gradient, SPSA):
        c = float(np.mean(np.asarray(gradient.c_k, dtype=float)))
        per_direction = 2 / (2 * c) ** 2 if gradient.strategy == "center" else 2 / c**2
        return per_direction / gradient.num_directions
    if not isinstance(gradient, BoundGradient):
        return None
    options = gradient.options
    if gradient.base is qp.gradients.param_shift:
        return 0.5
    if gradient.base is spsa_grad:
        h = float(np.mean(options.get("h") or options.get("c") or 1e-5))
        return 2 / (2 * h) ** 2 / int(options.get("num_directions", 1))
    if gradient.base is qp.gradients.finite_diff:
        h = float(options.get("h", 1e-7))
        return 2 / (2 * h) ** 2 if options.get("strategy") == "center" else 2 / h**2
    return None


def gradient_noise(outputs: Any, output_gradient: Any, gain: float, n_parameters: int) -> float:
    """One-shot noise :math:`\\mathrm{tr}\\Sigma` of a loss gradient through the chain rule.

    :math:`\\partial L/\\partial w_i = \\sum_b \\ell'_b\\, J_{bi}`, where each :math:`J_{bi}`
    combines results of circuits evaluated near the model's (so each of variance about
    :math:`1 - \\langle O_b\\rangle^2` per shot) with squared coefficients summing to ``gain``.

    Args:
        outputs: the step's model outputs :math:`\\langle O_b\\rangle` (any shape)
        output_gradient: :math:`\\ell'_b = \\partial L/\\partial \\langle O_b\\rangle`, same shape
        gain (float): :func:`noise_gain` of the method
        n_parameters (int): the parameters differentiated
    """
    outputs = np.clip(np.asarray(outputs, dtype=float), -1.0, 1.0)
    weights = np.square(np.asarray(output_gradient, dtype=float)).reshape(outputs.shape)
    return float(n_parameters * gain * np.sum(weights * (1 - np.square(outputs))))
