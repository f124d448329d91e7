"""``TrainingConfig``: every setting of a training run, frozen and validated.

Field names follow the v3.2/v3.3 API of the specification this project implements, so
existing configurations keep working.

**Example**

>>> from pennylane_qnative import TrainingConfig
>>> config = TrainingConfig(n_qubits=4, circuit_depth=2, gradient_method="spsa", seed=7)
>>> config.batch_size, config.epochs
(10, 5)
>>> import dataclasses
>>> dataclasses.replace(config, epochs=10).epochs
10
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.ionq.backends import MAX_SHOTS

__all__ = ["GradientMethod", "Loss", "OptimizerName", "TrainingConfig"]


class GradientMethod(StrEnum):
    """How the trainer differentiates the circuit."""

    ADAPTIVE = "adaptive"
    SPSA = "spsa"
    PARAMETER_SHIFT = "parameter_shift"
    NATURAL = "natural"
    RICHARDSON = "richardson"


class Loss(StrEnum):
    """Training loss on the model outputs."""

    MSE = "mse"
    CROSS_ENTROPY = "cross_entropy"
    HINGE = "hinge"


class OptimizerName(StrEnum):
    """The name of the update rule applied to the gradient (see
    :func:`~pennylane_qnative.training.optimizers.make_optimizer`)."""

    ADAM = "adam"
    SGD = "sgd"
    MOMENTUM = "momentum"


def __getattr__(name: str) -> Any:
    if name == "Optimizer":  # renamed: training.optimizers has the optimiser objects
        warnings.warn(
            "pennylane_qnative.training.config.Optimizer is deprecated: use OptimizerName.",
            DeprecationWarning,
            stacklevel=2,
        )
        return OptimizerName
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _enum(cls: type[StrEnum], name: str, value: Any) -> StrEnum:
    # accept the spec's spellings: "parameter-shift" and "parameter_shift", any case
    text = str(value).strip().lower().replace("-", "_") if isinstance(value, str) else value
    try:
        return cls(text)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in cls)
        raise ConfigurationError(f"{name} must be one of {allowed}, got {value!r}.") from None


def _require(ok: bool, name: str, value: Any, allowed: str) -> None:
    if not ok:
        raise ConfigurationError(f"{name} must be {allowed}, got {value!r}.")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _shots(value: Any) -> int | str | tuple[int, ...] | None:
    """``shots_per_circuit`` checked: ``None``, a count, ``"adaptive"`` or a schedule."""
    allowed = (
        f"None (exact), an integer from 1 to {MAX_SHOTS:,}, 'adaptive', or a non-empty list of "
        "such integers (one per epoch)"
    )

    def count(n: Any) -> bool:
        return _is_int(n) and 1 <= n <= MAX_SHOTS

    if value is None or count(value):
        return value
    if isinstance(value, str) and value.strip().lower() == "adaptive":
        return "adaptive"
    if isinstance(value, list | tuple) and value and all(count(n) for n in value):
        return tuple(int(n) for n in value)
    raise ConfigurationError(f"shots_per_circuit must be {allowed}, got {value!r}.")


@dataclass(frozen=True, kw_only=True, slots=True)
class TrainingConfig:
    """Settings of a training run.

    Args:
        learning_rate (float): step size of the optimiser (> 0)
        batch_size (int): samples per mini-batch; each mini-batch is one broadcast execution
        n_qubits (int): qubits of the model (= number of input features for angle embedding)
        circuit_depth (int): layers of the hardware-efficient ansatz
        epochs (int): passes over the training data
        shots_per_circuit (int | str | Sequence[int] | None): shots per circuit: a count,
            ``"adaptive"`` (:class:`~.AdaptiveShots`: few shots early, more as the gradient's
            signal-to-noise ratio falls, priced per job), or a schedule of one count per epoch
            (the last repeated); ``None`` for exact expectation values where the device allows
            it (see :mod:`~pennylane_qnative.training.shots`)
        loss (str): ``"mse"``, ``"cross_entropy"`` or ``"hinge"``
        optimizer (str): ``"adam"``, ``"sgd"`` or ``"momentum"``
        seed (int | None): seed for initial weights, data order, SPSA directions and sampling
        gradient_method (str): ``"adaptive"`` (default), ``"spsa"`` (run with Spall's gain
            schedule, ``schedule="spall"``, seeded by ``seed``), ``"parameter_shift"``
            (or PennyLane's ``"parameter-shift"``), ``"natural"`` or ``"richardson"``
        enable_circuit_cache (bool): cache circuit results on the device
        enable_batch_execution (bool): merge circuits of a step into one batch/job
        cache_size (int): most cached results
        batch_timeout (float): seconds one step's execution may take before it is abandoned
            (cloud devices)
        hardware_efficient_ansatz (bool): use :class:`~.HardwareEfficientAnsatz` (RY+RZ
            layers); ``False`` uses PennyLane's ``StronglyEntanglingLayers`` (RX-RY-RZ)
        target_accuracy (float | None): stop once the validation accuracy reaches this
            (needs ``validation_data``)
        patience (int | None): stop after this many validations without a lower validation
            loss (needs ``validation_data``)
        validate_every (int | None): validate every this many steps, inside the step's job (our
            devices; elsewhere validation runs after each epoch);
            ``None``: at the end of each epoch (every step with ``shots_per_circuit=
            "adaptive"`` on a free cloud target, where circuits cost nothing but a job's queue)
        restore_best (bool): end :meth:`~.QuantumTrainer.fit` with the parameters of the
            lowest validation loss (Keras's ``restore_best_weights``; needs ``validation_data``)
        budget_usd (float | None): plan shots and steps so that the steps' estimated cost
            stays within this (cloud devices; see :mod:`~pennylane_qnative.training.planning`)

    Raises:
        ConfigurationError: naming the field, the value and what is allowed
    """

    learning_rate: float = 0.1
    batch_size: int = 10
    n_qubits: int = 8
    circuit_depth: int = 2
    epochs: int = 5
    shots_per_circuit: int | str | tuple[int, ...] | None = None
    loss: str = Loss.MSE
    optimizer: str = OptimizerName.ADAM
    seed: int | None = None
    gradient_method: str = GradientMethod.ADAPTIVE
    enable_circuit_cache: bool = True
    enable_batch_execution: bool = True
    cache_size: int = 10_000
    batch_timeout: float = 600.0
    hardware_efficient_ansatz: bool = True
    target_accuracy: float | None = None
    patience: int | None = None
    validate_every: int | None = None
    restore_best: bool = False
    budget_usd: float | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "loss", _enum(Loss, "loss", self.loss))
        set_(self, "optimizer", _enum(OptimizerName, "optimizer", self.optimizer))
        set_(
            self, "gradient_method", _enum(GradientMethod, "gradient_method", self.gradient_method)
        )
        _require(
            _is_number(self.learning_rate) and self.learning_rate > 0,
            "learning_rate",
            self.learning_rate,
            "a positive finite number",
        )
        for name in ("batch_size", "n_qubits", "circuit_depth", "epochs", "cache_size"):
            value = getattr(self, name)
            _require(_is_int(value) and value >= 1, name, value, "a positive integer")
        set_(self, "shots_per_circuit", _shots(self.shots_per_circuit))
        _require(
            self.seed is None or (_is_int(self.seed) and self.seed >= 0),
            "seed",
            self.seed,
            "None or a non-negative integer",
        )
        _require(
            _is_number(self.batch_timeout) and self.batch_timeout > 0,
            "batch_timeout",
            self.batch_timeout,
            "a positive number of seconds",
        )
        self._check_stopping_and_budget()
        for name in (
            "enable_circuit_cache",
            "enable_batch_execution",
            "hardware_efficient_ansatz",
            "restore_best",
        ):
            value = getattr(self, name)
            _require(isinstance(value, bool), name, value, "True or False")

    def _check_stopping_and_budget(self) -> None:
        _require(
            self.target_accuracy is None
            or (_is_number(self.target_accuracy) and 0 < self.target_accuracy <= 1),
            "target_accuracy",
            self.target_accuracy,
            "None or a number in (0, 1]",
        )
        _require(
            self.patience is None or (_is_int(self.patience) and self.patience >= 1),
            "patience",
            self.patience,
            "None or a positive integer (validations without improvement)",
        )
        _require(
            self.validate_every is None
            or (_is_int(self.validate_every) and self.validate_every >= 1),
            "validate_every",
            self.validate_every,
            "None (each epoch) or a positive number of steps",
        )
        _require(
            self.budget_usd is None or (_is_number(self.budget_usd) and self.budget_usd > 0),
            "budget_usd",
            self.budget_usd,
            "None or a positive number of US dollars",
        )

    @property
    def n_parameters(self) -> int:
        """Number of trainable circuit parameters."""
        per_qubit = 2 if self.hardware_efficient_ansatz else 3
        return self.circuit_depth * self.n_qubits * per_qubit

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable values (enums as strings)."""

        def plain(v: Any) -> Any:
            return v.value if isinstance(v, StrEnum) else list(v) if isinstance(v, tuple) else v

        return {k: plain(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingConfig:
        """Build from :meth:`to_dict` output; unknown keys raise a ConfigurationError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigurationError(
                f"unknown TrainingConfig fields {unknown}; the fields are {sorted(known)}."
            )
        return cls(**data)
