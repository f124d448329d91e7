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

import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from pennylane_qnative._files import private_file
from pennylane_qnative.exceptions import JournalError

__all__ = ["ResultStore", "switch_to_wal"]


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
    """Key -> JSON value, in one sqlite file.

    Args:
        path (str | os.PathLike): the database file (created with its directory)

    Raises:
        JournalError: when the file cannot be created or opened
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self._open(Path(path))

    def __reduce__(self) -> tuple[Any, ...]:
        """A copy or an unpickled store opens the same file (its own connection)."""
        return (type(self), (self.path,))

    def _open(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            private_file(self.path)
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0)
            switch_to_wal(self._db, 30.0)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            self._db.commit()
        except (OSError, sqlite3.Error) as error:
            raise JournalError(
                f"cannot open the result store {self.path} ({error}); pass another path or "
                "disable the persistent cache."
            ) from error

    def __repr__(self) -> str:
        return f"ResultStore({str(self.path)!r})"

    def get(self, key: str) -> Any:
        """The stored value, or ``None``."""
        with self._lock:
            row = self._db.execute("SELECT value FROM results WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, key: str, value: Any) -> None:
        """Store ``value`` (JSON-serialisable) under ``key``, replacing any previous one."""
        text = json.dumps(value, allow_nan=False)
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO results VALUES (?, ?)", (key, text))
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0]

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
