"""Train on ``qnative.ionq`` against the local IonQ emulator (everything offline).

The emulator is a real HTTP server on a free loopback port; the device talks to it exactly
as it would talk to IonQ's cloud. Each optimisation step is one job of 30 circuits, the
journal records every job, and the tracker reports jobs, circuits and cost. Swap the URL and
key for the real service (``IONQ_API_KEY``) and ``target="qpu.aria-1"`` to run on hardware.

Run with ``python examples/train_on_emulator.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from pennylane_qnative import QuantumModel, QuantumTrainer, TrainingConfig
from pennylane_qnative.emulator import running
from pennylane_qnative.training.reference import load_reference_data


def main() -> None:
    data = load_reference_data(n_train=100, n_test=200, seed=0)
    config = TrainingConfig(epochs=3, gradient_method="spsa", shots_per_circuit=1000, seed=0)
    scratch = Path(tempfile.mkdtemp())
    with running() as url:
        device_options = {
            "api_url": url + "/v0.4",
            "api_key": "any-key-works-on-the-emulator",
            "journal_path": scratch / "journal.sqlite",
            "cache_path": scratch / "results.sqlite",
            "budget_usd": 10.0,  # the simulator is free; a QPU run would be refused past this
        }
        trainer = QuantumTrainer(config, "qnative.ionq", device_kwargs=device_options)
        model = QuantumModel.from_config(config)
        trainer.fit(model, data.X_train, data.y_train)
        test = trainer.evaluate(model, data.X_test, data.y_test)
    stats = trainer.get_performance_stats()
    print(
        f"{stats['steps']} steps: {stats['jobs']} jobs, {stats['circuits']} circuits, "
        f"estimated cost ${stats['cost_usd']:.2f}, test accuracy {test['accuracy']:.3f}"
    )


if __name__ == "__main__":
    main()
