"""What a step costs before it is paid for, a budget planned over the run, early stopping.

* :func:`price_step` prices one training step on the device as the API bills it
  (:class:`~.StepPrice`), from a dry run of the step on a twin of the device: nothing is
  submitted, cached, journaled or charged.
* :class:`BudgetPlan` fits a run into ``TrainingConfig.budget_usd``: before the first step it
  lowers the shots (then the steps) of a plan that would cost more; at every step it caps the
  shots so that the rest of the run stays affordable, and it stops the run when the next step
  is not.
* :class:`EarlyStopping` ends a run when the validation accuracy reaches
  ``target_accuracy`` or the validation loss has not improved for ``patience`` validations.

**Example**

>>> from pennylane_qnative.training.shots import StepPrice
>>> plan = BudgetPlan(budget_usd=1000.0, price=StepPrice(minimum=12.0, per_shot=0.6))
>>> plan.cap(steps_left=10)             # $100 a step: 166 shots
166
>>> plan.spend(600.0)
>>> plan.cap(steps_left=10), plan.cap(steps_left=40)   # $40 a step, then less than a minimum
(66, 0)
>>> stop = EarlyStopping(target_accuracy=0.9, patience=2)
>>> stop.update(loss=0.5, accuracy=0.8), stop.update(loss=0.6, accuracy=0.85)
(False, False)
>>> stop.update(loss=0.55, accuracy=0.86), stop.reason    # 2 validations without a lower loss
(True, 'no lower validation loss in 2 validations')
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, field, replace
from typing import Any

from pennylane_qnative.devices.copying import rebuild
from pennylane_qnative.gradients import SPSA
from pennylane_qnative.training.data import ArrayLoader
from pennylane_qnative.training.optimizers import make_optimizer
from pennylane_qnative.training.shots import FixedShots, StepPrice

__all__ = [
    "FILL_DIRECTIONS",
    "BudgetPlan",
    "EarlyStopping",
    "fill_jobs",
    "plan_budget",
    "price_step",
]

FILL_DIRECTIONS = 8
"""SPSA directions of a step of ``shots_per_circuit="adaptive"`` on a free cloud target."""

logger = logging.getLogger(__name__)

_PROBE_SHOTS = 10_000  # large enough for any job to be above its minimum


def price_step(direct: Any, weights: Any, X: Any, validation: Any = None) -> StepPrice | None:
    """:class:`~.StepPrice` of one :class:`~.DirectStep` on a batch ``X`` (``None``: a local
    device, e.g. ``qnative.simulator``; a free cloud target is priced ``StepPrice(fixed=1)``:
    one unit per job, whatever its shots).

    Runs the step twice as a dry run (``dry_run=True``) on a copy of ``qnative.ionq`` with no
    cache, journal or session: at 1 shot (the job minimum) and at 10,000 shots (the price per
    shot). With ``validation`` inputs, the step priced is one that carries them (the dearest
    step of a run that validates), so that a plan made with it never overspends.
    """
    device = direct.device
    options = getattr(device, "options", None)
    if not hasattr(device, "last_estimate_usd") or not hasattr(options, "device_kwargs"):
        return None  # a device that bills nothing (qnative.simulator)
    kwargs = {**options.device_kwargs(), "dry_run": True, "cache": False, "session": None}
    kwargs.update(journal_path=None, budget_usd=None, run_id=None)
    twin = rebuild(type(device), device.wires, None, kwargs)  # the path copies take
    probe = replace(direct, device=twin)
    estimates = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "dry_run: nothing was submitted"
        for shots in (1, _PROBE_SHOTS):
            probe.run(weights, X, shots=shots, validation=validation)
            estimates.append(float(twin.last_estimate_usd or 0.0))
    minimum, large = estimates
    if large <= 0:  # a free target: a job costs its queue, not its shots
        return StepPrice(fixed=1.0)
    return StepPrice(minimum=minimum, per_shot=large / _PROBE_SHOTS)


@dataclass(slots=True)
class BudgetPlan:
    """Shots and steps that fit ``budget_usd`` at ``price`` per step.

    Args:
        budget_usd (float): what the run may spend on its steps
        price (StepPrice): what one step costs
        spent (float): spent so far (restored on resume)
    """

    budget_usd: float
    price: StepPrice
    spent: float = 0.0

    def spend(self, usd: float) -> None:
        """Record what a step cost."""
        self.spent += float(usd)

    def cap(self, *, steps_left: int) -> int:
        """The most shots the next step may have so that ``steps_left`` steps (this one
        included) fit what is left; 0 when not even one job minimum does."""
        left = self.budget_usd - self.spent
        return self.price.affordable(left / max(steps_left, 1))

    def planned(self, shots: int, steps: int) -> tuple[int, int]:
        """``(shots, steps)`` of a fixed-shot plan, cut to fit: fewer shots first (down to the
        job minimum's), then fewer steps. Logged when cut."""
        per_step = self.price.affordable(self.budget_usd / steps)
        if per_step >= shots:
            return shots, steps
        floor = max(1, min(shots, self.price.free_shots or 1))
        if per_step >= floor:
            logger.warning(
                "budget $%.2f: %d steps at %d shots would cost $%.2f; planned %d shots a step",
                self.budget_usd, steps, shots, steps * self.price(shots), per_step,
            )  # fmt: skip
            return per_step, steps
        fit = max(0, math.floor(self.budget_usd / self.price(floor)))
        logger.warning(
            "budget $%.2f: %d steps cost at least $%.2f; planned %d steps of %d shots",
            self.budget_usd, steps, steps * self.price(floor), fit, floor,
        )  # fmt: skip
        return floor, fit


@dataclass(slots=True)
class EarlyStopping:
    """When to end a run on its validation metrics.

    Args:
        target_accuracy (float | None): stop when the validation accuracy reaches it
        patience (int | None): stop after this many validations without a lower loss
    """

    target_accuracy: float | None = None
    patience: int | None = None
    best_loss: float = math.inf
    waited: int = 0
    reason: str | None = field(default=None)

    def update(self, *, loss: float, accuracy: float) -> bool:
        """Record a validation; ``True`` when the run should stop (:attr:`reason` says why)."""
        if loss < self.best_loss:
            self.best_loss, self.waited = float(loss), 0
        else:
            self.waited += 1
        target = self.target_accuracy
        if target is not None and accuracy >= target:
            self.reason = f"validation accuracy {accuracy:.3f} reached the target {target}"
        elif self.patience is not None and self.waited >= self.patience:
            self.reason = f"no lower validation loss in {self.waited} validations"
        return self.reason is not None

    def state_dict(self) -> dict[str, Any]:
        best = None if math.isinf(self.best_loss) else self.best_loss  # JSON has no inf
        return {"best_loss": best, "waited": self.waited, "reason": self.reason}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        best = state["best_loss"]
        self.best_loss = math.inf if best is None else float(best)
        self.waited, self.reason = int(state["waited"]), state["reason"]


def fill_jobs(run: Any, gradient: Any, loader: Any, config: Any) -> Any:
    """Fewer, fuller jobs for ``shots_per_circuit="adaptive"`` on a free cloud target (IonQ's
    simulator: a job costs its queue, not its shots or circuits); the loader.

    * the SPSA gradient (:class:`~.SPSA`) averages :data:`FILL_DIRECTIONS` directions a step:
      :math:`K` times less direction noise, in the same job;
    * batches of ``2 * batch_size`` samples (arrays only): half the jobs per epoch;
    * Adam's step grows by :math:`\\sqrt{K}`, the square-root scaling rule for adaptive
      optimisers under :math:`K` times less gradient noise (Malladi et al., NeurIPS 2022);
    * validation runs in every step's job (``validate_every=1`` unless set), so early
      stopping can stop at any step.

    The shots are the most (:class:`~.AdaptiveShots` on a free target). The constants were
    chosen on a validation split, paired over seeds (``docs/benchmarks.md``, cost-aware
    training). On a paid target the same trade does not pay: it needs the shots a step to fall
    by :math:`K`, where the noise of each circuit outgrows what the larger step tolerates (a
    measured 0.09 lower accuracy at the same cost there).
    """
    if isinstance(gradient, SPSA):
        gradient.num_directions = FILL_DIRECTIONS
        rate = config.learning_rate * math.sqrt(FILL_DIRECTIONS)
        run.optimizer = make_optimizer(config.optimizer, rate)
    if isinstance(loader, ArrayLoader):
        size = min(2 * config.batch_size, len(loader.X))
        loader = ArrayLoader(loader.X, loader.y, batch_size=size, seed=loader.seed)
    if run.validate_every is None:
        run.validate_every = 1
    logger.info(
        "adaptive shots on a free target: %s SPSA directions, batches of %s, validation %s",
        getattr(gradient, "num_directions", "-"), getattr(loader, "batch_size", "as given"),
        "every step" if run.validate_every == 1 else "as configured",
    )  # fmt: skip
    return loader


def plan_budget(run: Any, budget_usd: float) -> None:
    """Fit the run into ``budget_usd``: a :class:`BudgetPlan` at the run's price; a fixed
    shot count is lowered (then the steps cut) before the first step."""
    if run.price is None or run.price.per_shot == 0:
        return  # nothing to plan: a free target, or a device that bills nothing
    run.plan = BudgetPlan(budget_usd=budget_usd, price=run.price, spent=run.spent)
    if type(run.shots) is FixedShots:
        count = run.shots.shots(step=run.step, epoch=run.epoch)
        shots, steps = run.plan.planned(count, run.planned_steps - run.step)
        run.shots = FixedShots(shots) if shots != count else run.shots
        run.max_steps = run.step + steps
