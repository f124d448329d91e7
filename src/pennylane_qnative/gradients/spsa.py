r"""Simultaneous perturbation stochastic approximation (SPSA) gradients.

:func:`spsa_grad` is the pure transform, a drop-in for ``qp.gradients.spsa_grad``;
:class:`SPSA` is the gradient method named ``"spsa"`` everywhere, a stateful object usable
directly as a QNode's ``diff_method``: PennyLane's ``spsa_grad`` by default
(``schedule="constant"``), or Spall's algorithm with its gain schedules
(``schedule="spall"``, what the trainer runs).

Both estimate every partial derivative from circuits evaluated at
:math:`\theta \pm c\,\Delta`, where :math:`\Delta` is a random direction of :math:`\pm 1`
entries, so one estimate costs 2 circuits (``strategy="center"``) whatever the number of
parameters. PennyLane's estimator draws independent entries (Rademacher); Spall's schedule,
which lives across steps, draws by default the rows of a Hadamard matrix without replacement
(:class:`HadamardSampler`), so that successive errors cancel:

.. math:: \hat g_i = \frac{f(\theta + c\Delta) - f(\theta - c\Delta)}{2 c_i \Delta_i}.

It is unbiased up to :math:`O(c^2)` (Spall 1992, Lemma 1). A tape whose *data* is broadcast
over a batch (non-trainable inputs, one trainable parameter set) is perturbed once for the
whole batch: the perturbed tapes are broadcast too, so the Jacobian of a batch loss costs 2
executions.

References:
    J. C. Spall, "Multivariate stochastic approximation using a simultaneous perturbation
    gradient approximation", IEEE Trans. Automat. Control 37(3), 332-341 (1992).
    J. C. Spall, "Implementation of the simultaneous perturbation algorithm for stochastic
    optimization", IEEE Trans. Aerosp. Electron. Syst. 34(3), 817-823 (1998).
"""

from __future__ import annotations

import dataclasses
import enum
import math as pymath
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
from pennylane.gradients import finite_diff_coeffs
from pennylane.tape import QuantumScript, QuantumScriptBatch
from pennylane.transforms.core import transform
from pennylane.typing import PostprocessingFn

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients._common import (
    RngLike,
    StatefulTransform,
    expand_numeric,
    linear_postprocessing,
    make_rng,
    select_parameters,
    shifted_tapes,
)
from pennylane_qnative.gradients._compat import (
    contract_qjac_with_cjac,
)
from pennylane_qnative.gradients.sampling import HadamardSampler, rademacher_sampler

__all__ = [
    "SPSA",
    "HadamardSampler",
    "SPSAGains",
    "Schedule",
    "Strategy",
    "rademacher_sampler",
    "spsa_grad",
]

Sampler = Callable[..., np.ndarray]


class Strategy(enum.StrEnum):
    """Finite-difference strategy along the sampled direction (PennyLane's)."""

    CENTER = "center"
    """Shifts symmetric around :math:`\\theta`: :math:`\\pm c\\Delta` (2 circuits per
    direction at ``approx_order=2``), bias :math:`O(c^2)`."""
    FORWARD = "forward"
    """:math:`f(\\theta)` once plus shifts :math:`c\\Delta, 2c\\Delta, \\dots` per direction."""
    BACKWARD = "backward"
    """:math:`f(\\theta)` once plus shifts :math:`-c\\Delta, -2c\\Delta, \\dots` per
    direction."""


def _steps(c, num_params: int) -> np.ndarray:
    """Validate ``c`` and broadcast it to one step per trainable parameter."""
    steps = np.asarray(c, dtype=float)
    if steps.ndim == 0:
        steps = np.full(num_params, float(steps))
    elif steps.shape != (num_params,):
        raise ConfigurationError(
            f"c has shape {steps.shape} but the tape has {num_params} trainable parameters: "
            "pass a scalar or one step per trainable tape parameter."
        )
    if not np.all(np.isfinite(steps)) or np.any(steps <= 0):
        raise ConfigurationError(f"c={c!r} must be positive and finite: pass a step such as 0.1.")
    return steps


