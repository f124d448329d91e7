"""Mini-batches from arrays, in a reproducible order per epoch.

**Example**

>>> import numpy as np
>>> loader = ArrayLoader(np.arange(10).reshape(5, 2), np.arange(5), batch_size=2, seed=0)
>>> len(loader)
3
>>> [len(y) for _, y in loader.epoch(0)]
[2, 2, 1]
>>> bool(np.array_equal(loader.order(1), loader.order(1)))
True
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from pennylane_qnative.exceptions import ConfigurationError

__all__ = ["ArrayLoader"]


def _check_numeric(name: str, values: np.ndarray) -> None:
    """Refuse inputs that are not finite numbers (named: which row, which value)."""
    if values.dtype.kind not in "biuf":
        raise ConfigurationError(
            f"{name} must hold numbers, got dtype {values.dtype} (e.g. {values.flat[0]!r}); "
            "convert it to floats first."
        )
    bad = np.argwhere(~np.isfinite(values.astype(float)))
    if len(bad):
        row = int(bad[0][0])
        raise ConfigurationError(
            f"{name} has {len(bad)} NaN or infinite value(s), the first in row {row} "
            f"({values[row]!r}); clean or drop those samples first."
        )


class ArrayLoader:
    """Shuffled mini-batches of ``(X, y)``; epoch ``e`` always has the same order.

    The order of epoch ``e`` is a permutation drawn from ``default_rng([seed, e])``: a run
    resumed from a checkpoint sees exactly the batches the killed run would have seen. With
    ``seed=None`` a seed is drawn once, at construction.

    Args:
        X (array_like): inputs, one row per sample
        y (array_like): labels or targets, one per sample
        batch_size (int): samples per batch (the last batch may be smaller)
        seed (int | None): seed of the per-epoch orders
        shuffle (bool): ``False`` keeps the data order
    """

    def __init__(
        self, X: Any, y: Any, *, batch_size: int, seed: int | None = None, shuffle: bool = True
    ) -> None:
        self.X, self.y = np.asarray(X), np.asarray(y)
        if len(self.X) != len(self.y) or len(self.X) == 0:
            raise ConfigurationError(
                f"X and y must hold the same, non-zero number of samples, got {len(self.X)} "
                f"and {len(self.y)}."
            )
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigurationError(f"batch_size must be a positive integer, got {batch_size!r}.")
        _check_numeric("X", self.X)
        _check_numeric("y", self.y)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = int(np.random.SeedSequence().entropy % 2**32) if seed is None else seed

    def __len__(self) -> int:
        return -(-len(self.X) // self.batch_size)

    def order(self, epoch: int) -> np.ndarray:
        """Sample indices of epoch ``epoch``, in batch order."""
        if not self.shuffle:
            return np.arange(len(self.X))
        return np.random.default_rng([self.seed, epoch]).permutation(len(self.X))

    def epoch(self, epoch: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The batches of epoch ``epoch``."""
        order = self.order(epoch)
        for start in range(0, len(order), self.batch_size):
            index = order[start : start + self.batch_size]
            yield self.X[index], self.y[index]

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return self.epoch(0)
