"""Machinery shared by the gradient transforms: guards, tape expansion, linear postprocessing
and the base class that lets a stateful object be a ``diff_method``.

Everything here is private; the public names live in the sibling modules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pennylane as qp
from pennylane import math
from pennylane.tape import QuantumScript, QuantumScriptBatch
from pennylane.typing import PostprocessingFn

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.execution.fusion import unread_operations
from pennylane_qnative.execution.rebinding import batch_size, rebind
from pennylane_qnative.gradients._compat import (
    Transform,
    _all_zero_grad,
    _no_trainable_grad,
    assert_no_state_returns,
    assert_no_trainable_tape_batching,
    choose_trainable_param_indices,
    contract_qjac_with_cjac,
    decompose,
    find_and_validate_gradient_methods,
    gate_sets,
    generate_multishifted_tapes,
)

RngLike = int | np.random.Generator | None


def make_rng(rng: RngLike, *, option: str = "rng") -> np.random.Generator:
    """Return a NumPy ``Generator`` for ``rng`` (a seed, a generator or ``None``).

    A ``Generator`` is returned as is, so that successive calls keep drawing fresh numbers
    from the same stream; an ``int`` seeds a new one (same seed, same draws).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, int | np.integer) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise ConfigurationError(
        f"{option}={rng!r} is not a random generator: pass an int seed, a "
        "numpy.random.Generator (np.random.default_rng(...)) or None."
    )


def shifted_tapes(
    tape: QuantumScript, indices: Sequence[int], shifts: np.ndarray
) -> list[QuantumScript]:
    """One tape per row of ``shifts``, trainable parameters ``indices`` shifted by that row.

    PennyLane's ``generate_multishifted_tapes`` (without multipliers), built with
    :func:`~pennylane_qnative.execution.rebinding.rebind` when the parameters are plain floats.
    Other parameters (framework tensors, integers) take PennyLane's path.
    """
    values = tape.get_parameters(trainable_only=True)
    chosen = [values[i] for i in indices]
    if not all(_is_real_scalar(v) for v in chosen):
        return generate_multishifted_tapes(tape, indices, shifts)
    positions = [tape.trainable_params[i] for i in indices]
    base = np.asarray(chosen, dtype=np.float64)
    return [rebind(tape, list(base + row), positions) for row in np.asarray(shifts)]


def _is_real_scalar(value: Any) -> bool:
    """A Python or NumPy float (a 0-d float array included), not a framework tensor."""
    kind = type(value)
    if kind is float or kind is np.float64:
        return True
    return kind is np.ndarray and value.ndim == 0 and value.dtype == np.float64


def _stop_at_numeric(obj) -> bool:
    return not any(math.requires_grad(d) for d in obj.data) or obj.grad_method is not None


def expand_numeric(tape: QuantumScript, *_, **__) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    """Decompose operations whose trainable parameters cannot be shifted numerically.

    The same expansion as PennyLane's ``spsa_grad``; it accepts (and ignores) every gradient
    keyword so that it can serve as the ``expand_transform`` of any transform here.
    """
    if all(op.grad_method is not None or _stop_at_numeric(op) for op in tape.operations):
        return [tape], _first  # nothing to decompose (a gate-level circuit): skip the pass
    [new_tape], _ = decompose(
        tape, gate_set=gate_sets.ROTATIONS_PLUS_CNOT, stopping_condition=_stop_at_numeric
    )
    return [new_tape], _first


def _first(results):
    return results[0]


@dataclass(frozen=True, slots=True)
class Selection:
    """Which trainable parameters of a tape a transform differentiates.

    Attributes:
        early: ``(tapes, postprocessing)`` to return straight away (no trainable parameter,
            or every selected derivative is structurally zero), else ``None``
        indices: indices into ``tape.trainable_params`` with a non-zero derivative
        num_params: ``len(tape.trainable_params)``: the length of the Jacobian's parameter axis
    """

    early: tuple[QuantumScriptBatch, PostprocessingFn] | None
    indices: tuple[int, ...]
    num_params: int


def _is_index(value: Any, size: int) -> bool:
    integer = isinstance(value, int | np.integer) and not isinstance(value, bool)
    return integer and -size <= value < size


