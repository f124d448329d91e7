"""Tests for :mod:`pennylane_qnative.training.trainer` (``QuantumTrainer``).

The models are tiny (2-3 qubits, depth 1) so every test runs in well under a second. With
angle embedding and the RY+RZ ansatz, ``<Z_0> = cos(x_0 + w_000)``, so the labels
``x_0 > pi/2`` are learnable by one parameter: a fixed-seed run must learn them.
"""

from __future__ import annotations

import asyncio
import dataclasses

import numpy as np
import pennylane as qp
import pytest
from pennylane import numpy as pnp

from pennylane_qnative.emulator import running
from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.training.checkpoint import load_checkpoint
from pennylane_qnative.training.config import TrainingConfig
from pennylane_qnative.training.data import ArrayLoader
from pennylane_qnative.training.losses import encode_targets, mse
from pennylane_qnative.training.model import QuantumModel
from pennylane_qnative.training.trainer import CHECKPOINT_NAME, QuantumTrainer


def _data(n: int, seed: int, n_features: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, np.pi, (n, n_features))
    return X, (X[:, 0] > np.pi / 2).astype(int)


def _config(**overrides) -> TrainingConfig:
    values = {
        "n_qubits": 2,
        "circuit_depth": 1,
        "batch_size": 4,
        "epochs": 2,
        "gradient_method": "spsa",
        "seed": 1,
        "learning_rate": 0.2,
    }
    return TrainingConfig(**{**values, **overrides})


def _trainer(config, **kwargs) -> QuantumTrainer:
    return QuantumTrainer(config, "qnative.simulator", progress=False, **kwargs)


def _parameter_shift_circuits(model, X, y) -> int:
    """Circuits of one parameter-shift gradient of the batch loss, counted by default.qubit."""
    dev = qp.device("default.qubit", wires=model.quantum_layer.n_qubits)
    qnode = model.qnode(dev, diff_method="parameter-shift")
    targets = encode_targets(y, output_dim=1, classification=True)
    weights = pnp.array(model.quantum_layer.parameters, requires_grad=True)
    with qp.Tracker(dev) as tracker:
        qp.grad(lambda w: mse(model.forward(qnode, w, X), targets))(weights)
    return int(tracker.totals["executions"])


class TestLearning:
    """A tiny classification problem is learned."""

    @pytest.mark.parametrize("method", ["spsa", "parameter_shift"])
    def test_learns(self, method):
        """Mean batch loss of the last epoch is below the first; held-out accuracy beats chance.

        On 40 held-out samples, chance accuracy reaches 0.75 with probability ~1e-3 (binomial
        tail), so >= 0.75 shows learning.
        """
        X, y = _data(16, seed=0)
        X_test, y_test = _data(40, seed=1)
        config = _config(gradient_method=method, epochs=4)
        trainer = _trainer(config)
        model = QuantumModel.from_config(config)
        history = trainer.fit(model, X, y)
        losses = np.reshape(history["loss"], (4, 4)).mean(axis=1)
        assert losses[-1] < losses[0] / 2
        assert trainer.evaluate(model, X_test, y_test)["accuracy"] >= 0.75

    @pytest.mark.parametrize("loss", ["mse", "cross_entropy", "hinge"])
    def test_every_loss_trains(self, loss):
        """Each configurable loss is differentiable through the trainer and gives finite values."""
        X, y = _data(8, seed=0)
        config = _config(loss=loss, epochs=1)
        history = _trainer(config).fit(QuantumModel.from_config(config), X, y)
        assert len(history["loss"]) == 2
        assert np.all(np.isfinite(history["loss"]))

    def test_multiclass_and_regression(self):
        """output_dim=3 classification and regression tasks run with their targets."""
        rng = np.random.default_rng(0)
        X = rng.uniform(0, np.pi, (8, 3))
        config = _config(n_qubits=3, epochs=1, gradient_method="parameter_shift")
        multi = QuantumModel.from_config(config, output_dim=3)
        trainer = _trainer(config)
        history = trainer.fit(multi, X, rng.integers(0, 3, 8))
        assert all(0.0 <= a <= 1.0 for a in history["accuracy"])
        assert trainer.predict(multi, X).shape == (8, 3)
        regression = QuantumModel.from_config(config, task="regression")
        trainer = _trainer(config)
        history = trainer.fit(regression, X, rng.uniform(-1, 1, 8))
        assert history["accuracy"] == [None, None]
        assert np.isnan(trainer.evaluate(regression, X, rng.uniform(-1, 1, 8))["accuracy"])

    def test_seeded_runs_are_identical(self):
        """Two runs with one seed (with shots) give the same parameters bit for bit."""
        X, y = _data(8, seed=0)
        config = _config(shots_per_circuit=100, epochs=1)
        params = []
        for _ in range(2):
            model = QuantumModel.from_config(config)
            _trainer(config).fit(model, X, y)
            params.append(model.quantum_layer.parameters)
        assert np.array_equal(params[0], params[1])


