"""End to end: ``qnative train --device qnative.ionq`` against the emulator, killed and resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from pennylane_qnative.emulator import LatencyModel, running

TRAIN = [
    "train",
    "--device",
    "qnative.ionq",
    "--samples",
    "10",
    "--epochs",
    "2",
    "--batch-size",
    "5",
    "--depth",
    "1",
    "--no-progress",
    "--baseline-steps",
    "0",
]


def _qnative(url: str, cache: Path, *args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "IONQ_API_URL": url + "/v0.4",
        "IONQ_API_KEY": "test-key",
        "QNATIVE_CACHE_DIR": str(cache),
    }
    command = [sys.executable, "-m", "pennylane_qnative.cli", *TRAIN, *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _jobs_created(url: str) -> int:
    return httpx.get(url + "/_emulator/stats").json()["jobs_created"]


def _step(checkpoint: Path) -> int:
    try:
        return json.loads(checkpoint.read_text())["step"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return -1


@pytest.fixture(scope="module")
def emulator():
    """An emulator whose jobs wait in a queue, so a kill lands while a job is in flight."""
    with running(latency=LatencyModel(queue_s=0.25)) as url:
        yield url


class TestKilledTrainingResumes:
    """SIGKILL during a cloud training, then --resume."""

    def test_same_parameters_and_no_duplicate_job(self, emulator, tmp_path):
        """The resumed run ends where an uninterrupted one does and pays for no job twice."""
        start = _jobs_created(emulator)
        full = _qnative(emulator, tmp_path / "cache-a", "--output-dir", str(tmp_path / "a"))
        assert full.wait(timeout=240) == 0, full.stdout.read().decode()
        uninterrupted_jobs = _jobs_created(emulator) - start

        start = _jobs_created(emulator)
        run_dir, cache = tmp_path / "b", tmp_path / "cache-b"
        victim = _qnative(emulator, cache, "--output-dir", str(run_dir))
        deadline = time.monotonic() + 120
        while _step(run_dir / "checkpoint.json") < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)  # into the next step's job
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(timeout=30) == -signal.SIGKILL
        killed_at = _step(run_dir / "checkpoint.json")
        assert 2 <= killed_at < 4, "the run was not killed mid-training"

        resumed = _qnative(emulator, cache, "--output-dir", str(run_dir), "--resume")
        assert resumed.wait(timeout=240) == 0, resumed.stdout.read().decode()

        final = json.loads((run_dir / "checkpoint.json").read_text())
        reference = json.loads((tmp_path / "a" / "checkpoint.json").read_text())
        assert final["parameters"] == reference["parameters"]
        assert _jobs_created(emulator) - start == uninterrupted_jobs
