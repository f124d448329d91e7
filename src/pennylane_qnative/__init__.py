"""pennylane-qnative: train variational circuits on IonQ hardware and simulators for less.

The package root imports nothing heavy: public names are resolved lazily on first use, so
``pennylane_qnative.ionq`` (the wire layer) stays importable without PennyLane.

**Example**

>>> import pennylane as qp
>>> import pennylane_qnative as qnative
>>> dev = qp.device("qnative.simulator", wires=2)
>>> isinstance(dev.cache, qnative.QuantumCircuitCache)
True
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from pennylane_qnative.exceptions import QnativeError

__version__ = "0.1.0.dev0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "QuantumCircuitCache": "pennylane_qnative.execution.cache",
    "CircuitBatchManager": "pennylane_qnative.execution.job_manager",
    "SimulatorDevice": "pennylane_qnative.devices.simulator",
    "HardwareEfficientAnsatz": "pennylane_qnative.templates.hea",
    "TrainingConfig": "pennylane_qnative.training.config",
    "QuantumModel": "pennylane_qnative.training.model",
    "QuantumTrainer": "pennylane_qnative.training.trainer",
    "PerformanceTracker": "pennylane_qnative.training.tracker",
    "gradient": "pennylane_qnative.gradients.decorator",
}

if TYPE_CHECKING:
    from pennylane_qnative.devices.simulator import SimulatorDevice as SimulatorDevice
    from pennylane_qnative.execution.cache import QuantumCircuitCache as QuantumCircuitCache
    from pennylane_qnative.execution.job_manager import (
        CircuitBatchManager as CircuitBatchManager,
    )
    from pennylane_qnative.gradients.decorator import gradient as gradient
    from pennylane_qnative.templates.hea import HardwareEfficientAnsatz as HardwareEfficientAnsatz
    from pennylane_qnative.training.config import TrainingConfig as TrainingConfig
    from pennylane_qnative.training.model import QuantumModel as QuantumModel
    from pennylane_qnative.training.tracker import PerformanceTracker as PerformanceTracker
    from pennylane_qnative.training.trainer import QuantumTrainer as QuantumTrainer

__all__ = ["QnativeError", "__version__", *_LAZY]


# subpackages reachable as attributes: ``qnative.emulator.running(...)``
_SUBPACKAGES = frozenset({"devices", "emulator", "execution", "gradients", "ionq", "training"})


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"pennylane_qnative.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pennylane_qnative' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