class TestCircuitCounts:
    """get_performance_stats reports what the device ran."""

    def test_spsa_counts(self):
        """SPSA on a broadcast batch: the batch + 2 perturbed batches, one job per step."""
        X, y = _data(6, seed=0)  # batches of 4 and 2
        config = _config(epochs=1)
        trainer = _trainer(config)
        history = trainer.fit(QuantumModel.from_config(config), X, y)
        assert history["circuits"] == [3 * 4, 3 * 2]
        assert history["jobs"] == [1, 1]
        stats = trainer.get_performance_stats()
        assert stats["steps"] == 2
        assert stats["circuits"] == 18
        assert stats["circuits_per_step"] == 9.0
        assert stats["jobs"] == 2

    def test_parameter_shift_counts(self):
        """Per step: the circuits default.qubit runs for one parameter-shift gradient of a batch."""
        X, y = _data(8, seed=0)
        config = _config(gradient_method="parameter_shift", epochs=1)
        model = QuantumModel.from_config(config)
        expected = _parameter_shift_circuits(model, X[:4], y[:4])
        trainer = _trainer(config)
        history = trainer.fit(model, X, y)
        assert history["circuits"] == [expected, expected]
        assert history["jobs"] == [1, 1]
        assert trainer.get_performance_stats()["circuits_per_step"] == expected

    def test_method_column_names_the_method(self):
        """The history's method column says which gradient method ran ("spsa")."""
        X, y = _data(4, seed=0)
        config = _config(epochs=1)
        history = _trainer(config).fit(QuantumModel.from_config(config), X, y)
        assert history["method"] == ["spsa"]

    def test_adaptive_reports_its_choices(self):
        """Adaptive runs report the method of each step and the method history."""
        X, y = _data(4, seed=0)
        config = _config(gradient_method="adaptive", epochs=2)
        trainer = _trainer(config)
        history = trainer.fit(QuantumModel.from_config(config), X, y)
        assert history["method"] == ["spsa", "spsa"]
        assert trainer.get_performance_stats()["method_history"] == ["spsa", "spsa"]

    def test_user_tracker_sees_training(self):
        """A qp.Tracker the user attaches to the device records the trainer's circuits."""
        X, y = _data(4, seed=0)
        config = _config(epochs=1)
        dev = qp.device("qnative.simulator", wires=2, seed=1)
        trainer = QuantumTrainer(config, dev, progress=False)
        model = QuantumModel.from_config(config)
        with qp.Tracker(dev) as tracker:
            trainer.fit(model, X, y)
            trainer.predict(model, X)
        assert tracker.totals.get("executions", 0) == 12 + 4

    def test_predict_does_not_leak_into_step_counts(self):
        """Circuits of a predict() call are not charged to the next training step."""
        X, y = _data(8, seed=0)
        config = _config(epochs=1)
        trainer = _trainer(config)
        model = QuantumModel.from_config(config)
        trainer.predict(model, X)
        history = trainer.fit(model, X, y)
        assert history["circuits"] == [12, 12]


