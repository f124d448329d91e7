r"""Natural gradients as a Jacobian transform: ``J (G + lam I)^+``.

A natural-gradient step is :math:`\theta \leftarrow \theta - \eta\, G^{-1}\nabla L`, with
:math:`G` the Fubini-Study metric of the circuit's state (Stokes et al. 2020). Because
:math:`G` depends only on the state, not on the loss,

.. math:: (J G^{-1})^T \frac{\partial L}{\partial f} = G^{-1} J^T \frac{\partial L}{\partial f}
          = G^{-1} \nabla L,

so returning the *preconditioned Jacobian* :math:`J G^{-1}` as the QNode's Jacobian makes
every optimiser, with every loss, take natural-gradient steps. :math:`G` is regularised as
:math:`(G + \lambda I)` and inverted with a pseudo-inverse.

Metrics:

* ``"block-diag"`` and ``"diag"``: PennyLane's :func:`~pennylane.metric_tensor` (one circuit
  per layer of commuting generators);
* ``"qnspsa"``: Gacon et al.'s stochastic estimate from 4 overlap circuits
  :math:`|\langle\psi(\theta)|\psi(\theta+\epsilon(\pm\Delta_1+\Delta_2))\rangle|^2`, averaged
  over iterations (:math:`\bar G_k = \tfrac{k}{k+1}\bar G_{k-1} + \tfrac{1}{k+1}\hat G_k`) and
  made positive as :math:`\sqrt{\bar G^2}` before regularisation. The running average lives
  in a :class:`NaturalGradient` object (the pure :func:`natural_grad` uses a single estimate).

The base Jacobian :math:`J` comes from ``gradient`` (parameter shift by default; SPSA for
``"qnspsa"``, which makes the whole estimate cost 2 + 4 circuits).

On a tape whose data is broadcast, ``block-diag``/``diag`` use one metric per sample (the
metric circuits are run per sample); ``qnspsa`` averages the overlap estimates over the batch
and uses one metric for the batch.

References:
    J. Stokes, J. Izaac, N. Killoran, G. Carleo, "Quantum Natural Gradient", Quantum 4, 269
    (2020). J. Gacon, C. Zoufal, G. Carleo, S. Woerner, "Simultaneous Perturbation Stochastic
    Approximation of the Quantum Fisher Information", Quantum 5, 567 (2021).
"""

from __future__ import annotations

import enum
from functools import partial
from typing import Any

import numpy as np
import pennylane as qp
from pennylane import math
from pennylane.tape import QuantumScript, QuantumScriptBatch
from pennylane.transforms.core import transform
from pennylane.typing import PostprocessingFn

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients._common import (
    RngLike,
    StatefulTransform,
    make_rng,
    scale_jacobian,
    select_parameters,
    shifted_tapes,
)
from pennylane_qnative.gradients._compat import (
    _expand_metric_tensor,
    contract_qjac_with_cjac,
)
from pennylane_qnative.gradients.registry import resolve
from pennylane_qnative.gradients.spsa import spsa_tapes

__all__ = ["Metric", "NaturalGradient", "natural_grad"]


class Metric(enum.StrEnum):
    """How the metric tensor is obtained."""

    BLOCK_DIAG = "block-diag"
    DIAG = "diag"
    QNSPSA = "qnspsa"


def _metric(metric) -> Metric:
    if metric not in set(Metric):
        raise ConfigurationError(
            f"metric={metric!r} is not supported: use one of {[m.value for m in Metric]}."
        )
    return Metric(metric)


def _check_eps(eps) -> float:
    ok = isinstance(eps, int | float | np.floating) and not isinstance(eps, bool)
    if not (ok and np.isfinite(eps) and eps > 0):
        raise ConfigurationError(f"eps={eps!r} must be a positive finite number (e.g. 0.01).")
    return float(eps)


def _check_lam(lam) -> float:
    if not np.isfinite(lam) or lam < 0:
        raise ConfigurationError(f"lam={lam!r} must be a finite number >= 0 (e.g. 0.01).")
    return float(lam)


def expand_natural(tape: QuantumScript, *_, **__) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    """Decompose into gates with single-term generators (what ``metric_tensor`` needs)."""
    return _expand_metric_tensor(tape)


# ---------------------------------------------------------------------------------------
# the metric tensor


