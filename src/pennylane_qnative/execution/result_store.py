"""``ResultStore``: a persistent key -> JSON store in sqlite, the cache's disk layer.

Results survive the process: a later run that needs a circuit already paid for reads it from
disk. Values are JSON (no pickle). The file is created private to the user (0600, in a 0700
directory) and uses WAL mode so several processes can share it.

**Example**

>>> import tempfile, pathlib
>>> store = ResultStore(pathlib.Path(tempfile.mkdtemp()) / "results.sqlite")
>>> store.put("k", {"p": [0.5, 0.5]})
>>> store.get("k")
{'p': [0.5, 0.5]}
>>> store.get("missing") is None
True
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pennylane_qnative._files import private_file
from pennylane_qnative.exceptions import ConfigurationError, JournalError

__all__ = [
    "DEFAULT_MAX_AGE_S",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ENTRIES",
    "PAGE_CACHE_KIB",
    "ResultStore",
    "bound_page_cache",
    "switch_to_wal",
]

logger = logging.getLogger(__name__)

DEFAULT_MAX_ENTRIES = 200_000
DEFAULT_MAX_BYTES = 512 * 2**20
DEFAULT_MAX_AGE_S = 90 * 24 * 3600.0  # 90 days
PAGE_CACHE_KIB = 256
"""The page cache of each connection to a journal or result store, KiB. SQLite's default,
2,000 KiB, filled with a growing journal's rows at about 570 bytes per job: a process's
memory grew for its first ~3,500 jobs. Both files are read by key through their indexes."""


def bound_page_cache(db: sqlite3.Connection) -> None:
    """Hold the connection's page cache to :data:`PAGE_CACHE_KIB` (memory flat per job)."""
    db.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")


def switch_to_wal(db: sqlite3.Connection, timeout_s: float) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another process holds the file.

    SQLite answers the switch with "database is locked" at once, without its busy handler,
    when a second process is creating the same new file: two processes opening one journal
    or result store together (two workers, a run and its resume) must both succeed.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


