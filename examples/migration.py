"""Moving to pennylane-qnative from the v3.2 API and from pennylane-ionq.

From v3.2: the same names (``TrainingConfig``, ``QuantumModel``, ``QuantumTrainer``,
``await trainer.train(model, loader, epochs=...)``) keep working; what changes is underneath:
each mini-batch is one broadcast execution with the gradient computed on the device.

From pennylane-ionq: ``qp.device("ionq.simulator", wires=..., api_key=...)`` becomes
``qp.device("qnative.ionq", wires=..., api_key=...)`` with the same keywords (``target``,
``gateset``, ``noise_model``, ...), plus ``diff_method="device"`` for one job per step.
This example runs both against the local emulator. Run with ``python examples/migration.py``.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import numpy as np
import pennylane as qp

from pennylane_qnative import QuantumModel, QuantumTrainer, TrainingConfig
from pennylane_qnative.emulator import running


def v32_style() -> None:
    """The v3.2 migration guide's code, unchanged."""
    rng = np.random.default_rng(0)
    X = rng.uniform(0, np.pi, (40, 4))
    y = (X[:, 0] > X[:, 1]).astype(int)
    train_loader = [(X[i : i + 10], y[i : i + 10]) for i in range(0, 40, 10)]
    config = TrainingConfig(
        learning_rate=0.1, batch_size=10, n_qubits=4, circuit_depth=2, epochs=2,
        gradient_method="adaptive", enable_circuit_cache=True, seed=0,
    )  # fmt: skip
    trainer = QuantumTrainer(config, "qnative.simulator", progress=False)
    model = QuantumModel.from_config(config)
    history = asyncio.run(trainer.train(model, train_loader, epochs=2))
    print(f"v3.2 API: {len(history['loss'])} steps, methods {sorted(set(history['method']))}")


def pennylane_ionq_style(url: str, scratch: Path) -> None:
    """A pennylane-ionq QNode moved to qnative.ionq: the same keywords, one job per step."""
    dev = qp.device(
        "qnative.ionq", wires=2, target="simulator", gateset="qis", api_key="emulator-key",
        api_url=url + "/v0.4", journal_path=scratch / "journal.sqlite", cache=False,
    )  # fmt: skip

    @qp.set_shots(shots=1000)
    @qp.qnode(dev, diff_method="device", gradient_kwargs={"method": "parameter-shift"})
    def circuit(x):
        qp.RX(x[0], 0)
        qp.RY(x[1], 1)
        qp.CNOT([0, 1])
        return qp.expval(qp.Z(1))

    x = qp.numpy.array([0.3, 0.4], requires_grad=True)
    with qp.Tracker(dev) as tracker:
        grad = qp.grad(circuit)(x)
    print(f"pennylane-ionq style: gradient {np.round(grad, 2)} in {tracker.totals['jobs']} job")


def main() -> None:
    v32_style()
    with running() as url:
        pennylane_ionq_style(url, Path(tempfile.mkdtemp()))


if __name__ == "__main__":
    main()
