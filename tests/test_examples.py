"""The examples run as a user runs them: ``python examples/NAME.py``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("quickstart.py", "agree with default.qubit", id="quickstart"),
        pytest.param("train_reference.py", "30 per step", id="reference"),
        pytest.param("swap_gradients.py", "spsa                3 circuits", id="decorator"),
        pytest.param("train_on_emulator.py", "30 jobs", id="emulator"),
        pytest.param("migration.py", "in 1 job", id="migration"),
    ],
)
def test_example_runs(name, expected, tmp_path):
    """The example exits cleanly and prints what its docstring promises."""
    env = {**os.environ, "QNATIVE_CACHE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout
