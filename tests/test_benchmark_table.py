"""``qnative benchmark``: the table's rows, the document and a real ``--quick`` run.

Never timings: the quick run is asserted to complete and to be well formed (fields, types,
finite numbers, extrapolated flags), and its circuit and job counts, which are exact.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pennylane_qnative.benchmark.configs import (
    CONFIGURATIONS,
    Configuration,
    Group,
    Platform,
    Runner,
    Workload,
    register,
    selected,
)
from pennylane_qnative.benchmark.document import END, START, replace_section
from pennylane_qnative.benchmark.report import (
    ROW_FIELDS,
    Target,
    add_ratios,
    build_row,
    format_table,
    qpu_cost,
)
from pennylane_qnative.benchmark.runners import REPEAT_BELOW_S, REPEATS
from pennylane_qnative.benchmark.worker import peak_rss_mb
from pennylane_qnative.exceptions import ConfigurationError

ROOT = Path(__file__).resolve().parents[1]
NUMBERS = (
    "circuits_per_batch", "jobs_per_batch", "time_per_batch_s", "time_per_epoch_s",
    "training_time_s", "cost_usd", "peak_rss_mb", "rss_over_baseline_mb",
)  # fmt: skip


def _config(name="x", group=Group.QNATIVE, platform=Platform.SIMULATOR, **kwargs):
    return Configuration(name=name, group=group, platform=platform, runner=Runner.QNATIVE, **kwargs)


def _record(steps, seconds=(2.0, 1.0, 1.0), circuits=30, jobs=1):
    return {
        "steps_measured": steps,
        "seconds": sum(seconds[:steps]),
        "step_seconds": list(seconds[:steps]),
        "step_losses": [0.5] * steps,
        "step_circuits": [circuits] * steps,
        "step_jobs": [jobs] * steps,
        "test_accuracy": 0.9 if steps == 10 else None,
        "floor_s": None,
        "peak_rss_mb": 250.0,
    }


class TestConfigurations:
    """The registry and its validation."""

    def test_duplicate_name_refused(self):
        """A second configuration of the same name is refused, naming it."""
        name = next(iter(CONFIGURATIONS))
        with pytest.raises(ConfigurationError, match="already registered"):
            register(_config(name))

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            pytest.param({"group": "mine"}, "Configuration.group must be one of", id="group"),
            pytest.param({"measure_steps": 0}, "measure_steps must be None or >= 1", id="steps"),
            pytest.param({"shots": 0}, "shots must be None or >= 1", id="shots"),
        ],
    )
    def test_invalid_fields(self, kwargs, message):
        """Invalid fields raise a ConfigurationError naming the field."""
        with pytest.raises(ConfigurationError, match=message):
            _config(**kwargs)

    def test_selection(self):
        """--quick selects a subset; names select by substring, in table order."""
        quick = selected(quick=True)
        assert 0 < len(quick) < len(CONFIGURATIONS)
        assert [c.name for c in selected(names=("session", "v3.2"))] == [
            name for name in CONFIGURATIONS if "session" in name or "v3.2" in name
        ]
        with pytest.raises(ConfigurationError, match="no benchmark configuration matches"):
            selected(names=("nothing like it",))

    def test_every_group_and_platform(self):
        """The table covers the v3.2 baseline, PennyLane and qnative on every platform."""
        assert {(c.group, c.platform) for c in CONFIGURATIONS.values()} >= {
            (g, p) for g in (Group.PENNYLANE, Group.QNATIVE) for p in Platform
        }


class TestRows:
    """Rows computed from the workers' records."""

    WORKLOAD = Workload(n_train=50, epochs=2, batch_size=10)  # 10 steps

    def test_full_run(self):
        """All steps measured: the measured total, per-epoch split and per-step cost summed."""
        row = build_row(_config(), _record(10, (1.0,) * 10), self.WORKLOAD, baseline_rss_mb=200.0)
        assert set(row) == set(ROW_FIELDS)
        assert row["extrapolated"] is False
        assert row["training_time_s"] == pytest.approx(10.0)
        assert row["time_per_epoch_s"] == pytest.approx(5.0)
        assert row["cost_usd"] == pytest.approx(10 * qpu_cost(jobs=1, circuits=30, shots=1000))
        assert row["rss_over_baseline_mb"] == pytest.approx(50.0)
        assert row["test_accuracy"] == 0.9

    def test_extrapolated(self):
        """Three steps of ten: the first step is left out of the time per batch."""
        row = build_row(_config(), _record(3), self.WORKLOAD, baseline_rss_mb=None)
        assert row["extrapolated"] is True
        assert row["time_per_batch_s"] == pytest.approx(1.0)
        assert row["training_time_s"] == pytest.approx(10.0)
        assert row["cost_usd"] == pytest.approx(10 * qpu_cost(jobs=1, circuits=30, shots=1000))
        assert row["test_accuracy"] is None

    def test_failed_worker(self):
        """A failed configuration keeps its row, with the error and no numbers."""
        record = {"error": "RuntimeError: boom", "peak_rss_mb": 100.0}
        row = build_row(_config(), record, self.WORKLOAD, baseline_rss_mb=90.0)
        assert row["error"] == "RuntimeError: boom"
        assert row["training_time_s"] is None
        assert "failed: RuntimeError: boom" in format_table([row])

    def test_ratios_within_a_platform(self):
        """Ratios compare with the platform's v3.2 row and its fastest PennyLane row."""
        make = lambda name, group, seconds, platform=Platform.SIMULATOR: build_row(  # noqa: E731
            _config(name, group, platform), _record(10, (seconds,) * 10), self.WORKLOAD,
            baseline_rss_mb=None,
        )  # fmt: skip
        rows = [
            make("old", Group.V32, 10.0),
            make("pl-slow", Group.PENNYLANE, 4.0),
            make("pl-fast", Group.PENNYLANE, 2.0),
            make("ours", Group.QNATIVE, 0.5),
            make("cloud", Group.QNATIVE, 1.0, Platform.CLOUD),
        ]
        add_ratios(rows)
        ours, cloud = rows[3], rows[4]
        assert ours["vs_v32"]["speed_up"] == pytest.approx(20.0)
        assert ours["vs_pennylane_best"]["reference"] == "pl-fast"
        assert ours["vs_pennylane_best"]["speed_up"] == pytest.approx(4.0)
        assert cloud["vs_v32"] is None
        assert cloud["vs_pennylane_best"] is None

    @pytest.mark.parametrize(
        ("target", "met"),
        [
            pytest.param(Target("ratio", "b", "cost_usd", 2.0, "a"), True, id="ratio-met"),
            pytest.param(Target("ratio", "b", "cost_usd", 5.0, "a"), False, id="ratio-missed"),
            pytest.param(Target("at most", "b", "cost_usd", 1.0), True, id="bound-met"),
            pytest.param(Target("missing", "zz", "cost_usd", 1.0), None, id="unmeasured"),
        ],
    )
    def test_targets(self, target, met):
        """A ratio target needs at least the threshold, a bound at most it."""
        rows = {"a": {"error": None, "cost_usd": 4.0}, "b": {"error": None, "cost_usd": 1.0}}
        assert target.evaluate(rows)["met"] is met


