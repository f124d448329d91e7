"""Tests for :mod:`pennylane_qnative.cli` (the ``qnative`` command line).

The console script is exercised in subprocesses with tiny settings (8 qubits as the reference
workload fixes, depth 1, 40 samples, batches of 5, 2 epochs: 16 steps); argument errors are
checked in-process through :func:`main`.
"""

from __future__ import annotations

import csv
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from pennylane_qnative.cli import main

pytest.importorskip("sklearn")

TINY = [
    "train",
    "--samples", "40",
    "--epochs", "2",
    "--batch-size", "5",
    "--depth", "1",
    "--no-progress",
]  # fmt: skip
STEPS = 2 * 40 // 5
VALIDATION = 50  # qnative train's default validation split, run in each epoch's last step
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KILL_DEADLINE_S = 120.0


def _qnative() -> list[str]:
    script = Path(sys.executable).with_name("qnative")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "pennylane_qnative.cli"]


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*_qnative(), *args], capture_output=True, text=True, timeout=300, check=False, **kwargs
    )


def _checkpoint(directory: Path) -> dict:
    return json.loads((directory / "checkpoint.json").read_text(encoding="utf-8"))


def _step(directory: Path) -> int:
    try:
        return int(_checkpoint(directory)["step"])
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return -1


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    """One uninterrupted tiny run (with a one-step baseline): its directory and stdout."""
    directory = tmp_path_factory.mktemp("cli") / "run"
    result = _run([*TINY, "--baseline-steps", "1", "--output-dir", str(directory)])
    assert result.returncode == 0, result.stderr
    return directory, result.stdout


