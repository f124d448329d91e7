"""Job persistence in sqlite (a file, or ``:memory:``).

A job is stored as its JSON record (see :mod:`.job_records`) plus the columns the API filters on;
sessions are stored as their records, with the ids of their top-level jobs;
results live in their own table. An emulator restarted on the same file serves the same jobs,
keeps numbering them where it stopped (job sequence numbers seed sampling and faults) and
still reports how many jobs were ever created, deleted ones included.

**Example**

>>> from pennylane_qnative.emulator.job_store import JobStore
>>> store = JobStore(":memory:")
>>> store.insert([{"id": "a", "seq": 1, "parent_job_id": None}], {})
>>> store.get("a")["seq"], store.counts()["jobs_created"]
(1, 1)
>>> store.close()
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["JobStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    parent_job_id TEXT,
    payload_hash TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_seq ON jobs (seq);
CREATE INDEX IF NOT EXISTS jobs_parent ON jobs (parent_job_id);
CREATE TABLE IF NOT EXISTS results (job_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS session_jobs (session_id TEXT NOT NULL, job_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS session_jobs_session ON session_jobs (session_id);
"""


class JobStore:
    """Thread-safe sqlite store of job records and results.

    Args:
        path (str): a database file, or ``":memory:"``
    """

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def next_seq(self) -> int:
        """The sequence number the next top-level job will get (1 for an empty store)."""
        with self._lock:
            (last,) = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM jobs").fetchone()
        return int(last) + 1

    def insert(self, records: list[Mapping[str, Any]], results: Mapping[str, Any]) -> None:
        """Insert job records (and any results) in one transaction.

        Args:
            records (list[Mapping[str, Any]]): records with ``id``, ``seq``, ``parent_job_id``
            results (Mapping[str, Any]): job id -> result object
        """
        rows = [
            (
                r["id"],
                r["seq"],
                r.get("parent_job_id"),
                r.get("payload_hash"),
                json.dumps(r, separators=(",", ":")),
            )
            for r in records
        ]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT INTO jobs (id, seq, parent_job_id, payload_hash, record) "
                    "VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
                self._db.executemany(
                    "INSERT OR REPLACE INTO results (job_id, data) VALUES (?, ?)",
                    [(k, json.dumps(v, separators=(",", ":"))) for k, v in results.items()],
                )
                self._db.executemany(
                    "INSERT INTO session_jobs (session_id, job_id) VALUES (?, ?)",
                    [
                        (r["session_id"], r["id"])
                        for r in records
                        if r.get("session_id") and r.get("parent_job_id") is None
                    ],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def get(self, job_id: str) -> dict[str, Any] | None:
        """The record of a job that exists and is not deleted, else ``None``."""
        with self._lock:
            row = self._db.execute(
                "SELECT record FROM jobs WHERE id = ? AND deleted = 0", (job_id,)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def update(self, record: Mapping[str, Any]) -> None:
        """Rewrite a job's record (cancellation)."""
        with self._lock:
            self._db.execute(
                "UPDATE jobs SET record = ? WHERE id = ?",
                (json.dumps(record, separators=(",", ":")), record["id"]),
            )

    def delete(self, job_ids: list[str]) -> None:
        """Mark jobs deleted (they then answer 404); they still count as created."""
        with self._lock:
            self._db.executemany(
                "UPDATE jobs SET deleted = 1 WHERE id = ?", [(i,) for i in job_ids]
            )

    def results(self, job_id: str) -> Any | None:
        """The stored results of a job, or ``None``."""
        with self._lock:
            row = self._db.execute(
                "SELECT data FROM results WHERE job_id = ?", (job_id,)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def iter_records(
        self, *, before_seq: int | None = None, parent_job_id: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Live records, newest first (descending ``seq``, children after their parent).

        Args:
            before_seq (int | None): only records strictly older than this sequence number
            parent_job_id (str | None): only the children of this job
        """
        query = "SELECT record FROM jobs WHERE deleted = 0"
        args: list[Any] = []
        if before_seq is not None:
            query += " AND seq < ?"
            args.append(before_seq)
        if parent_job_id is not None:
            query += " AND parent_job_id = ?"
            args.append(parent_job_id)
        query += " ORDER BY seq DESC, rowid ASC"
        with self._lock:
            rows = self._db.execute(query, args).fetchall()
        for (text,) in rows:
            yield json.loads(text)

    def put_session(self, record: Mapping[str, Any]) -> None:
        """Insert or rewrite a session's record."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO sessions (id, record) VALUES (?, ?)",
                (record["id"], json.dumps(record, separators=(",", ":"))),
            )

    def get_session(self, session_id: str) -> dict[str, Any] | None:
        """The record of a session, or ``None``."""
        with self._lock:
            row = self._db.execute(
                "SELECT record FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def sessions(self) -> list[dict[str, Any]]:
        """Every session, newest first."""
        with self._lock:
            rows = self._db.execute("SELECT record FROM sessions ORDER BY rowid DESC").fetchall()
        return [json.loads(text) for (text,) in rows]

    def session_jobs(self, session_id: str, *, deleted: bool = False) -> list[dict[str, Any]]:
        """The top-level jobs of a session, oldest first (``deleted``: deleted ones too, as
        they still count against its limits)."""
        query = (
            "SELECT j.record FROM session_jobs s JOIN jobs j ON j.id = s.job_id "
            "WHERE s.session_id = ?" + ("" if deleted else " AND j.deleted = 0") + " ORDER BY j.seq"
        )
        with self._lock:
            rows = self._db.execute(query, (session_id,)).fetchall()
        return [json.loads(text) for (text,) in rows]

    def counts(self) -> dict[str, int]:
        """How many jobs were ever created, and how many payloads were submitted twice.

        Returns:
            dict[str, int]: ``jobs_created`` (top-level jobs, deleted ones included),
            ``child_jobs_created``, ``jobs_deleted``, ``duplicate_payloads``
        """
        with self._lock:
            top, children, deleted = self._db.execute(
                "SELECT SUM(parent_job_id IS NULL), SUM(parent_job_id IS NOT NULL), "
                "SUM(deleted AND parent_job_id IS NULL) FROM jobs"
            ).fetchone()
            (distinct,) = self._db.execute(
                "SELECT COUNT(DISTINCT payload_hash) FROM jobs "
                "WHERE parent_job_id IS NULL AND payload_hash IS NOT NULL"
            ).fetchone()
        top = int(top or 0)
        return {
            "jobs_created": top,
            "child_jobs_created": int(children or 0),
            "jobs_deleted": int(deleted or 0),
            "duplicate_payloads": top - int(distinct or 0),
        }