def _check_directions(num_directions: int) -> None:
    if not isinstance(num_directions, int | np.integer) or num_directions < 1:
        raise ConfigurationError(
            f"num_directions={num_directions!r} must be a positive int (1 gives 2 circuits)."
        )


def _stencil(n: int, approx_order: int, strategy: Strategy) -> tuple[np.ndarray, np.ndarray]:
    """PennyLane's finite-difference coefficients and shifts, errors in our hierarchy."""
    for name, value in (("n", n), ("approx_order", approx_order)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ConfigurationError(f"{name}={value!r} must be a positive int.")
    try:
        coeffs, shifts = finite_diff_coeffs(
            n=int(n), approx_order=int(approx_order), strategy=strategy.value
        )
    except ValueError as error:
        raise ConfigurationError(
            f"no {strategy.value} finite-difference rule of order {approx_order} for derivative "
            f"order {n} ({error}); for strategy='center' use an even approx_order."
        ) from None
    return np.asarray(coeffs, dtype=float), np.asarray(shifts, dtype=float)


def spsa_tapes(
    tape: QuantumScript,
    *,
    c,
    argnum=None,
    num_directions: int = 1,
    sampler: Sampler = rademacher_sampler,
    rng: np.random.Generator,
    strategy: str = "center",
    approx_order: int | None = None,
    n: int = 1,
    f0=None,
    validate_params: bool = True,
    gain: float = 1.0,
) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    """The tapes and postprocessing of one SPSA estimate (shared by ``spsa_grad`` and ``SPSA``).

    The estimate is PennyLane's: along each sampled direction :math:`\\Delta`, the
    finite-difference rule of ``(n, approx_order, strategy)`` with step :math:`c\\Delta`,
    divided by :math:`c^n\\Delta_i` (``approx_order=None``: 2 for ``"center"``, 1 otherwise).
    ``f0``, the result of ``tape`` itself, saves the unshifted circuit of a rule that needs it.
    ``gain`` multiplies the returned Jacobian (``SPSA(scale_by_gain=True)`` passes ``a_k``).
    """
    strategy = Strategy(strategy) if strategy in set(Strategy) else _bad_strategy(strategy)
    _check_directions(num_directions)
    default_order = 2 if strategy is Strategy.CENTER else 1
    coeffs, shifts = _stencil(n, default_order if approx_order is None else approx_order, strategy)
    selection = select_parameters(tape, argnum, "SPSA", validate=validate_params)
    if selection.early is not None:
        return selection.early
    idx, num_params = list(selection.indices), selection.num_params
    steps = _steps(c, num_params)
    unshifted = bool(np.any(shifts == 0))
    moved = [j for j in range(len(shifts)) if shifts[j] != 0]
    tapes: list[QuantumScript] = [tape] if unshifted and f0 is None else []
    rows, columns, center = [], [], np.zeros(num_params)
    for rep in range(num_directions):
        direction = np.asarray(sampler(idx, num_params, rep, rng=rng), dtype=float)
        if direction.shape != (num_params,):
            raise ConfigurationError(
                f"sampler returned {direction!r}: it must return {num_params} entries."
            )
        inverse = np.divide(1.0, direction, where=direction != 0, out=np.zeros(num_params))
        inverse /= steps**n
        for j in moved:
            rows.append(shifts[j] * steps[idx] * direction[idx])
            columns.append(coeffs[j] * inverse)
        if unshifted:  # the unshifted circuit's weight, summed over the directions
            center += coeffs[shifts == 0][0] * inverse
    tapes.extend(shifted_tapes(tape, idx, np.array(rows)))
    if unshifted:
        columns.insert(0, center)
    weights = np.stack(columns, axis=1) * (gain / num_directions)
    post = linear_postprocessing(tape, weights)
    if unshifted and f0 is not None:
        return tapes, lambda results: post((f0, *results))
    return tapes, post


def _bad_strategy(strategy) -> Strategy:
    raise ConfigurationError(
        f"strategy={strategy!r} is not supported: use one of {[s.value for s in Strategy]}."
    )


@partial(
    transform,
    expand_transform=expand_numeric,
    classical_cotransform=contract_qjac_with_cjac,
    final_transform=True,
)
def spsa_grad(
    tape: QuantumScript,
    argnum=None,
    h: float | Sequence[float] | None = None,
    approx_order: int = 2,
    n: int = 1,
    strategy: str = "center",
    f0=None,
    validate_params: bool = True,
    num_directions: int = 1,
    sampler: Sampler = rademacher_sampler,
    sampler_rng: RngLike = None,
    *,
    c: float | Sequence[float] | None = None,
    rng: RngLike = None,
) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    r"""SPSA estimate of the Jacobian of a tape or QNode (Spall 1992).

    A drop-in for ``qp.gradients.spsa_grad``: the same arguments, in the same order, with the
    same meaning, so changing the import is enough; plus ``c`` and ``rng``, our names for ``h``
    and ``sampler_rng``. Usable as ``diff_method=spsa_grad`` (options through
    ``gradient_kwargs``), applied to a QNode (``spsa_grad(qnode, h=0.05)(x)``) or to a tape
    (returns ``(tapes, postprocessing)``): the same options and seed give the same circuits
    and the same Jacobian as PennyLane's. Differences: an array step works (PennyLane
    documents it but raises), and errors are :class:`~.ConfigurationError`. The default step
    is PennyLane's ``1e-5``, which suits exact simulation only: with shots the variance grows
    like :math:`1/h^2`, so pass ``h=0.1`` or so (or Spall's decaying step,
    ``SPSA(schedule="spall")``).

    Args:
        tape (QuantumScript or QNode): the circuit to differentiate
        argnum (int | Sequence[int] | None): indices into the *trainable* tape parameters to
            differentiate (others get zero); ``None`` for all
        h (float | Sequence[float] | None): perturbation size, a scalar or one per trainable
            tape parameter (default ``1e-5``, PennyLane's)
        approx_order (int): order of the finite-difference rule along each direction
        n (int): order of the derivative
        strategy (str): ``"center"``, ``"forward"`` or ``"backward"``
        f0 (tensor_like | None): the result of ``tape`` itself, when already computed: saves
            the unshifted circuit of a ``"forward"``/``"backward"`` rule
        validate_params (bool): analyse which parameters can be differentiated (and which have
            a zero derivative); ``False`` perturbs every chosen parameter
        num_directions (int): number of directions sampled and averaged; the variance falls
            as ``1/num_directions``
        sampler (Callable): ``sampler(indices, num_params, repetition, *, rng)`` returning a
            direction (PennyLane's protocol); :func:`rademacher_sampler` by default
        sampler_rng (int | np.random.Generator | None): random stream for the directions. A
            ``Generator`` keeps advancing across calls; an ``int`` draws the same directions
            every call (deterministic)
        c (float | Sequence[float] | None): our name for ``h``
        rng (int | np.random.Generator | None): our name for ``sampler_rng``

    Returns:
        tuple[list[QuantumScript], Callable]: the perturbed tapes and the function turning
        their results into the Jacobian (PennyLane's gradient format)

    Raises:
        ConfigurationError: an option is invalid (named in the message)

    **Example**

    >>> import pennylane as qp
    >>> from pennylane import numpy as pnp
    >>> from pennylane_qnative.gradients import spsa_grad
    >>> dev = qp.device("default.qubit")
    >>> @qp.qnode(dev, diff_method=spsa_grad,
    ...           gradient_kwargs={"h": 0.1, "sampler_rng": 7, "num_directions": 50})
    ... def circuit(x):
    ...     qp.RX(x[0], 0)
    ...     qp.RY(x[1], 0)
    ...     return qp.expval(qp.Z(0))
    >>> x = pnp.array([0.3, 0.4], requires_grad=True)
    >>> exact = [-pnp.sin(0.3) * pnp.cos(0.4), -pnp.cos(0.3) * pnp.sin(0.4)]
    >>> bool(pnp.allclose(qp.grad(circuit)(x), exact, atol=0.2))
    True
    """
    return spsa_tapes(
        tape,
        c=_either("h", h, "c", c, default=1e-5),
        argnum=argnum,
        num_directions=num_directions,
        sampler=sampler,
        rng=make_rng(_either("sampler_rng", sampler_rng, "rng", rng, default=None)),
        strategy=strategy,
        approx_order=approx_order,
        n=n,
        f0=f0,
        validate_params=validate_params,
    )


def _either(name: str, value: Any, alias: str, other: Any, *, default: Any) -> Any:
    """One of an option and its alias (both given: an error)."""
    if value is not None and other is not None:
        raise ConfigurationError(f"pass {name} or {alias}, not both (they are the same option).")
    return value if value is not None else other if other is not None else default


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class SPSAGains:
    r"""Spall's gain sequences, as pure functions of the iteration ``k`` (0-based).

    .. math:: c_k = \frac{c}{(k+1)^\gamma}, \qquad a_k = \frac{a}{(A+k+1)^\alpha}.

    The defaults are Spall's recommended exponents (1998): ``gamma=0.101``, ``alpha=0.602``.

    Args:
        c (float | Sequence[float]): initial perturbation size (scalar or per parameter)
        gamma (float): decay exponent of the perturbation
        a (float): learning-rate numerator
        alpha (float): decay exponent of the learning rate
        A (float): stability constant (Spall suggests ~10% of the planned iterations)
    """

    c: float | tuple[float, ...] = 0.1
    gamma: float = 0.101
    a: float = 0.01
    alpha: float = 0.602
    A: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.c, list | np.ndarray):
            object.__setattr__(self, "c", tuple(float(v) for v in np.ravel(self.c)))
        if np.any(np.asarray(self.c, dtype=float) <= 0):
            raise ConfigurationError(f"c={self.c!r} must be positive: for example c=0.1.")
        for name in ("gamma", "a", "alpha", "A"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0 or (name == "a" and value == 0):
                raise ConfigurationError(
                    f"{name}={value!r} must be a finite non-negative number"
                    + (" (and a > 0)." if name == "a" else ".")
                )

    def perturbation(self, k: int):
        """``c_k``, the perturbation size of iteration ``k``."""
        c = np.asarray(self.c, dtype=float) / (k + 1) ** self.gamma
        return float(c) if c.ndim == 0 else c

    def learning_rate(self, k: int) -> float:
        """``a_k``, the step size of iteration ``k``."""
        return self.a / (self.A + k + 1) ** self.alpha


class Schedule(enum.StrEnum):
    """How :class:`SPSA` sizes its perturbation from one evaluation to the next."""

    CONSTANT = "constant"
    """PennyLane's ``spsa_grad``: the same step ``h`` (default ``1e-5``) at every evaluation,
    independent (Rademacher) directions from ``sampler_rng``, no learning-rate gain."""
    SPALL = "spall"
    """Spall's gain sequences (:class:`SPSAGains`: ``c_k = c/(k+1)**gamma``, default
    ``c=0.1``), Hadamard directions (:class:`HadamardSampler`) from the object's own stream
    ``seed``, and the learning rate ``a_k``."""


class SPSA(StatefulTransform):
    r"""The SPSA gradient method: PennyLane's ``spsa_grad``, or Spall's gain schedule.

    ``"spsa"`` names this class everywhere (:func:`~pennylane_qnative.gradients.resolve`, the
    decorator, ``diff_method="spsa"`` and ``diff_method="device"`` on our devices, the
    trainer). One explicit switch, ``schedule``, chooses what it does:

    * ``schedule="constant"`` (the default): PennyLane's ``qp.gradients.spsa_grad`` with the
      same options and defaults (``h=1e-5``, ``approx_order=2``, Rademacher directions from
      ``sampler_rng``: a ``Generator`` advances, an ``int`` draws the same directions at every
      evaluation), so the same options give the same circuits and the same Jacobian.
    * ``schedule="spall"``: Spall's algorithm, the method the trainer runs. The perturbation
      decays as :math:`c_k = c/(k+1)^\gamma` (default ``c=0.1``), :attr:`a_k` is Spall's
      learning rate, the directions are the rows of a Hadamard matrix drawn without
      replacement (:class:`HadamardSampler`: the errors of successive estimates cancel in an
      optimiser's running average; on the gradient benchmark plain SPSA's test-accuracy gap to
      parameter shift falls from 0.027 to 0.007, ``docs/benchmarks.md``) from the object's own
      stream ``seed``, and the default ``approx_order`` is the lowest of the strategy (2
      circuits per direction for ``"center"``, 1 + 1 for ``"forward"``).

    The options of Spall's schedule (``gamma``, ``a``, ``alpha``, ``A``, ``seed``,
    ``scale_by_gain``) are refused without ``schedule="spall"``, and PennyLane's per-call
    stream (``sampler_rng``/``rng``) with it, each with an error saying which to pass; nothing
    is inferred from which options are present.

    An ``SPSA`` object *is* a PennyLane gradient transform: pass it as ``diff_method=``,
    apply it to a QNode or a tape. Each gradient evaluation uses the current perturbation
    :attr:`c_k` and then advances ``k`` by one (once per evaluation, not per tape: see
    :class:`~pennylane_qnative.gradients._common.StatefulTransform`). With
    ``scale_by_gain=True`` the returned Jacobian is multiplied by ``a_k``, so plain gradient
    descent with step size 1 performs exactly Spall's update
    :math:`\theta_{k+1} = \theta_k - a_k \hat g_k`; otherwise read :attr:`a_k` and use it as
    the learning rate.

    Args:
        schedule (str): ``"constant"`` (PennyLane's ``spsa_grad``) or ``"spall"``
        h (float | Sequence[float] | None): the perturbation (at ``k=0`` for Spall's
            schedule), a scalar or one per trainable tape parameter; default ``1e-5``
            (``"constant"``) or ``0.1`` (``"spall"``)
        c (float | Sequence[float] | None): our name for ``h``
        num_directions (int): directions averaged per estimate
        strategy (str): ``"center"``, ``"forward"`` or ``"backward"``
        approx_order (int | None): order of the finite-difference rule along each direction;
            default 2 (``"constant"``, PennyLane's) or the strategy's lowest (``"spall"``)
        n (int): order of the derivative
        f0 (tensor_like | None): the tape's own result, saving the unshifted circuit of a
            ``"forward"``/``"backward"`` rule
        validate_params (bool): analyse which parameters can be differentiated
        sampler (Callable | None): direction sampler (PennyLane's protocol); default
            :func:`rademacher_sampler` (``"constant"``) or a new :class:`HadamardSampler`
            per object (``"spall"``)
        sampler_rng (int | np.random.Generator | None): the directions' random stream with
            PennyLane's meaning (``"constant"`` only)
        rng (int | np.random.Generator | None): our name for ``sampler_rng``
        seed (int | np.random.Generator | None): the object's own stream, made once and
            checkpointed (:meth:`state_dict`; ``"spall"`` only)
        gamma, a, alpha, A: Spall's gains, see :class:`SPSAGains` (``"spall"`` only; defaults
            0.101, 0.01, 0.602, 0)
        scale_by_gain (bool): multiply the Jacobian by ``a_k`` (``"spall"`` only)

    Raises:
        ConfigurationError: an invalid option, or one of the other schedule (named in the
            message)

    **Example**

    >>> import pennylane as qp
    >>> from pennylane import numpy as pnp
    >>> from pennylane_qnative.gradients import SPSA
    >>> spsa = SPSA(schedule="spall", c=0.2, seed=1)
    >>> @qp.qnode(qp.device("default.qubit"), diff_method=spsa)
    ... def circuit(x):
    ...     qp.RX(x[0], 0)
    ...     qp.RY(x[1], 0)
    ...     return qp.expval(qp.Z(0))
    >>> _ = qp.grad(circuit)(pnp.array([0.3, 0.4], requires_grad=True))
    >>> spsa.k, round(spsa.c_k, 4)
    (1, 0.1865)
    >>> fixed = SPSA(h=0.1, sampler_rng=7)  # PennyLane's spsa_grad(h=0.1, sampler_rng=7)
    >>> _ = qp.grad(circuit.update(diff_method=fixed))(pnp.array([0.3, 0.4], requires_grad=True))
    >>> fixed.k, fixed.c_k
    (1, 0.1)

    Reference: Spall 1992 and 1998 (see the module docstring).
    """

    def __init__(
        self,
        *,
        schedule: str = Schedule.CONSTANT,
        h: float | Sequence[float] | None = None,
        c: float | Sequence[float] | None = None,
        num_directions: int = 1,
        strategy: str = "center",
        approx_order: int | None = None,
        n: int = 1,
        f0=None,
        validate_params: bool = True,
        sampler: Sampler | None = None,
        sampler_rng: RngLike = None,
        rng: RngLike = None,
        seed: RngLike = None,
        gamma: float | None = None,
        a: float | None = None,
        alpha: float | None = None,
        A: float | None = None,
        scale_by_gain: bool | None = None,
    ) -> None:
        super().__init__()
        self.schedule = _schedule(schedule)
        spall = self.schedule is Schedule.SPALL
        step = _either("h", h, "c", c, default=0.1 if spall else 1e-5)
        stream = _either("sampler_rng", sampler_rng, "rng", rng, default=None)
        gains = {"gamma": gamma, "a": a, "alpha": alpha, "A": A}
        spall_only = {**gains, "seed": seed, "scale_by_gain": scale_by_gain}
        _check_schedule_options(self.schedule, spall_only, stream)
        chosen = {name: value for name, value in gains.items() if value is not None}
        self.gains = SPSAGains(c=step, **chosen) if spall else SPSAGains(c=step, gamma=0.0)
        _check_directions(num_directions)
        self.num_directions = int(num_directions)
        self.strategy = Strategy(strategy) if strategy in set(Strategy) else _bad_strategy(strategy)
        if approx_order is None and not spall:
            approx_order = 2  # PennyLane's default, whatever the strategy
        lowest = 2 if self.strategy is Strategy.CENTER else 1
        _stencil(n, lowest if approx_order is None else approx_order, self.strategy)
        self.approx_order = approx_order
        self.n, self.f0, self.validate_params = n, f0, bool(validate_params)
        default_sampler = HadamardSampler() if spall else rademacher_sampler
        self.sampler = default_sampler if sampler is None else sampler
        # an int sampler_rng re-seeds every evaluation, as PennyLane's spsa_grad does
        self._reseed = stream if _is_seed(stream) else None
        self.rng = make_rng(seed if spall else stream, option="seed" if spall else "sampler_rng")
        self.scale_by_gain = bool(scale_by_gain)

    @property
    def c_k(self):
        """The perturbation size the next evaluation uses."""
        return self.gains.perturbation(self.k)

    @property
    def a_k(self) -> float:
        """The learning rate of the next update."""
        return self.gains.learning_rate(self.k)

    def _tape_transform(self, tape: QuantumScript, *, argnum=None):
        generation = self.k
        tapes, fn = spsa_tapes(
            tape,
            c=self.gains.perturbation(generation),
            argnum=argnum,
            num_directions=self.num_directions,
            sampler=self.sampler,
            rng=self.rng if self._reseed is None else np.random.default_rng(self._reseed),
            strategy=self.strategy,
            approx_order=self.approx_order,
            n=self.n,
            f0=self.f0,
            validate_params=self.validate_params,
            gain=self.gains.learning_rate(generation) if self.scale_by_gain else 1.0,
        )
        return tapes, self._counting(fn, generation)

    def calibrate(
        self,
        loss: Callable[[Any], Any],
        params,
        *,
        target_magnitude: float = 2 * pymath.pi / 10,
        steps: int = 25,
    ) -> float:
        r"""Set ``a`` so that the first update moves each parameter by ``target_magnitude``.

        As Qiskit's ``SPSA.calibrate``: average :math:`|f(\theta+c\Delta)-f(\theta-c\Delta)|
        / 2c` over ``steps`` random directions and choose ``a`` such that
        :math:`a_0 \cdot \text{average} = \text{target}`. Costs ``2 * steps`` calls of
        ``loss``; does not advance ``k``.

        Args:
            loss (Callable): scalar function of the parameters (e.g. a QNode and a cost)
            params (array): the initial parameters
            target_magnitude (float): the desired size of each first-step component
            steps (int): number of directions averaged

        Returns:
            float: the new ``a`` (also stored in :attr:`gains`)
        """
        if steps < 1 or target_magnitude <= 0:
            raise ConfigurationError(
                f"steps={steps!r} and target_magnitude={target_magnitude!r} must be positive."
            )
        x = np.asarray(params, dtype=float)
        c = np.broadcast_to(np.asarray(self.gains.perturbation(0), dtype=float), x.shape)
        total = 0.0
        for _ in range(steps):
            delta = self.rng.choice([-1.0, 1.0], size=x.shape)
            diff = float(loss(x + c * delta)) - float(loss(x - c * delta))
            total += float(np.mean(np.abs(diff / (2 * c))))
        average = total / steps
        if average == 0:
            raise ConfigurationError(
                "calibrate found a flat loss (all differences 0) at these parameters: "
                "increase c or start from other parameters."
            )
        a = target_magnitude * (self.gains.A + 1) ** self.gains.alpha / average
        self.gains = dataclasses.replace(self.gains, a=a)
        return a

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: ``k``, the gains, the random stream's state and, for a
        sampler with a ``state_dict`` method, the sampler's state."""
        state = {
            "k": self.k,
            "gains": dataclasses.asdict(self.gains),
            "rng": self.rng.bit_generator.state,
        }
        if hasattr(self.sampler, "state_dict"):  # a stateful sampler (HadamardSampler)
            state["sampler"] = self.sampler.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (for example from a checkpoint)."""
        missing = {"k", "gains", "rng"} - set(state)
        if missing:
            raise ConfigurationError(
                f"SPSA state is missing {sorted(missing)}: pass a dict from SPSA.state_dict()."
            )
        self.gains = SPSAGains(**state["gains"])
        self.k = int(state["k"])
        self.rng.bit_generator.state = state["rng"]
        if "sampler" in state and hasattr(self.sampler, "load_state_dict"):
            self.sampler.load_state_dict(state["sampler"])

    def __repr__(self) -> str:
        if self.schedule is Schedule.CONSTANT:
            return f"<SPSA: schedule='constant', k={self.k}, h={self.c_k}>"
        return f"<SPSA: schedule='spall', k={self.k}, c_k={self.c_k}, a_k={self.a_k:.4g}>"


def _schedule(schedule: Any) -> Schedule:
    if schedule in set(Schedule):
        return Schedule(schedule)
    raise ConfigurationError(
        f"schedule={schedule!r} is not supported: use 'constant' (PennyLane's spsa_grad, a fixed "
        "step) or 'spall' (Spall's gain schedule)."
    )


def _is_seed(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _check_schedule_options(schedule: Schedule, given: dict[str, Any], stream: Any) -> None:
    """Refuse the options of the other schedule, saying what to pass instead (``given``:
    the options of Spall's schedule, ``None`` where not given)."""
    if schedule is Schedule.SPALL and stream is not None:
        raise ConfigurationError(
            "sampler_rng/rng is PennyLane's per-call stream of schedule='constant'; Spall's "
            "schedule draws from its own stream: pass seed= instead."
        )
    spall_only = sorted(name for name, value in given.items() if value is not None)
    if schedule is Schedule.CONSTANT and spall_only:
        hint = (
            " (or, for PennyLane's estimator, sampler_rng= for seed=)"
            if "seed" in spall_only
            else ""
        )
        raise ConfigurationError(
            f"{spall_only} are options of Spall's gain schedule: pass schedule='spall' with "
            f"them{hint}; without it SPSA is PennyLane's spsa_grad (a fixed step h)."
        )
