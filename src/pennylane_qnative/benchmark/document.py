"""The generated section of ``docs/benchmarks.md``: the run's table in Markdown.

The section lies between :data:`START` and :data:`END`; :func:`write_section` replaces what is
between them (or, the first time, inserts the section before the page's first numbered
section) and leaves the rest of the page as it is.

**Example**

>>> page = "# Benchmarks\\n\\nintro\\n\\n## 1. First\\n"
>>> print(replace_section(page, "new"))
# Benchmarks
<BLANKLINE>
intro
<BLANKLINE>
<!-- benchmark-table:start -->
new
<!-- benchmark-table:end -->
<BLANKLINE>
## 1. First
<BLANKLINE>
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pennylane_qnative.benchmark.report import HEADER, SPEC, SPEC_COLUMNS, number, table_cells

__all__ = ["END", "START", "markdown_section", "replace_section", "write_section"]

START = "<!-- benchmark-table:start -->"
END = "<!-- benchmark-table:end -->"


def _markdown(header: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int) -> str:
    align = ["---" if i < numeric_from else "---:" for i in range(len(header))]
    lines = [header, align, *rows]
    return "\n".join(
        "| " + " | ".join(c.replace("|", "\\|") for c in line) + " |" for line in lines
    )


def _short(value: float | None) -> str:
    """Three significant figures or so: 1,234 / 12.3 / 1.23 / 0.0123."""
    if value is None:
        return "-"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2 if abs(value) >= 1 else 3
    return number(value, digits if abs(value) >= 0.01 or value == 0 else 4)


def _spec_table(rows: Mapping[str, Mapping[str, Any]]) -> str:
    header = ["", "spec: v3.2", "spec: target", *(f"`{name}`" for name in SPEC_COLUMNS)]
    lines = []
    for field, label, before, target, unit in SPEC:
        cells = [label, f"{number(before, 0)} {unit}".strip(), f"{target} {unit}".strip()]
        for name in SPEC_COLUMNS:
            row = rows.get(name)
            value = None if row is None or row["error"] else row[field]
            mark = " *" if row is not None and row["extrapolated"] else ""
            cells.append(_short(value) + mark)
        lines.append(cells)
    return _markdown(header, lines, 1)


def _targets_table(targets: Sequence[Mapping[str, Any]]) -> str:
    lines = []
    for target in targets:
        met = {True: "met", False: "**missed**", None: "not measured"}[target["met"]]
        value, threshold = target["value"], target["threshold"]
        by = ""
        if target["met"] is False and value is not None:
            gap = abs(value - threshold) / threshold
            by = f" (by {gap:.0%})" if gap >= 0.01 else f" (by {gap:.1%})"
        lines.append(
            [target["target"], f"`{target['row']}`", number(value, 2), str(threshold), met + by]
        )
    return _markdown(["target", "row", "measured", "threshold", "result"], lines, 2)


def _machine(machine: Mapping[str, Any]) -> str:
    return (
        f"{machine['cpu_count']} CPUs ({machine['cpu_model']}), {machine['ram_gib']:.0f} GiB, "
        f"{machine['platform']}, Python {machine['python']}, PennyLane {machine['pennylane']}, "
        f"NumPy {machine['numpy']}, pennylane-ionq {machine['pennylane_ionq']}, "
        f"pennylane-lightning {machine['pennylane_lightning']}, GPU: {machine['gpu'] or 'none'}"
    )


def _notes(document: Mapping[str, Any]) -> list[str]:
    workload, baseline = document["workload"], document["baseline_rss_mb"]
    return [
        f"Workload: {workload['n_train']} training samples, {workload['n_test']} test samples, "
        f"{workload['n_qubits']} qubits, depth {workload['depth']}, {workload['epochs']} "
        f"epoch(s), batches of {workload['batch_size']} ({document['steps']} steps), seed "
        f"{workload['seed']}.",
        "Each configuration ran in a fresh worker process; peak memory is that process's peak "
        "RSS (`VmHWM`) when its training ended, before the test evaluation, beside the peak of "
        f"a process that only runs `import pennylane` ({number(baseline, 0)} MB, the +base "
        "column). A simulator training that takes under 5 s ran 5 times in its worker, from "
        "the same weights; its row is the run of median wall time.",
        "`*`: extrapolated from the measured steps (time per batch: their mean after the first, "
        "which pays for tracing and connections); no test accuracy for those rows.",
        f"Cost: the training's circuits priced on `{document['cost_backend']}` at the rate card "
        "(`pennylane_qnative.ionq.pricing`), at the shots used (1,000 for exact simulators), "
        "one job per job the run made (device batches on a simulator). Backprop and adjoint "
        "cannot run on a QPU: their figure prices their forward circuits only.",
        "Ratios (vs v3.2, vs PL best: how many times faster; cheaper) compare rows of the same "
        "platform; PennyLane's best is its fastest row there.",
        f"Emulator profiles: {document['emulators']}. The floor is the time the emulator's plan "
        "gives the training's jobs (validation, queue and execution, one after another).",
    ]


def markdown_section(document: Mapping[str, Any]) -> str:
    """The section's Markdown (without the markers) for a benchmark document."""
    rows = document["rows"]
    by_name = {r["name"]: r for r in rows}
    label = "quick run (`--quick`): a reduced workload" if document["quick"] else "full run"
    parts = [
        "## The specification's table, measured (issue 18)",
        f"```\n{document['command']}\n```",
        f"Generated by the command above ({label}; {document['wall_s'] / 60:.1f} minutes, "
        f"{document['date']}), on: {_machine(document['machine'])}.",
        _markdown(list(HEADER), [table_cells(r) for r in rows], 2),
        "**Beside the specification's figures** (its v3.2 column and its promise):",
        _spec_table(by_name),
        "**The issue's criteria** (measured in this run):",
        _targets_table(document["targets"]),
        "\n".join(f"- {note}" for note in _notes(document)),
    ]
    if document["planned"]:
        parts.append("Not measured yet: " + "; ".join(document["planned"]) + ".")
    return "\n\n".join(parts)


def replace_section(page: str, section: str) -> str:
    """``page`` with the generated section replaced (or inserted before ``## 1.``)."""
    block = f"{START}\n{section.strip()}\n{END}"
    if START in page and END in page:
        head, rest = page.split(START, 1)
        return head + block + rest.split(END, 1)[1]
    anchor = page.find("\n## 1.")
    if anchor < 0:
        return page.rstrip("\n") + "\n\n" + block + "\n"
    return page[: anchor + 1] + block + "\n\n" + page[anchor + 1 :]


def write_section(path: str | os.PathLike, document: Mapping[str, Any]) -> Path:
    """Regenerate the section of the page at ``path``; returns the path."""
    path = Path(path)
    page = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    path.write_text(replace_section(page, markdown_section(document)), encoding="utf-8")
    return path
