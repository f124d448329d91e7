"""The device a :class:`~.QuantumTrainer` trains on, from a name or as given.

A device built by name gets the config's settings (seed, cache, batching, timeout) unless
``device_kwargs`` override them; what PennyLane raises for a bad name or keyword becomes a
:class:`~.ConfigurationError` saying what to pass.
"""

from __future__ import annotations

from typing import Any

import pennylane as qp

from pennylane_qnative.exceptions import ConfigurationError

__all__ = ["is_ours", "make_device"]


def make_device(device_or_name: Any, config: Any, kwargs: dict[str, Any]) -> Any:
    """``device_or_name`` itself, or ``qp.device(name, wires=config.n_qubits, ...)``."""
    if isinstance(device_or_name, qp.devices.Device):
        return device_or_name
    if not isinstance(device_or_name, str):
        raise ConfigurationError(
            f"device_or_name must be a PennyLane device or a device name, got {device_or_name!r}."
        )
    if device_or_name == "qnative.simulator":
        kwargs = {
            "seed": config.seed,
            "cache": config.enable_circuit_cache,
            "cache_size": config.cache_size,
            "batch": config.enable_batch_execution,
            **kwargs,
        }
    elif device_or_name == "qnative.ionq":
        kwargs = {
            "seed": config.seed,
            "cache": config.enable_circuit_cache,
            "timeout": config.batch_timeout,
            **kwargs,
        }
    try:
        return qp.device(device_or_name, wires=config.n_qubits, **kwargs)
    except TypeError as error:  # an unknown keyword: PennyLane passes it to the constructor
        raise ConfigurationError(
            f"device {device_or_name!r} does not take the options {sorted(kwargs)} ({error}); "
            "check device_kwargs against the device's documentation."
        ) from None
    except qp.exceptions.DeviceError as error:
        if isinstance(error, ConfigurationError):
            raise
        raise ConfigurationError(
            f"device {device_or_name!r} cannot be built ({error}); use a registered device "
            "name such as 'qnative.simulator', or pass a device you built."
        ) from None


def is_ours(device: Any) -> bool:
    """Whether ``device`` is one of this plugin's (``qnative.*``)."""
    return str(getattr(device, "name", "")).startswith("qnative.")