class TestTrain:
    """qnative train writes its outputs and prints a summary."""

    def test_outputs(self, reference_run):
        """history.csv has one row per step, the checkpoint the final step, the plot is a PNG."""
        directory, _ = reference_run
        with (directory / "history.csv").open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == STEPS
        assert [int(r["step"]) for r in rows] == list(range(STEPS))
        per_epoch = STEPS // 2  # SPSA: batch + 2 perturbed; the epoch's last step: + validation
        expected = [3 * 5 + VALIDATION * ((i + 1) % per_epoch == 0) for i in range(STEPS)]
        assert [int(r["circuits"]) for r in rows] == expected
        checkpoint = _checkpoint(directory)
        assert (checkpoint["epoch"], checkpoint["step"]) == (2, STEPS)
        assert np.asarray(checkpoint["parameters"]).shape == (1, 8, 2)
        assert (directory / "history.png").read_bytes()[:8] == PNG_SIGNATURE
        assert (directory / "checkpoint.json").stat().st_mode & 0o077 == 0

    def test_summary_lines(self, reference_run):
        """The summary names device, steps, circuits, accuracy, baseline and outputs."""
        _, stdout = reference_run
        assert "Reference training on qnative.simulator, gradient spsa" in stdout
        circuits = STEPS * 15 + 2 * VALIDATION
        per_step = f"{circuits / STEPS:.0f}/step"
        assert f"steps {STEPS}, circuits {circuits} ({per_step}), jobs {STEPS}" in stdout
        assert "test accuracy" in stdout
        assert "v3.2-style baseline" in stdout
        assert "circuits/step" in stdout
        # the baseline validates nothing: compared per training step, validation aside
        assert f"fewer circuits per training step (15; its {2 * VALIDATION} validation" in stdout
        assert "(history.csv, checkpoint.json, history.png)" in stdout

    def test_resume_of_finished_run(self, reference_run, tmp_path):
        """--resume on a finished run trains nothing more and keeps the parameters."""
        source, _ = reference_run
        directory = tmp_path / "run"
        shutil.copytree(source, directory)
        result = _run([*TINY, "--baseline-steps", "0", "--resume", "--output-dir", str(directory)])
        assert result.returncode == 0, result.stderr
        assert f"steps {STEPS}," in result.stdout
        assert _checkpoint(directory)["parameters"] == _checkpoint(source)["parameters"]

    def test_killed_run_resumes_exactly(self, tmp_path):
        """SIGKILL at step >= 2, then --resume: final parameters equal the uninterrupted run's.

        A step takes a few milliseconds, so this run is longer than TINY (80 steps), or it
        could finish between two polls of its checkpoint.
        """
        longer = [*TINY, "--samples", "200", "--baseline-steps", "0"]
        steps = 2 * 200 // 5
        source = tmp_path / "uninterrupted"
        assert _run([*longer, "--output-dir", str(source)]).returncode == 0
        directory = tmp_path / "killed"
        args = [*longer, "--output-dir", str(directory)]
        process = subprocess.Popen(
            [*_qnative(), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            deadline = time.monotonic() + KILL_DEADLINE_S
            while _step(directory) < 2 and process.poll() is None:
                assert time.monotonic() < deadline, "no checkpoint with step >= 2 in time"
                time.sleep(0.005)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == -signal.SIGKILL, "the run finished before it was killed"
        interrupted_at = _step(directory)
        assert 2 <= interrupted_at < steps
        result = _run([*args, "--resume"])
        assert result.returncode == 0, result.stderr
        resumed, reference = _checkpoint(directory), _checkpoint(source)
        assert np.array_equal(np.asarray(resumed["parameters"]), reference["parameters"])
        assert resumed["optimizer"] == reference["optimizer"]
        assert resumed["step"] == steps
        losses = [row["loss"] for row in resumed["tracker"]["rows"]]
        assert losses == [row["loss"] for row in reference["tracker"]["rows"]]
        assert not [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]

    def test_console_script_error_exit(self, tmp_path):
        """An invalid setting exits with status 2 and a message, before writing anything."""
        result = _run(["train", "--batch-size", "0", "--output-dir", str(tmp_path / "x")])
        assert result.returncode == 2
        assert "qnative train: batch_size must be a positive integer, got 0." in result.stderr
        assert not (tmp_path / "x").exists()


class TestArguments:
    """Argument errors, checked in-process."""

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            pytest.param([], "required", id="no-command"),
            pytest.param(["train", "--gradient", "bogus"], "invalid choice", id="gradient"),
            pytest.param(["train", "--epochs", "two"], "invalid int value", id="epochs-type"),
            pytest.param(["train", "--shots", "many"], "is not a shot count", id="shots-type"),
            pytest.param(["benchmark", "--only"], "expected one argument", id="benchmark-only"),
            pytest.param(["fly"], "invalid choice", id="command"),
        ],
    )
    def test_parser_errors(self, capsys, argv, message):
        """argparse rejects malformed arguments with exit status 2."""
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        assert message in capsys.readouterr().err

    @pytest.mark.parametrize(
        ("extra", "message"),
        [
            pytest.param(["--epochs", "0"], "epochs must be a positive integer", id="epochs"),
            pytest.param(["--learning-rate", "-1"], "learning_rate must be", id="lr"),
            pytest.param(["--shots", "0"], "shots_per_circuit must be", id="shots"),
            pytest.param(["--shots", "100,0"], "shots_per_circuit must be", id="schedule"),
            pytest.param(["--target-accuracy", "1.5"], "target_accuracy must be", id="target"),
            pytest.param(["--patience", "0"], "patience must be", id="patience"),
            pytest.param(["--budget", "-1"], "--budget must be", id="budget"),
            pytest.param(["--validation-samples", "1"], "at least 2", id="validation"),
            pytest.param(["--validation-samples", "400"], "--validation-samples", id="val-big"),
            pytest.param(["--seed", "-3"], "seed must be", id="seed"),
            pytest.param(
                ["--validation-samples", "0", "--patience", "2"],
                "pass --validation-samples 2 or more",
                id="stop-without-validation",
            ),
        ],
    )
    def test_config_errors(self, capsys, tmp_path, extra, message):
        """Invalid settings return 2 with 'qnative train: <what is wrong>' on stderr."""
        assert main([*TINY, "--output-dir", str(tmp_path), *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith("qnative train: ")
        assert message in err

    def test_bad_device_option(self, capsys, tmp_path):
        """--device-option without '=' is refused with a message."""
        argv = [*TINY, "--output-dir", str(tmp_path), "--device-option", "max_workers"]
        assert main(argv) == 2
        assert "--device-option expects KEY=VALUE, got 'max_workers'" in capsys.readouterr().err

    def test_resume_with_other_settings(self, capsys, reference_run, tmp_path):
        """--resume with a different learning rate is refused, leaving the run untouched."""
        source, _ = reference_run
        directory = tmp_path / "run"
        shutil.copytree(source, directory)
        before = (directory / "checkpoint.json").read_bytes()
        argv = [*TINY, "--learning-rate", "0.2", "--resume", "--output-dir", str(directory)]
        assert main(argv) == 2
        assert "different TrainingConfig" in capsys.readouterr().err
        assert (directory / "checkpoint.json").read_bytes() == before


class TestStateErrors:
    """A corrupt checkpoint or journal: exit 2 and one line naming the file, no traceback."""

    @staticmethod
    def one_line(capsys) -> str:
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1, err
        assert "Traceback" not in err
        return lines[0]

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            pytest.param("{not json", "is unreadable", id="not-json"),
            pytest.param('{"version": 1, "step": "x"}', "is malformed", id="malformed"),
            pytest.param('{"version": 99}', "has version 99", id="version"),
        ],
    )
    def test_corrupt_checkpoint(self, capsys, tmp_path, content, message):
        """train --resume on a corrupt checkpoint: CheckpointError as one line, file kept."""
        (tmp_path / "checkpoint.json").write_text(content, encoding="utf-8")
        assert main([*TINY, "--resume", "--output-dir", str(tmp_path)]) == 2
        line = self.one_line(capsys)
        assert line.startswith("qnative train: checkpoint ")
        assert message in line
        assert str(tmp_path / "checkpoint.json") in line
        assert (tmp_path / "checkpoint.json").read_text(encoding="utf-8") == content

    def test_corrupt_journal_row(self, capsys, tmp_path):
        """jobs show on a corrupt journal row: JournalError as one line with the fix."""
        import sqlite3

        from pennylane_qnative.execution.journal import Journal

        path = tmp_path / "journal.sqlite"
        with Journal(path) as journal:
            journal.open_batch("d1", spans=[(0, 1)], n_circuits=1)
            journal.record_job("d1", 0, "job-1")
        with sqlite3.connect(path) as db:
            db.execute("UPDATE chunks SET state = 'bogus'")
        assert main(["jobs", "--journal", str(path), "show", "job-1"]) == 2
        line = self.one_line(capsys)
        assert line.startswith(f"qnative jobs: the job journal {path} holds a corrupt record")
        assert "Move the file aside" in line


