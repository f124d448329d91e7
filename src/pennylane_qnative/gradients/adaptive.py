"""Adaptive switching between SPSA, parameter shift and natural gradients.

The rule (each threshold configurable), decided once per gradient evaluation ``k`` (0-based):

1. ``k < warmup`` (10): SPSA: cheap steps while the loss falls fast;
2. every ``exact_every``-th evaluation (10, 20, ...): parameter shift, an exact gradient that
   corrects the drift of the stochastic steps;
3. if the loss improved by less than ``threshold`` (1%) relative over the last ``window`` (5)
   evaluations: the natural gradient, which rescales directions on a plateau;
4. otherwise SPSA.

The loss is what a trainer reports through :meth:`AdaptiveGradient.observe`. Without it the
object uses the QNode's own forward value as a proxy: for SPSA the mean of the perturbed
results (free, exact up to O(c^2)); for the other methods the unshifted tape is appended to
the batch (one extra circuit). The proxy is the mean of the first measurement over the
broadcast batch, which is the loss when the QNode returns it.

Defaults, chosen on the reference workload of ``benchmarks/bench_gradients.py`` (over 50
seeds they use 1/5.4 of parameter shift's circuits for the same test accuracy, 0.876 against
0.877, and 0.004 less on held-out samples; the literal rule ends 0.03-0.05 below; see
``docs/benchmarks.md``):

* the plateau test compares the *means* of the last ``window`` losses and of the ``window``
  before (``plateau_test="means"``) and asks the drop to stay below ``threshold`` even after
  adding ``plateau_z`` (1) standard errors of that difference: mini-batch losses scatter by
  10-20%, and a test on two single losses (``"endpoints"``, the literal rule) called about a
  third of the steps a plateau on noise alone;
* SPSA averages 3 directions (6 circuits): one direction's estimate of 32 partial derivatives
  is mostly noise; the directions are rows of a Hadamard matrix drawn without replacement
  (:class:`~pennylane_qnative.gradients.HadamardSampler`), so that the errors of
  successive estimates cancel in the optimiser's running average;
* SPSA estimates are returned at the expected norm of the true gradient
  (``match_norms=True``): an m-direction estimate over n parameters is about
  ``sqrt((m + n - 1) / m)`` times longer than the gradient, so without the correction an
  adaptive optimiser (Adam) sizes its steps on the SPSA noise and the exact steps in between
  barely move the parameters;
* natural steps use the QN-SPSA metric (4 overlap circuits, averaged over the run) on a
  3-direction SPSA Jacobian, ``lam=0.1``, rescaled to the base Jacobian's norm
  (``NaturalGradient(rescale=True)``): the metric turns the step, it does not lengthen it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pennylane.tape import QuantumScript

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients._common import (
    RngLike,
    StatefulTransform,
    forward_value,
    scale_jacobian,
)
from pennylane_qnative.gradients.natural import NaturalGradient, expand_natural
from pennylane_qnative.gradients.registry import resolve
from pennylane_qnative.gradients.spsa import SPSA

__all__ = ["AdaptiveGradient"]


PLATEAU_TESTS = ("means", "endpoints")


def _spsa_options(given: dict | None, rng: np.random.Generator) -> dict:
    """Options of the default SPSA object: Spall's schedule, 3 directions, seeded by ``rng``
    (the stream option of the schedule asked for, unless one is given)."""
    options = {"schedule": "spall", "num_directions": 3, **(given or {})}
    spall = options["schedule"] == "spall"
    streams = ("seed",) if spall else ("sampler_rng", "rng")
    if not any(options.get(name) is not None for name in streams):
        options[streams[0]] = rng
    return options


def _spsa_based(natural: NaturalGradient) -> bool:
    """Whether ``natural``'s base Jacobian is an SPSA estimate."""
    return natural.gradient == "spsa-grad" or (
        natural.gradient is None and natural.metric == "qnspsa"
    )


def _scaled(fn, factor: float):
    """``fn`` followed by multiplying the Jacobian by ``factor``."""

    def processing(results):
        return scale_jacobian(fn(results), factor)

    return processing