def _metric_tapes(tape: QuantumScript, approx: Metric):
    """Tapes and postprocessing giving ``G`` of shape (P, P), or (B, P, P) when broadcast."""
    shots = tape.shots.total_shots if tape.shots.has_partitioned_shots else tape.shots
    base = tape.copy(shots=shots)
    singles = qp.transforms.broadcast_expand(base)[0] if tape.batch_size else [base]
    batches = [qp.metric_tensor(t, approx=approx.value) for t in singles]
    sizes = [len(tapes) for tapes, _ in batches]

    def processing(results):
        out, start = [], 0
        for (_, fn), size in zip(batches, sizes, strict=True):
            out.append(np.asarray(fn(results[start : start + size]), dtype=float))
            start += size
        return np.stack(out) if tape.batch_size else out[0]

    return [t for tapes, _ in batches for t in tapes], processing


def _overlap_tape(tape: QuantumScript, shifted: QuantumScript) -> QuantumScript:
    """``U(theta)`` then ``U(theta')^dagger``: the probability of all zeros is the fidelity."""
    ops = list(tape.operations) + [qp.adjoint(op) for op in reversed(shifted.operations)]
    return QuantumScript(ops, [qp.probs(wires=tape.wires)], shots=tape.shots.total_shots)


def _qnspsa_tapes(tape: QuantumScript, indices, num_params: int, eps: float, rng):
    """Gacon et al.'s 4 overlap circuits and the raw (unaveraged) metric estimate."""
    idx = list(indices)
    d1 = np.zeros(num_params)
    d2 = np.zeros(num_params)
    d1[idx] = rng.choice([-1.0, 1.0], size=len(idx))
    d2[idx] = rng.choice([-1.0, 1.0], size=len(idx))
    shifts = eps * np.stack([d1 + d2, d1, -d1 + d2, -d1])[:, idx]
    shifted = shifted_tapes(tape, idx, shifts)
    tapes = [_overlap_tape(tape, s) for s in shifted]
    outer = np.outer(d1, d2) + np.outer(d2, d1)

    def processing(results):
        fid = [np.asarray(math.unwrap(r))[..., 0] for r in results]
        delta = float(np.mean(fid[0] - fid[1] - fid[2] + fid[3]))
        return -outer * delta / (8 * eps**2)

    return tapes, processing


def regularised_inverse(metric: np.ndarray, lam: float, *, symmetrise: bool = False):
    """``pinv(G + lam I)`` (batched over leading axes); ``sqrt(G @ G)`` first if asked."""
    metric = np.asarray(metric, dtype=float)
    if symmetrise:  # sqrt(G @ G) = |G| for symmetric G: flip negative eigenvalues
        values, vectors = np.linalg.eigh((metric + np.swapaxes(metric, -1, -2)) / 2)
        metric = (vectors * np.abs(values)[..., None, :]) @ np.swapaxes(vectors, -1, -2)
    eye = np.eye(metric.shape[-1])
    return np.linalg.pinv(metric + lam * eye, hermitian=True)


# ---------------------------------------------------------------------------------------
# preconditioning a Jacobian in PennyLane's format


def _precondition_one(jac, inverse: np.ndarray, num_params: int):
    stacked = math.stack(list(jac)) if num_params > 1 else math.expand_dims(jac, 0)
    inv = math.convert_like(inverse, stacked)
    if inverse.ndim == 2:
        out = math.tensordot(inv, stacked, axes=[[0], [0]])
    else:  # one metric per broadcast sample: stacked is (P, B, ...)
        out = math.einsum("bqp,qb...->pb...", inv, stacked)
    return out[0] if num_params == 1 else tuple(out[p] for p in range(num_params))


def precondition(tape: QuantumScript, jac, inverse: np.ndarray):
    """Apply ``J -> J G^-1`` to every measurement (and every shot copy) of ``jac``."""
    num_params = len(tape.trainable_params)

    def one_copy(j):
        if len(tape.measurements) == 1:
            return _precondition_one(j, inverse, num_params)
        return tuple(_precondition_one(jm, inverse, num_params) for jm in j)

    if tape.shots.has_partitioned_shots:
        return tuple(one_copy(j) for j in jac)
    return one_copy(jac)


def _sq_norm(jac):
    """Sum of squares over every entry of a (nested) Jacobian."""
    if isinstance(jac, tuple | list):
        return sum(_sq_norm(j) for j in jac)
    return math.sum(jac**2)