class TestBenchmark:
    """qnative benchmark."""

    def test_list(self, capsys):
        """--list --quick names the quick configurations, with their group and platform."""
        from pennylane_qnative.benchmark.configs import selected

        assert main(["benchmark", "--list", "--quick"]) == 0
        lines = capsys.readouterr().out.strip().splitlines()
        assert [line.split("  (")[0] for line in lines] == [c.name for c in selected(quick=True)]

    def test_unknown_configuration(self, capsys):
        """--only with a name that matches nothing exits 2 with the names to choose from."""
        assert main(["benchmark", "--list", "--only", "no such thing"]) == 2
        assert "no benchmark configuration matches 'no such thing'" in capsys.readouterr().err


class TestCache:
    """qnative cache info / clear."""

    def test_info_then_clear(self, capsys, tmp_path):
        """info counts the stored results; clear drops them and says how many."""
        from pennylane_qnative.execution.result_store import ResultStore

        path = tmp_path / "results.sqlite"
        store = ResultStore(path)
        store.put("a", [0.5, 0.5])
        store.close()
        assert main(["cache", "--path", str(path), "info"]) == 0
        assert "entries 1 of" in capsys.readouterr().out
        assert main(["cache", "--path", str(path), "clear"]) == 0
        assert "cleared 1 results" in capsys.readouterr().out
        assert main(["cache", "--path", str(path), "info"]) == 0
        assert "entries 0 of" in capsys.readouterr().out

    def test_missing_cache_creates_nothing(self, capsys, tmp_path):
        """No cache file: info says so and creates none."""
        path = tmp_path / "none.sqlite"
        assert main(["cache", "--path", str(path), "info"]) == 0
        assert "no result cache" in capsys.readouterr().out
        assert not path.exists()


class TestShotPolicies:
    """--shots adaptive and schedules, on the simulator (the emulator runs are in
    tests/training/test_cost_aware.py)."""

    @pytest.mark.parametrize("shots", ["adaptive", "50,100"])
    def test_runs_and_reports(self, capsys, tmp_path, shots):
        argv = [*TINY, "--baseline-steps", "0", "--output-dir", str(tmp_path), "--shots", shots]
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert f"shots {shots}: " in out
        with (tmp_path / "history.csv").open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        counts = [int(r["shots"]) for r in rows]
        if shots == "50,100":
            assert counts == [50] * (STEPS // 2) + [100] * (STEPS // 2)
        assert [int(r["device_shots"]) for r in rows] == [
            int(r["shots"]) * int(r["circuits"]) for r in rows
        ]

    def test_patience_stops(self, capsys, tmp_path):
        argv = [*TINY, "--baseline-steps", "0", "--output-dir", str(tmp_path), "--patience", "1"]
        argv += ["--epochs", "6"]
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "stopped early: no lower validation loss in 1 validations" in out
