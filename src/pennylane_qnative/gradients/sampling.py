r"""Direction samplers for SPSA, in PennyLane's ``spsa_grad`` sampler protocol.

A sampler is called as ``sampler(indices, num_params, repetition, *, rng)`` and returns one
direction: ``+1``/``-1`` entries at ``indices``, 0 elsewhere. :func:`rademacher_sampler` draws
independent entries (PennyLane's default); :class:`HadamardSampler` draws the rows of a
Hadamard matrix without replacement, so that the errors of successive estimates cancel
(Bhatnagar, Fu, Marcus, Wang, ACM TOMACS 13(2), 180-209, 2003).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pennylane_qnative.exceptions import ConfigurationError

__all__ = ["HadamardSampler", "rademacher_sampler"]


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
