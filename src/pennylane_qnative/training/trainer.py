"""``QuantumTrainer``: Keras-like ``fit`` for a :class:`~.QuantumModel`.

Every optimisation step evaluates the whole mini-batch as one broadcast QNode call, and on our
devices the gradient is computed *inside the device* (``diff_method="device"``): the forward
circuit and all gradient circuits of the step are one device batch (one cloud job on
``qnative.ionq``). After every step the trainer writes a checkpoint, so ``fit(...,
resume=True)`` continues a killed run exactly.

**Example**

>>> import numpy as np
>>> from pennylane_qnative import QuantumModel, QuantumTrainer, TrainingConfig
>>> rng = np.random.default_rng(0)
>>> X = rng.uniform(0, np.pi, (20, 2))
>>> y = (X[:, 0] > X[:, 1]).astype(int)
>>> config = TrainingConfig(n_qubits=2, circuit_depth=1, epochs=2, gradient_method="spsa", seed=1)
>>> trainer = QuantumTrainer(config, "qnative.simulator", progress=False)
>>> model = QuantumModel.from_config(config)
>>> history = trainer.fit(model, X, y)
>>> len(history["loss"])    # 2 epochs of 2 batches
4
>>> trainer.get_performance_stats()["circuits_per_step"]    # 10 forward + 20 SPSA circuits
30.0
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pennylane as qp
from autograd import value_and_grad
from pennylane import numpy as pnp

from pennylane_qnative.exceptions import CheckpointError, ConfigurationError
from pennylane_qnative.gradients import AdaptiveGradient
from pennylane_qnative.gradients.registry import canonical, is_stateful, resolve
from pennylane_qnative.training.checkpoint import (
    TRAINER_KEYS,
    checked_optimizer,
    data_fingerprint,
    device_identity,
    load_checkpoint,
    mismatches,
    reading,
    remove_partial_writes,
    save_checkpoint,
)
from pennylane_qnative.training.config import TrainingConfig
from pennylane_qnative.training.counting import counting, device_tracking
from pennylane_qnative.training.data import ArrayLoader
from pennylane_qnative.training.device_setup import is_ours, make_device
from pennylane_qnative.training.direct_step import DirectStep
from pennylane_qnative.training.losses import LOSSES, accuracy, encode_targets
from pennylane_qnative.training.model import QuantumModel
from pennylane_qnative.training.optimizers import state_to_dict
from pennylane_qnative.training.planning import fill_jobs, plan_budget, price_step
from pennylane_qnative.training.run import RunState, step_seed
from pennylane_qnative.training.search import STARTUP_TRIALS, run_search
from pennylane_qnative.training.shots import AdaptiveShots, gradient_noise, noise_gain
from pennylane_qnative.training.tracker import PerformanceTracker

__all__ = ["QuantumTrainer"]

logger = logging.getLogger(__name__)

CHECKPOINT_NAME = "checkpoint.json"


class QuantumTrainer:
    """Trains a :class:`~.QuantumModel` on a device.

    Args:
        config (TrainingConfig): the run's settings
        device_or_name (str | Device): a device, or a device name built with
            ``wires=config.n_qubits`` (and, for our devices, the config's cache and seed)
        output_dir (str | Path | None): where checkpoints, history CSV and plots go; ``None``
            keeps everything in memory (no resume)
        progress (bool): show a tqdm progress bar
        device_kwargs (dict | None): extra keyword arguments for a device built by name
        session (bool | dict | str | None): run the whole training in one IonQ session
            (``qnative.ionq`` built by name: ``True``, limits ``{"max_jobs", "max_cost_usd",
            "max_minutes"}`` or a session id; see :class:`~.IonQDevice`). The session is ended
            when :meth:`fit` returns; a resumed fit rejoins it if it is still active

    Raises:
        ConfigurationError: for a config, device or data that does not fit
    """

    def __init__(
        self,
        config: TrainingConfig,
        device_or_name: Any = "qnative.simulator",
        *,
        output_dir: str | Path | None = None,
        progress: bool = True,
        device_kwargs: Mapping[str, Any] | None = None,
        session: bool | Mapping[str, Any] | str | None = None,
    ) -> None:
        if not isinstance(config, TrainingConfig):
            raise ConfigurationError(
                f"config must be a TrainingConfig, got {type(config).__name__}."
            )
        self.config = config
        kwargs = dict(device_kwargs or {})
        if session not in (None, False):
            if device_or_name != "qnative.ionq":
                raise ConfigurationError(
                    "session= needs the device built by name as 'qnative.ionq'; for a device "
                    "you built, pass session=... to qp.device('qnative.ionq', ...) instead."
                )
            kwargs["session"] = session
        self._owns_session = "session" in kwargs and device_or_name == "qnative.ionq"
        self.output_dir = Path(output_dir) if output_dir is not None else None
        folder = self.output_dir
        if folder is not None and folder.exists() and not folder.is_dir():
            raise ConfigurationError(
                f"output_dir {str(self.output_dir)!r} exists and is not a folder; pass a "
                "folder path (it is created if missing)."
            )
        self.device = make_device(device_or_name, config, kwargs)
        self.progress = progress
        self.tracker = PerformanceTracker()
        self.stop_reason: str | None = None
        """Why the last :meth:`fit` ended before its epochs (early stopping, budget)."""
        self.gradient = resolve(config.gradient_method, **_gradient_options(config))
        if config.shots_per_circuit == "adaptive" and noise_gain(self.gradient) is None:
            raise ConfigurationError(
                f"shots_per_circuit='adaptive' needs a gradient method whose shot noise is "
                f"known (spsa, parameter-shift, finite-diff), got "
                f"{config.gradient_method!r}; pass gradient_method='spsa' or fixed shots."
            )
        self._loss = LOSSES[config.loss]

    # --- public API ------------------------------------------------------------------------

    def fit(
        self,
        model: QuantumModel,
        data: Any,
        y: Any = None,
        *,
        epochs: int | None = None,
        validation_data: tuple[Any, Any] | None = None,
        resume: bool = False,
        callbacks: Sequence[Callable[[QuantumModel, dict[str, Any]], Any]] = (),
    ) -> dict[str, list[Any]]:
        """Train ``model``; returns the per-step history (see :class:`~.PerformanceTracker`).

        Args:
            model (QuantumModel): the model; its parameters are updated in place
            data: either ``X`` (with ``y``), or any iterable of ``(batch_x, batch_y)``
                (a list, a generator, a torch ``DataLoader``); arrays are batched with
                ``config.batch_size`` in a seeded order per epoch
            y: labels or targets when ``data`` is ``X``
            epochs (int | None): overrides ``config.epochs``
            validation_data (tuple | None): ``(X_val, y_val)`` evaluated after each epoch
            resume (bool): continue from ``output_dir``'s checkpoint
            callbacks (Sequence[Callable]): each called as ``callback(model, row)`` after every
                step (``row``: the step's history row), e.g. to log or to evaluate offline
        """
        epochs = self.config.epochs if epochs is None else epochs
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ConfigurationError(f"epochs must be a positive integer, got {epochs!r}.")
        loader = self._loader(data, y)
        if isinstance(loader, Iterator) and epochs > 1:
            raise ConfigurationError(
                "data is a one-pass iterator (a generator), so it cannot feed several epochs: "
                "pass a list, X and y, or a re-iterable loader (e.g. a torch DataLoader)."
            )
        uses = (self.config.target_accuracy, self.config.patience, self.config.restore_best or None)
        if validation_data is None and any(v is not None for v in uses):
            raise ConfigurationError(
                "target_accuracy=, patience= and restore_best= use validation metrics: pass "
                "validation_data=(X_val, y_val) to fit (data outside the test split)."
            )
        if isinstance(callbacks, str) or not all(callable(c) for c in callbacks):
            raise ConfigurationError(
                f"callbacks must be a sequence of callables callback(model, row), got "
                f"{callbacks!r}."
            )
        step = self._training_step(model)
        run = RunState.fresh(model, self.config)
        self.tracker = PerformanceTracker()
        loader = self._price(model, step, run, loader, validation_data)
        if isinstance(loader, ArrayLoader):
            run.data_seed, run.data = loader.seed, data_fingerprint(loader.X, loader.y)
        if resume:
            run = self._restore(model, run, loader)
        run.planned_steps = epochs * len(loader) if hasattr(loader, "__len__") else None
        if self.config.budget_usd is not None:
            plan_budget(run, self.config.budget_usd)
        bar = self._progress_bar(epochs, loader)
        try:
            with device_tracking(self.device) as tracker:
                run.callbacks = tuple(callbacks)
                self._epochs(model, step, run, loader, epochs, validation_data, tracker, bar)
            self.stop_reason = run.stop_reason
            if self.config.restore_best and run.best_parameters is not None:
                model.quantum_layer.parameters = np.array(run.best_parameters, dtype=float)
        finally:
            if bar is not None:
                bar.close()
            if self._owns_session:
                self.device.close()  # the session's hold on the backend ends with the fit
        self._write_outputs()
        return self.tracker.history

    def _epochs(self, model, step, run, loader, epochs, validation_data, tracker, bar) -> None:
        per_epoch = len(loader) if hasattr(loader, "__len__") else None
        fuse = validation_data is not None and isinstance(step, DirectStep) and per_epoch
        every = run.validate_every
        for epoch in range(run.epoch, epochs):
            run.validated = None
            for index, (batch_x, batch_y) in enumerate(_batches(loader, epoch)):
                if epoch == run.epoch and index < run.batch_in_epoch:
                    continue  # done before the checkpoint we resumed from
                if run.stop_reason is not None or run.out_of_budget():
                    break
                due = fuse and (
                    index == per_epoch - 1 if every is None else (run.step + 1) % every == 0
                )
                where = (epoch, validation_data if due else None)
                self._step(model, step, run, where, (batch_x, batch_y), tracker)
                self._after_step(model, run, epoch, index + 1, bar)
            if run.stop_reason is not None:
                break
            if validation_data is not None and run.validated is None and not (fuse and every):
                with counting(tracker) as counts:
                    metrics = self.evaluate(model, *validation_data)
                params = np.array(model.quantum_layer.parameters, dtype=float)
                self._validated(
                    run, epoch, metrics, int(counts.get("executions", 0)), False, params
                )
            run.epoch, run.batch_in_epoch = epoch + 1, 0
            self._checkpoint(model, run)
            if run.stop_reason is not None:
                break
        if run.stop_reason is not None:
            logger.info("training stopped at step %d: %s", run.step, run.stop_reason)

    def _validated(self, run, epoch, metrics, circuits, fused=False, weights=None) -> None:
        """Log a validation (``fused``: its circuits ran in the step's job, on ``weights``,
        the parameters before the step's update)."""
        self.tracker.log_evaluation(
            epoch,
            val_loss=metrics["loss"],
            val_accuracy=metrics["accuracy"],
            circuits=circuits,
            fused=fused,
        )
        run.validated_with(metrics, weights)

    async def train(
        self, model: QuantumModel, train_loader: Any, epochs: int | None = None, **kwargs: Any
    ) -> dict[str, list[Any]]:
        """``await trainer.train(model, loader, epochs=...)``: :meth:`fit` off the event loop."""
        return await asyncio.to_thread(self.fit, model, train_loader, epochs=epochs, **kwargs)

    def predict(self, model: QuantumModel, X: Any) -> np.ndarray:
        """Model outputs for ``X``: one broadcast execution (one job on a cloud device).

        No gradient circuits are run.
        """
        qnode = self._qnode(model, differentiable=False)
        weights = pnp.array(model.quantum_layer.parameters, requires_grad=False)
        X = model.check_inputs(X)
        return np.atleast_1d(np.asarray(model.forward(qnode, weights, X)))

    def evaluate(self, model: QuantumModel, X: Any, y: Any) -> dict[str, float]:
        """Loss and accuracy (classification) of the model on ``(X, y)``."""
        return self._metrics(model, self.predict(model, X), y)

    def _metrics(self, model: QuantumModel, outputs: Any, y: Any) -> dict[str, float]:
        outputs, targets = np.atleast_1d(np.asarray(outputs)), self._targets(model, y)
        metrics = {"loss": float(self._loss(outputs, targets))}
        metrics["accuracy"] = (
            accuracy(outputs, targets) if model.task == "classification" else float("nan")
        )
        return metrics

    def get_performance_stats(self) -> dict[str, Any]:
        """Totals and averages of the steps so far, plus the device's cache statistics."""
        stats = {**self.tracker.summary(), "stop_reason": self.stop_reason}
        if hasattr(self.device, "cache_stats"):
            stats["device_cache"] = self.device.cache_stats()
        if isinstance(self.gradient, AdaptiveGradient):
            stats["method_history"] = list(self.gradient.method_history)
        return stats

    def clear_caches(self) -> None:
        """Empty the device's result cache."""
        if hasattr(self.device, "clear_cache"):
            self.device.clear_cache()

    def optimize_hyperparameters(
        self,
        search_space: Mapping[str, Any],
        n_trials: int,
        *,
        data: Any,
        y: Any = None,
        validation_data: tuple[Any, Any],
        seed: int | None = None,
        executor: Any = None,
        trials_per_batch: int = STARTUP_TRIALS,
    ) -> dict[str, Any]:
        """Search ``TrainingConfig`` fields with optuna (TPE), minimising validation loss.

        Args:
            search_space (Mapping): field -> ``(low, high)`` (floats: log-uniform when
                ``low > 0`` and ``high / low >= 100``; ints: uniform) or a list of choices
            n_trials (int): number of trials
            data, y: training data, as for :meth:`fit`
            validation_data (tuple): ``(X_val, y_val)`` scored after each trial
            seed (int | None): seed of the sampler
            executor (distributed.Client | str | qp.concurrency backend | None): score the
                trials of each batch in parallel there (a Dask client or scheduler address,
                see :func:`~pennylane_qnative.execution.cluster.as_executor`); ``None`` scores
                them one after another in this process. The results are the same either way.
            trials_per_batch (int): trials asked together after the sampler's random start of
                10 (see :mod:`pennylane_qnative.training.search`); the parallelism of a
                cluster, and what fixes the results: keep it when comparing runs

        Returns:
            dict: ``best_params``, ``best_value`` and the optuna ``study``
        """
        return run_search(
            self,
            search_space,
            n_trials,
            data,
            y,
            validation_data,
            seed,
            executor=executor,
            trials_per_batch=trials_per_batch,
        )

    # --- one step ----------------------------------------------------------------------------

    def _step(self, model, step, run, where, batch, tracker) -> None:
        (epoch, validation), (batch_x, batch_y) = where, batch
        X = model.check_inputs(batch_x)
        targets = self._targets(model, batch_y)
        # the shots of a step are drawn from a seed of the run and the step: exact resumes
        seed = None if self.config.seed is None else step_seed(self.config.seed, run.step)
        shots = run.shots_of_step(epoch)
        start = time.perf_counter()
        with counting(tracker) as counts:
            if isinstance(step, DirectStep):
                weights = np.asarray(model.quantum_layer.parameters, dtype=float)
                fused = None if validation is None else model.check_inputs(validation[0])
                outputs, jacobian, val_out = step.run(
                    weights, X, seed=seed, run_id=run.run_id, shots=shots, validation=fused
                )
                loss, output_grad = value_and_grad(lambda out: self._loss(out, targets))(outputs)
                grads = DirectStep.chain(jacobian, output_grad, weights.shape)
                n_params = len(step.weight_positions)
            else:
                weights = pnp.array(model.quantum_layer.parameters, requires_grad=True)
                grads, loss, outputs = self._qnode_step(
                    model, step, weights, X, targets, (seed, run.run_id, shots)
                )
                val_out, n_params = None, int(np.size(weights))
                loss_of = qp.grad(lambda out: self._loss(out, targets))  # for the shot policy
                output_grad = None if shots is None else loss_of(pnp.array(outputs))
        loss = float(loss)
        batch_accuracy = (
            accuracy(np.asarray(outputs), targets) if model.task == "classification" else None
        )
        updates, run.opt_state = run.optimizer.update(grads, run.opt_state, weights)
        model.quantum_layer.parameters = np.asarray(weights) + updates
        if isinstance(self.gradient, AdaptiveGradient):
            self.gradient.observe(loss)
        cost = float(counts.get("estimated_cost_usd", 0.0))
        self._observe(run, shots, cost, grads, (outputs, output_grad, n_params))
        self.tracker.log_batch(
            epoch=epoch,
            step=run.step,
            loss=loss,
            accuracy=batch_accuracy,
            grad_norm=float(np.linalg.norm(grads)),
            circuits=int(counts.get("executions", 0)),
            jobs=int(counts.get("jobs", counts.get("batches", 0))),
            shots=shots,
            device_shots=int(counts.get("submitted_shots", counts.get("shots", 0))),
            seconds=time.perf_counter() - start,
            cost_usd=cost,
            cache_hits=int(counts.get("cache_hits", 0)),
            cache_misses=int(counts.get("cache_misses", 0)),
            method=_method_used(self.gradient, self.config),
            queued_seconds=float(counts.get("queued_seconds", 0.0)),
            session_id=getattr(self.device, "session_id", None),
        )
        run.step += 1
        if val_out is not None:
            metrics = self._metrics(model, val_out, validation[1])
            self._validated(run, epoch, metrics, len(val_out), fused=True, weights=weights)

    def _price(self, model, step, run, loader, validation_data) -> Any:
        """Price a step (a dry run: nothing paid) when the shots or the budget need it; with
        ``"adaptive"`` on a free cloud target, fill the jobs (:func:`~.planning.fill_jobs`)."""
        needed = run.shots is not None or self.config.budget_usd is not None
        if not (isinstance(step, DirectStep) and needed and hasattr(loader, "__len__")):
            return loader
        X = model.check_inputs(next(iter(_batches(loader, 0)))[0])
        fused = None if validation_data is None else model.check_inputs(validation_data[0])
        weights = np.asarray(model.quantum_layer.parameters, float)
        run.price = price_step(step, weights, X, fused)
        free = run.price is not None and run.price.per_shot == 0
        if isinstance(run.shots, AdaptiveShots) and free:
            loader = fill_jobs(run, self.gradient, loader, self.config)
        return loader

    def _observe(self, run, shots, cost, grads, chain) -> None:
        """Feed the shot policy the step's gradient and its one-shot noise; spend the plan."""
        if shots is not None and run.shots is not None:
            gain = noise_gain(self.gradient)
            noise = 0.0 if gain is None else gradient_noise(*chain[:2], gain, chain[2])
            run.shots.observe(gradient=grads, noise=noise, shots=shots)
        if run.plan is not None:
            run.plan.spend(cost)

    def _qnode_step(self, model, qnode, weights, X, targets, identity):
        """Gradient, loss and outputs of one batch through the QNode."""
        outputs = []
        seed, run_id, shots = identity
        if shots is not None:
            qnode = qp.set_shots(qnode, shots=shots)
        if qnode.diff_method == "device":  # our devices: the step's seed and the run's identity
            extra = {"run_id": run_id} if seed is None else {"shots_rng": seed, "run_id": run_id}
            qnode = qnode.update(gradient_kwargs={**qnode.gradient_kwargs, **extra})

        def objective(w):
            out = model.forward(qnode, w, X)
            outputs.append(qp.math.unwrap(out))
            return self._loss(out, targets)

        grad_fn = qp.grad(objective)
        grads = np.asarray(grad_fn(weights))
        return grads, grad_fn.forward, outputs[-1]

    def _after_step(self, model, run, epoch, batch_in_epoch, bar) -> None:
        run.epoch, run.batch_in_epoch = epoch, batch_in_epoch
        self._checkpoint(model, run)
        for callback in run.callbacks:
            callback(model, dict(self.tracker.rows[-1]))
        if bar is not None:
            row = self.tracker.rows[-1]
            bar.update(1)
            session = {"session": row["session_id"][:8]} if row["session_id"] else {}
            bar.set_postfix(
                loss=f"{row['loss']:.4f}",
                circuits=sum(r["circuits"] for r in self.tracker.rows),
                **({"shots": row["shots"]} if row["shots"] is not None else {}),
                jobs=sum(r["jobs"] for r in self.tracker.rows),
                cost=f"${sum(r['cost_usd'] for r in self.tracker.rows):.2f}",
                queued=f"{sum(r['queued_seconds'] for r in self.tracker.rows):.1f}s",
                **session,
            )

    # --- plumbing ----------------------------------------------------------------------------

    def _training_step(self, model: QuantumModel) -> Any:
        """What a step calls: the :class:`~.direct_step.DirectStep` on our devices, else a QNode."""
        if is_ours(self.device):
            direct = DirectStep.build(self.device, model, self.gradient, self.evaluation_shots)
            if direct is not None:
                return direct
        return self._qnode(model)

    def _qnode(self, model: QuantumModel, *, differentiable: bool = True) -> qp.QNode:
        if not differentiable:
            kwargs = {"diff_method": None}
        elif is_ours(self.device):
            kwargs = {
                "diff_method": "device",
                "gradient_kwargs": {"method": self.gradient},
                "grad_on_execution": True,
            }
        else:
            kwargs = {"diff_method": self.gradient}
        qnode = model.qnode(self.device, **kwargs)
        if self.evaluation_shots is not None:
            qnode = qp.set_shots(qnode, shots=self.evaluation_shots)
        return qnode

    @property
    def evaluation_shots(self) -> int | None:
        """Shots of :meth:`predict` and :meth:`evaluate`: the fixed count, a schedule's last,
        or the adaptive policy's most (``None``: exact)."""
        shots = self.config.shots_per_circuit
        if shots is None or isinstance(shots, int):
            return shots
        return shots[-1] if isinstance(shots, tuple) else AdaptiveShots().max_shots

    def _loader(self, data: Any, y: Any) -> Any:
        pair = isinstance(data, tuple) and len(data) == 2
        if y is None and pair and not _is_batch_iterable(data):
            data, y = data
        if y is not None:
            loader = ArrayLoader(data, y, batch_size=self.config.batch_size, seed=self.config.seed)
            if self.config.batch_size > len(loader.X):
                raise ConfigurationError(
                    f"batch_size {self.config.batch_size} is larger than the data "
                    f"({len(loader.X)} samples); set TrainingConfig(batch_size=...) to at most "
                    f"{len(loader.X)}, or pass more data."
                )
            return loader
        if not isinstance(data, Iterable):
            raise ConfigurationError(
                f"data must be X (with y) or an iterable of (batch_x, batch_y), got "
                f"{type(data).__name__}."
            )
        return data

    def _targets(self, model: QuantumModel, y: Any) -> np.ndarray:
        return encode_targets(
            y, output_dim=model.output_dim, classification=model.task == "classification"
        )

    def _checkpoint(self, model: QuantumModel, run: RunState) -> None:
        if self.output_dir is None:
            return
        state = {
            "config": self.config.to_dict(),
            "epoch": run.epoch,
            "batch_in_epoch": run.batch_in_epoch,
            "step": run.step,
            "parameters": model.quantum_layer.parameters.tolist(),
            "optimizer": state_to_dict(run.opt_state),
            "gradient": _gradient_state(self.gradient),
            "tracker": self.tracker.state_dict(),
            "data_seed": run.data_seed,
            "run_id": run.run_id,
            "data": run.data,
            "device": device_identity(self.device),
            "shots": None if run.shots is None else run.shots.state_dict(),
            "stopping": run.stopping.state_dict(),
            "budget_spent": run.spent if run.plan is None else run.plan.spent,
            "best_parameters": _listed(run.best_parameters),
        }
        save_checkpoint(self.output_dir / CHECKPOINT_NAME, state)

    def _restore(self, model: QuantumModel, run: RunState, loader: Any) -> RunState:
        """Continue from the checkpoint, refusing one that is malformed or from another run
        (config, device, data: :class:`~.CheckpointError` naming what differs)."""
        if self.output_dir is None:
            raise ConfigurationError("resume=True needs output_dir= (where the checkpoint is).")
        path = self.output_dir / CHECKPOINT_NAME
        if not path.exists():
            logger.info("no checkpoint at %s: starting a new run", path)
            return run
        state = load_checkpoint(path, required=TRAINER_KEYS)
        self._check_same_run(path, state, run, model)
        remove_partial_writes(path)  # a run killed while writing its checkpoint
        with reading(path):
            model.quantum_layer.parameters = np.asarray(state["parameters"], dtype=float)
            run.opt_state = checked_optimizer(state["optimizer"], model)
            if state["gradient"] is not None:
                self.gradient.load_state_dict(state["gradient"])
            self.tracker.load_state_dict(state["tracker"])
            if run.shots is not None and state.get("shots") is not None:
                run.shots.load_state_dict(state["shots"])
            if state.get("stopping") is not None:
                run.stopping.load_state_dict(state["stopping"])
            run.stop_reason = run.stopping.reason
            run.spent = float(state.get("budget_spent") or 0.0)
            best = state.get("best_parameters")
            run.best_parameters = None if best is None else np.asarray(best, dtype=float)
        run.run_id = state.get("run_id") or run.run_id  # the killed run's jobs are re-attached
        if isinstance(loader, ArrayLoader) and state.get("data_seed") is not None:
            loader.seed = state["data_seed"]  # the killed run's order, even with seed=None
        run.epoch, run.batch_in_epoch, run.step = (
            state["epoch"],
            state["batch_in_epoch"],
            state["step"],
        )
        logger.info("resumed from %s at epoch %d, batch %d", path, run.epoch, run.batch_in_epoch)
        return run

    def _check_same_run(self, path: Path, state: dict, run: RunState, model: QuantumModel):
        with reading(path):
            saved = TrainingConfig.from_dict(state["config"])
        differs = mismatches(
            dataclasses.replace(saved, epochs=self.config.epochs).to_dict(), self.config.to_dict()
        )
        shape = np.shape(state["parameters"])
        if shape != np.shape(model.quantum_layer.parameters):
            differs.append(f"parameters shape: {shape} -> {model.quantum_layer.parameters.shape}")
        for key, current in (("device", device_identity(self.device)), ("data", run.data)):
            if current is not None and state.get(key) is None:
                logger.warning("checkpoint %s predates %s checks: not compared", path, key)
            elif current is not None:
                differs += [f"{key} {d}" for d in mismatches(state[key], current)]
        if differs:
            raise CheckpointError(
                f"the checkpoint at {path} does not match this run: different TrainingConfig, "
                f"device or data ({'; '.join(differs)}); resume with the same ones, or use a new "
                "output_dir."
            )

    def _progress_bar(self, epochs: int, loader: Any):
        if not self.progress:
            return None
        from tqdm.auto import tqdm

        per_epoch = len(loader) if hasattr(loader, "__len__") else None
        total = per_epoch * epochs if per_epoch is not None else None
        return tqdm(total=total, desc="training", unit="step")

    def _write_outputs(self) -> None:
        if self.output_dir is None:
            return
        self.tracker.to_csv(self.output_dir / "history.csv")


def _gradient_options(config: TrainingConfig) -> dict[str, Any]:  # "spsa": Spall's schedule
    spall = {"schedule": "spall"} if canonical(config.gradient_method) == "spsa" else {}
    return {**spall, "seed": config.seed} if is_stateful(config.gradient_method) else {}


def _listed(array: np.ndarray | None) -> list | None:
    return None if array is None else array.tolist()


def _gradient_state(gradient: Any) -> dict[str, Any] | None:
    return gradient.state_dict() if hasattr(gradient, "state_dict") else None


def _method_used(gradient: Any, config: TrainingConfig) -> str:
    history = getattr(gradient, "method_history", None)
    return history[-1] if history else canonical(config.gradient_method)


def _batches(loader: Any, epoch: int):
    return loader.epoch(epoch) if isinstance(loader, ArrayLoader) else iter(loader)


def _is_batch_iterable(data: tuple) -> bool:
    first = data[0]
    return isinstance(first, tuple | list) and len(first) == 2
