"""Tests for :mod:`pennylane_qnative.training.tracker` (``PerformanceTracker``)."""

from __future__ import annotations

import csv
import json
import stat

import pytest

from pennylane_qnative.training.tracker import COLUMNS, PerformanceTracker

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _tracker() -> PerformanceTracker:
    tracker = PerformanceTracker()
    tracker.log_batch(
        epoch=0, step=0, loss=0.9, accuracy=0.5, grad_norm=0.3, circuits=12, jobs=1,
        seconds=0.25, cost_usd=0.5, cache_hits=1, cache_misses=3, method="spsa",
    )  # fmt: skip
    tracker.log_batch(
        epoch=0, step=1, loss=0.7, accuracy=0.75, grad_norm=0.2, circuits=12, jobs=1,
        seconds=0.5, cost_usd=0.25, cache_hits=3, cache_misses=1, method="spsa",
    )  # fmt: skip
    tracker.log_batch(epoch=1, step=2, loss=0.6, circuits=36, jobs=2, method="parameter-shift")
    return tracker


class TestRows:
    """log_batch and history."""

    def test_missing_columns_default(self):
        """Missing counts are 0, other missing columns None."""
        row = _tracker().rows[-1]
        assert set(row) == set(COLUMNS)
        assert row["seconds"] == 0
        assert row["cost_usd"] == 0
        assert row["accuracy"] is None
        assert row["grad_norm"] is None

    def test_history(self):
        """history maps each column to its per-step values."""
        history = _tracker().history
        assert list(history) == list(COLUMNS)
        assert history["loss"] == [0.9, 0.7, 0.6]
        assert history["circuits"] == [12, 12, 36]

    def test_unknown_column(self):
        """An unknown column raises KeyError naming it and listing the columns."""
        tracker = PerformanceTracker()
        with pytest.raises(KeyError, match="circuit_count") as info:
            tracker.log_batch(epoch=0, circuit_count=3)
        assert "circuits" in str(info.value)
        assert tracker.rows == []


class TestSummary:
    """Totals and averages."""

    def test_totals(self):
        """Summed columns are summed; averages are per step; final loss is the last."""
        summary = _tracker().summary()
        assert summary["steps"] == 3
        assert summary["circuits"] == 60
        assert summary["jobs"] == 4
        assert summary["seconds"] == pytest.approx(0.75)
        assert summary["cost_usd"] == pytest.approx(0.75)
        assert (summary["cache_hits"], summary["cache_misses"]) == (4, 4)
        assert summary["circuits_per_step"] == pytest.approx(20.0)
        assert summary["seconds_per_step"] == pytest.approx(0.25)
        assert summary["cache_hit_rate"] == pytest.approx(0.5)
        assert summary["final_loss"] == 0.6

    def test_validation_circuits(self):
        """Validation circuits fused into a step's job are counted apart; others are not."""
        tracker = _tracker()
        tracker.log_evaluation(0, val_loss=0.4, circuits=5, fused=True)
        tracker.log_evaluation(1, val_loss=0.3, circuits=5, fused=True)
        tracker.log_evaluation(2, val_loss=0.3, circuits=7)  # its own job, not in the rows
        assert tracker.summary()["validation_circuits"] == 10
        assert tracker.summary()["circuits"] == 60

    def test_empty(self):
        """An empty tracker summarises to zeros without dividing by zero."""
        summary = PerformanceTracker().summary()
        assert summary["steps"] == 0
        assert summary["circuits_per_step"] == 0.0
        assert summary["cache_hit_rate"] == 0.0
        assert summary["final_loss"] is None
        assert summary["validation_circuits"] == 0


class TestCsv:
    """to_csv writes one row per step with a header."""

    def test_round_trip(self, tmp_path):
        """The csv module reads back the header and every value."""
        tracker = _tracker()
        path = tracker.to_csv(tmp_path / "nested" / "history.csv")
        assert path == tmp_path / "nested" / "history.csv"
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            assert tuple(reader.fieldnames) == COLUMNS
            rows = list(reader)
        assert len(rows) == 3
        for written, read in zip(tracker.rows, rows, strict=True):
            assert int(read["epoch"]) == written["epoch"]
            assert int(read["circuits"]) == written["circuits"]
            assert float(read["loss"]) == written["loss"]  # repr round-trips floats exactly
            assert read["method"] == written["method"]
            expected_accuracy = "" if written["accuracy"] is None else str(written["accuracy"])
            assert read["accuracy"] == expected_accuracy


class TestPlot:
    """plot_history writes a PNG."""

    def test_png_written(self, tmp_path):
        """The file exists and starts with the PNG signature, also with evaluations."""
        tracker = _tracker()
        tracker.log_evaluation(0, val_loss=0.8, val_accuracy=0.6)
        path = tracker.plot_history(tmp_path / "plots" / "history.png")
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        assert path.stat().st_size > 1000


class TestState:
    """state_dict / load_state_dict for checkpoints."""

    def test_round_trip_through_json(self):
        """Rows and evaluations come back equal after JSON."""
        tracker = _tracker()
        tracker.log_evaluation(1, val_loss=0.5, val_accuracy=0.9, circuits=10)
        restored = PerformanceTracker()
        restored.load_state_dict(json.loads(json.dumps(tracker.state_dict())))
        assert restored.rows == tracker.rows
        assert restored.evaluations == tracker.evaluations
        assert restored.summary() == tracker.summary()

    def test_state_is_a_copy(self):
        """Logging after state_dict() does not change the returned state."""
        tracker = _tracker()
        state = tracker.state_dict()
        tracker.log_batch(epoch=2, step=3, loss=0.1)
        assert len(state["rows"]) == 3


class TestPrivateFiles:
    """Files the tracker writes are private to the user."""

    def test_csv_and_plot_are_0600(self, tmp_path):
        """history.csv and the plot are created with mode 0600."""
        tracker = PerformanceTracker()
        tracker.log_batch(epoch=0, step=0, loss=0.5, circuits=3)
        csv_path = tracker.to_csv(tmp_path / "run" / "history.csv")
        png_path = tracker.plot_history(tmp_path / "run" / "history.png")
        for path in (csv_path, png_path):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "run").stat().st_mode) == 0o700
