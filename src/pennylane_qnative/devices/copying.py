"""Copying and pickling our devices: each is rebuilt from what it was configured with.

``copy.deepcopy(dev)`` and ``pickle.dumps(dev)`` work as on ``default.qubit``: a device is
rebuilt from its constructor's keywords, so its connections, locks, journal and event-loop
runner are made anew (lazily, where they are), while its result cache (with what it holds),
its budget's spending and its sampling stream carry over. An IonQ key passed as ``api_key``
travels with the device (as it does in the object); one read from ``IONQ_API_KEY`` is read
again by the copy.

**Example**

>>> import copy, pickle
>>> import pennylane as qp
>>> dev = qp.device("qnative.simulator", wires=2, seed=3)
>>> twin = pickle.loads(pickle.dumps(dev))
>>> type(twin).__name__, twin.wires == dev.wires, copy.deepcopy(dev).seed
('SimulatorDevice', True, 3)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from pennylane.exceptions import PennyLaneDeprecationWarning

__all__ = ["rebuild"]


def rebuild(cls: type, wires: Any, shots: Any, kwargs: Mapping[str, Any]) -> Any:
    """A new ``cls(wires, shots, **kwargs)``; the deprecated device shots warn only once, at
    the original construction."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PennyLaneDeprecationWarning)
        return cls(wires=wires, shots=shots, **kwargs)
