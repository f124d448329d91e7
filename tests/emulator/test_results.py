"""Tests of job execution and result formats (pennylane_qnative.emulator.results)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from pennylane_qnative.emulator.job_records import parse_job
from pennylane_qnative.emulator.results import circuit_rng, histogram, run_job, shots_list

BELL = [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}]


def spec(backend="simulator", shots=1000, noise=None, n=1):
    """A Bell job (n circuits)."""
    body = {
        "type": "ionq.multi-circuit.v1" if n > 1 else "ionq.circuit.v1",
        "backend": backend,
        "shots": shots,
        "input": {"qubits": 2, "circuit": BELL}
        if n == 1
        else {"qubits": 2, "circuits": [{"circuit": BELL}] * n},
    }
    if noise:
        body["noise"] = noise
    return parse_job(body)


class TestRunJob:
    """Simulating whole jobs."""

    def test_ideal_is_exact(self):
        """The ideal simulator stores exact probabilities and no counts."""
        (result,) = run_job(spec(), ["a"], seed=0, sequence=1).values()
        assert result["counts"] is None
        assert np.allclose(list(result["probabilities"].values()), [0.5, 0.5])

    def test_noisy_is_sampled_and_seeded(self):
        """Noisy models store counts summing to shots; same seed, same counts."""
        job = spec(noise={"model": "aria-1"})
        a = run_job(job, ["a"], seed=7, sequence=3)["a"]
        b = run_job(job, ["a"], seed=7, sequence=3)["a"]
        c = run_job(job, ["a"], seed=7, sequence=4)["a"]
        assert sum(a["counts"].values()) == 1000
        assert a == b
        assert a != c
        assert np.isclose(sum(a["probabilities"].values()), 1.0)

    def test_noise_seed_overrides(self):
        """noise.seed takes precedence over the emulator seed."""
        job = spec(noise={"model": "aria-1", "seed": 42})
        assert run_job(job, ["a"], seed=1, sequence=1) == run_job(job, ["a"], seed=2, sequence=1)

    def test_qpu_backend_is_noisy(self):
        """qpu.* backends sample with their noise model."""
        result = run_job(spec(backend="qpu.aria-1", shots=500), ["a"], seed=0, sequence=1)["a"]
        assert sum(result["counts"].values()) == 500
        assert set(result["counts"]) >= {"0", "3"}

    def test_multi_circuit_ids(self):
        """Results are keyed by the given ids, in order."""
        results = run_job(spec(n=3), ["x", "y", "z"], seed=0, sequence=1)
        assert list(results) == ["x", "y", "z"]


class TestFormats:
    """Histogram and shots."""

    def test_histogram_uses_stored_counts(self):
        """Stored counts are returned as they are."""
        result = {"probabilities": {"0": 0.25, "3": 0.75}, "counts": {"0": 1, "3": 3}}
        assert histogram(result, shots=4, rng=circuit_rng(0, 1, 0)) == {"0": 1, "3": 3}

    def test_ideal_histogram_and_shots_agree(self):
        """Sampled shots reproduce the sampled histogram for the same generator seed."""
        result = {"probabilities": {"0": 0.5, "3": 0.5}, "counts": None}
        hist = histogram(result, shots=200, rng=circuit_rng(0, 1, 0, 1))
        shots = shots_list(result, shots=200, rng=circuit_rng(0, 1, 0, 1))
        assert len(shots) == 200
        assert set(shots) <= {"0", "3"}
        assert dict(Counter(shots)) == hist