class TestPredictEvaluate:
    """predict and evaluate run forward circuits only."""

    def test_predict_matches_forward(self):
        """predict equals the model's outputs, batch by batch."""
        X, _ = _data(10, seed=0)
        config = _config()
        model = QuantumModel.from_config(config)
        trainer = _trainer(config)
        outputs = trainer.predict(model, X)
        assert outputs.shape == (10,)
        reference = model.qnode(qp.device("default.qubit", wires=2))
        expected = model.forward(reference, model.quantum_layer.parameters, X)
        np.testing.assert_allclose(outputs, expected, atol=1e-12)

    def test_forward_circuits_only(self):
        """predict runs one broadcast forward tape over all inputs: no gradient tapes."""
        X, _ = _data(10, seed=0)
        config = _config()
        trainer = _trainer(config)
        with qp.Tracker(trainer.device) as tracker:
            trainer.predict(QuantumModel.from_config(config), X)
        assert tracker.totals["batches"] == 1
        assert tracker.totals["executions"] == 10
        stats = trainer.device.cache_stats()
        assert stats["misses"] == 1
        assert stats["entries"] == 1

    def test_validation_evaluation_counts(self):
        """End-of-epoch validation runs len(X_val) forward circuits inside the epoch's last step
        (the same device batch: no extra round trip)."""
        X, y = _data(8, seed=0)
        X_val, y_val = _data(5, seed=3)
        config = _config()
        trainer = _trainer(config)
        trainer.fit(QuantumModel.from_config(config), X, y, validation_data=(X_val, y_val))
        evaluations = trainer.tracker.evaluations
        assert [e["epoch"] for e in evaluations] == [0, 1]
        assert [e["circuits"] for e in evaluations] == [5, 5]
        assert [e["fused"] for e in evaluations] == [True, True]
        rows = trainer.tracker.rows
        assert [r["circuits"] for r in rows] == [12, 12 + 5, 12, 12 + 5]
        assert [r["jobs"] for r in rows] == [1, 1, 1, 1]  # one device batch per step

    def test_evaluate(self):
        """evaluate returns the loss and accuracy of predict's outputs."""
        X, y = _data(8, seed=0)
        config = _config()
        model = QuantumModel.from_config(config)
        trainer = _trainer(config)
        metrics = trainer.evaluate(model, X, y)
        outputs = trainer.predict(model, X)
        targets = 1.0 - 2.0 * y
        assert metrics["loss"] == pytest.approx(np.mean((outputs - targets) ** 2), abs=1e-12)
        assert metrics["accuracy"] == pytest.approx(np.mean(np.sign(outputs) == np.sign(targets)))