def rescale_to(jac, reference):
    """``jac`` scaled to the Frobenius norm of ``reference`` (unchanged where ``jac`` is 0)."""
    num, den = _sq_norm(reference), _sq_norm(jac)
    factor = math.where(den > 0, math.sqrt(num / math.where(den > 0, den, 1.0)), 1.0)
    return scale_jacobian(jac, factor)


def natural_tapes(
    tape: QuantumScript,
    *,
    argnum=None,
    metric: str = "block-diag",
    lam: float = 0.01,
    gradient=None,
    gradient_kwargs: dict[str, Any] | None = None,
    eps: float = 0.01,
    rng: np.random.Generator | None = None,
    on_metric=None,
    rescale: bool = False,
) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    """Tapes and postprocessing of one natural-gradient evaluation (see :func:`natural_grad`).

    ``on_metric(raw) -> metric`` lets :class:`NaturalGradient` fold the raw ``qnspsa``
    estimate into its running average.
    """
    approx, lam, eps = _metric(metric), _check_lam(lam), _check_eps(eps)
    rng = make_rng(rng)
    selection = select_parameters(tape, argnum, "natural gradient")
    if selection.early is not None:
        return selection.early
    if gradient is None and approx is Metric.QNSPSA:
        jac_tapes, jac_fn = spsa_tapes(tape, c=eps, argnum=argnum, rng=rng)
    else:
        base = resolve(gradient or "parameter-shift", **(gradient_kwargs or {}))
        jac_tapes, jac_fn = base(tape, argnum=argnum)

    if approx is Metric.QNSPSA:
        m_tapes, m_fn = _qnspsa_tapes(tape, selection.indices, selection.num_params, eps, rng)
    else:
        m_tapes, m_fn = _metric_tapes(tape, approx)
    split = len(jac_tapes)

    def processing(results):
        jac = jac_fn(results[:split])
        g = m_fn(results[split:])
        if on_metric is not None:
            g = on_metric(g)
        inverse = regularised_inverse(g, lam, symmetrise=approx is Metric.QNSPSA)
        out = precondition(tape, jac, inverse)
        return rescale_to(out, jac) if rescale else out

    return [*jac_tapes, *m_tapes], processing


@partial(
    transform,
    expand_transform=expand_natural,
    classical_cotransform=contract_qjac_with_cjac,
    final_transform=True,
)
def natural_grad(
    tape: QuantumScript,
    *,
    argnum=None,
    metric: str = "block-diag",
    lam: float = 0.01,
    gradient=None,
    gradient_kwargs: dict[str, Any] | None = None,
    eps: float = 0.01,
    rng: RngLike = None,
    rescale: bool = False,
) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    r"""The metric-preconditioned Jacobian :math:`J\,(G + \lambda I)^{+}`.

    As ``diff_method``, any optimiser on any loss then takes natural-gradient steps (see the
    module docstring). The preconditioning is over the *tape* parameters.

    Args:
        tape (QuantumScript or QNode): the circuit
        argnum (int | Sequence[int] | None): trainable tape parameters of the base Jacobian
        metric (str): ``"block-diag"``, ``"diag"`` or ``"qnspsa"`` (single estimate here; use
            :class:`NaturalGradient` for the running average)
        lam (float): Tikhonov regulariser added to the metric's diagonal
        gradient (str | Transform | None): base Jacobian, any name or object
            :func:`~pennylane_qnative.gradients.resolve` accepts; default parameter shift, or
            SPSA with step ``eps`` for ``"qnspsa"``
        gradient_kwargs (dict | None): options for ``gradient``
        eps (float): the finite-difference step of the ``qnspsa`` estimates
        rng (int | np.random.Generator | None): random stream for ``qnspsa``
        rescale (bool): scale :math:`J (G + \lambda I)^{+}` back to the Frobenius norm of
            :math:`J`: the metric then only turns the direction, which keeps an adaptive
            optimiser's running moments (Adam's) from being thrown off by the size of
            :math:`G^{-1}` (step lengths stay those of the base gradient)

    Returns:
        tuple[list[QuantumScript], Callable]: base-Jacobian tapes followed by metric tapes, and
        their postprocessing

    **Example**

    >>> import pennylane as qp
    >>> from pennylane import numpy as pnp
    >>> from pennylane_qnative.gradients import natural_grad
    >>> @qp.qnode(qp.device("default.qubit"), diff_method=natural_grad,
    ...          gradient_kwargs={"lam": 0.0})
    ... def circuit(x):
    ...     qp.RX(x[0], 0)
    ...     qp.RY(x[1], 0)
    ...     return qp.expval(qp.Z(0))
    >>> x = pnp.array([0.3, 0.4], requires_grad=True)
    >>> g = qp.grad(circuit)(x)  # = G^-1 grad; G = diag(1/4, cos(0.3)**2 / 4)
    >>> bool(pnp.allclose(g, [-4 * pnp.sin(0.3) * pnp.cos(0.4), -4 * pnp.sin(0.4) / pnp.cos(0.3)]))
    True
    """
    return natural_tapes(
        tape,
        argnum=argnum,
        metric=metric,
        lam=lam,
        gradient=gradient,
        gradient_kwargs=gradient_kwargs,
        eps=eps,
        rng=rng,
        rescale=rescale,
    )


