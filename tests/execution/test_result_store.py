"""Tests for pennylane_qnative.execution.result_store."""

from __future__ import annotations

import math
import sqlite3
import stat
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qnative.exceptions import JournalError
from pennylane_qnative.execution.result_store import ResultStore, switch_to_wal

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)


@pytest.fixture
def store(tmp_path):
    """A fresh store in a temporary directory."""
    result = ResultStore(tmp_path / "results.sqlite")
    yield result
    result.close()


class TestReadWrite:
    """put, get, replace and len."""

    def test_missing_key(self, store):
        """A missing key reads as None."""
        assert store.get("missing") is None
        assert len(store) == 0

    def test_replace(self, store):
        """A second put under one key replaces the value."""
        store.put("k", {"p": [0.5, 0.5]})
        store.put("k", {"p": [1.0]})
        assert store.get("k") == {"p": [1.0]}
        assert len(store) == 1

    @settings(max_examples=50, deadline=None)
    @given(key=st.text(min_size=1, max_size=30), value=JSON)
    def test_json_round_trip(self, tmp_path_factory, key, value):
        """Any JSON value comes back equal."""
        store = ResultStore(tmp_path_factory.mktemp("store") / "r.sqlite")
        try:
            store.put(key, value)
            assert store.get(key) == value
        finally:
            store.close()


class TestJsonOnly:
    """Values are JSON: no pickle, no NaN."""

    @pytest.mark.parametrize(
        ("value", "error"),
        [
            pytest.param(math.nan, ValueError, id="nan"),
            pytest.param({"p": [math.inf]}, ValueError, id="inf"),
            pytest.param({1, 2}, TypeError, id="set"),
            pytest.param(object(), TypeError, id="object"),
        ],
    )
    def test_refuses_non_json(self, store, value, error):
        """A value JSON cannot represent exactly is refused and nothing is stored."""
        with pytest.raises(error):
            store.put("k", value)
        assert store.get("k") is None

    def test_file_holds_json_text(self, store):
        """The stored column is JSON text (readable without Python)."""
        import sqlite3

        store.put("k", {"i": [0, 3], "p": [0.5, 0.5]})
        with sqlite3.connect(store.path) as db:
            (text,) = db.execute("SELECT value FROM results WHERE key = 'k'").fetchone()
        assert text == '{"i": [0, 3], "p": [0.5, 0.5]}'


class TestPersistence:
    """The file is private and survives reopening."""

    def test_file_mode_is_0600(self, tmp_path):
        """The database file is readable by its owner only; a new directory is 0700."""
        store = ResultStore(tmp_path / "new" / "results.sqlite")
        store.close()
        assert stat.S_IMODE((tmp_path / "new" / "results.sqlite").stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700

    def test_existing_file_made_private(self, tmp_path):
        """An existing world-readable file is made 0600."""
        path = tmp_path / "results.sqlite"
        path.touch(mode=0o644)
        path.chmod(0o644)
        ResultStore(path).close()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def test_survives_reopen(self, tmp_path):
        """Values written before close are read by a new store on the same file."""
        path = tmp_path / "results.sqlite"
        first = ResultStore(path)
        first.put("a", [1, 2, 3])
        first.put("b", {"x": "y"})
        first.close()
        second = ResultStore(path)
        try:
            assert second.get("a") == [1, 2, 3]
            assert second.get("b") == {"x": "y"}
            assert len(second) == 2
        finally:
            second.close()

    def test_two_stores_share_a_file(self, tmp_path):
        """A value put by one open store is seen by another open on the same file."""
        path = tmp_path / "results.sqlite"
        a, b = ResultStore(path), ResultStore(path)
        try:
            a.put("k", 1)
            assert b.get("k") == 1
        finally:
            a.close()
            b.close()

    def test_unusable_path(self, tmp_path):
        """A path that cannot be a database raises JournalError naming it."""
        (tmp_path / "dir.sqlite").mkdir()
        with pytest.raises(JournalError, match=r"dir\.sqlite"):
            ResultStore(tmp_path / "dir.sqlite")


class TestSwitchToWal:
    """The WAL switch waits for another connection's lock instead of failing at once."""

    def _locked(self, path):
        holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        holder.execute("CREATE TABLE IF NOT EXISTS t (x)")
        holder.execute("BEGIN EXCLUSIVE")
        return holder

    def test_waits_for_the_lock(self, tmp_path):
        path = tmp_path / "db.sqlite"
        holder = self._locked(path)
        threading.Timer(0.2, holder.rollback).start()
        db = sqlite3.connect(path, isolation_level=None, timeout=0.01)
        switch_to_wal(db, timeout_s=10.0)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    def test_gives_up_after_the_timeout(self, tmp_path):
        path = tmp_path / "db.sqlite"
        holder = self._locked(path)
        db = sqlite3.connect(path, isolation_level=None, timeout=0.01)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            switch_to_wal(db, timeout_s=0.1)
        holder.rollback()
