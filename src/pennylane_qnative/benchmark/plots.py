"""The benchmark's figures (matplotlib, non-interactive Agg backend).

- ``time_and_cost.png``: 5-epoch training time and estimated cost per configuration (log
  scales; extrapolated rows hatched);
- ``loss_curves.png``: batch loss against cumulative circuits and against cumulative cost, for
  the measured steps of every configuration.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pennylane_qnative.benchmark.report import step_costs

__all__ = ["plot_all"]

_COLOURS = {"simulator": "C0", "cloud-simulator": "C1", "qpu": "C2"}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _bars(rows: Sequence[Mapping[str, Any]], path: Path) -> Path:
    plt = _pyplot()
    rows = [r for r in rows if not r["error"]]
    names = [r["name"] for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(13, 0.45 * len(rows) + 1.8), constrained_layout=True)
    for axis, key, label in (
        (axes[0], "training_time_s", "training time (s)"),
        (axes[1], "cost_usd", "estimated cost at the QPU rate card (USD)"),
    ):
        values = [max(r[key], 1e-6) for r in rows]
        bars = axis.barh(names, values, color=[_COLOURS.get(r["platform"], "C7") for r in rows])
        for bar, row in zip(bars, rows, strict=True):
            if row["extrapolated"]:
                bar.set_hatch("//")
        axis.set_xscale("log")
        axis.set_xlabel(label)
        axis.invert_yaxis()
        axis.grid(axis="x", alpha=0.3)
    axes[1].set_yticklabels([])
    fig.suptitle("Reference workload per configuration (hatched: extrapolated)")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _curves(rows: Sequence[Mapping[str, Any]], records: Mapping[str, Any], path: Path) -> Path:
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), constrained_layout=True)
    for row in rows:
        record = records.get(row["name"], {})
        if row["error"] or not record.get("step_losses"):
            continue
        circuits = np.cumsum(record["step_circuits"])
        cost = np.cumsum(step_costs(row["shots"], record))
        for axis, x in ((axes[0], circuits), (axes[1], cost)):
            axis.plot(x, record["step_losses"], marker=".", linewidth=1, label=row["name"])
    for axis, label in ((axes[0], "cumulative circuits"), (axes[1], "cumulative cost (USD)")):
        axis.set_xscale("log")
        axis.set_xlabel(label)
        axis.set_ylabel("batch loss")
        axis.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=7)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_all(
    rows: Sequence[Mapping[str, Any]], records: Mapping[str, Any], folder: str | os.PathLike
) -> list[Path]:
    """Write the figures into ``folder`` (created if needed); returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [
        _bars(rows, folder / "time_and_cost.png"),
        _curves(rows, records, folder / "loss_curves.png"),
    ]