class NaturalGradient(StatefulTransform):
    """Stateful natural gradient, usable as ``diff_method``; keeps the ``qnspsa`` average.

    Same options as :func:`natural_grad` (``seed`` for the random stream). For ``"qnspsa"``
    every estimate is folded into the running average :attr:`metric_average` (Gacon et al.
    2021); :attr:`k` counts gradient evaluations, :attr:`num_estimates` the metric estimates.
    A tape with a different number of trainable parameters restarts the average.

    **Example**

    >>> import pennylane as qp
    >>> from pennylane import numpy as pnp
    >>> from pennylane_qnative.gradients import NaturalGradient
    >>> qn = NaturalGradient(metric="qnspsa", seed=0)
    >>> @qp.qnode(qp.device("default.qubit"), diff_method=qn)
    ... def circuit(x):
    ...     qp.RX(x[0], 0)
    ...     qp.RY(x[1], 0)
    ...     return qp.expval(qp.Z(0))
    >>> _ = qp.grad(circuit)(pnp.array([0.3, 0.4], requires_grad=True))
    >>> qn.k, qn.num_estimates, qn.metric_average.shape
    (1, 1, (2, 2))
    """

    def __init__(
        self,
        *,
        metric: str = "block-diag",
        lam: float = 0.01,
        gradient=None,
        gradient_kwargs: dict[str, Any] | None = None,
        eps: float = 0.01,
        seed: RngLike = None,
        rescale: bool = False,
    ) -> None:
        super().__init__(expand_transform=expand_natural)
        self.rescale = bool(rescale)
        self.metric = _metric(metric)
        self.lam = _check_lam(lam)
        self.gradient, self.gradient_kwargs = gradient, dict(gradient_kwargs or {})
        self.eps = _check_eps(eps)
        self.rng = make_rng(seed, option="seed")
        self.metric_average: np.ndarray | None = None
        self.num_estimates = 0

    def _fold(self, raw: np.ndarray) -> np.ndarray:
        if self.metric_average is None or self.metric_average.shape != raw.shape:
            self.metric_average, self.num_estimates = np.zeros_like(raw), 0
        n = self.num_estimates
        self.metric_average = n / (n + 1) * self.metric_average + raw / (n + 1)
        self.num_estimates += 1
        return self.metric_average

    def _tape_transform(self, tape: QuantumScript, *, argnum=None):
        tapes, fn = natural_tapes(
            tape,
            argnum=argnum,
            metric=self.metric,
            lam=self.lam,
            gradient=self.gradient,
            gradient_kwargs=self.gradient_kwargs,
            eps=self.eps,
            rng=self.rng,
            on_metric=self._fold if self.metric is Metric.QNSPSA else None,
            rescale=self.rescale,
        )
        return tapes, self._counting(fn, self.k)

    def state_dict(self) -> dict[str, Any]:
        """``k``, the running average and the random stream's state."""
        return {
            "k": self.k,
            "num_estimates": self.num_estimates,
            "metric_average": None if self.metric_average is None else self.metric_average.tolist(),
            "rng": self.rng.bit_generator.state,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        missing = {"k", "num_estimates", "metric_average", "rng"} - set(state)
        if missing:
            raise ConfigurationError(
                f"NaturalGradient state is missing {sorted(missing)}: pass a dict from "
                "NaturalGradient.state_dict()."
            )
        self.k, self.num_estimates = int(state["k"]), int(state["num_estimates"])
        avg = state["metric_average"]
        self.metric_average = None if avg is None else np.asarray(avg, dtype=float)
        self.rng.bit_generator.state = state["rng"]
