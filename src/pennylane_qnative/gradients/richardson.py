r"""Central differences refined by Richardson extrapolation, with an error estimate.

The central difference :math:`D(h) = (f(x+h) - f(x-h)) / 2h` has the error series
:math:`a_1 h^2 + a_2 h^4 + \dots`. Evaluating it at :math:`h, h/2, \dots, h/2^{L-1}` and
combining the values with Richardson's tableau

.. math:: R_{j,m} = R_{j,m-1} + \frac{R_{j,m-1} - R_{j-1,m-1}}{4^m - 1}

cancels the first :math:`L-1` terms, so the error of :math:`R_{L-1,L-1}` falls like
:math:`h^{2L}` (``L = levels``), for :math:`2L` circuits per parameter. Every tableau entry is
a fixed linear combination of the circuit results, so the postprocessing is linear and works
unchanged with broadcasting, shot vectors and every interface.

The error estimate is :math:`|R_{L-1,L-1} - R_{L-1,L-2}|` (the improvement of the last
extrapolation, a conservative bound on the remaining truncation error) plus the propagated
evaluation noise (rounding, or shot noise bounded by the observables' spread).

References:
    L. F. Richardson, "The deferred approach to the limit", Phil. Trans. R. Soc. A 226 (1927).
    J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Sec. 8.1 (2006).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, NamedTuple

import numpy as np
from pennylane import math, pytrees
from pennylane.tape import QuantumScript, QuantumScriptBatch
from pennylane.transforms.core import transform
from pennylane.typing import PostprocessingFn

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients._common import (
    combine_linear,
    expand_numeric,
    function_noise,
    parameter_frequency,
    per_shot_copy,
    select_parameters,
    shifted_tapes,
)
from pennylane_qnative.gradients._compat import (
    contract_qjac_with_cjac,
)

__all__ = ["GradientEstimate", "auto_step", "richardson_grad", "richardson_weights"]


class GradientEstimate(NamedTuple):
    """A Jacobian and an estimate of its absolute error, in the same structure."""

    jacobian: Any
    error: Any


def richardson_weights(levels: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights of the central differences ``D(h / 2**j)`` in the extrapolated value and in
    the error estimate.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(value, error)``, each of length ``levels``
    """
    table = [np.eye(levels)[j] for j in range(levels)]  # R[j][0] = D_j as unit vectors
    previous_best = table[0]
    for m in range(1, levels):
        new = [table[j] + (table[j] - table[j - 1]) / (4**m - 1) for j in range(m, levels)]
        previous_best = table[-1]
        table = table[:m] + new
    value = table[-1]
    error = value - previous_best if levels > 1 else np.zeros(levels)
    return value, error


def auto_step(tape: QuantumScript, index: int, levels: int) -> float:
    r"""The base step for parameter ``index`` that balances truncation against noise.

    With evaluation noise :math:`\sigma` (rounding when analytic, shot noise otherwise, see
    :func:`~pennylane_qnative.gradients._common.function_noise`) and a parameter entering with
    largest frequency :math:`\omega`, the truncation error scales like
    :math:`(\omega h)^{2L}\omega` and the noise error like :math:`\sigma / h`; they balance at

    .. math:: h^* = \frac{\kappa_L}{\omega}\, \sigma^{1/(2L+1)},

    with :math:`\kappa_L = 2^{L-1}` because the finest step of the tableau is
    :math:`h/2^{L-1}`. Analytic mode gives steps near the rounding optimum (about
    :math:`6\cdot 10^{-6}` for one level); with shots the step grows with the noise.
    """
    sigma = function_noise(tape)
    omega = parameter_frequency(tape, index)
    return float(2 ** (levels - 1) * sigma ** (1.0 / (2 * levels + 1)) / omega)


def _steps(tape: QuantumScript, h, indices: Sequence[int], levels: int) -> np.ndarray:
    num_params = len(tape.trainable_params)
    if isinstance(h, str):
        if h != "auto":
            raise ConfigurationError(f"h={h!r} is not understood: pass 'auto' or a positive step.")
        steps = np.ones(num_params)
        for i in indices:
            steps[i] = auto_step(tape, i, levels)
        return steps
    steps = np.asarray(h, dtype=float)
    if steps.ndim == 0:
        steps = np.full(num_params, float(steps))
    if steps.shape != (num_params,) or np.any(steps <= 0) or not np.all(np.isfinite(steps)):
        raise ConfigurationError(
            f"h={h!r} must be 'auto', a positive float or one positive step per trainable tape "
            f"parameter ({num_params})."
        )
    return steps


def _abs_tree(tree):
    leaves, structure = pytrees.flatten(tree)
    return pytrees.unflatten([math.abs(leaf) for leaf in leaves], structure)


def _ones_like(tape: QuantumScript, result):
    if len(tape.measurements) == 1:
        return math.ones_like(result)
    return tuple(math.ones_like(r) for r in result)


