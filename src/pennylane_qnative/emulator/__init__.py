"""A local IonQ-compatible API server (v0.4) for offline development and tests.

Start it from Python with :func:`running` (a free loopback port, stopped on exit), or from a
shell with ``qnative-ionq-emulator --port 8000``. IonQ's own clients run against it unmodified:
point them at ``<url>/v0.4``.

**Example**

>>> import httpx
>>> from pennylane_qnative.emulator import running
>>> circuit = [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}]
>>> job = {"type": "ionq.circuit.v1", "backend": "simulator",
...        "input": {"qubits": 2, "gateset": "qis", "circuit": circuit}}
>>> with running() as url:
...     headers = {"Authorization": "apiKey any-key"}
...     job_id = httpx.post(f"{url}/v0.4/jobs", json=job, headers=headers).json()["id"]
...     httpx.get(f"{url}/v0.4/jobs/{job_id}/results/probabilities", headers=headers).json()
{'0': 0.4999999999999999, '3': 0.4999999999999999}
"""

from __future__ import annotations

from pennylane_qnative.emulator.app import create_app
from pennylane_qnative.emulator.config import EmulatorConfig
from pennylane_qnative.emulator.faults import CancelMode, FaultConfig
from pennylane_qnative.emulator.latency import LatencyModel, Profile
from pennylane_qnative.emulator.server import EmulatorServer, running, spawned

__all__ = [
    "CancelMode",
    "EmulatorConfig",
    "EmulatorServer",
    "FaultConfig",
    "LatencyModel",
    "Profile",
    "create_app",
    "running",
    "spawned",
]
