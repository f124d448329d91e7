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

from pennylane_qnative.exceptions import ConfigurationError, UnsupportedCircuitError

__all__ = ["MAX_QUBITS", "Distribution", "tape_results"]

MAX_QUBITS = 62
"""The widest register a :class:`Distribution` indexes (outcomes are ``int64``)."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _json_problem(data: Any) -> str | None:
    """What is wrong with a :meth:`Distribution.to_json` value, or ``None``."""
    if not isinstance(data, Mapping) or set(data) != {"n", "i", "p"}:
        keys = sorted(data) if isinstance(data, Mapping) else type(data).__name__
        return f"expected the keys ['i', 'n', 'p'], got {keys}"
    n, indices, probs = data["n"], data["i"], data["p"]
    if not _is_int(n) or not 1 <= n <= MAX_QUBITS:
        return f"n must be a qubit count from 1 to {MAX_QUBITS}, got {n!r}"
    if not isinstance(indices, list) or not isinstance(probs, list):
        return "i and p must be lists"
    if len(indices) != len(probs):
        return f"{len(indices)} outcomes but {len(probs)} probabilities"
    if not all(_is_int(k) and 0 <= k < 2**n for k in indices) or len(set(indices)) < len(indices):
        return f"the outcomes must be distinct integers from 0 to 2**{n} - 1"
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in probs):
        return "the probabilities must be numbers"
    if not all(0.0 <= v <= 1.0 for v in probs) or (probs and abs(sum(probs) - 1.0) > 1e-6):
        return "the probabilities must lie in [0, 1] and sum to 1"
    return None


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
        """Inverse of :meth:`to_json`, validated: what it reads may come from a file.

        Raises:
            ConfigurationError: unless ``data`` is ``{"n", "i", "p"}`` with ``n`` qubits
                (1 to :data:`MAX_QUBITS`), ``i`` distinct outcomes below ``2**n`` and ``p``
                as many probabilities in [0, 1] summing to 1
        """
        problem = _json_problem(data)
        if problem is not None:
            raise ConfigurationError(
                f"a stored distribution is malformed ({problem}); it is not a result: drop it "
                "and compute the circuit again (the result cache does so by itself)."
            )
        indices = np.asarray(data["i"], dtype=np.int64)
        return cls(indices, np.asarray(data["p"], dtype=float), data["n"])

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
