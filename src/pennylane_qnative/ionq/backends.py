"""What a client must know about each IonQ backend before submitting (contract sections 2.4, 6).

Authoritative figures come from ``GET /backends``; these defaults let a device validate a
circuit before anything is sent. This module knows nothing of PennyLane.

**Example**

>>> backend_info("qpu.aria-1")
BackendInfo(name='qpu.aria-1', qubits=25, native_entangler='ms')
>>> backend_info("qpu").name    # pennylane-ionq's alias
'qpu.aria-1'
"""

from __future__ import annotations

from dataclasses import dataclass

from pennylane_qnative.exceptions import ConfigurationError

__all__ = ["BACKENDS", "NOISE_MODELS", "BackendInfo", "backend_info"]


@dataclass(frozen=True, slots=True)
class BackendInfo:
    """A backend's qubit count and native two-qubit gate (``ms``: Aria; ``zz``: Forte)."""

    name: str
    qubits: int
    native_entangler: str

    @property
    def is_simulator(self) -> bool:
        """The cloud simulator (free; exact probabilities without a noise model)."""
        return self.name == "simulator"


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
_ALIASES = {"qpu": "qpu.aria-1", "aria-1": "qpu.aria-1", "aria-2": "qpu.aria-2"}
NOISE_MODELS = frozenset(
    {"ideal", "harmony", "harmony-1", "harmony-2", "aria-1", "aria-2", "forte-1"}
    | {"forte-enterprise-1"}
)


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
