"""Conversion of IonQ results (sparse little-endian probabilities) into PennyLane results.

A circuit's result is kept as a sparse :class:`Distribution` (outcome indices in PennyLane's
order, with the first wire as the most significant bit, and their probabilities), never as a
dense ``2**n`` vector: IonQ backends have up to 36 qubits.

Measurements reach this module already *diagonal* (the device rotates every observable into
the computational basis and splits non-commuting ones), so each result depends on the
probabilities only:

* analytic circuits on a backend returning exact probabilities (the ideal simulator): each
  measurement is computed exactly from the marginal distribution of its wires;
* finite shots: per-shot samples are made, then each measurement processes them with
  PennyLane's own ``process_samples``. From exact probabilities the samples are drawn with the
  device's random generator; from a histogram of measured counts (QPUs, noisy simulation) the
  samples *are* the measured shots, shuffled, so no resampling noise is added.

**Example**

>>> d = Distribution.from_ionq({"1": 0.25, "0": 0.75}, n_qubits=2)  # qubit 0 is bit 0
>>> d.indices.tolist(), d.probs.tolist()   # PennyLane order: wire 0 is the high bit
([2, 0], [0.25, 0.75])
>>> d.marginal([0]).tolist()
[0.75, 0.25]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pennylane.measurements import ExpectationMP, ProbabilityMP, VarianceMP
from pennylane.tape import QuantumScript
from pennylane.wires import Wires

from pennylane_qnative.exceptions import UnsupportedCircuitError

__all__ = ["Distribution", "tape_results"]


@dataclass(frozen=True, slots=True)
class Distribution:
    """A sparse distribution over the computational basis of ``n_qubits`` qubits.

    Attributes:
        indices (np.ndarray): outcomes, PennyLane order (qubit 0 most significant)
        probs (np.ndarray): their probabilities, summing to 1
        n_qubits (int): register size
    """

    indices: np.ndarray
    probs: np.ndarray
    n_qubits: int

    @classmethod
    def from_ionq(cls, probabilities: Mapping[Any, float], *, n_qubits: int) -> Distribution:
        """From IonQ's ``{little-endian outcome: probability}`` map (keys int or str)."""
        keys = np.array([int(k) for k in probabilities], dtype=np.int64)
        probs = np.array(list(probabilities.values()), dtype=float)
        bits = (keys[:, None] >> np.arange(n_qubits)) & 1  # column q = qubit q
        indices = bits @ (np.int64(1) << np.arange(n_qubits - 1, -1, -1, dtype=np.int64))
        total = probs.sum()
        return cls(indices, probs / total if total > 0 else probs, n_qubits)

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays (for the cache's byte bound)."""
        return int(self.indices.nbytes + self.probs.nbytes)

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable form (for the persistent cache)."""
        return {"n": self.n_qubits, "i": self.indices.tolist(), "p": self.probs.tolist()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Distribution:
        """Inverse of :meth:`to_json`."""
        return cls(np.asarray(data["i"], dtype=np.int64), np.asarray(data["p"]), data["n"])

    def bits(self, positions: Sequence[int]) -> np.ndarray:
        """The bits of every outcome at qubit ``positions``, shape ``(outcomes, len)``."""
        shifts = self.n_qubits - 1 - np.asarray(positions, dtype=np.int64)
        return (self.indices[:, None] >> shifts) & 1

    def marginal(self, positions: Sequence[int]) -> np.ndarray:
        """Dense marginal over qubit ``positions`` (first position most significant)."""
        k = len(positions)
        if k == 0:
            return np.array([self.probs.sum()])
        local = self.bits(positions) @ (1 << np.arange(k - 1, -1, -1))
        dense = np.zeros(2**k)
        np.add.at(dense, local, self.probs)
        return dense

    def sample(self, shots: int, *, exact: bool, rng: np.random.Generator) -> np.ndarray:
        """``shots`` samples of all qubits, shape ``(shots, n_qubits)``.

        Args:
            shots (int): number of samples
            exact (bool): draw from the distribution (``True``) or reproduce it as a histogram
                of ``shots`` measured counts, shuffled (``False``)
            rng (np.random.Generator): the device's generator
        """
        if exact:
            chosen = rng.choice(len(self.probs), size=shots, p=self.probs)
        else:
            counts = np.floor(self.probs * shots).astype(np.int64)
            short = shots - int(counts.sum())  # rounding remainder to the largest fractions
            if short > 0:
                counts[np.argsort(self.probs * shots - counts)[::-1][:short]] += 1
            chosen = np.repeat(np.arange(len(self.probs)), counts)
            rng.shuffle(chosen)
        outcomes = self.indices[chosen]
        return (outcomes[:, None] >> np.arange(self.n_qubits - 1, -1, -1)) & 1


def _exact(m: Any, dist: Distribution, wire_order: Wires) -> Any:
    positions = [wire_order.index(w) for w in m.wires]
    marginal = dist.marginal(positions)
    if isinstance(m, ProbabilityMP):
        return marginal
    eigvals = np.asarray(m.eigvals(), dtype=float)
    mean = float(marginal @ eigvals)
    if isinstance(m, ExpectationMP):
        return np.float64(mean)
    if isinstance(m, VarianceMP):
        return np.float64(marginal @ eigvals**2 - mean**2)
    raise UnsupportedCircuitError(
        f"{type(m).__name__} cannot be computed from probabilities: use expval, var or probs "
        "(or counts and sample with shots)."
    )


def tape_results(
    tape: QuantumScript,
    dist: Distribution,
    wire_order: Sequence[Any],
    *,
    exact: bool,
    rng: np.random.Generator,
) -> Any:
    """The PennyLane result of ``tape`` from its circuit's distribution.

    Args:
        tape (QuantumScript): the (diagonal-measurement) circuit
        dist (Distribution): the circuit's outcome distribution over ``wire_order``
        wire_order (Sequence): the device's wires
        exact (bool): ``dist`` is exact (ideal simulator) rather than measured counts
        rng (np.random.Generator): for sampling
    """
    wire_order = Wires(wire_order)
    measurements = tape.measurements
    if not tape.shots:
        values = [_exact(m, dist, wire_order) for m in measurements]
        return values[0] if len(values) == 1 else tuple(values)
    samples = dist.sample(tape.shots.total_shots, exact=exact, rng=rng)
    copies, start = [], 0
    for shots in tape.shots:
        chunk = samples[start : start + shots]
        values = [m.process_samples(chunk, wire_order) for m in measurements]
        copies.append(values[0] if len(values) == 1 else tuple(values))
        start += shots
    return copies[0] if len(copies) == 1 else tuple(copies)
