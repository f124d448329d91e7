"""Hyper-parameter search over ``TrainingConfig`` fields with optuna.

Each trial trains a fresh model with the trial's settings and scores it by validation loss.
The sampler (TPE) is seeded, so a search is reproducible.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.training.model import QuantumModel

if TYPE_CHECKING:
    from pennylane_qnative.training.trainer import QuantumTrainer

__all__ = ["run_search", "suggest"]


def suggest(trial: Any, name: str, space: Any) -> Any:
    """Draw field ``name`` from ``space``: ``(low, high)`` or a sequence of choices."""
    if (
        isinstance(space, tuple)
        and len(space) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in space)
    ):
        low, high = space
        if low > high:
            raise ConfigurationError(
                f"search space for {name!r} is ({low}, {high}): low must not exceed high."
            )
        if isinstance(low, int) and isinstance(high, int):
            return trial.suggest_int(name, low, high)
        log = low > 0 and high / low >= 100
        return trial.suggest_float(name, float(low), float(high), log=log)
    if isinstance(space, Sequence) and not isinstance(space, str) and len(space) > 0:
        return trial.suggest_categorical(name, list(space))
    raise ConfigurationError(
        f"search space for {name!r} must be (low, high) or a non-empty list of choices, got "
        f"{space!r}."
    )


def run_search(
    trainer: QuantumTrainer,
    search_space: Mapping[str, Any],
    n_trials: int,
    data: Any,
    y: Any,
    validation_data: tuple[Any, Any],
    seed: int | None,
) -> dict[str, Any]:
    """Optimise ``search_space`` for ``trainer``'s config; see ``optimize_hyperparameters``.

    Each trial trains a new trainer of ``trainer``'s class (so this module needs no import of
    the trainer) on a fresh device of the same kind.
    """
    import optuna  # optional dependency

    fields = {f.name for f in dataclasses.fields(trainer.config)}
    unknown = sorted(set(search_space) - fields)
    if unknown:
        raise ConfigurationError(
            f"cannot search {unknown}: not TrainingConfig fields {sorted(fields)}."
        )
    if not isinstance(n_trials, int) or n_trials < 1:
        raise ConfigurationError(f"n_trials must be a positive integer, got {n_trials!r}.")

    def objective(trial: Any) -> float:
        params = {name: suggest(trial, name, space) for name, space in search_space.items()}
        config = dataclasses.replace(trainer.config, **params)
        candidate = type(trainer)(config, config_device(trainer), progress=False)
        model = QuantumModel.from_config(config)
        candidate.fit(model, data, y)
        return candidate.evaluate(model, *validation_data)["loss"]

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=n_trials)
    return {"best_params": study.best_params, "best_value": study.best_value, "study": study}


def config_device(trainer: QuantumTrainer) -> str:
    """The device name trials use: a fresh device of the trainer's kind."""
    return str(trainer.device.name)