class TestDataSources:
    """fit accepts arrays, (X, y), ArrayLoaders, lists of batches and generators."""

    def _batches(self, X, y):
        return list(ArrayLoader(X, y, batch_size=4, seed=1).epoch(0))

    def _fit(self, data, y=None, epochs=1):
        config = _config(epochs=epochs)
        model = QuantumModel.from_config(config)
        history = _trainer(config).fit(model, data, y)
        return model.quantum_layer.parameters, history

    def test_list_and_generator_equal_arrays(self):
        """One epoch from a list of batches, a generator and (X, y) arrays is the same run."""
        X, y = _data(8, seed=0)
        from_arrays, _ = self._fit(X, y)
        from_tuple, _ = self._fit((X, y))
        from_list, _ = self._fit(self._batches(X, y))
        from_generator, _ = self._fit(b for b in self._batches(X, y))
        for params in (from_tuple, from_list, from_generator):
            assert np.array_equal(params, from_arrays)

    def test_list_reused_every_epoch(self):
        """A list of batches is iterated again in every epoch."""
        X, y = _data(8, seed=0)
        _, history = self._fit(self._batches(X, y), epochs=3)
        assert len(history["loss"]) == 6

    def test_generator_is_not_silently_exhausted(self):
        """A one-shot generator with epochs=2 either trains both epochs or raises."""
        X, y = _data(8, seed=0)
        generator = (b for b in self._batches(X, y))
        try:
            _, history = self._fit(generator, epochs=2)
        except ConfigurationError:
            return
        assert len(history["loss"]) == 4

    def test_bad_data(self):
        """Data that is neither arrays nor an iterable of batches is refused."""
        with pytest.raises(ConfigurationError, match="iterable of"):
            self._fit(42)

    def test_bad_inputs(self):
        """Inputs of the wrong width raise before any step."""
        X, y = _data(8, seed=0, n_features=3)
        with pytest.raises(ConfigurationError, match=r"shape \(batch, 2\)"):
            self._fit(X, y)

    def test_async_train_equals_fit(self):
        """asyncio.run(trainer.train(...)) gives fit's parameters and history."""
        X, y = _data(8, seed=0)
        config = _config()
        fitted = QuantumModel.from_config(config)
        history = _trainer(config).fit(fitted, X, y)
        trained = QuantumModel.from_config(config)
        loader = ArrayLoader(X, y, batch_size=config.batch_size, seed=config.seed)
        history_async = asyncio.run(_trainer(config).train(trained, loader, epochs=2))
        assert np.array_equal(trained.quantum_layer.parameters, fitted.quantum_layer.parameters)
        assert history_async["loss"] == history["loss"]


