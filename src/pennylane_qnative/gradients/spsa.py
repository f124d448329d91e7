r"""Simultaneous perturbation stochastic approximation (SPSA) gradients.

:func:`spsa_grad` is the pure transform; :class:`SPSA` is the stateful object that owns the
gain schedules of Spall's algorithm and is usable directly as a QNode's ``diff_method``.

Both estimate every partial derivative from circuits evaluated at
:math:`\theta \pm c\,\Delta`, where :math:`\Delta` is a random direction of :math:`\pm 1`
entries, so one estimate costs 2 circuits (``strategy="center"``) or 1 + 1 (``"forward"``)
whatever the number of parameters. :func:`spsa_grad` draws independent entries
(Rademacher); :class:`SPSA`, which lives across steps, draws by default the rows of a
Hadamard matrix without replacement (:class:`HadamardSampler`), so that successive errors
cancel:

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

__all__ = [
    "SPSA",
    "HadamardSampler",
    "SPSAGains",
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


def rademacher_sampler(
    indices: Sequence[int], num_params: int, _repetition: int = 0, *, rng: np.random.Generator
) -> np.ndarray:
    """Draw a direction with independent ``+1``/``-1`` entries at ``indices`` and 0 elsewhere.

    The signature is PennyLane's ``spsa_grad`` ``sampler`` protocol, so samplers written for
    PennyLane work here too.

    Args:
        indices (Sequence[int]): trainable-parameter indices to perturb
        num_params (int): number of trainable parameters of the tape
        _repetition (int): index of the direction within one estimate (unused)
        rng (np.random.Generator): the random stream to draw from

    Returns:
        np.ndarray: the direction, of length ``num_params``
    """
    direction = np.zeros(num_params)
    direction[list(indices)] = rng.choice([-1.0, 1.0], size=len(indices))
    return direction


def _sylvester(size: int) -> np.ndarray:
    """The Sylvester Hadamard matrix of order ``size`` (a power of 2)."""
    h = np.ones((1, 1))
    while h.shape[0] < size:
        h = np.block([[h, h], [h, -h]])
    return h


class HadamardSampler:
    r"""Stateful sampler: rows of a Hadamard matrix, drawn without replacement.

    A cycle takes the ``N`` rows of the Sylvester Hadamard matrix of order
    :math:`N = 2^{\lceil \log_2 n \rceil}` (``n`` perturbed parameters) in a random order, on
    the first ``n`` columns, times random column signs drawn once per cycle. Each direction is
    a valid SPSA perturbation (entries :math:`\pm 1`, :math:`E[\Delta\Delta^T] = I`), and
    within a cycle :math:`\sum \Delta\Delta^T = N I` exactly, so the errors of successive
    estimates cancel instead of adding up as with independent directions (deterministic
    Hadamard perturbations: Bhatnagar, Fu, Marcus, Wang, ACM TOMACS 13(2), 180-209, 2003).
    Draws come from the ``rng`` the caller passes (the SPSA object's stream); the position in
    the cycle is state (:meth:`state_dict`). Follows PennyLane's sampler protocol.

    **Example**

    >>> import numpy as np
    >>> sampler, rng = HadamardSampler(), np.random.default_rng(0)
    >>> rows = np.array([sampler(range(3), 3, rng=rng) for _ in range(4)])
    >>> rows.T @ rows  # one cycle (N = 4): orthogonal columns
    array([[4., 0., 0.],
           [0., 4., 0.],
           [0., 0., 4.]])
    """

    def __init__(self) -> None:
        self.position = 0
        self.order: np.ndarray | None = None
        self.signs: np.ndarray | None = None

    def __call__(
        self, indices: Sequence[int], num_params: int, _repetition: int = 0, *, rng
    ) -> np.ndarray:
        idx = list(indices)
        size = 1 << max(0, (len(idx) - 1).bit_length())
        if (
            self.order is None
            or self.signs is None
            or len(self.order) != size
            or len(self.signs) != len(idx)
            or self.position >= size
        ):
            self.order, self.signs = rng.permutation(size), rng.choice([-1.0, 1.0], size=len(idx))
            self.position = 0
        row = _sylvester(size)[self.order[self.position], : len(idx)]
        self.position += 1
        direction = np.zeros(num_params)
        direction[idx] = self.signs * row
        return direction

    def state_dict(self) -> dict[str, Any]:
        """The position in the cycle, its order of rows and its column signs."""
        return {
            "position": self.position,
            "order": None if self.order is None else self.order.tolist(),
            "signs": None if self.signs is None else self.signs.tolist(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        missing = {"position", "order", "signs"} - set(state)
        if missing:
            raise ConfigurationError(
                f"HadamardSampler state is missing {sorted(missing)}: pass a dict from "
                "HadamardSampler.state_dict()."
            )
        self.position = int(state["position"])
        self.order = None if state["order"] is None else np.asarray(state["order"], dtype=int)
        self.signs = None if state["signs"] is None else np.asarray(state["signs"], dtype=float)

    def __repr__(self) -> str:
        return f"<HadamardSampler: position={self.position}>"


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
    like :math:`1/h^2`, so pass ``h=0.1`` or so (or use the stateful :class:`SPSA`).

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


class SPSA(StatefulTransform):
    r"""Stateful SPSA gradient: Spall's gain schedules plus an iteration counter.

    An ``SPSA`` object *is* a PennyLane gradient transform: pass it as ``diff_method=``,
    apply it to a QNode or a tape. Each gradient evaluation uses the current perturbation
    ``c_k`` and then advances ``k`` by one (once per evaluation, not per tape: see
    :class:`~pennylane_qnative.gradients._common.StatefulTransform`). With
    ``scale_by_gain=True`` the returned Jacobian is multiplied by ``a_k``, so plain gradient
    descent with step size 1 performs exactly Spall's update
    :math:`\theta_{k+1} = \theta_k - a_k \hat g_k`; otherwise read :attr:`a_k` and use it as
    the learning rate.

    Args:
        c, gamma, a, alpha, A: the gains, see :class:`SPSAGains` (spec defaults)
        num_directions (int): directions averaged per estimate
        strategy (str): ``"center"`` or ``"forward"``
        sampler (Callable | None): direction sampler (PennyLane's protocol); default a new
            :class:`HadamardSampler` per object: its directions are orthogonal within each
            cycle, so the errors of successive estimates cancel in an optimiser's running
            average (on the gradient benchmark plain SPSA's test-accuracy gap to parameter
            shift falls from 0.027 to 0.007, ``docs/benchmarks.md``); ``rademacher_sampler``
            draws independent directions, as :func:`spsa_grad` does
        seed (int | np.random.Generator | None): seed of the object's own random stream
        scale_by_gain (bool): multiply the Jacobian by ``a_k``

    **Example**

    >>> import pennylane as qp
    >>> from pennylane import numpy as pnp
    >>> from pennylane_qnative.gradients import SPSA
    >>> spsa = SPSA(c=0.2, seed=1)
    >>> @qp.qnode(qp.device("default.qubit"), diff_method=spsa)
    ... def circuit(x):
    ...     qp.RX(x[0], 0)
    ...     qp.RY(x[1], 0)
    ...     return qp.expval(qp.Z(0))
    >>> _ = qp.grad(circuit)(pnp.array([0.3, 0.4], requires_grad=True))
    >>> spsa.k, round(spsa.c_k, 4)
    (1, 0.1865)

    Reference: Spall 1992 and 1998 (see the module docstring).
    """

    def __init__(
        self,
        *,
        c: float | Sequence[float] = 0.1,
        gamma: float = 0.101,
        a: float = 0.01,
        alpha: float = 0.602,
        A: float = 0.0,
        num_directions: int = 1,
        strategy: str = "center",
        sampler: Sampler | None = None,
        seed: RngLike = None,
        scale_by_gain: bool = False,
    ) -> None:
        super().__init__()
        self.gains = SPSAGains(c=c, gamma=gamma, a=a, alpha=alpha, A=A)
        _check_directions(num_directions)
        self.num_directions = int(num_directions)
        self.strategy = Strategy(strategy) if strategy in set(Strategy) else _bad_strategy(strategy)
        self.sampler = HadamardSampler() if sampler is None else sampler
        self.rng = make_rng(seed, option="seed")
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
            rng=self.rng,
            strategy=self.strategy,
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
        return f"<SPSA: k={self.k}, c_k={self.c_k}, a_k={self.a_k:.4g}>"