def _check_argnum(argnum, num_params: int, name: str) -> None:
    """Refuse an ``argnum`` that names no trainable parameter of the tape."""
    if argnum is None:
        return
    indices = np.atleast_1d(np.asarray(argnum, dtype=object)).tolist()
    ok = all(_is_index(i, num_params) for i in indices)
    if not ok:
        raise ConfigurationError(
            f"{name}: argnum={argnum!r} must be indices of the tape's {num_params} trainable "
            f"parameters (0 to {num_params - 1}); pass argnum=None for all of them."
        )


def select_parameters(
    tape: QuantumScript, argnum, name: str, *, method: str = "numeric", validate: bool = True
):
    """Apply PennyLane's guards and choose the parameters to differentiate.

    ``validate=False`` (PennyLane's ``validate_params=False``) takes every chosen parameter
    as differentiable, without looking for zero derivatives.

    Raises:
        NotImplementedError: a *trainable* parameter is broadcast (data broadcasting is fine)
        ValueError: the tape returns the state, or a parameter is not differentiable
    """
    batch_size(tape)  # PennyLane's batch inference, faster (the guard below needs it)
    assert_no_trainable_tape_batching(tape, name)
    assert_no_state_returns(tape.measurements, name)
    num_params = len(tape.trainable_params)
    if argnum is None and not tape.trainable_params:
        return Selection(_no_trainable_grad(tape), (), num_params)
    _check_argnum(argnum, num_params, name)
    chosen = choose_trainable_param_indices(tape, argnum)
    if not validate:
        return Selection(None, tuple(sorted(chosen)), num_params)
    dark = unread_operations(tape, phases=False)  # the light cone: PennyLane's graph, faster
    if dark is None:  # mid-circuit measurements, snapshots: PennyLane's circuit graph decides
        methods = find_and_validate_gradient_methods(tape, method, chosen)
    else:
        lit = [i for i in chosen if tape.par_info[tape.trainable_params[i]]["op_idx"] not in dark]
        methods = find_and_validate_gradient_methods(tape, method, lit, use_graph=False)
    indices = tuple(i for i in range(num_params) if methods.get(i, "0") != "0")
    if not indices:
        return Selection(_all_zero_grad(tape), (), num_params)
    return Selection(None, indices, num_params)


def _contract(coeffs: np.ndarray, results: Sequence) -> Any:
    stacked = math.stack(list(results))
    c = math.cast_like(math.convert_like(coeffs, stacked), stacked)
    return math.tensordot(c, stacked, axes=[[1], [0]])


def _format(grads, num_params: int):
    if num_params == 1:
        return grads[0]
    return tuple(grads[p] for p in range(num_params))


def combine_linear(tape: QuantumScript, coeffs: np.ndarray, results: Sequence) -> Any:
    """Jacobian ``J[p] = sum_t coeffs[p, t] * results[t]`` in PennyLane's gradient format.

    ``results`` hold one entry per tape for a single shot setting (no shot vector). The
    output nests measurements outside parameters, like every PennyLane gradient transform
    before its classical co-transform.
    """
    num_params = coeffs.shape[0]
    if len(tape.measurements) == 1:
        return _format(_contract(coeffs, results), num_params)
    return tuple(
        _format(_contract(coeffs, [r[m] for r in results]), num_params)
        for m in range(len(tape.measurements))
    )


def per_shot_copy(tape: QuantumScript, fn: Callable[[Sequence], Any]) -> PostprocessingFn:
    """Apply ``fn`` (written for one shot setting) to every copy of a shot vector."""
    if not tape.shots.has_partitioned_shots:
        return fn

    def processing(results):
        return tuple(fn([r[copy] for r in results]) for copy in range(tape.shots.num_copies))

    return processing


def linear_postprocessing(tape: QuantumScript, coeffs: np.ndarray) -> PostprocessingFn:
    """Postprocessing for a gradient that is a fixed linear combination of tape results."""
    return per_shot_copy(tape, lambda results: combine_linear(tape, coeffs, results))