class TestCheckpointsAndResume:
    """A run resumed from its checkpoint is the uninterrupted run, bit for bit."""

    def _run(self, config, X, y, output_dir, **kwargs):
        model = QuantumModel.from_config(config)
        trainer = _trainer(config, output_dir=output_dir)
        history = trainer.fit(model, X, y, **kwargs)
        return model, trainer, history

    @pytest.mark.parametrize(
        ("method", "batch", "epochs", "learning_rate"),
        [
            pytest.param("spsa", 4, 2, 0.2, id="spsa"),
            # 16 steps of 2 samples: SPSA warm-up (k < 10), the exact step at k=10, then the
            # full batches (noise-free losses) and a small learning rate: the loss plateaus,
            # so natural steps follow the warm-up and the exact step (k=11, 12, ...)
            pytest.param("adaptive", 8, 14, 1e-3, id="adaptive"),
            pytest.param("parameter_shift", 4, 2, 0.2, id="parameter-shift"),
        ],
    )
    def test_resume_after_epoch(self, tmp_path, method, batch, epochs, learning_rate):
        """fit(epochs-1), then a new trainer and model with resume=True: same final state."""
        X, y = _data(8, seed=0)
        config = _config(
            gradient_method=method, batch_size=batch, epochs=epochs, learning_rate=learning_rate
        )
        model_a, trainer_a, history_a = self._run(config, X, y, tmp_path / "a")
        self._run(config, X, y, tmp_path / "b", epochs=epochs - 1)
        model_b, trainer_b, history_b = self._run(config, X, y, tmp_path / "b", resume=True)
        assert np.array_equal(model_b.quantum_layer.parameters, model_a.quantum_layer.parameters)
        assert history_b["loss"] == history_a["loss"]
        assert history_b["method"] == history_a["method"]
        if method == "adaptive":
            assert {"spsa", "parameter-shift", "natural"} <= set(history_a["method"])
            assert trainer_b.gradient.state_dict() == trainer_a.gradient.state_dict()
        checkpoint_a = load_checkpoint(tmp_path / "a" / CHECKPOINT_NAME)
        checkpoint_b = load_checkpoint(tmp_path / "b" / CHECKPOINT_NAME)
        for key in ("parameters", "optimizer", "gradient", "step", "epoch"):
            assert checkpoint_b[key] == checkpoint_a[key]

    @pytest.fixture
    def nan_fails_mid_run(self, monkeypatch):
        """NaN inputs are refused before a fit starts; without that check a NaN sample stops
        the run at the batch that holds it (the model's own check): a mid-epoch failure."""
        import pennylane_qnative.training.data as data_module

        monkeypatch.setattr(data_module, "_check_numeric", lambda name, values: None)

    def test_resume_mid_epoch(self, tmp_path, nan_fails_mid_run):
        """A run that fails at batch 2 of epoch 0 resumes from its step-1 checkpoint exactly."""
        X, y = _data(12, seed=0)
        config = _config(epochs=2)
        model_a, _, _ = self._run(config, X, y, tmp_path / "a")
        model, trainer = (
            QuantumModel.from_config(config),
            _trainer(config, output_dir=tmp_path / "b"),
        )
        crash, check = iter([False, True]), model.check_inputs

        def killed_at_second_batch(batch_x):  # the same data: a resume must match it
            if next(crash, False):
                raise RuntimeError("killed")
            return check(batch_x)

        model.check_inputs = killed_at_second_batch
        with pytest.raises(RuntimeError, match="killed"):
            trainer.fit(model, X, y)
        checkpoint = load_checkpoint(tmp_path / "b" / CHECKPOINT_NAME)
        assert (checkpoint["epoch"], checkpoint["batch_in_epoch"], checkpoint["step"]) == (0, 1, 1)
        model_b, _, history_b = self._run(config, X, y, tmp_path / "b", resume=True)
        assert np.array_equal(model_b.quantum_layer.parameters, model_a.quantum_layer.parameters)
        assert history_b["step"] == list(range(6))

    def test_resume_with_shots(self, tmp_path):
        """With finite shots the resumed run also equals the uninterrupted one (sampling RNG)."""
        X, y = _data(8, seed=0)
        config = _config(epochs=2, shots_per_circuit=100)
        model_a, _, history_a = self._run(config, X, y, tmp_path / "a")
        self._run(config, X, y, tmp_path / "b", epochs=1)
        model_b, _, history_b = self._run(config, X, y, tmp_path / "b", resume=True)
        assert history_b["loss"] == history_a["loss"]
        assert np.array_equal(model_b.quantum_layer.parameters, model_a.quantum_layer.parameters)

    def test_resume_mid_epoch_without_seed(self, tmp_path, nan_fails_mid_run):
        """With seed=None a resumed run keeps the interrupted epoch's order (no sample skipped).

        The NaN sample stops run 1 at the batch b that holds it. A resume on the same data must
        stop at that same batch again without completing a step: the first b batches are
        skipped, so any other order would skip or repeat samples. Were the order drawn afresh,
        the NaN sample would land in batch b again only with probability 1/20 per resume (20
        batches): two resumes let a lost order pass with probability 1/400, a kept order always
        passes. Run 1 is repeated (fresh order) while it stops at batch 0, where no checkpoint
        exists yet (probability 1/20 each).
        """
        X, y = _data(80, seed=0)
        X[17] = np.nan
        config = _config(seed=None, epochs=2)
        for attempt in range(6):
            directory = tmp_path / str(attempt)
            with pytest.raises(ConfigurationError, match="NaN"):
                self._run(config, X, y, directory)
            if (directory / CHECKPOINT_NAME).exists():
                break
        stopped = load_checkpoint(directory / CHECKPOINT_NAME)
        assert (stopped["epoch"], stopped["step"]) == (0, stopped["batch_in_epoch"])
        for _ in range(2):
            with pytest.raises(ConfigurationError, match="NaN"):
                self._run(config, X, y, directory, resume=True)
            assert load_checkpoint(directory / CHECKPOINT_NAME)["step"] == stopped["step"]

    def test_checkpoint_after_every_step(self, tmp_path):
        """Before each batch is drawn, the checkpoint holds the steps done so far."""
        X, y = _data(12, seed=0)
        config = _config(epochs=1)
        path = tmp_path / CHECKPOINT_NAME
        seen = []

        def batches():
            for batch in ArrayLoader(X, y, batch_size=4, seed=1).epoch(0):
                seen.append(load_checkpoint(path)["step"] if path.exists() else None)
                yield batch

        model = QuantumModel.from_config(config)
        _trainer(config, output_dir=tmp_path).fit(model, batches())
        assert seen == [None, 1, 2]
        final = load_checkpoint(path)
        assert (final["epoch"], final["batch_in_epoch"], final["step"]) == (1, 0, 3)
        assert np.array_equal(np.asarray(final["parameters"]), model.quantum_layer.parameters)
        assert (tmp_path / "history.csv").exists()

    def test_config_change_refused(self, tmp_path):
        """Resuming with another config (other than epochs) raises a ConfigurationError."""
        X, y = _data(8, seed=0)
        config = _config()
        self._run(config, X, y, tmp_path, epochs=1)
        changed = dataclasses.replace(config, learning_rate=0.3)
        with pytest.raises(ConfigurationError, match="different TrainingConfig"):
            self._run(changed, X, y, tmp_path, resume=True)

    def test_resume_without_output_dir(self):
        """resume=True needs an output_dir."""
        X, y = _data(4, seed=0)
        config = _config()
        with pytest.raises(ConfigurationError, match="output_dir"):
            _trainer(config).fit(QuantumModel.from_config(config), X, y, resume=True)

    def test_resume_without_checkpoint_starts_fresh(self, tmp_path):
        """With no checkpoint yet, resume=True is an ordinary run."""
        X, y = _data(8, seed=0)
        config = _config()
        fresh, _, _ = self._run(config, X, y, tmp_path / "a")
        resumed, _, _ = self._run(config, X, y, tmp_path / "b", resume=True)
        assert np.array_equal(resumed.quantum_layer.parameters, fresh.quantum_layer.parameters)


