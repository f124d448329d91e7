"""``PerformanceTracker``: per-batch training records, summaries, CSV and plots.

One row per optimisation step: epoch, step, loss, gradient norm, circuits and jobs used by the
step, wall time, estimated cost, cache hits and misses, and the gradient method. Counts come
from the device's ``qp.Tracker`` totals, so they are what the device actually ran.

**Example**

>>> tracker = PerformanceTracker()
>>> tracker.log_batch(epoch=0, step=0, loss=0.9, grad_norm=0.3, circuits=30, seconds=0.01)
>>> tracker.log_batch(epoch=0, step=1, loss=0.7, grad_norm=0.2, circuits=30, seconds=0.01)
>>> tracker.summary()["circuits"]
60
>>> tracker.history["loss"]
[0.9, 0.7]
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pennylane_qnative._files import private_file

__all__ = ["COLUMNS", "PerformanceTracker"]

COLUMNS = (
    "epoch",
    "step",
    "loss",
    "accuracy",
    "grad_norm",
    "circuits",
    "jobs",
    "shots",
    "device_shots",
    "seconds",
    "cost_usd",
    "cache_hits",
    "cache_misses",
    "method",
    "queued_seconds",
    "session_id",
)
_SUMMED = (
    "circuits", "jobs", "device_shots", "seconds", "cost_usd", "cache_hits", "cache_misses",
    "queued_seconds",
)  # fmt: skip


class PerformanceTracker:
    """Records one row per optimisation step (see :data:`COLUMNS`)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.evaluations: list[dict[str, Any]] = []

    def log_batch(self, **values: Any) -> None:
        """Append a step; missing columns are 0 (counts) or ``None``."""
        unknown = set(values) - set(COLUMNS)
        if unknown:
            raise KeyError(f"unknown columns {sorted(unknown)}; the columns are {COLUMNS}")
        self.rows.append({c: values.get(c, 0 if c in _SUMMED else None) for c in COLUMNS})

    def log_evaluation(self, epoch: int, **metrics: float) -> None:
        """Record end-of-epoch metrics (e.g. validation loss and accuracy)."""
        self.evaluations.append({"epoch": epoch, **metrics})

    @property
    def history(self) -> dict[str, list[Any]]:
        """Column name -> list of values, one per step."""
        return {c: [row[c] for row in self.rows] for c in COLUMNS}

    def summary(self) -> dict[str, Any]:
        """Totals and averages over all steps."""
        steps = len(self.rows)
        totals = {c: sum(row[c] or 0 for row in self.rows) for c in _SUMMED}
        lookups = totals["cache_hits"] + totals["cache_misses"]
        return {
            "steps": steps,
            **totals,
            "circuits_per_step": totals["circuits"] / steps if steps else 0.0,
            # validation circuits that ran inside a step's job (in ``circuits`` above)
            "validation_circuits": sum(
                e.get("circuits") or 0 for e in self.evaluations if e.get("fused")
            ),
            "seconds_per_step": totals["seconds"] / steps if steps else 0.0,
            "cache_hit_rate": totals["cache_hits"] / lookups if lookups else 0.0,
            "final_loss": self.rows[-1]["loss"] if steps else None,
        }

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Write the per-step rows to ``path`` (CSV with a header); returns the path."""
        path = private_file(path)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(self.rows)
        return path

    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable state, for checkpoints."""
        return {"rows": list(self.rows), "evaluations": list(self.evaluations)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict` output."""
        self.rows = [
            {c: row.get(c, 0 if c in _SUMMED else None) for c in COLUMNS} for row in state["rows"]
        ]
        self.evaluations = [dict(e) for e in state["evaluations"]]

    def plot_history(self, path: str | os.PathLike) -> Path:
        """Save a figure of loss, accuracy, cumulative circuits and cost per step.

        Uses matplotlib's non-interactive Agg backend (no display needed).
        """
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        import numpy as np

        history = self.history
        steps = np.arange(1, len(self.rows) + 1)
        fig, axes = plt.subplots(2, 2, figsize=(10, 7), constrained_layout=True)
        panels = [
            (axes[0, 0], history["loss"], "batch loss"),
            (axes[0, 1], [np.nan if a is None else a for a in history["accuracy"]], "accuracy"),
            (axes[1, 0], np.cumsum(history["circuits"]), "cumulative circuits"),
            (axes[1, 1], np.cumsum(history["cost_usd"]), "cumulative cost (USD)"),
        ]
        for axis, values, label in panels:
            axis.plot(steps, values, marker=".", linewidth=1)
            axis.set_xlabel("step")
            axis.set_ylabel(label)
            axis.grid(alpha=0.3)
        for evaluation in self.evaluations:
            step = sum(1 for row in self.rows if row["epoch"] <= evaluation["epoch"])
            for axis, key in ((axes[0, 0], "val_loss"), (axes[0, 1], "val_accuracy")):
                if key in evaluation:
                    axis.scatter([step], [evaluation[key]], color="C3", zorder=3, label=key)
        for axis in (axes[0, 0], axes[0, 1]):
            handles, _ = axis.get_legend_handles_labels()
            if handles:
                axis.legend(handles[-1:], ["validation (end of epoch)"], loc="best")
        fig.suptitle("pennylane-qnative training history")
        path = private_file(path)
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return path