class AdaptiveGradient(StatefulTransform):
    """The spec's switching gradient as a stateful ``diff_method``.

    Args:
        warmup (int): evaluations that always use SPSA
        exact_every (int): period of the exact (parameter-shift) evaluations; 0 disables
        window (int): number of evaluations over which improvement is measured
        threshold (float): relative improvement below which the natural gradient is used;
            ``-inf`` disables the natural gradient
        plateau_test (str): ``"means"`` (default): the mean of the last ``window`` losses
            against the mean of the ``window`` before (needs ``2 * window`` losses);
            ``"endpoints"``: the last loss against the one ``window`` evaluations earlier
        plateau_z (float): for ``"means"``, standard errors of the difference of the two
            means added to the measured improvement before comparing it with ``threshold``,
            so that noise alone rarely looks like a plateau; 0 compares the means as they are
        match_norms (bool): scale SPSA estimates (and rescaled natural steps on an SPSA base
            Jacobian) by ``sqrt(m / (m + n - 1))`` for ``m`` directions and ``n`` parameters,
            so that their expected norm is the gradient's, as for the exact steps
        spsa (SPSA | dict | None): the SPSA object, or options for a new one (default
            ``schedule="spall"``, ``num_directions=3``, seeded from ``seed``, with Spall's
            default :class:`~pennylane_qnative.gradients.HadamardSampler`: orthogonal
            directions within each cycle)
        exact (str | Transform): the exact method (anything :func:`resolve` accepts)
        natural (NaturalGradient | dict | None): the natural gradient, or options for one;
            default ``metric="qnspsa"``, ``lam=0.1``, ``rescale=True`` on a 3-direction
            ``spsa-grad`` base Jacobian (6 + 4 circuits); with an ``spsa-grad`` base the
            ``gradient_kwargs`` given are added to ``{"rng": <seeded>, "num_directions": 3}``
        seed (int | np.random.Generator | None): seeds the default SPSA and natural objects

    Attributes:
        method_history (list[str]): the method of each evaluation
        losses (list[float]): observed losses, or the proxies when none was observed

    **Example**

    >>> import pennylane as qp
    >>> from pennylane import numpy as pnp
    >>> from pennylane_qnative.gradients import AdaptiveGradient
    >>> adaptive = AdaptiveGradient(warmup=2, exact_every=3, seed=0)
    >>> @qp.qnode(qp.device("default.qubit"), diff_method=adaptive)
    ... def circuit(x):
    ...     qp.RX(x[0], 0)
    ...     qp.RY(x[1], 0)
    ...     return qp.expval(qp.Z(0))
    >>> opt, x = qp.GradientDescentOptimizer(0.1), pnp.array([0.3, 0.4], requires_grad=True)
    >>> for _ in range(4):
    ...     x = opt.step(circuit, x)
    >>> adaptive.method_history
    ['spsa', 'spsa', 'spsa', 'parameter-shift']

    The literal rule of the specification (single-loss plateau test, one SPSA direction,
    block-diagonal metric, no norm matching):

    >>> literal = AdaptiveGradient(
    ...     plateau_test="endpoints", match_norms=False, spsa={"num_directions": 1},
    ...     natural={"metric": "block-diag", "lam": 0.01, "rescale": False,
    ...              "gradient_kwargs": {"num_directions": 1}}, seed=0)
    >>> literal.spsa.num_directions, literal.natural.metric.value
    (1, 'block-diag')
    """

    def __init__(
        self,
        *,
        warmup: int = 10,
        exact_every: int = 10,
        window: int = 5,
        threshold: float = 0.01,
        plateau_test: str = "means",
        plateau_z: float = 1.0,
        match_norms: bool = True,
        spsa: SPSA | dict | None = None,
        exact="parameter-shift",
        natural: NaturalGradient | dict | None = None,
        seed: RngLike = None,
    ) -> None:
        super().__init__(expand_transform=expand_natural)
        for name, value in (("warmup", warmup), ("exact_every", exact_every), ("window", window)):
            if not isinstance(value, int | np.integer) or value < (1 if name == "window" else 0):
                raise ConfigurationError(f"{name}={value!r} must be a non-negative int.")
        if np.isnan(threshold):
            raise ConfigurationError(
                f"threshold={threshold!r} must be a number (0.01 is 1%; -inf never switches to "
                "the natural gradient)."
            )
        self.warmup, self.exact_every, self.window = int(warmup), int(exact_every), int(window)
        self.threshold = float(threshold)
        if plateau_test not in PLATEAU_TESTS:
            raise ConfigurationError(
                f"plateau_test={plateau_test!r} is not supported: use one of {PLATEAU_TESTS}."
            )
        self.plateau_test = str(plateau_test)
        if isinstance(plateau_z, bool) or not (np.isfinite(plateau_z) and plateau_z >= 0):
            raise ConfigurationError(
                f"plateau_z={plateau_z!r} must be a finite number >= 0 (standard errors, e.g. "
                "1.0; 0 compares the window means as they are)."
            )
        self.plateau_z = float(plateau_z)
        self.match_norms = bool(match_norms)
        seeds = np.random.SeedSequence(seed if isinstance(seed, int) else None).spawn(2)
        rngs = [np.random.default_rng(s) for s in seeds]
        self.spsa = spsa if isinstance(spsa, SPSA) else SPSA(**_spsa_options(spsa, rngs[0]))
        self.exact = resolve(exact)
        if isinstance(natural, NaturalGradient):
            self.natural = natural
        else:
            options = {
                "seed": rngs[1],
                "metric": "qnspsa",
                "lam": 0.1,
                "rescale": True,
                "gradient": "spsa-grad",
                **(natural or {}),
            }
            if options["gradient"] == "spsa-grad":  # seeded, 3 directions unless told
                given = options.get("gradient_kwargs") or {}
                options["gradient_kwargs"] = {"rng": rngs[1], "num_directions": 3, **given}
            self.natural = NaturalGradient(**options)
        self.method_history: list[str] = []
        self.losses: list[float] = []
        self._observed = False
        self._choice: tuple[int, str] | None = None

    def observe(self, loss) -> None:
        """Record the real loss of the current step (a trainer calls this once per step).

        Once anything is observed, proxies are no longer recorded or appended.
        """
        if not self._observed:
            self.losses.clear()
            self._observed = True
        self.losses.append(float(np.mean(np.asarray(loss, dtype=float))))

    def plateau(self) -> bool:
        """Whether the loss improved by less than ``threshold`` over the last ``window``.

        ``"means"``: ``(mean(before) - mean(after) + plateau_z * se) / |mean(before)|`` below
        ``threshold``, with ``before``/``after`` the two last windows of losses and ``se`` the
        standard error of the difference of their means; ``"endpoints"``: the relative drop
        from the loss ``window`` evaluations ago to the last one.
        """
        if self.plateau_test == "means":
            if len(self.losses) < 2 * self.window:
                return False
            before = np.asarray(self.losses[-2 * self.window : -self.window])
            after = np.asarray(self.losses[-self.window :])
            old, drop = float(before.mean()), float(before.mean() - after.mean())
            if self.window > 1 and self.plateau_z:
                se = np.sqrt((before.var(ddof=1) + after.var(ddof=1)) / self.window)
                drop += self.plateau_z * float(se)
            return drop / max(abs(old), 1e-12) < self.threshold
        if len(self.losses) <= self.window:
            return False
        old, new = self.losses[-self.window - 1], self.losses[-1]
        return (old - new) / max(abs(old), 1e-12) < self.threshold

    def norm_factor(self, name: str, num_params: int) -> float:
        """The factor ``match_norms`` applies to an estimate of method ``name`` (else 1)."""
        if not self.match_norms or num_params < 2:
            return 1.0
        if name == "spsa":
            m = self.spsa.num_directions
        elif name == "natural" and self.natural.rescale and _spsa_based(self.natural):
            kwargs = self.natural.gradient_kwargs if self.natural.gradient else {}
            m = int(kwargs.get("num_directions", 1))
        else:
            return 1.0
        return float(np.sqrt(m / (m + num_params - 1)))

    def choose(self, k: int) -> str:
        """The method of evaluation ``k`` (see the module docstring for the rule)."""
        if k < self.warmup:
            return "spsa"
        if self.exact_every and k % self.exact_every == 0:
            return "parameter-shift"
        return "natural" if self.plateau() else "spsa"

    def _tape_transform(self, tape: QuantumScript, *, argnum=None):
        generation = self.k
        if self._choice is None or self._choice[0] != generation:
            self._choice = (generation, self.choose(generation))
            self.method_history.append(self._choice[1])
        name = self._choice[1]
        sub = {"spsa": self.spsa, "parameter-shift": self.exact, "natural": self.natural}[name]
        tapes, fn = sub(tape, argnum=argnum)
        factor = self.norm_factor(name, len(tape.trainable_params))
        if factor != 1.0 and tapes:
            fn = _scaled(fn, factor)
        if self._observed or not tapes:
            return tapes, self._counting(fn, generation)
        forward = self.spsa.strategy == "forward"
        m = self.spsa.num_directions
        if name == "spsa" and len(tapes) == (m + 1 if forward else 2 * m):
            # center: the mean of the f(x +- c D) is f(x) + O(c^2); forward: the first tape
            # is the unshifted one
            used = slice(0, 1) if forward else slice(0, len(tapes))

            def with_proxy(results):
                self._record_proxy(np.mean([forward_value(tape, r) for r in results[used]]))
                return fn(results)

        else:
            tapes = [*tapes, tape]

            def with_proxy(results):
                self._record_proxy(forward_value(tape, results[-1]))
                return fn(results[:-1])

        return tapes, self._counting(with_proxy, generation)

    def _record_proxy(self, value: float) -> None:
        if not self._observed:
            self.losses.append(float(value))

    def state_dict(self) -> dict[str, Any]:
        """Counters, histories and the sub-methods' states, for checkpoints."""
        return {
            "k": self.k,
            "method_history": list(self.method_history),
            "losses": list(self.losses),
            "observed": self._observed,
            "spsa": self.spsa.state_dict(),
            "natural": self.natural.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        missing = {"k", "method_history", "losses", "observed", "spsa", "natural"} - set(state)
        if missing:
            raise ConfigurationError(
                f"AdaptiveGradient state is missing {sorted(missing)}: pass a dict from "
                "AdaptiveGradient.state_dict()."
            )
        self.k = int(state["k"])
        self.method_history = list(state["method_history"])
        self.losses = [float(v) for v in state["losses"]]
        self._observed = bool(state["observed"])
        self.spsa.load_state_dict(state["spsa"])
        self.natural.load_state_dict(state["natural"])
        self._choice = None

    def __repr__(self) -> str:
        last = self.method_history[-1] if self.method_history else None
        return f"<AdaptiveGradient: k={self.k}, last={last!r}>"
