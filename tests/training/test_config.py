"""Tests for :mod:`pennylane_qnative.training.config` (``TrainingConfig``)."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from pennylane_qnative.exceptions import ConfigurationError, QnativeError
from pennylane_qnative.training.config import GradientMethod, Loss, Optimizer, TrainingConfig

BAD_VALUES = [
    pytest.param("learning_rate", 0, "a positive finite number", id="learning_rate-zero"),
    pytest.param("learning_rate", -0.1, "a positive finite number", id="learning_rate-negative"),
    pytest.param("learning_rate", math.nan, "a positive finite number", id="learning_rate-nan"),
    pytest.param("learning_rate", math.inf, "a positive finite number", id="learning_rate-inf"),
    pytest.param("learning_rate", "0.1", "a positive finite number", id="learning_rate-str"),
    pytest.param("learning_rate", True, "a positive finite number", id="learning_rate-bool"),
    pytest.param("batch_size", 0, "a positive integer", id="batch_size-zero"),
    pytest.param("batch_size", 2.0, "a positive integer", id="batch_size-float"),
    pytest.param("batch_size", True, "a positive integer", id="batch_size-bool"),
    pytest.param("n_qubits", -1, "a positive integer", id="n_qubits-negative"),
    pytest.param("n_qubits", "4", "a positive integer", id="n_qubits-str"),
    pytest.param("circuit_depth", 0, "a positive integer", id="circuit_depth-zero"),
    pytest.param("circuit_depth", None, "a positive integer", id="circuit_depth-none"),
    pytest.param("epochs", 0, "a positive integer", id="epochs-zero"),
    pytest.param("epochs", 1.5, "a positive integer", id="epochs-float"),
    pytest.param("cache_size", 0, "a positive integer", id="cache_size-zero"),
    pytest.param("cache_size", False, "a positive integer", id="cache_size-bool"),
    pytest.param("shots_per_circuit", 0, "None (exact)", id="shots-zero"),
    pytest.param("shots_per_circuit", 1_000_001, "None (exact)", id="shots-too-many"),
    pytest.param("shots_per_circuit", 100.0, "None (exact)", id="shots-float"),
    pytest.param("shots_per_circuit", True, "None (exact)", id="shots-bool"),
    pytest.param("seed", -1, "None or a non-negative integer", id="seed-negative"),
    pytest.param("seed", 1.0, "None or a non-negative integer", id="seed-float"),
    pytest.param("seed", "7", "None or a non-negative integer", id="seed-str"),
    pytest.param("batch_timeout", 0, "a positive number of seconds", id="timeout-zero"),
    pytest.param("batch_timeout", -5.0, "a positive number of seconds", id="timeout-negative"),
    pytest.param("batch_timeout", math.inf, "a positive number of seconds", id="timeout-inf"),
    pytest.param("batch_timeout", "10", "a positive number of seconds", id="timeout-str"),
    pytest.param("enable_circuit_cache", 1, "True or False", id="cache-int"),
    pytest.param("enable_batch_execution", "yes", "True or False", id="batch-str"),
    pytest.param("hardware_efficient_ansatz", None, "True or False", id="hea-none"),
]

BAD_ENUMS = [
    pytest.param("loss", "mae", ("'mse'", "'cross_entropy'", "'hinge'"), id="loss"),
    pytest.param("optimizer", "rmsprop", ("'adam'", "'sgd'", "'momentum'"), id="optimizer"),
    pytest.param(
        "gradient_method",
        "finite_diff",
        ("'adaptive'", "'spsa'", "'parameter_shift'", "'natural'", "'richardson'"),
        id="gradient_method",
    ),
    pytest.param("loss", 3, ("'mse'",), id="loss-int"),
    pytest.param("optimizer", None, ("'adam'",), id="optimizer-none"),
]


class TestDefaults:
    """The defaults of the specification."""

    def test_defaults(self):
        """A config without arguments has the documented defaults."""
        config = TrainingConfig()
        assert (config.learning_rate, config.batch_size, config.n_qubits) == (0.1, 10, 8)
        assert (config.circuit_depth, config.epochs, config.shots_per_circuit) == (2, 5, None)
        assert config.loss is Loss.MSE
        assert config.optimizer is Optimizer.ADAM
        assert config.gradient_method is GradientMethod.ADAPTIVE
        assert config.seed is None
        assert config.enable_circuit_cache
        assert config.enable_batch_execution
        assert config.hardware_efficient_ansatz

    @pytest.mark.parametrize(
        ("hea", "expected"),
        [pytest.param(True, 3 * 4 * 2, id="ry-rz"), pytest.param(False, 3 * 4 * 3, id="rx-ry-rz")],
    )
    def test_n_parameters(self, hea, expected):
        """n_parameters counts depth x qubits x rotations per qubit."""
        config = TrainingConfig(n_qubits=4, circuit_depth=3, hardware_efficient_ansatz=hea)
        assert config.n_parameters == expected

    def test_valid_edge_values(self):
        """Boundary values that are allowed are accepted."""
        config = TrainingConfig(
            learning_rate=1, shots_per_circuit=1_000_000, seed=0, batch_size=1, batch_timeout=1
        )
        assert config.shots_per_circuit == 1_000_000
        assert TrainingConfig(shots_per_circuit=1).shots_per_circuit == 1


class TestValidation:
    """Every invalid field raises a ConfigurationError naming field, value and what's allowed."""

    @pytest.mark.parametrize(("field", "value", "allowed"), BAD_VALUES)
    def test_bad_value(self, field, value, allowed):
        """A wrong type or out-of-range value is rejected with a precise message."""
        with pytest.raises(ConfigurationError) as info:
            TrainingConfig(**{field: value})
        message = str(info.value)
        assert field in message
        assert repr(value) in message
        assert allowed in message

    @pytest.mark.parametrize(("field", "value", "allowed"), BAD_ENUMS)
    def test_unknown_enum(self, field, value, allowed):
        """An unknown option names the field, the value and every allowed spelling."""
        with pytest.raises(ConfigurationError) as info:
            TrainingConfig(**{field: value})
        message = str(info.value)
        assert field in message
        assert repr(value) in message
        for option in allowed:
            assert option in message

    def test_error_hierarchy(self):
        """The error is a QnativeError and a ValueError users already catch."""
        with pytest.raises(ConfigurationError) as info:
            TrainingConfig(epochs=0)
        assert isinstance(info.value, QnativeError)
        assert isinstance(info.value, ValueError)


