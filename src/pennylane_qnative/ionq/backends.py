"""What a client must know about IonQ before submitting: backends, gate sets, noise models and
the API's limits (contract sections 2.4, 5, 6). The one table of these facts in the package: the
emulator and the devices import it.

Authoritative figures come from ``GET /backends``; these defaults let a device validate a
circuit before anything is sent. This module knows nothing of PennyLane.

**Example**

>>> aria = backend_info("qpu.aria-1")
>>> aria.qubits, aria.native_entangler, aria.limits.max_shots
(25, 'ms', 1000000)
>>> backend_info("qpu").name    # pennylane-ionq's alias
'qpu.aria-1'
>>> backend_info("qpu.forte-1").native_gates
('gpi', 'gpi2', 'zz')
>>> MAX_SHOTS, API_LIMITS.max_circuits_per_job
(1000000, 5000)
"""

from __future__ import annotations

from dataclasses import dataclass

from pennylane_qnative.exceptions import ConfigurationError

__all__ = [
    "API_LIMITS",
    "BACKENDS",
    "DEFAULT_SHOTS",
    "MAX_BODY_BYTES",
    "MAX_CIRCUITS_PER_JOB",
    "MAX_GATES_PER_JOB",
    "MAX_METADATA_VALUE_CHARS",
    "MAX_NOISE_SEED",
    "MAX_SHOTS",
    "NATIVE_ENTANGLERS",
    "NATIVE_GATES",
    "NOISE_MODELS",
    "QIS_GATES",
    "QIS_ROTATION_GATES",
    "ApiLimits",
    "BackendInfo",
    "backend_info",
]

# --- API limits (contract section 6) ------------------------------------------------------------

MAX_SHOTS = 1_000_000
"""Shots per job (and per circuit of a multi-circuit job): 1 to this."""
DEFAULT_SHOTS = 100
"""Shots of a job that does not say."""
MAX_CIRCUITS_PER_JOB = 5_000
"""Circuits in one multi-circuit job (``input.circuits`` ``maxItems``)."""
MAX_GATES_PER_JOB = 150_000
"""Gates in one job, all circuits together."""
MAX_BODY_BYTES = 10 * 1024 * 1024
"""Request body of ``POST /jobs`` (10 MB; larger bodies get 413)."""
MAX_METADATA_VALUE_CHARS = 40_000
"""Characters in one ``metadata`` value."""
MAX_NOISE_SEED = 2**31 - 1
"""``noise.seed`` is an int32."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ApiLimits:
    """The per-job limits of the API (the same on every backend today)."""

    max_shots: int = MAX_SHOTS
    max_circuits_per_job: int = MAX_CIRCUITS_PER_JOB
    max_gates_per_job: int = MAX_GATES_PER_JOB
    max_body_bytes: int = MAX_BODY_BYTES


API_LIMITS = ApiLimits()
"""The API's limits as one object."""

# --- gate sets and noise models (contract sections 2.4, 5) --------------------------------------

QIS_GATES = frozenset(
    {"x", "y", "z", "rx", "ry", "rz", "h", "s", "si", "v", "vi", "t", "ti"}
    | {"not", "cnot", "swap", "xx", "yy", "zz", "pauliexp"}
)
"""Gate names of the ``qis`` gate set (spec ``QisGate``); every backend accepts them."""
QIS_ROTATION_GATES = frozenset({"rx", "ry", "rz", "xx", "yy", "zz"})
"""The ``qis`` gates that take a ``rotation`` (radians); on any other gate it is refused, never
ignored (contract section 12.6: qiskit-ionq sends phase gates as ``{"gate": "z", "rotation"}``)."""
NATIVE_GATES = frozenset({"gpi", "gpi2", "ms", "zz", "nop"})
"""Gate names of the ``native`` gate set (spec ``NativeGate``); per backend: ``native_gates``."""
NATIVE_ENTANGLERS = ("ms", "zz")
"""The native two-qubit gates: ``ms`` (Aria-class), ``zz`` (Forte-class)."""
NOISE_MODELS = frozenset(
    {"ideal", "harmony", "harmony-1", "harmony-2", "aria-1", "aria-2", "forte-1"}
    | {"forte-enterprise-1"}
)
"""Names accepted in ``noise.model`` (simulator jobs only; ``ideal`` is exact)."""

# --- backends -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BackendInfo:
    """One backend: its qubits, native two-qubit gate (``ms``: Aria; ``zz``: Forte) and limits.

    Attributes:
        name (str): the ``backend`` of a job
        qubits (int): qubits available
        native_entangler (str): the two-qubit gate ``native`` circuits are compiled to
        limits (ApiLimits): the per-job limits
        connectivity (tuple | None): qubit pairs a two-qubit gate may act on; ``None``: every
            pair (IonQ's trapped ions are fully connected)
    """

    name: str
    qubits: int
    native_entangler: str
    limits: ApiLimits = API_LIMITS
    connectivity: tuple[tuple[int, int], ...] | None = None

    @property
    def is_simulator(self) -> bool:
        """The cloud simulator (free; exact probabilities without a noise model)."""
        return self.name == "simulator"

    @property
    def native_gates(self) -> tuple[str, ...]:
        """The native gates it runs (the simulator runs both entanglers; ``nop`` runs anywhere)."""
        entanglers = NATIVE_ENTANGLERS if self.is_simulator else (self.native_entangler,)
        return ("gpi", "gpi2", *entanglers)

    @property
    def noise_models(self) -> frozenset[str]:
        """The ``noise.model`` names a job on it may request (the simulator's only)."""
        return NOISE_MODELS if self.is_simulator else frozenset()

    def coupling_map(self) -> list[list[int]]:
        """The pairs of :attr:`connectivity`, spelled out (``[a, b]`` with ``a < b``)."""
        if self.connectivity is not None:
            return [list(pair) for pair in self.connectivity]
        return [[a, b] for a in range(self.qubits) for b in range(a + 1, self.qubits)]


BACKENDS: dict[str, BackendInfo] = {
    b.name: b
    for b in (
        BackendInfo("simulator", 29, "ms"),
        BackendInfo("qpu.aria-1", 25, "ms"),
        BackendInfo("qpu.aria-2", 25, "ms"),
        BackendInfo("qpu.forte-1", 36, "zz"),
        BackendInfo("qpu.forte-enterprise-1", 36, "zz"),
        BackendInfo("qpu.forte-enterprise-2", 36, "zz"),
        BackendInfo("qpu.forte-enterprise-3", 36, "zz"),
    )
}
"""The backends of the v0.4 API, by name."""
_ALIASES = {"qpu": "qpu.aria-1", "aria-1": "qpu.aria-1", "aria-2": "qpu.aria-2"}


def backend_info(target: str) -> BackendInfo:
    """The :class:`BackendInfo` of ``target`` (also accepting ``"qpu"`` and ``"aria-1"``).

    Raises:
        ConfigurationError: for an unknown backend, listing the known ones
    """
    name = _ALIASES.get(target, target)
    try:
        return BACKENDS[name]
    except KeyError:
        raise ConfigurationError(
            f"unknown IonQ target {target!r}; use one of {sorted(BACKENDS)}."
        ) from None
