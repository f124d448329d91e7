"""Optimisers as pairs of pure functions, in the style of optax.

An optimiser is a :class:`PureOptimizer`: ``init(params) -> state`` and
``update(grads, state, params) -> (updates, state)``; apply with ``params + updates``. States
are NamedTuples of NumPy arrays, so a checkpoint stores them as plain lists.

**Example**

>>> import numpy as np
>>> opt = adam(0.1)
>>> params = np.array([1.0, -2.0])
>>> state = opt.init(params)
>>> updates, state = opt.update(2 * params, state, params)   # gradient of |x|^2
>>> np.round(params + updates, 3)
array([ 0.9, -1.9])
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from pennylane_qnative.exceptions import ConfigurationError

__all__ = [
    "AdamState",
    "MomentumState",
    "PureOptimizer",
    "SgdState",
    "adam",
    "make_optimizer",
    "momentum",
    "sgd",
    "state_from_dict",
    "state_to_dict",
]


class PureOptimizer(NamedTuple):
    """A pure optimiser: ``init(params)`` and ``update(grads, state, params)``."""

    init: Callable[[np.ndarray], Any]
    update: Callable[[np.ndarray, Any, np.ndarray], tuple[np.ndarray, Any]]


def __getattr__(name: str) -> Any:
    if name == "Optimizer":  # renamed: training.config.OptimizerName is the option's name
        warnings.warn(
            "pennylane_qnative.training.optimizers.Optimizer is deprecated: use PureOptimizer.",
            DeprecationWarning,
            stacklevel=2,
        )
        return PureOptimizer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class SgdState(NamedTuple):
    count: int


class MomentumState(NamedTuple):
    count: int
    velocity: np.ndarray


class AdamState(NamedTuple):
    count: int
    mu: np.ndarray
    nu: np.ndarray


def _check_rate(learning_rate: float) -> None:
    if not (isinstance(learning_rate, int | float) and learning_rate > 0):
        raise ConfigurationError(f"learning_rate must be positive, got {learning_rate!r}.")


def sgd(learning_rate: float) -> PureOptimizer:
    """Plain gradient descent: ``update = -learning_rate * grad``."""
    _check_rate(learning_rate)

    def update(grads, state, params=None):
        return -learning_rate * np.asarray(grads), SgdState(state.count + 1)

    return PureOptimizer(lambda params: SgdState(0), update)


def momentum(learning_rate: float, beta: float = 0.9) -> PureOptimizer:
    """Heavy-ball momentum: ``v = beta v + grad``, ``update = -learning_rate * v``."""
    _check_rate(learning_rate)

    def init(params):
        return MomentumState(0, np.zeros_like(params, dtype=float))

    def update(grads, state, params=None):
        velocity = beta * state.velocity + np.asarray(grads)
        return -learning_rate * velocity, MomentumState(state.count + 1, velocity)

    return PureOptimizer(init, update)


def adam(
    learning_rate: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8
) -> PureOptimizer:
    """Adam (Kingma and Ba, 2015) with bias correction."""
    _check_rate(learning_rate)

    def init(params):
        zeros = np.zeros_like(params, dtype=float)
        return AdamState(0, zeros, zeros.copy())

    def update(grads, state, params=None):
        grads = np.asarray(grads, dtype=float)
        count = state.count + 1
        mu = b1 * state.mu + (1 - b1) * grads
        nu = b2 * state.nu + (1 - b2) * grads**2
        mu_hat, nu_hat = mu / (1 - b1**count), nu / (1 - b2**count)
        return -learning_rate * mu_hat / (np.sqrt(nu_hat) + eps), AdamState(count, mu, nu)

    return PureOptimizer(init, update)


_FACTORIES = {"adam": adam, "sgd": sgd, "momentum": momentum}
_STATES = {"SgdState": SgdState, "MomentumState": MomentumState, "AdamState": AdamState}


def make_optimizer(name: str, learning_rate: float) -> PureOptimizer:
    """The optimiser called ``name`` (``"adam"``, ``"sgd"``, ``"momentum"``)."""
    try:
        return _FACTORIES[str(name)](learning_rate)
    except KeyError:
        raise ConfigurationError(
            f"optimizer must be one of {sorted(_FACTORIES)}, got {name!r}."
        ) from None


def state_to_dict(state: NamedTuple) -> dict[str, Any]:
    """A JSON-serialisable form of an optimiser state."""
    values = {
        k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in state._asdict().items()
    }
    return {"type": type(state).__name__, **values}


def state_from_dict(data: dict[str, Any]) -> NamedTuple:
    """Inverse of :func:`state_to_dict`."""
    data = dict(data)
    cls = _STATES[data.pop("type")]
    return cls(
        **{k: (np.asarray(v, dtype=float) if k != "count" else int(v)) for k, v in data.items()}
    )