class TestDeviceAndCache:
    """Construction and cache handling."""

    def test_clear_caches(self):
        """clear_caches empties the device's result cache."""
        X, y = _data(8, seed=0)
        config = _config(epochs=1)
        trainer = _trainer(config)
        trainer.fit(QuantumModel.from_config(config), X, y)
        assert trainer.get_performance_stats()["device_cache"]["entries"] > 0
        trainer.clear_caches()
        assert trainer.device.cache_stats()["entries"] == 0

    def test_other_device_uses_the_same_transform(self):
        """On default.qubit the transform runs as diff_method: same steps, two jobs per step."""
        X, y = _data(8, seed=0)
        config = _config(epochs=1)
        ours, theirs = QuantumModel.from_config(config), QuantumModel.from_config(config)
        history_ours = _trainer(config).fit(ours, X, y)
        plain = QuantumTrainer(config, "default.qubit", progress=False)
        history_plain = plain.fit(theirs, X, y)
        np.testing.assert_allclose(
            ours.quantum_layer.parameters, theirs.quantum_layer.parameters, rtol=0, atol=1e-12
        )
        assert history_plain["circuits"] == history_ours["circuits"] == [12, 12]
        assert history_ours["jobs"] == [1, 1]  # forward and gradient circuits in one batch
        assert history_plain["jobs"] == [2, 2]

    def test_config_options_reach_the_device(self):
        """A device built by name takes the config's cache and batching options."""
        config = _config(enable_circuit_cache=False, enable_batch_execution=False)
        trainer = _trainer(config)
        assert trainer.device.cache is None
        assert trainer.device.batch is False
        assert len(trainer.device.wires) == 2

    @pytest.mark.parametrize(
        ("config", "device", "match"),
        [
            pytest.param({"epochs": 1}, "qnative.simulator", "TrainingConfig", id="dict-config"),
            pytest.param(_config(), 3, "device_or_name", id="bad-device"),
        ],
    )
    def test_bad_arguments(self, config, device, match):
        """A config that is not a TrainingConfig, or a bad device, is refused."""
        with pytest.raises(ConfigurationError, match=match):
            QuantumTrainer(config, device, progress=False)


