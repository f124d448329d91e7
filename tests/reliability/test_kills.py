"""kill -9 at named points of a cloud run, then resume: identical results, no job paid twice.

The workloads run in child processes (``tests/helpers/kill_points.py``, a fork server that
imports PennyLane once) against one emulator on loopback with an sqlite database. A child
replaces one function by a wrapper that sends ``SIGKILL`` to its own process at the ``nth``
call, before or after the original runs; the package holds no test hook. The same spec without
a kill, in a fresh child, resumes. Each point is checked against an uninterrupted reference
run of the same workload:

* the killed child died of ``SIGKILL`` (the point was reached);
* the resumed run ends with the reference's parameters, optimiser state and losses (training)
  or results (one batch), bit for bit;
* the emulator created exactly the reference's number of jobs for the killed and the resumed
  run together, and no payload twice (``duplicate_payloads``: the same job body, client id
  included, submitted twice).

``nth`` is the middle call of the point in the reference run (its calls are counted), so a
kill lands mid-run whatever the number of jobs per step.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pennylane_qnative.emulator import running

HELPER = Path(__file__).parents[1] / "helpers" / "kill_points.py"
CLIENT = "pennylane_qnative.ionq.client:IonQClient"
JOURNAL = "pennylane_qnative.execution.journal:Journal"
STORE = "pennylane_qnative.execution.result_store:ResultStore"
TRAINER = "pennylane_qnative.training.trainer"

# name, workload, shots, target, before/after the call, which call ("mid", or a number)
POINTS = [
    ("before-first-submit", "train", None, f"{CLIENT}.create_job", "before", 1),
    ("before-submit", "train", None, f"{CLIENT}.create_job", "before", "mid"),
    ("claimed-not-posted", "train", None, f"{JOURNAL}.claim", "after", "mid"),
    ("created-not-journaled", "train", None, f"{JOURNAL}.record_job", "before", "mid"),
    ("journaled-not-polled", "train", None, f"{JOURNAL}.record_job", "after", "mid"),
    ("while-polling", "train", None, f"{CLIENT}.get_job", "before", "mid"),
    ("done-not-fetched", "train", None, f"{CLIENT}.get_probabilities", "before", "mid"),
    ("fetched-not-journaled", "train", None, f"{JOURNAL}.record_results", "before", "mid"),
    ("results-journaled", "train", None, f"{JOURNAL}.record_results", "after", "mid"),
    ("while-writing-cache", "train", None, f"{STORE}._evict", "before", "mid"),
    ("cache-written", "train", None, f"{STORE}.put_many", "after", "mid"),
    ("while-checkpointing", "train", None, "os:fsync", "before", "mid"),
    ("checkpoint-written", "train", None, f"{TRAINER}:save_checkpoint", "after", "mid"),
    ("writing-history", "train", None, f"{TRAINER}:PerformanceTracker.to_csv", "before", 1),
    ("shots-created-not-journaled", "train", 100, f"{JOURNAL}.record_job", "before", "mid"),
    ("shots-while-polling", "train", 100, f"{CLIENT}.get_job", "before", "mid"),
    ("batch-created-not-journaled", "execute", None, f"{JOURNAL}.record_job", "before", 2),
    ("batch-while-polling", "execute", None, f"{CLIENT}.get_job", "before", 3),
    ("batch-results-journaled", "execute", None, f"{JOURNAL}.record_results", "after", 2),
]
# The CI subset: one point per stage of a job's life, the rest behind --runslow.
FAST = {
    "before-submit",
    "created-not-journaled",
    "while-polling",
    "fetched-not-journaled",
    "while-writing-cache",
    "while-checkpointing",
    "shots-created-not-journaled",
    "batch-created-not-journaled",
}
COUNTED = sorted({p[3] for p in POINTS})


def cases() -> list:
    return [
        pytest.param(*point, id=point[0], marks=() if point[0] in FAST else pytest.mark.slow)
        for point in POINTS
    ]


class ForkServer:
    """``kill_points.py serve``: one child process per spec, its exit status back."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HELPER), "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, spec: dict) -> int:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(spec) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the fork server died"
        return json.loads(line)["status"]

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def emulator(tmp_path_factory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("emulator") / "jobs.sqlite"
    with running(db=str(db), api_keys=()) as url:
        yield url


@pytest.fixture(scope="module")
def server() -> Iterator[ForkServer]:
    forks = ForkServer()
    try:
        yield forks
    finally:
        forks.close()


def stats(url: str) -> dict:
    return httpx.get(url + "/_emulator/stats").json()


def log(folder: Path) -> str:
    path = folder / "child.log"
    return path.read_text(encoding="utf-8")[-3000:] if path.exists() else ""


@pytest.fixture(scope="module")
def references(emulator, server, tmp_path_factory):
    """Uninterrupted runs, computed once per (workload, shots): outcome, jobs, call counts."""
    done: dict = {}

    def reference(workload: str, shots: int | None) -> dict:
        if (workload, shots) not in done:
            folder = tmp_path_factory.mktemp(f"reference-{workload}-{shots}")
            before = stats(emulator)["jobs_created"]
            spec = {"workload": workload, "url": emulator, "dir": str(folder), "shots": shots}
            assert server.run({**spec, "count": COUNTED}) == 0, log(folder)
            done[workload, shots] = {
                "outcome": outcome(workload, folder),
                "jobs": stats(emulator)["jobs_created"] - before,
                "counts": json.loads((folder / "counts.json").read_text()),
            }
        return done[workload, shots]

    return reference


def outcome(workload: str, folder: Path) -> dict:
    """What must be identical: the final checkpoint's training state, or the batch results."""
    if workload == "execute":
        return json.loads((folder / "result.json").read_text())
    state = json.loads((folder / "run" / "checkpoint.json").read_text())
    losses = [row["loss"] for row in state["tracker"]["rows"]]
    return {k: state[k] for k in ("parameters", "optimizer", "step", "epoch")} | {"loss": losses}


class TestKillThenResume:
    """SIGKILL at one named point, then the same command in a fresh process."""

    @pytest.mark.parametrize(("name", "workload", "shots", "target", "when", "nth"), cases())
    def test_identical_and_no_duplicate(
        self, emulator, server, references, tmp_path, name, workload, shots, target, when, nth
    ):
        """The resumed run equals the uninterrupted one; its jobs are the reference's."""
        reference = references(workload, shots)
        calls = reference["counts"][target]
        nth = calls // 2 + 1 if nth == "mid" else nth
        assert 1 <= nth <= calls, f"{name}: the reference calls {target} {calls} times"
        spec = {"workload": workload, "url": emulator, "dir": str(tmp_path), "shots": shots}
        before = stats(emulator)
        kill = {"target": target, "when": when, "nth": nth}
        assert server.run({**spec, "kill": kill}) == -signal.SIGKILL, log(tmp_path)
        assert server.run(spec) == 0, log(tmp_path)
        after = stats(emulator)
        assert outcome(workload, tmp_path) == reference["outcome"]
        assert after["jobs_created"] - before["jobs_created"] == reference["jobs"]
        assert after["duplicate_payloads"] == before["duplicate_payloads"] == 0
        leftovers = [p.name for p in (tmp_path / "run").glob("*.tmp")]
        assert not leftovers, "a killed checkpoint write was not cleaned up"

    @pytest.mark.slow
    def test_killed_five_times_in_one_run(self, emulator, server, references, tmp_path):
        """Up to five kills at five points of one training, each resumed: identical, no
        duplicate. How many polls a job takes depends on timing, so a resumed run may finish
        before its next kill point: the chain then ends there (at least three kills)."""
        reference = references("train", None)
        spec = {"workload": "train", "url": emulator, "dir": str(tmp_path), "shots": None}
        before = stats(emulator)
        # each resumed process counts its calls from 1: a kill at its 2nd create, record...
        chain = [
            (f"{JOURNAL}.record_job", "before", 3),
            (f"{CLIENT}.get_job", "before", 2),
            ("os:fsync", "before", 1),
            (f"{JOURNAL}.record_results", "after", 2),
            (f"{CLIENT}.create_job", "before", 2),
        ]
        kills = 0
        for target, when, nth in chain:
            kill = {"target": target, "when": when, "nth": nth}
            code = server.run({**spec, "kill": kill})
            assert code in (0, -signal.SIGKILL), log(tmp_path)
            if code == 0:
                break  # the run finished before this point
            kills += 1
        assert kills >= 3, log(tmp_path)
        assert server.run(spec) == 0, log(tmp_path)
        after = stats(emulator)
        assert outcome("train", tmp_path) == reference["outcome"]
        assert after["jobs_created"] - before["jobs_created"] == reference["jobs"]
        assert after["duplicate_payloads"] == 0