def scale_jacobian(jac, factor):
    """A (nested tuple of) Jacobian(s) with every entry multiplied by ``factor``."""
    if isinstance(jac, tuple | list):
        return tuple(scale_jacobian(j, factor) for j in jac)
    return jac * factor


def forward_value(tape: QuantumScript, result) -> float:
    """A scalar summary of one forward result: the mean of the first measurement.

    Used as a proxy loss by :class:`AdaptiveGradient` when no real loss is observed.
    """
    if tape.shots.has_partitioned_shots:
        result = result[-1]
    if len(tape.measurements) > 1:
        result = result[0]
    return float(np.mean(math.unwrap(math.toarray(result))))


def observable_spread(tape: QuantumScript) -> float:
    """An upper bound on the standard deviation of one shot of any measurement of ``tape``.

    Half the eigenvalue spread (bounded by the coefficient 1-norm for sums of Paulis);
    probabilities are Bernoulli (at most 1/2).
    """
    spread = 0.5
    for m in tape.measurements:
        obs = getattr(m, "obs", None)
        if obs is None:
            continue
        try:
            coeffs, _ = obs.terms()
            norm = float(np.sum(np.abs(math.unwrap(coeffs))))
        except (qp.exceptions.TermsUndefinedError, AttributeError):
            norm = float(np.max(np.abs(obs.eigvals())))
        spread = max(spread, norm)
    return spread


def function_noise(tape: QuantumScript) -> float:
    """Standard deviation of one evaluation of ``tape``: rounding, or shot noise if shots."""
    if not tape.shots:
        return 1e-15 * observable_spread(tape)
    fewest = min(copy.shots for copy in tape.shots.shot_vector)
    return observable_spread(tape) / np.sqrt(fewest)


def parameter_frequency(tape: QuantumScript, index: int) -> float:
    """Largest frequency with which the trainable parameter ``index`` enters the circuit.

    For gates ``exp(-i x G)`` the expectation values are trigonometric polynomials in ``x``
    whose frequencies are the gaps of ``G``'s spectrum; derivatives of order ``n`` scale like
    ``frequency**n``. Defaults to 1 when the operator does not say.
    """
    op, _, p_idx = tape.get_operation(index)
    try:
        freqs = op.parameter_frequencies[p_idx]
        return float(max(freqs)) if len(freqs) else 1.0
    except (qp.exceptions.ParameterFrequenciesUndefinedError, AttributeError, IndexError):
        return 1.0


class StatefulTransform(Transform):
    """Base class for gradient objects that keep state and are usable as ``diff_method``.

    A subclass is a genuine :class:`~pennylane.transforms.core.Transform` (QNodes accept
    nothing else as a custom ``diff_method``) whose tape transform is the bound method
    :meth:`_tape_transform`. It counts *gradient evaluations* in :attr:`k`:

    * every tape transformed while :attr:`k` has a given value belongs to the same evaluation
      (PennyLane transforms a batch of tapes one tape at a time);
    * the first postprocessing of that evaluation advances :attr:`k` by one; the other tapes'
      postprocessing leaves it alone.

    So ``k`` advances once per gradient evaluation however many tapes the batch holds, and
    tapes that are generated but never post-processed do not count.
    """

    def __new__(cls, *_args, **_kwargs):
        # Transform.__new__ takes the tape transform positionally; ours is a bound method.
        return object.__new__(cls)

    def __init__(self, *, expand_transform=expand_numeric, cotransform=contract_qjac_with_cjac):
        super().__init__(
            self._tape_transform,
            expand_transform=expand_transform,
            classical_cotransform=cotransform,
            final_transform=True,
        )
        self.k = 0

    def _tape_transform(self, tape: QuantumScript, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    def _counting(self, fn: PostprocessingFn, generation: int) -> PostprocessingFn:
        """Wrap ``fn`` so that it completes evaluation ``generation`` when first called."""

        def processing(results):
            out = fn(results)
            if self.k == generation:
                self.k += 1
                self._on_evaluation_done(generation)
            return out

        return processing

    def _on_evaluation_done(self, generation: int) -> None:
        """Hook for subclasses, called once per completed gradient evaluation."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: k={self.k}>"