def contract_with_error(qjac, cjac, tape: QuantumScript):
    """Classical co-transform that also propagates the error estimate (through ``|cjac|``)."""
    if isinstance(qjac, GradientEstimate):
        return GradientEstimate(
            contract_qjac_with_cjac(qjac.jacobian, cjac, tape),
            contract_qjac_with_cjac(qjac.error, _abs_tree(cjac), tape),
        )
    return contract_qjac_with_cjac(qjac, cjac, tape)


def richardson_tapes(
    tape: QuantumScript, *, argnum=None, h="auto", levels: int = 2, return_error: bool = False
) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    """Tapes and postprocessing of :func:`richardson_grad` (see there)."""
    if not isinstance(levels, int | np.integer) or not 1 <= levels <= 8:
        raise ConfigurationError(f"levels={levels!r} must be an int from 1 to 8 (2 is typical).")
    selection = select_parameters(tape, argnum, "Richardson")
    if selection.early is not None:
        return selection.early
    idx, num_params = selection.indices, selection.num_params
    steps = _steps(tape, h, idx, levels)
    value_w, error_w = richardson_weights(levels)

    tapes, value_c, error_c = [], [], []
    for i in idx:
        for j in range(levels):
            step = steps[i] / 2**j
            tapes.extend(shifted_tapes(tape, [i], np.array([[step], [-step]])))
            for sign in (1.0, -1.0):
                v, e = np.zeros(num_params), np.zeros(num_params)
                v[i], e[i] = sign * value_w[j] / (2 * step), sign * error_w[j] / (2 * step)
                value_c.append(v)
                error_c.append(e)
    value_c, error_c = np.stack(value_c, axis=1), np.stack(error_c, axis=1)
    value_fn = per_shot_copy(tape, lambda res: combine_linear(tape, value_c, res))
    if not return_error:
        return tapes, value_fn

    # propagated evaluation noise, spread evenly so that it sums to sigma * ||weights||
    noise = function_noise(tape) * np.sqrt((value_c**2).sum(axis=1, keepdims=True))
    noise_c = np.broadcast_to(noise / value_c.shape[1], value_c.shape)
    delta_fn = per_shot_copy(tape, lambda res: combine_linear(tape, error_c, res))
    noise_fn = per_shot_copy(
        tape, lambda res: combine_linear(tape, noise_c, [_ones_like(tape, r) for r in res])
    )

    def processing(results):
        delta, floor = _abs_tree(delta_fn(results)), noise_fn(results)
        leaves, structure = pytrees.flatten(delta)
        floors, _ = pytrees.flatten(floor)
        error = pytrees.unflatten([d + f for d, f in zip(leaves, floors, strict=True)], structure)
        return GradientEstimate(value_fn(results), error)

    return tapes, processing


@partial(
    transform,
    expand_transform=expand_numeric,
    classical_cotransform=contract_with_error,
    final_transform=True,
)
def richardson_grad(
    tape: QuantumScript,
    *,
    argnum=None,
    h: float | Sequence[float] | str = "auto",
    levels: int = 2,
    return_error: bool = False,
) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    r"""Jacobian by central differences at ``h, h/2, ..., h/2**(levels-1)`` and Richardson
    extrapolation; error :math:`O(h^{2\,\text{levels}})` for ``2 * levels`` circuits per
    parameter.

    Args:
        tape (QuantumScript or QNode): the circuit to differentiate
        argnum (int | Sequence[int] | None): trainable tape parameters to differentiate
        h (float | Sequence[float] | str): the largest step, scalar or one per trainable tape
            parameter, or ``"auto"`` (default): per parameter, the step that balances truncation
            error against rounding (analytic) or shot noise (finite shots), see
            :func:`auto_step`
        levels (int): number of step sizes (1 is a plain central difference)
        return_error (bool): if ``True`` the result is a :class:`GradientEstimate`
            ``(jacobian, error)``; leave ``False`` for ``diff_method=`` use

    Returns:
        tuple[list[QuantumScript], Callable]: the shifted tapes and their postprocessing

    **Example**

    >>> import pennylane as qp
    >>> from pennylane import numpy as pnp
    >>> from pennylane_qnative.gradients import richardson_grad
    >>> @qp.qnode(qp.device("default.qubit"))
    ... def circuit(x):
    ...     qp.RX(x, 0)
    ...     return qp.expval(qp.Z(0))
    >>> x = pnp.array(0.5, requires_grad=True)
    >>> est = richardson_grad(circuit, levels=3, return_error=True)(x)
    >>> bool(abs(est.jacobian + pnp.sin(0.5)) < 1e-11), bool(est.error < 1e-6)
    (True, True)

    Compared with PennyLane's ``finite_diff`` (forward, ``h=1e-7``: error about ``1e-8``
    analytic and useless with shots because the step ignores the noise), ``levels=2`` with
    ``h="auto"`` reaches about ``1e-12`` analytic and picks a step that keeps shot noise
    bounded; see ``docs/benchmarks.md``.
    """
    return richardson_tapes(tape, argnum=argnum, h=h, levels=levels, return_error=return_error)
