"""Hyper-parameter search over ``TrainingConfig`` fields with optuna.

Each trial trains a fresh model with the trial's settings and scores it by validation loss.
The sampler (TPE) is seeded, so a search is reproducible.

Trials are asked from the sampler in batches, with optuna's ask-and-tell interface, and told
back in order once the whole batch is scored: the first batch holds the sampler's random start
(TPE's ``n_startup_trials``, 10), each later batch ``trials_per_batch`` trials drawn given every
completed trial. The batches are a property of the search, not of where it runs, so a search
scored in this process and one scored on a cluster (``executor=``: the trials of a batch run
in parallel as Dask tasks) ask the same parameters and give the same results. (Optuna's own
parallel ``study.optimize`` on a shared storage would let each trial see whichever trials
happened to finish first, so its results would depend on timing.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.execution.cluster import as_executor
from pennylane_qnative.training.model import QuantumModel

if TYPE_CHECKING:
    from pennylane_qnative.training.trainer import QuantumTrainer

__all__ = ["run_search", "score_trial", "suggest"]

#: TPE's random start: the first batch of a search
STARTUP_TRIALS = 10


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
    *,
    executor: Any = None,
    trials_per_batch: int = STARTUP_TRIALS,
) -> dict[str, Any]:
    """Optimise ``search_space`` for ``trainer``'s config; see ``optimize_hyperparameters``.

    Each trial trains a new trainer of ``trainer``'s class (so this module needs no import of
    the trainer) on a fresh device of the same kind, here or on ``executor``'s workers.
    """
    import optuna  # optional dependency

    _check_search(trainer, search_space, n_trials, trials_per_batch)
    try:
        runner = as_executor(executor)
    except ConfigurationError as error:
        raise ConfigurationError(f"optimize_hyperparameters: {error.message}") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
    recipe = (type(trainer), config_device(trainer), data, y, validation_data)
    for size in batch_sizes(n_trials, trials_per_batch):
        trials = [study.ask() for _ in range(size)]
        try:
            configs = [_trial_config(trainer.config, search_space, t) for t in trials]
            values = _score(runner, configs, recipe)
        except BaseException:
            for trial in trials:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            raise
        for trial, value in zip(trials, values, strict=True):
            study.tell(trial, value)
    return {"best_params": study.best_params, "best_value": study.best_value, "study": study}


def batch_sizes(n_trials: int, trials_per_batch: int) -> list[int]:
    """The sizes of the batches a search of ``n_trials`` asks: its random start, then the rest.

    >>> batch_sizes(16, 4)
    [10, 4, 2]
    """
    sizes = [min(n_trials, STARTUP_TRIALS)]
    left = n_trials - sizes[0]
    while left > 0:
        sizes.append(min(left, trials_per_batch))
        left -= sizes[-1]
    return sizes


def _check_search(trainer: Any, search_space: Mapping, n_trials: Any, per_batch: Any) -> None:
    fields = {f.name for f in dataclasses.fields(trainer.config)}
    unknown = sorted(set(search_space) - fields)
    if unknown:
        raise ConfigurationError(
            f"cannot search {unknown}: not TrainingConfig fields {sorted(fields)}."
        )
    for name, value in (("n_trials", n_trials), ("trials_per_batch", per_batch)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigurationError(f"{name} must be a positive integer, got {value!r}.")


def _trial_config(config: Any, search_space: Mapping[str, Any], trial: Any) -> Any:
    params = {name: suggest(trial, name, space) for name, space in search_space.items()}
    return dataclasses.replace(config, **params)


def _score(runner: Any, configs: list, recipe: tuple) -> list[float]:
    """Validation losses of ``configs``: here, or as one task each on ``runner``."""
    trainer_class, device, data, y, validation_data = recipe
    if runner is None:
        return [score_trial(trainer_class, c, device, data, y, validation_data) for c in configs]
    n = len(configs)
    return runner.map(
        score_trial,
        [trainer_class] * n,
        configs,
        [device] * n,
        [data] * n,
        [y] * n,
        [validation_data] * n,
    )


def score_trial(
    trainer_class: type,
    config: Any,
    device: str,
    data: Any,
    y: Any,
    validation_data: tuple[Any, Any],
) -> float:
    """Train a fresh model with ``config`` and return its validation loss (one trial).

    A pure function of its arguments, so it runs the same wherever a cluster sends it.
    """
    candidate = trainer_class(config, device, progress=False)
    model = QuantumModel.from_config(config)
    candidate.fit(model, data, y)
    return float(candidate.evaluate(model, *validation_data)["loss"])


def config_device(trainer: QuantumTrainer) -> str:
    """The device name trials use: a fresh device of the trainer's kind."""
    return str(trainer.device.name)