class TestProgress:
    """The optional tqdm progress bar."""

    def test_progress_bar(self, capsys):
        """progress=True shows a bar with the step count, loss and circuits on stderr."""
        pytest.importorskip("tqdm")
        X, y = _data(8, seed=0)
        config = _config(epochs=1)
        trainer = QuantumTrainer(config, "qnative.simulator", progress=True)
        trainer.fit(QuantumModel.from_config(config), X, y)
        err = capsys.readouterr().err
        assert "training" in err
        assert "2/2" in err
        assert "circuits=24" in err


@pytest.fixture(scope="module")
def emulator_url():
    """One instant-profile IonQ emulator for the trainer's qnative.ionq tests."""
    with running(profile="instant", seed=5, api_keys=()) as root:
        yield root


@pytest.fixture(params=["qnative.simulator", "qnative.ionq"])
def make_device(request, tmp_path):
    """Build a fresh device of each kind (ionq against the emulator, files under tmp_path)."""
    counter = iter(range(100))

    def factory(config):
        if request.param == "qnative.simulator":
            return qp.device("qnative.simulator", wires=config.n_qubits, seed=config.seed)
        url = request.getfixturevalue("emulator_url")
        return qp.device(
            "qnative.ionq",
            wires=config.n_qubits,
            api_url=url + "/v0.4",
            api_key="test",
            cache=False,
            seed=config.seed,
            journal_path=tmp_path / f"journal-{next(counter)}.sqlite",
        )

    return factory


class TestDeviceUntouched:
    """A fit passes each step's seed in the execution config: no reseed, no tracker swaps."""

    def _fit(self, device, config, X, y):
        model = QuantumModel.from_config(config)
        history = QuantumTrainer(config, device, progress=False).fit(model, X, y)
        return model, history

    def test_tracker_kept_and_no_reseed(self, make_device, monkeypatch):
        """The device's tracker attribute is the same object after the fit; reseed is unused."""
        config = _config(epochs=1, shots_per_circuit=100)
        dev = make_device(config)

        def refuse(seed):
            raise AssertionError(f"reseed({seed!r}) called during fit")

        monkeypatch.setattr(dev, "reseed", refuse)
        tracker = dev.tracker
        X, y = _data(8, seed=0)
        _, history = self._fit(dev, config, X, y)
        assert dev.tracker is tracker
        assert not dev.tracker.active
        assert len(history["loss"]) == 2
        assert all(c > 0 for c in history["circuits"])

    def test_user_tracker_sees_every_step(self, make_device):
        """An active qp.Tracker around fit receives every step's executions."""
        config = _config(epochs=1, shots_per_circuit=100)
        dev = make_device(config)
        X, y = _data(8, seed=0)
        with qp.Tracker(dev) as tracker:
            _, history = self._fit(dev, config, X, y)
        assert dev.tracker is tracker
        assert tracker.totals["executions"] == sum(history["circuits"]) > 0
        assert tracker.totals["batches"] >= len(history["loss"]) == 2

    def test_same_seed_same_parameters(self, make_device):
        """Two fits with the same seed and shots, on two fresh devices, end equal."""
        config = _config(epochs=1, shots_per_circuit=50)
        X, y = _data(8, seed=3)
        first, _ = self._fit(make_device(config), config, X, y)
        second, _ = self._fit(make_device(config), config, X, y)
        np.testing.assert_array_equal(
            first.quantum_layer.parameters, second.quantum_layer.parameters
        )
        initial = QuantumModel.from_config(config).quantum_layer.parameters
        assert not np.array_equal(first.quantum_layer.parameters, initial)
