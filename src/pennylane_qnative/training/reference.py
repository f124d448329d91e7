"""The reference workload and the v3.2-style baseline it is compared with.

Reference workload (from the specification): a binary classifier on 100 training samples
with 8 features, 8 qubits, a depth-2 hardware-efficient ansatz (32 parameters), 5 epochs,
batches of 10. The data is scikit-learn's breast-cancer set (569 samples, 30 features; it
ships with scikit-learn, no download), standardised, reduced to 8 features by PCA and scaled
to [0, pi] for angle embedding. The held-out test split is disjoint from the training split.

The *v3.2-style baseline* is how the specification's previous release trained: every sample
of a batch is its own QNode call on ``default.qubit`` with parameter-shift gradients (no
broadcasting, no batching, no cache): ``batch * (1 + 2 * n_params)`` circuits per step.

**Example**

>>> data = load_reference_data(n_train=100, n_test=50, seed=0)
>>> data.X_train.shape, data.X_test.shape
((100, 8), (50, 8))
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pennylane as qp
from pennylane import numpy as pnp

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.training.losses import encode_targets
from pennylane_qnative.training.model import QuantumModel

__all__ = [
    "DATASET_SAMPLES",
    "MAX_SAMPLES",
    "MIN_SAMPLES",
    "BaselineTiming",
    "ReferenceData",
    "load_reference_data",
    "time_v32_baseline",
]

DATASET_SAMPLES = 569
"""Samples in scikit-learn's breast-cancer data set."""
MIN_SAMPLES = 10
"""The fewest training samples (the PCA to 8 features needs at least 8, the stratified split 2
per class)."""
MAX_SAMPLES = DATASET_SAMPLES - 200
"""The most training samples beside the 200 held-out test samples."""


@dataclass(frozen=True, slots=True)
class ReferenceData:
    """Train, test and (optional) validation splits of the reference data set, disjoint."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None


def load_reference_data(
    *,
    n_train: int = 100,
    n_test: int = 200,
    n_features: int = 8,
    seed: int = 0,
    n_validation: int = 0,
) -> ReferenceData:
    """Breast-cancer data, PCA to ``n_features``, scaled to [0, pi], stratified splits.

    The scaler and PCA are fitted on the training split only. ``n_validation`` samples are
    drawn (stratified) from what neither split holds, so the train and test splits are the
    same with or without them: validation for early stopping and for choosing defaults, never
    the test split.

    Raises:
        ConfigurationError: if the splits do not fit in the data set's 569 samples, or
            ``n_train`` is below ``MIN_SAMPLES`` (the PCA needs as many samples as features)
    """
    sizes = (("n_train", n_train, MIN_SAMPLES), ("n_test", n_test, 2))
    for name, value, low in (*sizes, ("n_validation", n_validation, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigurationError(f"{name} must be an integer >= {low}, got {value!r}.")
    if n_validation == 1:
        raise ConfigurationError("n_validation must be 0 or at least 2 (one per class).")
    if n_train + n_test + n_validation > DATASET_SAMPLES:
        raise ConfigurationError(
            f"n_train + n_test + n_validation must be at most {DATASET_SAMPLES} (the data "
            f"set's samples), got {n_train} + {n_test} + {n_validation}; ask for fewer samples "
            f"(n_train <= {MAX_SAMPLES} with the default 200 test samples)."
        )
    from sklearn.datasets import load_breast_cancer
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    train, test = train_test_split(
        np.arange(len(y)), train_size=n_train, test_size=n_test, stratify=y, random_state=seed
    )
    prep = make_pipeline(StandardScaler(), PCA(n_features), MinMaxScaler((0.0, np.pi)))
    X_train = prep.fit_transform(X[train])

    def held_out(rows: np.ndarray) -> np.ndarray:
        return np.clip(prep.transform(X[rows]), 0.0, np.pi)

    data = ReferenceData(X_train, y[train].astype(int), held_out(test), y[test].astype(int))
    if not n_validation:
        return data
    rest = np.setdiff1d(np.arange(len(y)), np.concatenate([train, test]))
    if n_validation < len(rest):
        rest, _ = train_test_split(
            rest, train_size=n_validation, stratify=y[rest], random_state=seed
        )
    return replace(data, X_val=held_out(rest), y_val=y[rest].astype(int))


@dataclass(frozen=True, slots=True)
class BaselineTiming:
    """Measured cost of the v3.2-style per-sample parameter-shift loop."""

    steps_measured: int
    seconds_per_step: float
    circuits_per_step: int

    def extrapolate(self, steps: int) -> float:
        """Seconds for ``steps`` steps at the measured rate."""
        return self.seconds_per_step * steps


def time_v32_baseline(
    model: QuantumModel, X: Any, y: Any, *, batch_size: int = 10, steps: int = 2
) -> BaselineTiming:
    """Time ``steps`` optimisation steps of the v3.2-style loop on ``default.qubit``.

    Each step evaluates the gradient of each sample separately with parameter shift and
    averages them (what the v3.2 trainer did), then applies a plain gradient step.
    """
    device = qp.device("default.qubit", wires=model.quantum_layer.n_qubits)
    qnode = model.qnode(device, diff_method="parameter-shift")
    targets = encode_targets(y, output_dim=1, classification=True)
    weights = pnp.array(model.quantum_layer.parameters, requires_grad=True)

    def sample_loss(w, x, t):
        return (qnode(w, x) - t) ** 2

    grad = qp.grad(sample_loss, argnums=0)

    def step(w, index):
        rows = slice(index * batch_size, (index + 1) * batch_size)
        grads = [grad(w, x, t) for x, t in zip(X[rows], targets[rows], strict=True)]
        return w - 0.1 * np.mean(grads, axis=0)

    with qp.Tracker(device) as tracker:  # counts only: tracking slows the simulator down
        step(weights, 0)
    start = time.perf_counter()
    for index in range(steps):
        weights = step(weights, index)
    seconds = time.perf_counter() - start
    return BaselineTiming(steps, seconds / steps, int(tracker.totals.get("executions", 0)))
