"""Tests for :mod:`pennylane_qnative.training.search` (hyper-parameter search with optuna)."""

from __future__ import annotations

import numpy as np
import pytest

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.training.config import TrainingConfig
from pennylane_qnative.training.search import batch_sizes, suggest
from pennylane_qnative.training.trainer import QuantumTrainer

optuna = pytest.importorskip("optuna")

SPACE = {"learning_rate": (0.01, 0.5), "optimizer": ["adam", "sgd"]}


def _problem():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, np.pi, (8, 2))
    y = (X[:, 0] > np.pi / 2).astype(int)
    return X, y, (X[:4], y[:4])


def _trainer() -> QuantumTrainer:
    config = TrainingConfig(
        n_qubits=2, circuit_depth=1, batch_size=4, epochs=1, gradient_method="spsa", seed=0
    )
    return QuantumTrainer(config, "qnative.simulator", progress=False)


def _search(space=SPACE, n_trials=2, seed=3):
    X, y, validation = _problem()
    return _trainer().optimize_hyperparameters(
        space, n_trials, data=X, y=y, validation_data=validation, seed=seed
    )


class TestSearch:
    """optimize_hyperparameters on a two-trial space."""

    def test_best_params_in_space(self):
        """best_params holds every searched field, within its range or choices."""
        result = _search()
        best = result["best_params"]
        assert set(best) == {"learning_rate", "optimizer"}
        assert 0.01 <= best["learning_rate"] <= 0.5
        assert best["optimizer"] in {"adam", "sgd"}
        assert len(result["study"].trials) == 2
        assert result["best_value"] == min(t.value for t in result["study"].trials)
        assert np.isfinite(result["best_value"])

    def test_deterministic_with_seed(self):
        """One sampler seed gives the same trials and the same best value."""
        first, second = _search(), _search()
        assert first["best_params"] == second["best_params"]
        assert first["best_value"] == second["best_value"]
        assert [t.params for t in first["study"].trials] == [
            t.params for t in second["study"].trials
        ]

    def test_trainer_config_unchanged(self):
        """The search does not modify the trainer it was called on."""
        trainer = _trainer()
        before = trainer.config
        X, y, validation = _problem()
        trainer.optimize_hyperparameters(
            {"learning_rate": (0.01, 0.5)}, 1, data=X, y=y, validation_data=validation, seed=0
        )
        assert trainer.config == before
        assert trainer.tracker.rows == []

    def test_trials_use_the_trainer_class(self):
        """Each trial trains an instance of the class the search was called on."""

        class Counting(QuantumTrainer):
            built = 0

            def __init__(self, *args, **kwargs):
                type(self).built += 1
                super().__init__(*args, **kwargs)

        config = TrainingConfig(
            n_qubits=2, circuit_depth=1, batch_size=4, epochs=1, gradient_method="spsa", seed=0
        )
        trainer = Counting(config, "qnative.simulator", progress=False)
        X, y, validation = _problem()
        trainer.optimize_hyperparameters(
            {"learning_rate": (0.01, 0.5)}, 2, data=X, y=y, validation_data=validation, seed=0
        )
        assert Counting.built == 3


class TestErrors:
    """Bad search spaces and trial counts."""

    @pytest.mark.parametrize(
        ("space", "n_trials", "match"),
        [
            pytest.param({"lr": (0.01, 0.5)}, 1, r"cannot search \['lr'\]", id="unknown-field"),
            pytest.param(SPACE, 0, "n_trials", id="zero-trials"),
            pytest.param(SPACE, 1.5, "n_trials", id="float-trials"),
            pytest.param({"optimizer": "adam"}, 1, "non-empty list of choices", id="string"),
            pytest.param({"optimizer": []}, 1, "non-empty list of choices", id="empty-list"),
            pytest.param({"learning_rate": 0.1}, 1, "must be", id="scalar"),
            pytest.param({"learning_rate": (0.5, 0.01)}, 1, "learning_rate", id="reversed"),
            pytest.param({"circuit_depth": (3, 1)}, 1, "circuit_depth", id="reversed-int"),
        ],
    )
    def test_bad_search(self, space, n_trials, match):
        """Unknown fields, bad spaces and bad trial counts raise a ConfigurationError."""
        with pytest.raises(ConfigurationError, match=match):
            _search(space, n_trials)

    def test_out_of_range_value_is_a_config_error(self):
        """A space that proposes an invalid config value fails with the config's error."""
        with pytest.raises(ConfigurationError, match="learning_rate"):
            _search({"learning_rate": (-1.0, -0.5)}, 1)


