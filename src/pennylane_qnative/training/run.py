"""``RunState``: where a training run stands, and what it may still spend.

The trainer keeps one per :meth:`~.QuantumTrainer.fit`: the position in the data, the step
counter, the optimiser, the shot policy (:mod:`~pennylane_qnative.training.shots`), the early
stopping and budget plan (:mod:`~pennylane_qnative.training.planning`), and the run's identity
(which a resumed run keeps, so that it re-attaches to the jobs it paid for). All of it is in
the checkpoint.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any

import numpy as np

from pennylane_qnative.training.optimizers import make_optimizer
from pennylane_qnative.training.planning import BudgetPlan, EarlyStopping
from pennylane_qnative.training.shots import ShotPolicy, StepPrice, shot_policy

__all__ = ["RunState", "step_seed"]


@dataclasses.dataclass(slots=True)
class RunState:
    """Where a run stands: position, step counter, optimiser, shots, stopping, budget."""

    epoch: int
    batch_in_epoch: int
    step: int
    optimizer: Any
    opt_state: Any
    data_seed: int | None = None
    data: dict[str, Any] | None = None
    run_id: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)
    shots: ShotPolicy | None = None  # None: exact expectation values
    stopping: EarlyStopping = dataclasses.field(default_factory=EarlyStopping)
    plan: BudgetPlan | None = None
    price: StepPrice | None = None  # what a step costs, when priced
    spent: float = 0.0  # of the budget, before this process (from the checkpoint)
    planned_steps: int | None = None
    max_steps: int | None = None  # a budget plan's last step
    stop_reason: str | None = None
    validated: Mapping[str, float] | None = None  # this epoch's validation metrics
    validate_every: int | None = None  # steps between validations (None: each epoch's end)
    callbacks: tuple = ()  # fit's callbacks, called after each step
    best_parameters: np.ndarray | None = None  # of the lowest validation loss so far

    @classmethod
    def fresh(cls, model: Any, config: Any) -> RunState:
        """A new run of ``model`` with ``config`` (a :class:`~.TrainingConfig`)."""
        optimizer = make_optimizer(config.optimizer, config.learning_rate)
        return cls(
            0,
            0,
            0,
            optimizer,
            optimizer.init(model.quantum_layer.parameters),
            shots=shot_policy(config.shots_per_circuit),
            stopping=EarlyStopping(config.target_accuracy, config.patience),
            validate_every=config.validate_every,
        )

    def out_of_budget(self) -> bool:
        """Whether the run must stop before its next step (:attr:`stop_reason` says why)."""
        if self.max_steps is not None and self.step >= self.max_steps:
            self.stop_reason = f"the budget plan ends at {self.max_steps} steps"
        elif self.plan is not None and self._cap() < 1:
            self.stop_reason = (
                f"budget ${self.plan.budget_usd:.2f}: ${self.plan.spent:.2f} spent, the next "
                "step would cost more than what is left"
            )
        return self.stop_reason is not None

    def shots_of_step(self, epoch: int) -> int | None:
        """The next step's shots: the policy's, capped by the budget plan."""
        if self.shots is None:
            return None
        shots = self.shots.shots(step=self.step, epoch=epoch, price=self.price)
        if self.plan is not None:
            shots = min(shots, max(self._cap(), 1))  # 0: out_of_budget stopped the run
        return shots

    def validated_with(self, metrics: Mapping[str, float], parameters: Any = None) -> None:
        """Record a validation of ``parameters`` (kept when its loss is the lowest so far);
        early stopping may end the run."""
        self.validated = metrics
        if parameters is not None and metrics["loss"] < self.stopping.best_loss:
            self.best_parameters = np.array(parameters, dtype=float)
        if self.stopping.update(loss=metrics["loss"], accuracy=metrics["accuracy"]):
            self.stop_reason = self.stopping.reason

    def _cap(self) -> int:
        last = self.max_steps if self.max_steps is not None else self.planned_steps
        steps_left = (last or self.step + 1) - self.step
        return self.plan.cap(steps_left=max(steps_left, 1))


def step_seed(seed: int, step: int) -> int:
    """The device's sampling seed of step ``step``: a function of the run seed and step only."""
    return int(np.random.SeedSequence([seed, step]).generate_state(1)[0])
