"""Tests for :mod:`pennylane_qnative.training.checkpoint`."""

from __future__ import annotations

import json
import math
import stat

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.training.checkpoint import (
    CHECKPOINT_VERSION,
    load_checkpoint,
    remove_partial_writes,
    save_checkpoint,
)


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


class TestRoundTrip:
    """save_checkpoint then load_checkpoint."""

    def test_round_trip(self, tmp_path):
        """The state comes back, with the version added."""
        state = {"step": 3, "parameters": [[0.1, 0.2]], "name": "run", "gradient": None}
        path = tmp_path / "run" / "checkpoint.json"
        save_checkpoint(path, state)
        assert load_checkpoint(path) == {"version": CHECKPOINT_VERSION, **state}

    @settings(max_examples=50, deadline=None)
    @given(
        st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1, max_size=8)
    )
    def test_floats_bit_for_bit(self, tmp_path_factory, values):
        """Any finite float64 parameters come back exactly."""
        path = tmp_path_factory.mktemp("ckpt") / "checkpoint.json"
        params = np.array(values)
        save_checkpoint(path, {"parameters": params.tolist()})
        assert np.array_equal(np.asarray(load_checkpoint(path)["parameters"]), params)

    def test_overwrite(self, tmp_path):
        """A second save replaces the first."""
        path = tmp_path / "checkpoint.json"
        save_checkpoint(path, {"step": 1})
        save_checkpoint(path, {"step": 2})
        assert load_checkpoint(path)["step"] == 2


class TestPermissions:
    """Checkpoints are private."""

    def test_file_mode_0600(self, tmp_path):
        """The file is readable and writable by its owner only."""
        path = tmp_path / "checkpoint.json"
        save_checkpoint(path, {"step": 0})
        assert _mode(path) == 0o600
        save_checkpoint(path, {"step": 1})
        assert _mode(path) == 0o600

    def test_new_directory_mode_0700(self, tmp_path):
        """A directory the checkpoint creates is private to its owner."""
        path = tmp_path / "new" / "checkpoint.json"
        save_checkpoint(path, {"step": 0})
        assert _mode(path.parent) & 0o077 == 0


class TestAtomicity:
    """A failed write leaves the previous checkpoint intact."""

    @pytest.mark.parametrize(
        "bad_state",
        [
            pytest.param({"step": 2, "loss": math.nan}, id="nan"),
            pytest.param({"step": 2, "loss": math.inf}, id="inf"),
            pytest.param({"step": 2, "params": np.zeros(2)}, id="ndarray"),
        ],
    )
    def test_failed_write_keeps_previous(self, tmp_path, bad_state):
        """Serialisation errors raise; the old file is unchanged and no temp file is left."""
        path = tmp_path / "checkpoint.json"
        save_checkpoint(path, {"step": 1, "loss": 0.5})
        before = path.read_bytes()
        with pytest.raises((ValueError, TypeError)):
            save_checkpoint(path, bad_state)
        assert path.read_bytes() == before
        assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.json"]

    def test_failed_first_write_leaves_nothing(self, tmp_path):
        """Without a previous checkpoint, a failed write leaves no file at all."""
        with pytest.raises(ValueError, match="JSON"):
            save_checkpoint(tmp_path / "checkpoint.json", {"loss": math.nan})
        assert list(tmp_path.iterdir()) == []


def test_partial_writes_of_a_killed_run_are_removed(tmp_path):
    """A SIGKILL between mkstemp and os.replace leaves a temporary file; resuming removes it."""
    path = tmp_path / "checkpoint.json"
    save_checkpoint(path, {"step": 1})
    stale = tmp_path / ".checkpoint.json.abc123.tmp"
    stale.write_text('{"step": 2')
    other = tmp_path / "history.csv"
    other.write_text("step\n")
    assert remove_partial_writes(path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.json", "history.csv"]


class TestLoadErrors:
    """load_checkpoint errors are ConfigurationErrors that say what to do."""

    def test_missing_file(self, tmp_path):
        """A missing file names the path and suggests resume=False."""
        path = tmp_path / "nope" / "checkpoint.json"
        with pytest.raises(ConfigurationError, match="no checkpoint at") as info:
            load_checkpoint(path)
        assert str(path) in str(info.value)

    @pytest.mark.parametrize(
        "document",
        [
            pytest.param({"version": CHECKPOINT_VERSION + 1, "step": 1}, id="newer"),
            pytest.param({"version": 0, "step": 1}, id="older"),
            pytest.param({"step": 1}, id="missing"),
        ],
    )
    def test_version_mismatch(self, tmp_path, document):
        """Another version is refused, naming both versions."""
        path = tmp_path / "checkpoint.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        with pytest.raises(ConfigurationError, match="version") as info:
            load_checkpoint(path)
        assert repr(document.get("version")) in str(info.value)
        assert f"version {CHECKPOINT_VERSION}" in str(info.value)

    def test_corrupt_file(self, tmp_path):
        """Invalid JSON is reported as unreadable."""
        path = tmp_path / "checkpoint.json"
        path.write_text('{"version": 1, "step"', encoding="utf-8")
        with pytest.raises(ConfigurationError, match="unreadable"):
            load_checkpoint(path)
