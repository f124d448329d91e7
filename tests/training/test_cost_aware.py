"""Cost-aware training on ``qnative.ionq`` against the emulator: shot policies priced per job,
budget plans, validation fused into the step's job, early stopping, free targets.

Every count here is read from the emulator (jobs it created, what it billed) or the device
tracker, not from the trainer's own bookkeeping.
"""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest

from pennylane_qnative.emulator import running
from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.training import QuantumModel, QuantumTrainer, TrainingConfig
from pennylane_qnative.training.reference import load_reference_data
from pennylane_qnative.training.shots import AdaptiveShots

ADMIN = {"Authorization": "apiKey k"}
# one 2-qubit reference circuit on qpu.aria-1 in qis: 2 RY (embedding) + 4 rotations, 1 CNOT
GATE_SHOT_USD = 6 * 0.000220 + 1 * 0.000975


@pytest.fixture(scope="module")
def emulator():
    with running(api_keys=["k"]) as url:
        yield url


@pytest.fixture(scope="module")
def data():
    return load_reference_data(n_train=20, n_test=20, n_features=2, seed=0, n_validation=10)


def _config(**overrides) -> TrainingConfig:
    values = {
        "n_qubits": 2,
        "circuit_depth": 1,
        "batch_size": 5,
        "epochs": 2,
        "seed": 4,
        "gradient_method": "spsa",
        "shots_per_circuit": "adaptive",
    }
    return TrainingConfig(**{**values, **overrides})


def _trainer(url, tmp_path, config, target="qpu.aria-1", **kwargs):
    device_kwargs = {
        "api_url": f"{url}/v0.4",
        "api_key": "k",
        "target": target,
        "journal_path": tmp_path / "journal.sqlite",
        "cache": False,
    }
    return QuantumTrainer(
        config, "qnative.ionq", progress=False, device_kwargs=device_kwargs, **kwargs
    )


def _jobs(url) -> int:
    return httpx.get(f"{url}/_emulator/stats", headers=ADMIN).json()["jobs_created"]


class TestAdaptiveOnAQpu:
    """``shots_per_circuit="adaptive"`` on emulated Aria: priced, honest, resumable."""

    def test_accounting(self, emulator, data, tmp_path):
        """Each step is one job; its shots are the policy's, at least what the job minimum
        pays for; the device ran shots x circuits; the cost is the rate card's."""
        trainer = _trainer(emulator, tmp_path, _config())
        before = _jobs(emulator)
        history = trainer.fit(QuantumModel.from_config(trainer.config), data.X_train, data.y_train)
        assert _jobs(emulator) - before == len(history["loss"]) == 8  # pricing made no job
        assert history["circuits"] == [15] * 8  # 5 + 2 x 5 SPSA: one direction on a QPU
        # the job minimum ($12.42) pays for 360 shots of these 15 small circuits, more than the
        # rule asks for here: the policy takes what is paid for anyway
        free = int(12.4166 / (15 * GATE_SHOT_USD))
        assert free > AdaptiveShots().min_shots
        assert set(history["shots"]) == {free}
        assert history["device_shots"] == [
            s * c for s, c in zip(history["shots"], history["circuits"], strict=True)
        ]
        rows = zip(history["shots"], history["circuits"], history["cost_usd"], strict=True)
        for shots, circuits, cost in rows:
            assert cost == pytest.approx(max(12.4166, shots * circuits * GATE_SHOT_USD), rel=1e-6)

    def test_resume_is_exact(self, data, tmp_path, monkeypatch):
        """A run stopped after its first epoch and resumed gives the uninterrupted parameters
        and shots (the policy's moving averages are in the checkpoint). On qnative.simulator:
        the emulator's noisy QPUs sample on the server, so two runs there differ. The floor is
        lowered to 10 shots so that the rule, not the floor, sets every step's shots."""
        monkeypatch.setitem(AdaptiveShots.__init__.__kwdefaults__, "min_shots", 10)

        def trainer(folder):
            config = _config()
            return QuantumTrainer(config, "qnative.simulator", progress=False, output_dir=folder)

        whole = trainer(tmp_path / "a")
        model = QuantumModel.from_config(whole.config)
        expected = whole.fit(model, data.X_train, data.y_train)
        assert len(set(expected["shots"])) > 1  # the policy moved
        resumed = QuantumModel.from_config(whole.config)
        trainer(tmp_path / "b").fit(resumed, data.X_train, data.y_train, epochs=1)
        state = json.loads((tmp_path / "b" / "checkpoint.json").read_text())
        assert state["shots"]["steps"] == 4
        history = trainer(tmp_path / "b").fit(resumed, data.X_train, data.y_train, resume=True)
        assert history["shots"] == expected["shots"]
        np.testing.assert_array_equal(
            resumed.quantum_layer.parameters, model.quantum_layer.parameters
        )

    def test_needs_a_known_estimator(self, emulator, tmp_path):
        with pytest.raises(ConfigurationError, match="adaptive"):
            _trainer(emulator, tmp_path, _config(gradient_method="natural"))


