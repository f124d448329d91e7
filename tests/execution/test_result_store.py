"""Tests for pennylane_qnative.execution.result_store."""

from __future__ import annotations

import math
import sqlite3
import stat
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qnative.exceptions import ConfigurationError, JournalError
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

    def test_put_many_is_one_transaction(self, store):
        """put_many writes every pair; a pair that is not JSON writes none of them."""
        store.put_many([("a", [1.0]), ("b", [0.5, 0.5])])
        assert (store.get("a"), store.get("b"), len(store)) == ([1.0], [0.5, 0.5], 2)
        with pytest.raises(ValueError, match="JSON"):
            store.put_many([("c", [1.0]), ("d", [math.nan])])
        assert store.get("c") is None
        assert len(store) == 2

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


class TestBounds:
    """The store keeps at most max_entries values and max_bytes of JSON, and expires old ones."""

    def test_least_recently_used_dropped_past_max_entries(self, tmp_path):
        """Past max_entries, the value read or written longest ago goes first."""
        store = ResultStore(tmp_path / "r.sqlite", max_entries=3)
        for key in "abc":
            store.put(key, key)
        assert store.get("a") == "a"  # a is now the most recently used
        store.put("d", "d")
        assert len(store) == 3
        assert store.get("b") is None
        assert [store.get(k) for k in "acd"] == ["a", "c", "d"]

    def test_bytes_bound(self, tmp_path):
        """The JSON kept stays within max_bytes."""
        store = ResultStore(tmp_path / "r.sqlite", max_bytes=100)
        for i in range(20):
            store.put(str(i), "x" * 20)  # 22 bytes of JSON each
        assert store.info()["bytes"] <= 100
        assert len(store) == 4
        assert store.get("19") == "x" * 20

    def test_expired_value_is_a_miss(self, tmp_path, monkeypatch):
        """A value older than max_age_s is a miss, and is dropped."""
        store = ResultStore(tmp_path / "r.sqlite", max_age_s=60)
        store.put("k", 1)
        now = time.time()
        monkeypatch.setattr(time, "time", lambda: now + 61)
        assert store.get("k") is None
        assert len(store) == 0

    def test_corrupt_row_is_a_miss_and_dropped(self, tmp_path):
        """A row that does not decode is a miss (never a wrong result) and is dropped."""
        path = tmp_path / "r.sqlite"
        store = ResultStore(path)
        store.put("k", {"p": 1})
        with sqlite3.connect(path) as db:
            db.execute("UPDATE results SET value = '{not json' WHERE key = 'k'")
        assert store.get("k") is None
        assert len(store) == 0

    def test_file_of_an_earlier_version_is_upgraded(self, tmp_path):
        """A two-column file written before the bounds existed keeps its values."""
        path = tmp_path / "old.sqlite"
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE results (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute("INSERT INTO results VALUES ('k', '[1, 2]')")
        store = ResultStore(path)
        assert store.get("k") == [1, 2]
        assert store.info()["entries"] == 1

    @pytest.mark.parametrize(
        "limits",
        [
            pytest.param({"max_entries": 0}, id="entries"),
            pytest.param({"max_bytes": -1}, id="bytes"),
            pytest.param({"max_age_s": 0}, id="age"),
            pytest.param({"max_entries": True}, id="bool"),
        ],
    )
    def test_bad_limits_refused(self, tmp_path, limits):
        """A limit that is not positive is refused, naming it, before the file is created."""
        with pytest.raises(ConfigurationError, match=next(iter(limits))):
            ResultStore(tmp_path / "r.sqlite", **limits)
        assert not (tmp_path / "r.sqlite").exists()

    def test_info_and_clear(self, tmp_path):
        """info() counts entries and bytes; clear() drops them all and says how many."""
        store = ResultStore(tmp_path / "r.sqlite")
        store.put("a", [1])
        store.put("b", [2, 3])
        info = store.info()
        assert (info["entries"], info["bytes"]) == (2, len("[1]") + len("[2, 3]"))
        assert store.clear() == 2
        assert len(store) == 0
