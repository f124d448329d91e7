"""The benchmark's table: rows from the workers' records, JSON, text, and the docs section.

Pure functions of the measured records. A row (:func:`build_row`) holds, per configuration:
circuits and jobs per batch, time per batch, per epoch and for the whole training, the cost of
the training's circuits at the QPU rate card (``qpu.aria-1``, the shots used, or
:data:`ANALYTIC_COST_SHOTS` for exact simulations; one job per job the run made), peak memory
beside the ``import pennylane`` baseline, test accuracy, and ratios to the platform's v3.2
baseline and to PennyLane's best plain option (the fastest PennyLane row of the platform).

A configuration measured on fewer steps than the training has is *extrapolated*: its time per
batch is the mean of the measured steps after the first (the first pays for tracing and
connections; with one step measured it is that step), its cost and floor are per step times
the steps, and it has no test accuracy.

**Example**

>>> from pennylane_qnative.benchmark.report import qpu_cost
>>> round(qpu_cost(jobs=1, circuits=30, shots=1000), 2)
673.5
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pennylane_qnative.benchmark.configs import Configuration, Group, Workload
from pennylane_qnative.ionq.pricing import GateCounts, estimate_cost

__all__ = [
    "ANALYTIC_COST_SHOTS",
    "COST_BACKEND",
    "ROW_FIELDS",
    "SPEC",
    "TARGETS",
    "add_ratios",
    "build_row",
    "evaluate_targets",
    "format_table",
    "qpu_cost",
    "step_costs",
]

COST_BACKEND = "qpu.aria-1"
ANALYTIC_COST_SHOTS = 1000
"""Shots priced for a configuration that runs exact expectation values."""
REFERENCE_GATES = GateCounts(one_qubit=40, two_qubit=14)
"""One reference circuit on IonQ: 8 embedding and 32 ansatz rotations, 14 CNOTs (the counts
the emulator reports for the trainer's jobs)."""

ROW_FIELDS = (
    "name", "group", "platform", "extrapolated", "steps_measured", "steps", "shots",
    "circuits_per_batch", "jobs_per_batch", "time_per_batch_s", "time_per_epoch_s",
    "training_time_s", "floor_s", "over_floor", "cost_usd", "cost_shots", "peak_rss_mb",
    "rss_over_baseline_mb", "test_accuracy", "vs_v32", "vs_pennylane_best", "error",
)  # fmt: skip
"""The keys of every row of the JSON (``None`` where a value does not apply)."""

SPEC: tuple[tuple[str, str, float, str, str], ...] = (
    ("circuits_per_batch", "circuits per batch", 960, "10-20", ""),
    ("time_per_batch_s", "time per batch", 240, "5-10", "s"),
    ("time_per_epoch_s", "time per epoch", 2400, "50-100", "s"),
    ("training_time_s", "5-epoch training", 3.3 * 3600, "480", "s"),
    ("peak_rss_mb", "peak memory", 500, "200", "MB"),
)
"""The specification's table: field, label, v3.2 figure, target, unit."""

SPEC_COLUMNS = (
    "v3.2 loop, default.qubit + parameter shift",
    "qnative.simulator + SPSA",
    "v3.2 loop, ionq.simulator + parameter shift",
    "qnative.ionq + SPSA",
)
"""The measured rows shown beside the specification's figures."""


def qpu_cost(*, jobs: int, circuits: int, shots: int) -> float:
    """Rate-card cost of ``circuits`` reference circuits spread evenly over ``jobs`` jobs."""
    jobs = max(jobs, 1) if circuits else 0
    sizes = [circuits // jobs + (i < circuits % jobs) for i in range(jobs)]
    return sum(
        estimate_cost(backend=COST_BACKEND, shots=shots, gate_counts=[REFERENCE_GATES] * n)
        for n in sizes
        if n
    )


def step_costs(shots: Any, record: Mapping[str, Any]) -> list[float]:
    """The rate-card cost of each step of a worker's record, at the step's own shots (a shot
    policy's, ``step_shots``) or else ``shots`` (:data:`ANALYTIC_COST_SHOTS` when exact)."""
    fixed = shots if isinstance(shots, int) else None
    per_step = record.get("step_shots") or [None] * len(record["step_jobs"])
    return [
        qpu_cost(jobs=j, circuits=c, shots=s or fixed or ANALYTIC_COST_SHOTS)
        for j, c, s in zip(record["step_jobs"], record["step_circuits"], per_step, strict=True)
    ]


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def _time_per_batch(seconds: Sequence[float], extrapolated: bool) -> float:
    if extrapolated and len(seconds) > 1:
        return _mean(seconds[1:])
    return _mean(seconds)


def build_row(
    configuration: Configuration,
    result: Mapping[str, Any],
    workload: Workload,
    *,
    baseline_rss_mb: float | None,
) -> dict[str, Any]:
    """One row of the table from a worker's records (see the module docstring)."""
    row: dict[str, Any] = dict.fromkeys(ROW_FIELDS)
    row |= {"name": configuration.name, "group": str(configuration.group)}
    row |= {"platform": str(configuration.platform), "shots": configuration.shots}
    row |= {"steps": workload.steps, "error": result.get("error")}
    row["peak_rss_mb"] = result.get("peak_rss_mb")
    if baseline_rss_mb is not None and row["peak_rss_mb"] is not None:
        row["rss_over_baseline_mb"] = row["peak_rss_mb"] - baseline_rss_mb
    if row["error"] is not None:
        return row
    measured = int(result["steps_measured"])
    # a run that trained every epoch is complete even with fewer steps (a policy's batches)
    extrapolated = not result.get("complete", measured >= workload.steps)
    scale = workload.steps / measured if extrapolated else 1.0
    costs = step_costs(configuration.shots, result)
    shots = [s for s in result.get("step_shots") or [] if s]
    shots = round(_mean(shots)) if shots else configuration.shots or ANALYTIC_COST_SHOTS
    per_batch = _time_per_batch(result["step_seconds"], extrapolated)
    training = per_batch * workload.steps if extrapolated else float(result["seconds"])
    floor = None if result["floor_s"] is None else float(result["floor_s"]) * scale
    row |= {
        "extrapolated": extrapolated,
        "steps_measured": measured,
        "circuits_per_batch": _mean(result["step_circuits"]),
        "jobs_per_batch": _mean(result["step_jobs"]),
        "time_per_batch_s": training / measured if not extrapolated else per_batch,
        "time_per_epoch_s": training / workload.epochs,
        "training_time_s": training,
        "floor_s": floor,
        "over_floor": training / floor if floor else None,
        "cost_usd": sum(costs) * scale,
        "cost_shots": shots,
        "test_accuracy": result["test_accuracy"],
    }
    return row


def _ratios(reference: Mapping[str, Any] | None, row: Mapping[str, Any]) -> dict | None:
    """How many times faster, cheaper and fewer circuits ``row`` is than ``reference``."""
    if reference is None or reference["error"] or row["error"]:
        return None

    def ratio(key: str) -> float | None:
        return reference[key] / row[key] if row[key] else None

    return {
        "reference": reference["name"],
        "speed_up": ratio("training_time_s"),
        "cheaper": ratio("cost_usd"),
        "fewer_circuits": ratio("circuits_per_batch"),
    }


def add_ratios(rows: Sequence[dict[str, Any]]) -> None:
    """Fill ``vs_v32`` and ``vs_pennylane_best``: against the rows of the same platform."""
    for row in rows:
        peers = [r for r in rows if r["platform"] == row["platform"] and not r["error"]]
        v32 = next((r for r in peers if r["group"] == str(Group.V32)), None)
        pennylane = [r for r in peers if r["group"] == str(Group.PENNYLANE)]
        best = min(pennylane, key=lambda r: r["training_time_s"], default=None)
        row["vs_v32"] = _ratios(v32, row)
        row["vs_pennylane_best"] = _ratios(best, row)


@dataclass(frozen=True, slots=True)
class Target:
    """One of the issue's criteria: ``row``'s ``field`` (or ``other``'s over ``row``'s)."""

    label: str
    row: str
    field: str
    threshold: float
    other: str | None = None

    def evaluate(self, rows: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        """``{"target", "row", "value", "threshold", "met"}``; ``met`` is None when unmeasured."""
        result = {"target": self.label, "row": self.row, "threshold": self.threshold}
        row, other = rows.get(self.row), rows.get(self.other) if self.other else None
        value = None
        if row is not None and not row["error"] and row[self.field] is not None:
            if self.other is None:
                value = row[self.field]
            elif other is not None and not other["error"] and row[self.field]:
                value = other[self.field] / row[self.field]
        if value is None:
            met = None
        else:
            met = value >= self.threshold if self.other else value <= self.threshold
        return result | {"value": value, "met": met}


_SIM, _IONQ = "qnative.simulator + SPSA", "qnative.ionq + SPSA"
_PL_IONQ_PS = "pennylane-ionq ionq.simulator + parameter shift"
TARGETS = (
    Target("fewer circuits per batch than parameter shift (x, >=)", _SIM, "circuits_per_batch",
           48, "v3.2 loop, default.qubit + parameter shift"),
    Target("jobs per step on IonQ (<=)", _IONQ, "jobs_per_batch", 1),
    Target("cloud-simulator training over the emulator's floor (<=)", _IONQ, "over_floor", 1.10),
    Target("faster than pennylane-ionq + parameter shift (x, >=)", _IONQ, "training_time_s", 3,
           _PL_IONQ_PS),
    Target("cheaper than pennylane-ionq + parameter shift (x, >=)", _IONQ, "cost_usd", 5,
           _PL_IONQ_PS),
    Target("simulator training faster than PL broadcast spsa_grad (x, >=)", _SIM,
           "training_time_s", 3.5, "PL default.qubit, broadcast + spsa_grad"),
    Target("peak memory above `import pennylane` (MB, <=)", _SIM, "rss_over_baseline_mb", 40),
    Target("peak memory above `import pennylane` (MB, <=)", _IONQ, "rss_over_baseline_mb", 40),
)  # fmt: skip
"""The issue's criteria ("How it is judged")."""


def evaluate_targets(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every :data:`TARGETS` entry against ``rows``."""
    by_name = {r["name"]: r for r in rows}
    return [target.evaluate(by_name) for target in TARGETS]


def number(value: Any, digits: int = 1, unit: str = "") -> str:
    """A table cell: ``-`` for missing, thousands separators, ``digits`` decimals."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:,.{digits}f}{unit}"


def _ratio_cell(ratios: Mapping[str, Any] | None, key: str) -> str:
    if ratios is None or ratios[key] is None:
        return "-"
    return f"{ratios[key]:.2f}x" if ratios[key] < 10 else f"{ratios[key]:,.0f}x"


def table_cells(row: Mapping[str, Any]) -> list[str]:
    """The cells of one row of the printed and generated tables (see :data:`HEADER`)."""
    name = row["name"] + (" *" if row["extrapolated"] else "")
    if row["error"]:
        return [name, row["platform"], "failed: " + row["error"]] + [""] * (len(HEADER) - 3)
    accuracy = number(row["test_accuracy"], 3)
    return [
        name,
        row["platform"],
        number(row["circuits_per_batch"], 0),
        number(row["jobs_per_batch"], 1),
        number(row["time_per_batch_s"], 3),
        number(row["time_per_epoch_s"], 2),
        number(row["training_time_s"], 1),
        number(row["cost_usd"], 0),
        f"{number(row['peak_rss_mb'], 0)} (+{number(row['rss_over_baseline_mb'], 0)})",
        accuracy,
        _ratio_cell(row["vs_v32"], "speed_up"),
        _ratio_cell(row["vs_pennylane_best"], "speed_up"),
        _ratio_cell(row["vs_pennylane_best"], "cheaper"),
    ]


HEADER = (
    "configuration", "platform", "circuits/batch", "jobs/batch", "s/batch", "s/epoch",
    "training s", "cost $", "peak MB (+base)", "test acc", "vs v3.2", "vs PL best",
    "cheaper vs PL best",
)  # fmt: skip


def format_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """The plain-text table printed at the end of a run (``*``: extrapolated)."""
    cells = [list(HEADER)] + [table_cells(r) for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]
    lines = [
        "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
