"""Adaptive switching between SPSA, parameter shift and natural gradients.

The rule (each threshold configurable), decided once per gradient evaluation ``k`` (0-based):

1. ``k < warmup`` (10): SPSA: cheap steps while the loss falls fast;
2. every ``exact_every``-th evaluation (10, 20, ...): parameter shift, an exact gradient that
   corrects the drift of the stochastic steps;
3. if the loss improved by less than ``threshold`` (1%) relative over the last ``window`` (5)
   evaluations: the natural gradient, which rescales directions on a plateau;
4. otherwise SPSA.

The loss is what a trainer reports through :meth:`AdaptiveGradient.observe`. Without it the
object uses the QNode's own forward value as a proxy: for SPSA the mean of the two perturbed
results (free, exact up to O(c^2)); for the other methods the unshifted tape is appended to
the batch (one extra circuit). The proxy is the mean of the first measurement over the
broadcast batch, which is the loss when the QNode returns it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pennylane.tape import QuantumScript

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients._common import RngLike, StatefulTransform, forward_value
from pennylane_qnative.gradients.decorator import resolve
from pennylane_qnative.gradients.natural import NaturalGradient, expand_natural
from pennylane_qnative.gradients.spsa import SPSA

__all__ = ["AdaptiveGradient"]


class AdaptiveGradient(StatefulTransform):
    """The spec's switching gradient as a stateful ``diff_method``.

    Args:
        warmup (int): evaluations that always use SPSA
        exact_every (int): period of the exact (parameter-shift) evaluations; 0 disables
        window (int): number of evaluations over which improvement is measured
        threshold (float): relative improvement below which the natural gradient is used;
            ``-inf`` disables the natural gradient
        spsa (SPSA | dict | None): the SPSA object, or options for a new one
        exact (str | Transform): the exact method (anything :func:`resolve` accepts)
        natural (NaturalGradient | dict | None): the natural gradient, or options for one;
            default block-diagonal metric with an SPSA base Jacobian (metric circuits + 2)
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
    """

    def __init__(
        self,
        *,
        warmup: int = 10,
        exact_every: int = 10,
        window: int = 5,
        threshold: float = 0.01,
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
        seeds = np.random.SeedSequence(seed if isinstance(seed, int) else None).spawn(2)
        rngs = [np.random.default_rng(s) for s in seeds]
        self.spsa = spsa if isinstance(spsa, SPSA) else SPSA(**{"seed": rngs[0], **(spsa or {})})
        self.exact = resolve(exact)
        if isinstance(natural, NaturalGradient):
            self.natural = natural
        else:
            defaults = {"gradient": "spsa-grad", "gradient_kwargs": {"rng": rngs[1]}}
            self.natural = NaturalGradient(**{"seed": rngs[1], **defaults, **(natural or {})})
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
        """Whether the loss improved by less than ``threshold`` over the last ``window``."""
        if len(self.losses) <= self.window:
            return False
        old, new = self.losses[-self.window - 1], self.losses[-1]
        return (old - new) / max(abs(old), 1e-12) < self.threshold

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
        if self._observed or not tapes:
            return tapes, self._counting(fn, generation)
        if name == "spsa" and self.spsa.num_directions == 1 and len(tapes) == 2:
            # center: the mean of f(x + c D) and f(x - c D) is f(x) + O(c^2); forward: the
            # first tape is the unshifted one
            used = slice(0, 1) if self.spsa.strategy == "forward" else slice(0, 2)

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