class TestEnumSpellings:
    """Enum fields accept the specification's spellings."""

    @pytest.mark.parametrize(
        ("spelling", "expected"),
        [
            pytest.param("parameter-shift", GradientMethod.PARAMETER_SHIFT, id="hyphen"),
            pytest.param("parameter_shift", GradientMethod.PARAMETER_SHIFT, id="underscore"),
            pytest.param("Parameter-Shift", GradientMethod.PARAMETER_SHIFT, id="mixed-case"),
            pytest.param(" SPSA ", GradientMethod.SPSA, id="spaces-upper"),
            pytest.param(GradientMethod.NATURAL, GradientMethod.NATURAL, id="enum-member"),
        ],
    )
    def test_gradient_method_spellings(self, spelling, expected):
        """Hyphens, underscores, case and surrounding spaces all map to one member."""
        assert TrainingConfig(gradient_method=spelling).gradient_method is expected

    def test_spellings_compare_equal(self):
        """Configs written with different spellings are equal."""
        a = TrainingConfig(gradient_method="parameter-shift", loss="Cross-Entropy")
        b = TrainingConfig(gradient_method="parameter_shift", loss="cross_entropy")
        assert a == b
        assert a.loss is Loss.CROSS_ENTROPY


class TestFrozen:
    """The config is immutable; changes go through dataclasses.replace."""

    def test_assignment_rejected(self):
        """Setting a field raises FrozenInstanceError."""
        config = TrainingConfig()
        with pytest.raises(dataclasses.FrozenInstanceError):
            config.epochs = 3

    def test_no_new_attributes(self):
        """Slots forbid new attributes."""
        config = TrainingConfig()
        with pytest.raises((AttributeError, TypeError)):
            config.extra = 1

    def test_replace_validates(self):
        """dataclasses.replace re-runs the validation."""
        config = TrainingConfig()
        assert dataclasses.replace(config, epochs=9).epochs == 9
        with pytest.raises(ConfigurationError, match="epochs"):
            dataclasses.replace(config, epochs=-1)

    def test_keyword_only(self):
        """Positional arguments are refused."""
        with pytest.raises(TypeError):
            TrainingConfig(0.1)  # type: ignore[misc]


class TestSerialisation:
    """to_dict / from_dict."""

    def test_round_trip(self):
        """from_dict(to_dict(c)) == c, through JSON as well."""
        config = TrainingConfig(
            learning_rate=0.05,
            batch_size=4,
            n_qubits=3,
            circuit_depth=1,
            epochs=2,
            shots_per_circuit=500,
            loss="hinge",
            optimizer="momentum",
            seed=11,
            gradient_method="parameter-shift",
            enable_circuit_cache=False,
            enable_batch_execution=False,
            cache_size=7,
            batch_timeout=2.5,
            hardware_efficient_ansatz=False,
        )
        data = config.to_dict()
        assert TrainingConfig.from_dict(data) == config
        assert TrainingConfig.from_dict(json.loads(json.dumps(data))) == config

    def test_enums_as_plain_strings(self):
        """to_dict writes enums as their plain string values."""
        data = TrainingConfig(gradient_method="parameter-shift").to_dict()
        assert type(data["gradient_method"]) is str
        assert data["gradient_method"] == "parameter_shift"
        assert type(data["loss"]) is str
        assert type(data["optimizer"]) is str
        assert set(data) == {f.name for f in dataclasses.fields(TrainingConfig)}

    def test_unknown_keys_rejected(self):
        """from_dict names unknown keys and lists the fields."""
        data = {**TrainingConfig().to_dict(), "lr": 0.1, "depth": 2}
        with pytest.raises(ConfigurationError) as info:
            TrainingConfig.from_dict(data)
        message = str(info.value)
        assert "'depth'" in message
        assert "'lr'" in message
        assert "learning_rate" in message

    def test_partial_dict_uses_defaults(self):
        """Missing keys take their defaults."""
        assert TrainingConfig.from_dict({"epochs": 3}) == TrainingConfig(epochs=3)

    def test_from_dict_validates(self):
        """Invalid values in the dict raise like the constructor."""
        with pytest.raises(ConfigurationError, match="batch_size"):
            TrainingConfig.from_dict({"batch_size": 0})


class TestOptimizerName:
    """The optimizer option's enum is ``OptimizerName``; ``Optimizer`` is its old name."""

    def test_old_name_warns(self):
        """``config.Optimizer`` is ``OptimizerName``, with a DeprecationWarning."""
        from pennylane_qnative.training import config

        with pytest.warns(DeprecationWarning, match="OptimizerName"):
            old = config.Optimizer
        assert old is config.OptimizerName
        assert TrainingConfig(optimizer="sgd").optimizer is config.OptimizerName.SGD
