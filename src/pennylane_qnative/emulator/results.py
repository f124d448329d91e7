"""Turning validated jobs into stored results, and results into the API's formats.

A stored result of one circuit is ``{"probabilities": {...}, "counts": {...} | None}`` (sparse,
little-endian decimal-string keys). The ideal simulator stores exact probabilities and no
counts; noisy models and QPUs store sampled counts and ``counts / shots`` probabilities.
Histograms and ordered shots for the ideal simulator are drawn on request, deterministically
from ``(seed, job sequence, circuit index)``.

**Example**

>>> import numpy as np
>>> from pennylane_qnative.emulator.results import histogram, shots_list
>>> result = {"probabilities": {"0": 0.5, "3": 0.5}, "counts": None}
>>> sum(histogram(result, shots=10, rng=np.random.default_rng(1)).values())
10
>>> len(shots_list(result, shots=4, rng=np.random.default_rng(1)))
4
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from pennylane_qnative.emulator.backends import apply_noise, noise_model_for
from pennylane_qnative.emulator.job_records import JobSpec
from pennylane_qnative.emulator.simulation import probabilities, sample_counts, sparse

__all__ = ["circuit_rng", "histogram", "run_job", "shots_list"]


def circuit_rng(seed: int, sequence: int, index: int, purpose: int = 0) -> np.random.Generator:
    """The generator for one circuit of one job (never the global RNG)."""
    return np.random.default_rng([seed, sequence, index, purpose])


def run_job(spec: JobSpec, job_ids: list[str], *, seed: int, sequence: int) -> dict[str, Any]:
    """Simulate every circuit of a job.

    Args:
        spec (JobSpec): the validated job
        job_ids (list[str]): the id under which each circuit's result is stored (circuit order)
        seed (int): the emulator's seed; an explicit ``noise.seed`` replaces it and makes the
            counts independent of the job's sequence number
        sequence (int): the job's sequence number

    Returns:
        dict[str, Any]: job id -> stored result

    Raises:
        simulation.GateError: if a gate's parameters are invalid
    """
    noise = spec.noise or {}
    model = noise_model_for(spec.backend, noise.get("model"))
    fixed = noise.get("seed")
    stored: dict[str, Any] = {}
    for index, (job_id, circuit) in enumerate(zip(job_ids, spec.circuits, strict=True)):
        probs = probabilities(list(circuit.circuit), circuit.qubits, circuit.gateset)
        if model is None:
            stored[job_id] = {"probabilities": sparse(probs), "counts": None}
            continue
        noisy = apply_noise(probs, model, n1=circuit.counts.one_qubit, n2=circuit.counts.two_qubit)
        # An explicit noise.seed reproduces the same counts for the same circuit in any job.
        rng = circuit_rng(int(fixed), 0, index) if fixed is not None else None
        rng = rng or circuit_rng(seed, sequence, index)
        counts = sample_counts(noisy, spec.shots, rng)
        stored[job_id] = {
            "probabilities": sparse(counts / spec.shots),
            "counts": {k: int(v) for k, v in sparse(counts).items()},
        }
    return stored


def _support(result: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    table = result["probabilities"]
    keys = np.array([int(k) for k in table], dtype=np.int64)
    values = np.array(list(table.values()), dtype=float)
    return keys, values / values.sum()


def histogram(result: Mapping[str, Any], *, shots: int, rng: np.random.Generator) -> dict:
    """Counts per basis state (``{"<int>": count}``), sampled if the result has none.

    Args:
        result (Mapping[str, Any]): a stored result
        shots (int): the job's shots
        rng (np.random.Generator): used only when sampling is needed

    Returns:
        dict[str, int]: sparse counts summing to ``shots``
    """
    if result.get("counts") is not None:
        return dict(result["counts"])
    keys, values = _support(result)
    counts = sample_counts(values, shots, rng)
    return {str(int(k)): int(c) for k, c in zip(keys, counts, strict=True) if c}


def shots_list(result: Mapping[str, Any], *, shots: int, rng: np.random.Generator) -> list[str]:
    """The outcome of every shot, in (shuffled, seeded) order, as decimal strings.

    Args:
        result (Mapping[str, Any]): a stored result
        shots (int): the job's shots
        rng (np.random.Generator): the seeded generator

    Returns:
        list[str]: ``shots`` outcomes consistent with :func:`histogram` for the same ``rng``
    """
    counts = histogram(result, shots=shots, rng=rng)
    outcomes = np.repeat(np.array(list(counts), dtype=object), list(counts.values()))
    return [str(x) for x in rng.permutation(outcomes)]