class TestBudget:
    """``budget_usd``: planned before anything is paid, never exceeded."""

    def test_fixed_shots_cut_to_fit(self, emulator, data, tmp_path):
        """1,000 shots a step would cost 8 x $34.43; the plan lowers the shots to fit $150."""
        config = _config(shots_per_circuit=1000, budget_usd=150.0)
        trainer = _trainer(emulator, tmp_path, config)
        history = trainer.fit(QuantumModel.from_config(config), data.X_train, data.y_train)
        assert len(history["loss"]) == 8
        assert sum(history["cost_usd"]) <= 150.0
        per_step = 150.0 / 8 / (15 * GATE_SHOT_USD)  # the most shots at $18.75 a step
        assert set(history["shots"]) == {int(per_step)}

    def test_steps_cut_when_minimums_do_not_fit(self, emulator, data, tmp_path):
        """$50 pays for 4 job minimums ($12.42): the run stops after 4 steps, and says so."""
        config = _config(shots_per_circuit=1000, budget_usd=50.0)
        trainer = _trainer(emulator, tmp_path, config)
        before = _jobs(emulator)
        history = trainer.fit(QuantumModel.from_config(config), data.X_train, data.y_train)
        assert _jobs(emulator) - before == len(history["loss"]) == 4
        assert sum(history["cost_usd"]) <= 50.0
        assert "budget" in trainer.get_performance_stats()["stop_reason"]

    def test_adaptive_within_budget(self, emulator, data, tmp_path):
        config = _config(budget_usd=150.0)
        trainer = _trainer(emulator, tmp_path, config)
        history = trainer.fit(QuantumModel.from_config(config), data.X_train, data.y_train)
        assert sum(history["cost_usd"]) <= 150.0
        assert len(history["loss"]) >= 1


class TestValidationAndStopping:
    """Validation rides in the step's job; early stopping ends the run there."""

    def test_validation_is_in_the_step_job(self, emulator, data, tmp_path):
        config = _config(shots_per_circuit=200)
        trainer = _trainer(emulator, tmp_path, config)
        before = _jobs(emulator)
        history = trainer.fit(
            QuantumModel.from_config(config),
            data.X_train,
            data.y_train,
            validation_data=(data.X_val, data.y_val),
        )
        assert _jobs(emulator) - before == 8  # 8 steps, 2 validations, no other job
        assert history["circuits"] == [15, 15, 15, 15 + 10] * 2
        assert [e["fused"] for e in trainer.tracker.evaluations] == [True, True]

    def test_target_accuracy_stops(self, emulator, data, tmp_path):
        config = _config(shots_per_circuit=200, target_accuracy=0.05, validate_every=2)
        trainer = _trainer(emulator, tmp_path, config)
        history = trainer.fit(
            QuantumModel.from_config(config),
            data.X_train,
            data.y_train,
            validation_data=(data.X_val, data.y_val),
        )
        assert len(history["loss"]) == 2  # the first validation, in step 2, reached 0.05
        assert "reached the target" in trainer.get_performance_stats()["stop_reason"]

    def test_stopping_needs_validation_data(self, emulator, data, tmp_path):
        trainer = _trainer(emulator, tmp_path, _config(patience=2))
        with pytest.raises(ConfigurationError, match="validation_data"):
            trainer.fit(QuantumModel.from_config(trainer.config), data.X_train, data.y_train)


def test_free_target_fills_the_job(emulator, data, tmp_path):
    """On the (free) cloud simulator, "adaptive" takes the most shots, 8 SPSA directions,
    batches of twice the size, and validates in every step's job: still one job a step."""
    trainer = _trainer(emulator, tmp_path, _config(), target="simulator")
    before = _jobs(emulator)
    history = trainer.fit(
        QuantumModel.from_config(trainer.config),
        data.X_train,
        data.y_train,
        validation_data=(data.X_val, data.y_val),
    )
    assert _jobs(emulator) - before == len(history["loss"]) == 4
    assert set(history["shots"]) == {AdaptiveShots().max_shots}
    assert history["circuits"] == [10 + 2 * 8 * 10 + 10] * 4
    assert len(trainer.tracker.evaluations) == 4


def test_restore_best_keeps_the_validated_parameters(data, tmp_path):
    """restore_best=True ends the fit on the parameters of the lowest validation loss: those a
    fused validation measured, i.e. the parameters before its step's update; a resumed run
    keeps them (they are in the checkpoint)."""
    config = _config(shots_per_circuit=None, restore_best=True, validate_every=1, epochs=2)
    after = [None]  # parameters after each step; after[t] is what step t validated

    def keep(model, row):
        after.append(np.array(model.quantum_layer.parameters))

    trainer = QuantumTrainer(config, "qnative.simulator", progress=False, output_dir=tmp_path)
    model = QuantumModel.from_config(config)
    after[0] = np.array(model.quantum_layer.parameters)
    trainer.fit(model, data.X_train, data.y_train, validation_data=(data.X_val, data.y_val),
                callbacks=[keep])  # fmt: skip
    losses = [e["val_loss"] for e in trainer.tracker.evaluations]
    best = int(np.argmin(losses))
    assert len(losses) == 8  # validations in steps 0..7 measured after[0..7], not after[8]
    np.testing.assert_array_equal(model.quantum_layer.parameters, after[best])
    assert not np.array_equal(after[best], after[-1])
    state = json.loads((tmp_path / "checkpoint.json").read_text())
    np.testing.assert_array_equal(state["best_parameters"], after[best])


def test_callbacks_are_checked(data):
    trainer = QuantumTrainer(_config(), "qnative.simulator", progress=False)
    with pytest.raises(ConfigurationError, match="callbacks"):
        trainer.fit(QuantumModel.from_config(trainer.config), data.X_train, data.y_train,
                    callbacks=["print"])  # fmt: skip


def test_restore_best_needs_validation_data(data):
    config = _config(shots_per_circuit=None, restore_best=True)
    trainer = QuantumTrainer(config, "qnative.simulator", progress=False)
    with pytest.raises(ConfigurationError, match="restore_best"):
        trainer.fit(QuantumModel.from_config(config), data.X_train, data.y_train)
