"""The emulated backends, their noise models and characterizations.

Noise model (deliberately simple, documented so tests can predict it). For a circuit with
``N1`` one-qubit and ``N2`` two-qubit gates on ``n`` qubits, with the model's error rates
``p1``, ``p2`` and readout error ``r``:

1. global depolarisation: ``p <- F p + (1 - F) / 2**n`` with ``F = (1-p1)**N1 (1-p2)**N2``;
2. symmetric readout error: each measured bit flips with probability ``r``;
3. ``shots`` outcomes are drawn from the result (multinomial, seeded), and the reported
   probabilities are ``counts / shots``.

``qpu.*`` backends always apply their model; the ``simulator`` applies the model named in
``noise.model`` (``ideal``, the default, gives exact probabilities and ignores shots).

**Example**

>>> from pennylane_qnative.emulator.backends import BACKENDS, noise_model_for
>>> BACKENDS["qpu.aria-1"].qubits
25
>>> noise_model_for("simulator", "ideal") is None
True
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np

import pennylane_qnative.ionq.backends as wire

__all__ = [
    "BACKENDS",
    "NOISE_MODELS",
    "Backend",
    "NoiseModel",
    "apply_noise",
    "backend_json",
    "characterization_json",
    "noise_model_for",
]

_NAMESPACE = uuid.UUID("6f1d3c1e-7b0a-4c1e-9a58-0e4c4ad0f00d")


@dataclass(frozen=True, kw_only=True, slots=True)
class NoiseModel:
    """Error rates of a device (probabilities)."""

    name: str
    p1: float
    p2: float
    readout: float


# Emulator-specific: the simulated error rates of each family of noise models.
_RATES = {
    "harmony": {"p1": 1e-3, "p2": 2e-2, "readout": 5e-3},
    "aria": {"p1": 5e-4, "p2": 1e-2, "readout": 4e-3},
    "forte": {"p1": 2e-4, "p2": 5e-3, "readout": 3e-3},
}
NOISE_MODELS: dict[str, NoiseModel | None] = {
    name: None if name == "ideal" else NoiseModel(name=name, **_RATES[name.split("-")[0]])
    for name in sorted(wire.NOISE_MODELS)
}
"""The simulated model of each name in :data:`pennylane_qnative.ionq.backends.NOISE_MODELS`."""

# Emulator-specific, by native entangler (Aria-class, Forte-class): the noise model a QPU without
# a model of its own name runs with, and the queue time ``GET /backends`` reports.
_FAMILY_NOISE = {"ms": "aria-1", "zz": "forte-1"}
_QUEUE_MS = {"simulator": 1000, "ms": 1_181_215, "zz": 3_600_000}


@dataclass(frozen=True, kw_only=True, slots=True)
class Backend:
    """One emulated backend: a backend of the wire table plus what the emulator simulates."""

    info: wire.BackendInfo
    noise: str
    average_queue_time_ms: int
    status: str = "available"

    @property
    def name(self) -> str:
        """The backend's name."""
        return self.info.name

    @property
    def qubits(self) -> int:
        """Its qubits."""
        return self.info.qubits

    @property
    def native_gates(self) -> tuple[str, ...]:
        """The native gates it runs (without ``nop``, which every backend accepts)."""
        return self.info.native_gates

    @property
    def is_simulator(self) -> bool:
        """Whether this is the (free) simulator."""
        return self.info.is_simulator


def _emulated(info: wire.BackendInfo) -> Backend:
    """``info`` with its simulated noise model and queue time."""
    if info.is_simulator:
        return Backend(info=info, noise="ideal", average_queue_time_ms=_QUEUE_MS["simulator"])
    own = info.name.removeprefix("qpu.")
    noise = own if own in NOISE_MODELS else _FAMILY_NOISE[info.native_entangler]
    return Backend(info=info, noise=noise, average_queue_time_ms=_QUEUE_MS[info.native_entangler])


BACKENDS: dict[str, Backend] = {name: _emulated(info) for name, info in wire.BACKENDS.items()}
"""The catalogue served by ``GET /backends``: every backend of the wire table."""


def noise_model_for(backend: str, requested: str | None) -> NoiseModel | None:
    """The noise model a job runs with (``None``: exact probabilities).

    Args:
        backend (str): the job's backend
        requested (str | None): ``noise.model`` from the payload (simulator only)

    Returns:
        NoiseModel | None: the model, or ``None`` for the ideal simulator
    """
    if backend == "simulator":
        return NOISE_MODELS.get(requested or "ideal")
    return NOISE_MODELS[BACKENDS[backend].noise]


def apply_noise(probs: np.ndarray, model: NoiseModel, *, n1: int, n2: int) -> np.ndarray:
    """Apply the module's depolarising + readout model to a little-endian probability vector.

    Args:
        probs (np.ndarray): exact probabilities, length ``2**n``
        model (NoiseModel): the error rates
        n1 (int): one-qubit gate count
        n2 (int): two-qubit gate count

    Returns:
        np.ndarray: the noisy probabilities (sum 1)
    """
    n = int(np.log2(probs.size))
    fidelity = (1 - model.p1) ** n1 * (1 - model.p2) ** n2
    noisy = (fidelity * probs + (1 - fidelity) / probs.size).reshape((2,) * n)
    flip = np.array([[1 - model.readout, model.readout], [model.readout, 1 - model.readout]])
    for axis in range(n):
        noisy = np.moveaxis(np.tensordot(flip, noisy, axes=([1], [axis])), 0, axis)
    return noisy.reshape(-1)


def backend_json(backend: Backend) -> dict[str, Any]:
    """The ``Backend`` object of ``GET /backends``."""
    data: dict[str, Any] = {
        "backend": backend.name,
        "status": backend.status,
        "qubits": backend.qubits,
        "average_queue_time": backend.average_queue_time_ms,
        "last_updated": "2026-01-01T00:00:00Z",
        "degraded": False,
        "supported_gates": sorted(wire.QIS_GATES),
        "supported_native_gates": list(backend.native_gates),
    }
    if backend.is_simulator:
        data["noise_models"] = sorted(backend.info.noise_models)
        data["supported_error_mitigations"] = []
    else:
        data["characterization_id"] = characterization_id(backend.name)
        data["supported_error_mitigations"] = ["debiasing"]
    return data


def characterization_id(backend: str) -> str:
    """The (stable) id of a backend's only characterization."""
    return str(uuid.uuid5(_NAMESPACE, backend))


def characterization_json(backend: Backend) -> dict[str, Any]:
    """The current ``Characterization`` of a QPU backend (its connectivity: the wire table's)."""
    model = NOISE_MODELS[backend.noise]
    assert model is not None
    n = backend.qubits
    return {
        "id": characterization_id(backend.name),
        "backend": backend.name,
        "date": "2026-01-01T00:00:00Z",
        "qubits": n,
        "connectivity": backend.info.coupling_map(),
        "fidelity": {
            "spam": {"median": 1 - model.readout, "stderr": None},
            "1q": {"median": 1 - model.p1, "stderr": None},
            "2q": {"median": 1 - model.p2, "stderr": None},
        },
        "timing": {
            "t1": 100.0,
            "t2": 1.0,
            "1q": 1.35e-4,
            "2q": 6e-4,
            "readout": 3e-4,
            "reset": 2e-5,
        },
    }
