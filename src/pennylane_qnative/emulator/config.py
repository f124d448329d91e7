"""The emulator's configuration (one frozen dataclass, built by the CLI or by ``running()``).

**Example**

>>> from pennylane_qnative.emulator.config import EmulatorConfig
>>> EmulatorConfig(profile="instant", api_keys=("secret",)).latency.queue_s
0.0
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field

from pennylane_qnative.emulator.faults import FaultConfig
from pennylane_qnative.emulator.latency import LatencyModel, Profile
from pennylane_qnative.emulator.simulation import MAX_QUBITS
from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.ionq.backends import MAX_BODY_BYTES
from pennylane_qnative.ionq.pricing import DEFAULT_RATE_CARD, RateCard

__all__ = [
    "KEYS_ENV",
    "MAX_BODY_BYTES",
    "EmulatorConfig",
    "check_host",
    "is_loopback",
    "keys_from_env",
]

KEYS_ENV = "QNATIVE_EMULATOR_KEYS"
"""Environment variable holding comma-separated accepted API keys."""


def keys_from_env() -> tuple[str, ...]:
    """The API keys listed in ``QNATIVE_EMULATOR_KEYS`` (comma-separated; empty: none)."""
    return tuple(k.strip() for k in os.environ.get(KEYS_ENV, "").split(",") if k.strip())


def is_loopback(host: str) -> bool:
    """Whether ``host`` names a loopback interface (``localhost``, ``127.0.0.0/8``, ``::1``).

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: str, *, allow_remote: bool, option: str = "host") -> None:
    """Refuse a non-loopback interface unless ``allow_remote`` is set.

    Raises:
        ConfigurationError: naming the host and the flag that allows it
    """
    if not allow_remote and not is_loopback(host):
        raise ConfigurationError(
            f"{option} {host!r} is not a loopback interface: other machines could reach the "
            "emulator. Pass allow_remote=True (--allow-remote) and configure keys to bind to "
            "it anyway."
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class EmulatorConfig:
    """Everything that shapes an emulator instance.

    Args:
        profile (Profile | str): latency profile (``instant``, ``cloud-simulator``, ``qpu``)
        latency (LatencyModel | None): explicit delays; default: the profile's
        db (str): sqlite file for the jobs, or ``":memory:"``
        seed (int): seeds sampling and fault injection
        api_keys (tuple[str, ...]): accepted keys; empty: any non-empty key is accepted
        faults (FaultConfig): faults injected from the start
        rate_card (RateCard): prices used by ``/jobs/estimate`` and ``/jobs/{id}/cost``
        root (str): path prefix the API is mounted under (``""``: ``/v0.4`` at host root)
        max_body_bytes (int): larger request bodies get 413
        max_simulated_qubits (int): wider circuits are accepted (up to the backend's qubits) but
            their job ends ``failed`` with ``SimulationError`` (a state vector of 2**n amplitudes
            must fit in memory: 24 qubits is 256 MiB)

    Raises:
        ConfigurationError: on an invalid value
    """

    profile: Profile = Profile.INSTANT
    latency: LatencyModel | None = None
    db: str = ":memory:"
    seed: int = 0
    api_keys: tuple[str, ...] = ()
    faults: FaultConfig = field(default_factory=FaultConfig)
    rate_card: RateCard = DEFAULT_RATE_CARD
    root: str = ""
    max_body_bytes: int = MAX_BODY_BYTES
    max_simulated_qubits: int = 24

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "profile", Profile(self.profile))
        except ValueError as error:
            raise ConfigurationError(
                f"EmulatorConfig.profile must be one of {[str(p) for p in Profile]}, "
                f"got {self.profile!r}."
            ) from error
        if self.latency is None:
            object.__setattr__(self, "latency", LatencyModel.for_profile(self.profile))
        if self.root and (not self.root.startswith("/") or self.root.endswith("/")):
            raise ConfigurationError(
                f"EmulatorConfig.root must look like '/prefix' (or be empty), got {self.root!r}."
            )
        if not 1 <= self.max_simulated_qubits <= MAX_QUBITS:
            raise ConfigurationError(
                f"EmulatorConfig.max_simulated_qubits must be in [1, {MAX_QUBITS}], "
                f"got {self.max_simulated_qubits!r}."
            )
        if any(not key for key in self.api_keys):
            raise ConfigurationError("EmulatorConfig.api_keys must not contain empty keys.")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigurationError(f"EmulatorConfig.seed must be an int >= 0, got {self.seed!r}.")