class TestDocument:
    """The generated section of docs/benchmarks.md."""

    def test_replace_keeps_the_rest(self):
        """Regenerating replaces only what lies between the markers."""
        page = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
        once = replace_section(page, "first")
        twice = replace_section(once, "second")
        assert once.count(START) == twice.count(START) == 1
        assert "first" not in twice.split(START)[1].split(END)[0]
        assert twice.replace(f"{START}\nsecond\n{END}", "") == once.replace(
            f"{START}\nfirst\n{END}", ""
        )

    def test_peak_rss(self):
        """This process's peak RSS is a positive number of MiB."""
        assert 1.0 < peak_rss_mb() < 1e6


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """``qnative benchmark --quick`` run once, as CI does: JSON, figures and a docs copy."""
    folder = tmp_path_factory.mktemp("benchmark")
    page = folder / "benchmarks.md"
    shutil.copy(ROOT / "docs" / "benchmarks.md", page)
    command = [sys.executable, "-m", "pennylane_qnative.cli", "benchmark", "--quick"]
    command += ["--no-progress", "--output-dir", str(folder / "out")]
    command += ["--json", str(folder / "run.json"), "--write-docs", str(page)]
    process = subprocess.run(command, capture_output=True, text=True, timeout=600)
    return process, folder


class TestQuickRun:
    """A real --quick run: every configuration in a worker, emulator in its own process."""

    def test_completes(self, quick_run):
        """The command exits 0 and prints the table, one line per configuration."""
        process, _ = quick_run
        assert process.returncode == 0, process.stderr[-2000:]
        lines = process.stdout.splitlines()
        assert lines[0].split()[:2] == ["configuration", "platform"]
        for configuration in selected(quick=True):
            assert any(line.startswith(configuration.name) for line in lines)

    def test_json_rows(self, quick_run):
        """Every row has the fields, finite numbers and consistent extrapolated flags."""
        document = json.loads((quick_run[1] / "run.json").read_text(encoding="utf-8"))
        rows = document["rows"]
        assert [r["name"] for r in rows] == [c.name for c in selected(quick=True)]
        for row in rows:
            assert set(row) == set(ROW_FIELDS)
            assert row["error"] is None
            assert isinstance(row["name"], str)
            assert isinstance(row["extrapolated"], bool)
            for key in NUMBERS:
                assert isinstance(row[key], int | float), key
                assert math.isfinite(row[key]), key
            assert row["extrapolated"] == (row["steps_measured"] < row["steps"])
            if row["extrapolated"]:
                assert row["test_accuracy"] is None
            else:
                assert 0.0 <= row["test_accuracy"] <= 1.0
        assert {r["extrapolated"] for r in rows} == {True, False}

    def test_counts(self, quick_run):
        """Circuits and jobs per batch are exact: 210 for the v3.2 loop, one job per step."""
        document = json.loads((quick_run[1] / "run.json").read_text(encoding="utf-8"))
        rows = {r["name"]: r for r in document["rows"]}
        assert rows["v3.2 loop, default.qubit + parameter shift"]["circuits_per_batch"] == 210
        assert rows["qnative.simulator + SPSA"]["circuits_per_batch"] == 30
        assert rows["qnative.ionq + SPSA"]["jobs_per_batch"] == 1
        assert rows["pennylane-ionq ionq.simulator + parameter shift"]["jobs_per_batch"] == 2

    def test_short_simulator_trainings_repeated(self, quick_run):
        """A simulator training under 5 s runs 5 times and keeps the median; remote ones once."""
        document = json.loads((quick_run[1] / "run.json").read_text(encoding="utf-8"))
        platforms = {c.name: c.platform for c in selected(quick=True)}
        for name, record in document["records"].items():
            times = record["repeats_s"]
            if platforms[name] == Platform.SIMULATOR and times[0] < REPEAT_BELOW_S:
                assert len(times) == REPEATS
                assert record["seconds"] == sorted(times)[REPEATS // 2]
            elif platforms[name] != Platform.SIMULATOR:
                assert times == [record["seconds"]]

    def test_training_peak_before_the_test_evaluation(self, quick_run):
        """The table's peak is read when training ends; the evaluation's is kept beside it."""
        document = json.loads((quick_run[1] / "run.json").read_text(encoding="utf-8"))
        rows = {r["name"]: r for r in document["rows"]}
        for name, record in document["records"].items():
            assert 0 < record["peak_rss_mb"] <= record["peak_rss_with_test_mb"]
            assert rows[name]["peak_rss_mb"] == record["peak_rss_mb"]

    def test_document_and_figures(self, quick_run):
        """The run's metadata, the docs section between markers, and two PNG figures."""
        folder = quick_run[1]
        document = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        assert document["quick"] is True
        assert document["machine"]["cpu_count"] >= 1
        assert document["baseline_rss_mb"] > 0
        assert {t["met"] for t in document["targets"]} <= {True, False, None}
        page = (folder / "benchmarks.md").read_text(encoding="utf-8")
        section = page.split(START)[1].split(END)[0]
        assert "qnative benchmark --quick" in section
        assert "quick run" in section
        assert "## 1. `qnative.simulator` (issue 2)" in page  # the other sections stay
        for name in ("time_and_cost.png", "loss_curves.png"):
            assert (folder / "out" / name).read_bytes()[:4] == b"\x89PNG"
