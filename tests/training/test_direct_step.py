"""Tests for :mod:`pennylane_qnative.training.direct_step`: the trainer's step without the QNode.

The direct step must be the QNode step, computed faster: the same device call on the same
circuit, so a whole run gives the same parameters and the same counts either way.
"""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest

from pennylane_qnative.training.config import TrainingConfig
from pennylane_qnative.training.direct_step import DirectStep
from pennylane_qnative.training.model import QuantumModel
from pennylane_qnative.training.trainer import QuantumTrainer


def _config(**overrides) -> TrainingConfig:
    values = {
        "n_qubits": 3,
        "circuit_depth": 2,
        "batch_size": 4,
        "epochs": 2,
        "gradient_method": "spsa",
        "seed": 3,
        "learning_rate": 0.1,
    }
    return TrainingConfig(**{**values, **overrides})


def _run(config, model_kwargs, *, direct: bool, monkeypatch, device="qnative.simulator"):
    rng = np.random.default_rng(0)
    X = rng.uniform(0, np.pi, (10, config.n_qubits))
    output_dim = model_kwargs.get("output_dim", 1)
    y = rng.integers(0, max(output_dim, 2), 10)
    if model_kwargs.get("task") == "regression":
        y = rng.uniform(-1, 1, 10)
    with monkeypatch.context() as patch:
        if not direct:
            patch.setattr(DirectStep, "build", classmethod(lambda cls, *a, **k: None))
        trainer = QuantumTrainer(config, device, progress=False)
        model = QuantumModel.from_config(config, **model_kwargs)
        history = trainer.fit(model, X, y)
    return model.quantum_layer.parameters, history


CASES = {
    "spsa": ({}, {}),
    "adaptive": ({"gradient_method": "adaptive", "epochs": 5}, {}),
    "parameter-shift": ({"gradient_method": "parameter_shift"}, {}),
    "shots": ({"shots_per_circuit": 200}, {}),
    "two outputs": ({}, {"output_dim": 2}),
    "regression": ({"loss": "mse"}, {"task": "regression"}),
    "cross-entropy": ({"loss": "cross_entropy"}, {"output_dim": 3}),
    "strongly entangling": ({"hardware_efficient_ansatz": False}, {}),
}


@pytest.mark.parametrize("case", CASES)
def test_same_run_as_through_the_qnode(case, monkeypatch):
    overrides, model_kwargs = CASES[case]
    config = _config(**overrides)
    ours, ours_history = _run(config, model_kwargs, direct=True, monkeypatch=monkeypatch)
    theirs, their_history = _run(config, model_kwargs, direct=False, monkeypatch=monkeypatch)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours_history["loss"], their_history["loss"], atol=1e-10)
    for key in ("circuits", "jobs", "method"):
        assert ours_history[key] == their_history[key]


def test_reference_model_is_mapped():
    """Every weight is found once, every feature once, nothing else varies."""
    config = _config(n_qubits=4)
    model = QuantumModel.from_config(config)
    trainer = QuantumTrainer(config, "qnative.simulator", progress=False)
    step = trainer._training_step(model)
    assert isinstance(step, DirectStep)
    assert sorted(step.weight_index.tolist()) == list(range(model.n_parameters))
    assert sorted(j for _, j in step.data_positions) == list(range(4))
    assert step.template.trainable_params == list(step.weight_positions)


def test_one_device_batch_per_step():
    config = _config()
    trainer = QuantumTrainer(config, "qnative.simulator", progress=False)
    model = QuantumModel.from_config(config)
    X = np.random.default_rng(1).uniform(0, np.pi, (8, 3))
    with qp.Tracker(trainer.device) as tracker:
        trainer.fit(model, X, np.arange(8) % 2)
    assert tracker.totals["batches"] == 4  # 2 epochs x 2 batches, one execute each


@pytest.mark.parametrize(
    ("device", "model_kwargs"),
    [
        pytest.param("default.qubit", {}, id="not our device"),
        pytest.param("qnative.simulator", {"embedding": "amplitude"}, id="amplitude embedding"),
    ],
)
def test_other_cases_use_the_qnode(device, model_kwargs):
    config = _config(n_qubits=2)
    trainer = QuantumTrainer(config, device, progress=False)
    step = trainer._training_step(QuantumModel.from_config(config, **model_kwargs))
    assert isinstance(step, qp.QNode)


def test_transformed_weights_are_not_mapped(monkeypatch):
    """A model that scales its weights before the gates is left to the QNode."""
    config = _config(n_qubits=2)
    model = QuantumModel.from_config(config)
    layer = model.quantum_layer
    apply = layer.apply
    monkeypatch.setattr(layer, "apply", lambda weights, x: apply(2 * weights, x))
    trainer = QuantumTrainer(config, "qnative.simulator", progress=False)
    assert isinstance(trainer._training_step(model), qp.QNode)


def test_same_run_on_the_ionq_emulator(monkeypatch, tmp_path):
    """On qnative.ionq the direct step makes the same jobs and reaches the same parameters."""
    import httpx

    from pennylane_qnative.emulator import running

    config = _config(n_qubits=2, circuit_depth=1, epochs=1)
    with running(profile="instant", seed=7, api_keys=()) as url:

        def device(name):
            return qp.device(
                "qnative.ionq",
                wires=2,
                api_url=url + "/v0.4",
                api_key="test",
                journal_path=tmp_path / f"{name}.sqlite",
                cache=False,
            )

        def jobs():
            return httpx.get(url + "/_emulator/stats").json()["jobs_created"]

        trainer = QuantumTrainer(config, device("probe"), progress=False)
        assert isinstance(trainer._training_step(QuantumModel.from_config(config)), DirectStep)
        runs = {}
        for direct in (True, False):
            before = jobs()
            params, history = _run(
                config, {}, direct=direct, monkeypatch=monkeypatch, device=device(str(direct))
            )
            runs[direct] = (params, history["jobs"], jobs() - before)
    np.testing.assert_allclose(runs[True][0], runs[False][0], atol=1e-10)
    assert runs[True][1:] == runs[False][1:]
    assert runs[True][2] == 3  # one job per step: 10 samples in batches of 4