class TestSuggest:
    """suggest maps a space to the right optuna distribution."""

    @pytest.mark.parametrize(
        ("space", "kind", "log"),
        [
            pytest.param((1, 4), optuna.distributions.IntDistribution, False, id="int"),
            pytest.param((0.01, 0.5), optuna.distributions.FloatDistribution, False, id="float"),
            pytest.param((1e-4, 1.0), optuna.distributions.FloatDistribution, True, id="log"),
            pytest.param(["a", "b"], optuna.distributions.CategoricalDistribution, None, id="list"),
        ],
    )
    def test_distribution(self, space, kind, log):
        """Int ranges, float ranges (log when spanning >= 100x) and choice lists."""
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
        trial = study.ask()
        value = suggest(trial, "x", space)
        distribution = trial.distributions["x"]
        assert isinstance(distribution, kind)
        if log is not None:
            assert distribution.log is log
            assert space[0] <= value <= space[1]
        else:
            assert value in space


class TestBatches:
    """Trials are asked in batches: the sampler's random start, then ``trials_per_batch``."""

    @pytest.mark.parametrize(
        ("n_trials", "per_batch", "sizes"),
        [
            pytest.param(3, 4, [3], id="inside-start"),
            pytest.param(10, 1, [10], id="exactly-start"),
            pytest.param(16, 4, [10, 4, 2], id="start-then-batches"),
            pytest.param(12, 1, [10, 1, 1], id="sequential-after-start"),
        ],
    )
    def test_batch_sizes(self, n_trials, per_batch, sizes):
        """The batches cover the trials exactly, the first being TPE's random start."""
        assert batch_sizes(n_trials, per_batch) == sizes

    def test_start_equals_sequential_tpe(self):
        """Within the random start, the batch asks what optuna's sequential loop asked."""
        result = _search(n_trials=3)
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=3))
        study.optimize(lambda t: [suggest(t, n, s) for n, s in SPACE.items()] and 0.0, 3)
        assert [t.params for t in result["study"].trials] == [t.params for t in study.trials]

    @pytest.mark.parametrize("per_batch", [0, -1, 2.0, True])
    def test_bad_trials_per_batch(self, per_batch):
        """trials_per_batch must be a positive integer."""
        X, y, validation = _problem()
        with pytest.raises(ConfigurationError, match="trials_per_batch"):
            _trainer().optimize_hyperparameters(
                SPACE, 2, data=X, y=y, validation_data=validation, trials_per_batch=per_batch
            )


class TestSweepOnCluster:
    """optimize_hyperparameters(executor=...) on a 2-worker LocalCluster."""

    def test_equals_serial_sweep(self, dask_client):
        """The same trials, values and best result as the serial sweep, TPE phase included."""
        X, y, validation = _problem()
        kwargs = {"data": X, "y": y, "validation_data": validation, "seed": 3}
        kwargs["trials_per_batch"] = 2
        serial = _trainer().optimize_hyperparameters(SPACE, 12, **kwargs)
        parallel = _trainer().optimize_hyperparameters(SPACE, 12, executor=dask_client, **kwargs)
        pairs = zip(serial["study"].trials, parallel["study"].trials, strict=True)
        for ours, theirs in pairs:
            assert ours.params == theirs.params
            assert ours.value == theirs.value
        assert serial["best_params"] == parallel["best_params"]
        assert serial["best_value"] == parallel["best_value"]

    def test_unreachable_scheduler(self):
        """An address nobody answers fails fast with a clear error."""
        from pennylane_qnative.exceptions import ClusterUnavailableError
        from pennylane_qnative.execution.cluster import DaskExecutor

        X, y, validation = _problem()
        with pytest.raises(ClusterUnavailableError, match="dask scheduler"):
            _trainer().optimize_hyperparameters(
                SPACE,
                2,
                data=X,
                y=y,
                validation_data=validation,
                executor=DaskExecutor("tcp://127.0.0.1:9", connect_timeout=1),
            )
