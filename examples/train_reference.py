"""The reference training through the public API, on the embedded default simulator.

100 breast-cancer samples reduced to 8 features, 8 qubits, a depth-2 hardware-efficient ansatz
(32 parameters), batches of 10, 5 epochs, SPSA computed inside the device (one batch of 30
circuits per step). Run with ``python examples/train_reference.py``; ``qnative train`` does
the same with more options.
"""

from __future__ import annotations

from pennylane_qnative import QuantumModel, QuantumTrainer, TrainingConfig
from pennylane_qnative.training.reference import load_reference_data


def main() -> None:
    data = load_reference_data(n_train=100, n_test=200, seed=0)
    config = TrainingConfig(
        n_qubits=8, circuit_depth=2, batch_size=10, epochs=5, gradient_method="spsa", seed=0
    )
    trainer = QuantumTrainer(config, "qnative.simulator", progress=False)
    model = QuantumModel.from_config(config)
    history = trainer.fit(model, data.X_train, data.y_train)
    stats = trainer.get_performance_stats()
    test = trainer.evaluate(model, data.X_test, data.y_test)
    print(
        f"{stats['steps']} steps, {stats['circuits']} circuits ({stats['circuits_per_step']:.0f}"
        f" per step), {stats['seconds']:.2f} s of training"
    )
    print(f"final batch loss {history['loss'][-1]:.3f}, test accuracy {test['accuracy']:.3f}")


if __name__ == "__main__":
    main()