class ResultStore:
    """Key -> JSON value, in one sqlite file, bounded by entries, bytes and age.

    When a write takes the store past ``max_entries`` or ``max_bytes``, the least recently
    used values are dropped; a value older than ``max_age_s`` is a miss (and dropped). Each
    row carries the SHA-256 of its text: a row whose checksum or JSON does not hold (a corrupt
    file) is a logged miss and is dropped, never a wrong result.

    Args:
        path (str | os.PathLike): the database file (created with its directory)
        max_entries (int): most values kept
        max_bytes (int): most bytes of JSON kept
        max_age_s (float | None): the longest a value is served (``None``: no limit)

    Raises:
        JournalError: when the file cannot be created or opened
        ConfigurationError: for a limit that is not positive
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_age_s: float | None = DEFAULT_MAX_AGE_S,
    ) -> None:
        for name, value in (("max_entries", max_entries), ("max_bytes", max_bytes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"{name} must be a positive int, got {value!r}.")
        if max_age_s is not None and not (isinstance(max_age_s, int | float) and max_age_s > 0):
            raise ConfigurationError(f"max_age_s must be > 0 seconds or None, got {max_age_s!r}.")
        self.limits = (max_entries, max_bytes, max_age_s)
        self._open(Path(path))

    def __reduce__(self) -> tuple[Any, ...]:
        """A copy or an unpickled store opens the same file (its own connection)."""
        entries, size, age = self.limits
        return (_reopen, (self.path, entries, size, age))

    def _open(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            private_file(self.path)
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0)
            switch_to_wal(self._db, 30.0)
            bound_page_cache(self._db)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(results)")}
            for column in ("bytes", "used_at"):  # files of earlier versions gain them
                if column not in columns:
                    self._db.execute(f"ALTER TABLE results ADD COLUMN {column} REAL")
            if "bytes" not in columns:
                self._db.execute(
                    "UPDATE results SET bytes = length(value), used_at = ?", (time.time(),)
                )
            if "stored_at" not in columns:
                self._db.execute("ALTER TABLE results ADD COLUMN stored_at REAL")
                self._db.execute("UPDATE results SET stored_at = ?", (time.time(),))
            if "checksum" not in columns:  # rows of earlier versions have none: decoded only
                self._db.execute("ALTER TABLE results ADD COLUMN checksum TEXT")
            self._db.commit()
        except (OSError, sqlite3.Error) as error:
            raise JournalError(
                f"cannot open the result store {self.path} ({error}); it is only a cache: "
                "delete it (or move it aside), pass another path, or disable the persistent "
                "cache."
            ) from error

    def __repr__(self) -> str:
        return f"ResultStore({str(self.path)!r})"

    def get(self, key: str) -> Any:
        """The stored value, or ``None`` (also for an expired or corrupt one, which is dropped).

        A row is corrupt when its checksum (SHA-256 of the stored text) does not match or its
        text is not JSON; a corrupt row, or a file sqlite cannot read, is a logged miss.
        """
        now = time.time()
        with self._lock:
            try:
                return self._get(key, now)
            except sqlite3.Error as error:
                logger.warning("result store %s unreadable (%s): a miss", self.path, error)
                return None

    def _get(self, key: str, now: float) -> Any:
        row = self._db.execute(
            "SELECT value, stored_at, checksum FROM results WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            return None
        text, stored_at, checksum = row
        max_age = self.limits[2]
        value = None
        if max_age is None or stored_at is None or stored_at >= now - max_age:
            value = _decode(text, checksum)
            if value is None:
                logger.warning(
                    "corrupt row %s in the result store %s: dropped (a miss; it is rewritten "
                    "when the result is computed again)",
                    key[:16],
                    self.path,
                )
        if value is None:
            self._db.execute("DELETE FROM results WHERE key = ?", (key,))
        else:
            self._db.execute("UPDATE results SET used_at = ? WHERE key = ?", (now, key))
        self._db.commit()
        return value

    def discard(self, key: str) -> None:
        """Drop the value under ``key`` (a value its reader found invalid)."""
        with self._lock:
            self._db.execute("DELETE FROM results WHERE key = ?", (key,))
            self._db.commit()

    def put(self, key: str, value: Any) -> None:
        """Store ``value`` (JSON-serialisable) under ``key``, replacing any previous one, then
        drop the least recently used values beyond the limits.

        A write the file refuses (disk full, a corrupt file) is logged and skipped: the store
        is a cache, the result is still returned to its caller.
        """
        self.put_many([(key, value)])

    def put_many(self, items: Iterable[tuple[str, Any]]) -> None:
        """Store several values in one transaction: a crash leaves all of them or none.

        A batch's results are written together so that a process killed while writing them
        cannot leave a part of the batch cached: a resumed run would then submit the rest as
        a different batch, and pay for it again, instead of re-attaching to the journaled job.
        """
        now = time.time()
        rows = []
        for key, value in items:
            text = json.dumps(value, allow_nan=False)
            rows.append((key, text, len(text), now, now, _checksum(text)))
        if not rows:
            return
        with self._lock:
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO results "
                    "(key, value, bytes, used_at, stored_at, checksum) VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
                self._evict()
                self._db.commit()
            except sqlite3.Error as error:
                logger.warning("result store %s not written (%s): skipped", self.path, error)
                with contextlib.suppress(sqlite3.Error):
                    self._db.rollback()

    def _evict(self) -> None:
        max_entries, max_bytes, _ = self.limits
        count, size = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM results"
        ).fetchone()
        if count <= max_entries and size <= max_bytes:
            return
        rows = self._db.execute("SELECT key, bytes FROM results ORDER BY used_at, rowid").fetchall()
        doomed = []
        for key, nbytes in rows:
            if count <= max_entries and size <= max_bytes:
                break
            doomed.append((key,))
            count, size = count - 1, size - (nbytes or 0)
        self._db.executemany("DELETE FROM results WHERE key = ?", doomed)

    def info(self) -> dict[str, Any]:
        """Entries, bytes, the oldest value's age and the limits."""
        with self._lock:
            count, size, oldest = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(bytes), 0), MIN(stored_at) FROM results"
            ).fetchone()
        entries, max_bytes, max_age = self.limits
        return {
            "path": str(self.path),
            "entries": count,
            "bytes": int(size),
            "oldest_age_s": None if oldest is None else time.time() - oldest,
            "max_entries": entries,
            "max_bytes": max_bytes,
            "max_age_s": max_age,
        }

    def clear(self) -> int:
        """Drop every value; returns how many there were."""
        with self._lock:
            count = self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
            self._db.execute("DELETE FROM results")
            self._db.commit()
        return count

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0]

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


def _checksum(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _decode(text: Any, checksum: str | None) -> Any:
    """The JSON value of a stored row, or ``None`` when the row is corrupt."""
    if not isinstance(text, str) or (checksum is not None and checksum != _checksum(text)):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _reopen(path: Path, max_entries: int, max_bytes: int, max_age_s: float | None) -> ResultStore:
    return ResultStore(path, max_entries=max_entries, max_bytes=max_bytes, max_age_s=max_age_s)
