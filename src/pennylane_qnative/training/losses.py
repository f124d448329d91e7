"""Losses on model outputs in [-1, 1], differentiable with autograd, JAX and torch.

Targets are *encoded* once with :func:`encode_targets`: binary labels 0/1 become +1/-1
(class 0 is ``|0>``, ``<Z> = +1``), labels -1/+1 are kept, several outputs take one-hot
targets in +-1 form, regression targets pass through.

**Example**

>>> import numpy as np
>>> t = encode_targets(np.array([0, 1, 1]), output_dim=1, classification=True)
>>> t
array([ 1., -1., -1.])
>>> round(float(mse(np.array([0.9, -0.8, 0.1]), t)), 4)
0.42
>>> float(accuracy(np.array([0.9, -0.8, 0.1]), t))
0.6666666666666666
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from pennylane import math

from pennylane_qnative.exceptions import ConfigurationError

__all__ = ["LOSSES", "accuracy", "cross_entropy", "encode_targets", "hinge", "mse"]

_EPS = 1e-9


def encode_targets(y: Any, *, output_dim: int, classification: bool) -> np.ndarray:
    """Targets in output space (see the module notes).

    Raises:
        ConfigurationError: for labels that do not fit the outputs
    """
    y = np.asarray(y, dtype=float)
    if not classification:
        return y
    labels = set(np.unique(y).tolist())
    if output_dim == 1:
        if labels <= {0.0, 1.0}:
            return 1.0 - 2.0 * y
        if labels <= {-1.0, 1.0}:
            return y
        raise ConfigurationError(
            f"binary classification needs labels 0/1 or -1/+1, got {sorted(labels)}; use "
            "output_dim=n_classes for more classes."
        )
    if not labels <= set(map(float, range(output_dim))):
        raise ConfigurationError(
            f"labels must be integers 0..{output_dim - 1} for output_dim={output_dim}, got "
            f"{sorted(labels)}."
        )
    onehot = -np.ones((len(y), output_dim))
    onehot[np.arange(len(y)), y.astype(int)] = 1.0
    return onehot


def mse(outputs: Any, targets: Any) -> Any:
    """Mean squared error."""
    return math.mean((outputs - targets) ** 2)


def hinge(outputs: Any, targets: Any) -> Any:
    """Mean hinge loss ``max(0, 1 - t * o)`` for +-1 targets."""
    return math.mean(math.maximum(1.0 - targets * outputs, 0.0))  # dispatch on the tensor


def cross_entropy(outputs: Any, targets: Any) -> Any:
    """Binary cross-entropy with ``P(class 1) = (1 - <Z>) / 2`` (targets +-1)."""
    p1 = math.clip((1.0 - outputs) / 2.0, _EPS, 1.0 - _EPS)
    y1 = (1.0 - targets) / 2.0
    return -math.mean(y1 * math.log(p1) + (1.0 - y1) * math.log(1.0 - p1))


def accuracy(outputs: Any, targets: Any) -> float:
    """Fraction of samples whose predicted class matches the target."""
    outputs, targets = np.asarray(outputs), np.asarray(targets)
    if outputs.ndim == 1:
        return float(np.mean(np.sign(outputs) == np.sign(targets)))
    return float(np.mean(np.argmax(outputs, axis=-1) == np.argmax(targets, axis=-1)))


LOSSES: dict[str, Callable[[Any, Any], Any]] = {
    "mse": mse,
    "hinge": hinge,
    "cross_entropy": cross_entropy,
}
