"""The persistent job journal: a batch of circuits is paid for once, even across crashes.

Each batch is keyed by a content digest (:func:`batch_digest`: service URL, backend, shots,
circuits, noise and settings). Before anything is submitted the journal records the batch and
its plan (which circuits go into which job, and each job's client id); each job id is recorded
as soon as the job exists, and each job's results as soon as they arrive. Submitting the same
batch again — from this process, or from a new one after a crash — re-attaches to those jobs
or returns the stored results.

The IonQ session a run's jobs joined is recorded too (under a key naming the run's service,
backend and limits): a resumed run rejoins it while it is active. The session id is not part of
any batch digest, so a resumed run re-attaches to the jobs it paid for whatever session it runs
in now.

Storage is sqlite in WAL mode (safe for concurrent processes), in the user cache directory by
default, the files ``0o600`` (a folder it creates is ``0o700``; an existing one keeps its
mode). Results are stored as JSON (no pickle); no API key is ever stored. Every row is
validated when read: a corrupt one raises :class:`~.JournalError` naming the file and the fix,
never a wrong result; the schema version is the file's ``PRAGMA user_version``.

A job being created is *claimed* by its creator (``host:pid:token``). Another process waits for
the claim to resolve, or takes it over when the owner died (same host, pid gone) or its lease
expired; a taken-over claim is resolved by looking the client id up at the service first.

**Example**

>>> import tempfile, os
>>> from pennylane_qnative.execution.journal import Journal
>>> with tempfile.TemporaryDirectory() as tmp, Journal(os.path.join(tmp, "j.sqlite")) as j:
...     chunks = j.open_batch("d1", spans=[(0, 2)], n_circuits=2)
...     claim = j.claim("d1", 0, owner=j.new_owner())
...     j.record_job("d1", 0, "job-1")
...     j.record_results("job-1", [{0: 1.0}, {1: 0.5, 3: 0.5}])
...     j.batch("d1")[0].results
[{0: 1.0}, {1: 0.5, 3: 0.5}]
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pennylane_qnative._files import private_file
from pennylane_qnative.exceptions import JournalError
from pennylane_qnative.execution.result_store import bound_page_cache, switch_to_wal

__all__ = [
    "SCHEMA_VERSION",
    "ChunkRecord",
    "ChunkState",
    "Claim",
    "Journal",
    "batch_digest",
    "default_journal_path",
]

SCHEMA_VERSION = 1
"""The journal's schema, in the file as ``PRAGMA user_version`` (0: a file of an earlier
release, the same schema, upgraded on open)."""
_MOVE_ASIDE = (
    "Move the file aside (e.g. rename it to *.corrupt) and run again: a new journal is created, "
    "and the jobs the old one recorded, already paid for, are listed by `qnative jobs list "
    "--journal <moved file>`."
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    digest TEXT PRIMARY KEY, n_circuits INTEGER NOT NULL, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    digest TEXT NOT NULL, idx INTEGER NOT NULL, start INTEGER NOT NULL, stop INTEGER NOT NULL,
    client_id TEXT NOT NULL, state TEXT NOT NULL, job_id TEXT, owner TEXT, lease_at REAL,
    results TEXT, error TEXT, updated_at REAL NOT NULL,
    PRIMARY KEY (digest, idx)
);
CREATE INDEX IF NOT EXISTS chunks_job ON chunks (job_id);
CREATE TABLE IF NOT EXISTS sessions (
    key TEXT PRIMARY KEY, session_id TEXT NOT NULL, opened_at REAL NOT NULL, ended_at REAL
);
"""


class ChunkState(StrEnum):
    """Where one job of a batch stands."""

    PLANNED = "planned"
    """Recorded, not yet submitted."""
    CREATING = "creating"
    """Claimed by a creator; the job may or may not exist yet."""
    SUBMITTED = "submitted"
    """The job exists (``job_id`` is set)."""
    COMPLETED = "completed"
    """Results are stored."""
    FAILED = "failed"
    """The job failed or was cancelled; the next run creates a new one."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ChunkRecord:
    """One job of a batch: circuits ``[start, stop)`` of the batch."""

    index: int
    start: int
    stop: int
    client_id: str
    state: ChunkState
    job_id: str | None = None
    owner: str | None = None
    results: list[dict[int, float]] | None = None
    error: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Claim:
    """The right to create one job; ``resumed``: an earlier creator may have created it."""

    chunk: ChunkRecord
    resumed: bool


def default_cache_dir() -> Path:
    """``$QNATIVE_CACHE_DIR``, else ``<user cache dir>/pennylane-qnative`` (platformdirs)."""
    override = os.environ.get("QNATIVE_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("pennylane-qnative", appauthor=False))


def default_journal_path() -> Path:
    """``<cache dir>/journal.sqlite`` (see :func:`default_cache_dir`)."""
    return default_cache_dir() / "journal.sqlite"


def batch_digest(
    *,
    api_url: str,
    backend: str,
    shots: int,
    circuits: Sequence[Mapping[str, Any]],
    noise: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """SHA-256 of everything that determines a batch's results (canonical JSON).

    >>> a = batch_digest(api_url="u", backend="simulator", shots=10, circuits=[{"qubits": 1}])
    >>> a == batch_digest(api_url="u", backend="simulator", shots=11, circuits=[{"qubits": 1}])
    False
    """
    content = {
        "api_url": api_url,
        "backend": backend,
        "shots": shots,
        "circuits": list(circuits),
        "noise": noise,
        "settings": settings,
        "extra": extra,
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _results(text: Any, n_circuits: int) -> list[dict[int, float]]:
    """The stored results of a job: one probability map per circuit (validated)."""
    data = json.loads(text)
    if not isinstance(data, list) or len(data) != n_circuits:
        raise ValueError(f"results are not a list of {n_circuits} maps")
    results = []
    for item in data:
        if not isinstance(item, dict):
            raise ValueError("a result is not a map")
        probabilities = {int(k): float(v) for k, v in item.items()}
        if any(k < 0 or not 0.0 <= v <= 1.0 + 1e-9 for k, v in probabilities.items()):
            raise ValueError("a result holds a negative outcome or a probability outside [0, 1]")
        results.append(probabilities)
    return results


def _text(row: sqlite3.Row, column: str, *, optional: bool) -> str | None:
    value = row[column]
    if (value is None and optional) or (isinstance(value, str) and value):
        return value
    raise ValueError(f"{column} is {value!r}")


def _row_to_chunk(row: sqlite3.Row) -> ChunkRecord:
    """A chunk row, validated (``ValueError``/``TypeError``/``KeyError`` saying what is wrong)."""
    index, start, stop = row["idx"], row["start"], row["stop"]
    if not all(type(v) is int for v in (index, start, stop)) or not 0 <= start < stop:
        raise ValueError(f"idx/start/stop are {index!r}/{start!r}/{stop!r}")
    state = ChunkState(row["state"])
    job_id = _text(row, "job_id", optional=True)
    if job_id is None and state in (ChunkState.SUBMITTED, ChunkState.COMPLETED):
        raise ValueError(f"a {state.value} job has no job id")
    results = None if row["results"] is None else _results(row["results"], stop - start)
    if results is None and state is ChunkState.COMPLETED:
        raise ValueError("a completed job has no results")
    return ChunkRecord(
        index=index,
        start=start,
        stop=stop,
        client_id=_text(row, "client_id", optional=False),
        state=state,
        job_id=job_id,
        owner=_text(row, "owner", optional=True),
        results=results,
        error=_text(row, "error", optional=True),
    )


def _summary(row: sqlite3.Row) -> dict[str, Any]:
    """What ``qnative jobs list`` shows of a row, corrupt or not."""
    try:
        chunk: ChunkRecord | None = _row_to_chunk(row)
    except (KeyError, TypeError, ValueError):
        chunk = None
    job_id = row["job_id"] if isinstance(row["job_id"], str) else None
    return {
        "batch": str(row["digest"])[:12],
        "index": row["idx"],
        "job_id": job_id,
        "state": "corrupt" if chunk is None else chunk.state.value,
        "circuits": 0 if chunk is None else chunk.stop - chunk.start,
        "error": None if chunk is None else chunk.error,
        "updated_at": row["updated_at"] if isinstance(row["updated_at"], int | float) else 0.0,
    }


class Journal:
    """The sqlite journal of batches, their jobs and their results.

    Args:
        path (str | os.PathLike | None): the database file; default
            :func:`default_journal_path`
        lease_s (float): a claim older than this is taken over even if its owner looks alive
        busy_timeout_s (float): how long to wait for another process's write lock

    Raises:
        JournalError: if the file cannot be created or opened
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        lease_s: float = 600.0,
        busy_timeout_s: float = 30.0,
    ) -> None:
        self.path = Path(path) if path is not None else default_journal_path()
        self.lease_s = lease_s
        self._lock = threading.Lock()
        try:
            private_file(self.path)
            self._db = sqlite3.connect(
                self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
            )
            self._db.row_factory = sqlite3.Row
            switch_to_wal(self._db, busy_timeout_s)
            bound_page_cache(self._db)
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._check_version()
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            for suffix in ("-wal", "-shm"):
                side = self.path.with_name(self.path.name + suffix)
                with contextlib.suppress(OSError):  # sqlite copies the file's mode anyway
                    os.chmod(side, 0o600)
        except sqlite3.DatabaseError as error:
            if isinstance(error, sqlite3.OperationalError):  # not opened, locked: not corrupt
                raise JournalError(
                    f"cannot open the job journal at {self.path}: {error}; pass journal_path= "
                    "to a writable location or disable the journal."
                ) from error
            raise JournalError(
                f"the job journal {self.path} cannot be read ({error}): the file is corrupt or "
                f"not a journal. {_MOVE_ASIDE}"
            ) from None
        except (OSError, sqlite3.Error) as error:
            raise JournalError(
                f"cannot open the job journal at {self.path}: {error}; pass journal_path= "
                "to a writable location or disable the journal."
            ) from error

    def __repr__(self) -> str:
        return f"Journal(path={str(self.path)!r})"

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                raise JournalError(
                    f"the job journal {self.path} could not be written: {error}; check disk "
                    "space and permissions, or pass another journal_path."
                ) from error

    def _check_version(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"the job journal {self.path} has schema version {version}, newer than this "
                f"release's {SCHEMA_VERSION}: upgrade pennylane-qnative, or pass another "
                "journal_path."
            )

    def _decode(self, row: sqlite3.Row) -> ChunkRecord:
        """A chunk row as a record; a corrupt one raises :class:`~.JournalError`."""
        try:
            return _row_to_chunk(row)
        except (KeyError, TypeError, ValueError) as error:
            where = f"batch {str(row['digest'])[:12]}, job {row['idx']!r}"
            raise JournalError(
                f"the job journal {self.path} holds a corrupt record ({where}: {error}). "
                f"{_MOVE_ASIDE}"
            ) from None

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as error:
                fix = (
                    "check the disk and permissions, and retry"
                    if isinstance(error, sqlite3.OperationalError)
                    else _MOVE_ASIDE
                )
                raise JournalError(
                    f"the job journal {self.path} cannot be read ({error}). {fix}"
                ) from None

    def _chunks(self, db: sqlite3.Connection, digest: str) -> list[ChunkRecord]:
        rows = db.execute("SELECT * FROM chunks WHERE digest = ? ORDER BY idx", (digest,))
        return [self._decode(r) for r in rows.fetchall()]

    @staticmethod
    def new_owner() -> str:
        """A claim owner token: ``host:pid:random``."""
        return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"

    def open_batch(
        self, digest: str, *, spans: Sequence[tuple[int, int]], n_circuits: int
    ) -> list[ChunkRecord]:
        """Record a batch and its plan unless already there; return the stored plan.

        Args:
            digest (str): the batch's :func:`batch_digest`
            spans (Sequence[tuple[int, int]]): ``[start, stop)`` of each planned job
            n_circuits (int): number of circuits of the batch

        Returns:
            list[ChunkRecord]: the jobs of the batch (an earlier plan wins)
        """
        now = time.time()
        with self._write() as db:
            existing = self._chunks(db, digest)
            if existing:
                return existing
            db.execute("INSERT INTO batches VALUES (?, ?, ?)", (digest, n_circuits, now))
            db.executemany(
                "INSERT INTO chunks (digest, idx, start, stop, client_id, state, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (digest, i, a, b, uuid.uuid4().hex, ChunkState.PLANNED, now)
                    for i, (a, b) in enumerate(spans)
                ],
            )
            return self._chunks(db, digest)

    def batch(self, digest: str) -> list[ChunkRecord]:
        """The jobs of a batch (empty if unknown)."""
        with self._read() as db:
            return self._chunks(db, digest)

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        """The most recently updated jobs: digest, index, job id, state, circuits, time.

        Readable even when some rows are corrupt (their state is ``"corrupt"``): this is what
        ``qnative jobs list`` shows of a journal moved aside.
        """
        query = "SELECT * FROM chunks ORDER BY updated_at DESC LIMIT ?"
        with self._read() as db:
            rows = db.execute(query, (limit,)).fetchall()
        return [_summary(row) for row in rows]

    def find(self, job_id: str) -> ChunkRecord | None:
        """The journal record of ``job_id`` (with its stored results), or ``None``."""
        with self._read() as db:
            row = db.execute("SELECT * FROM chunks WHERE job_id = ?", (job_id,)).fetchone()
        return None if row is None else self._decode(row)

    def _stale(self, owner: str | None, lease_at: float | None) -> bool:
        if owner is None or lease_at is None or time.time() - lease_at > self.lease_s:
            return True
        host, _, rest = owner.partition(":")
        pid = rest.partition(":")[0]
        return host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid))

    def claim(self, digest: str, index: int, *, owner: str) -> Claim | None:
        """Claim the creation of job ``index`` of a batch.

        Returns:
            Claim | None: the claim, or ``None`` when the job already exists or a live owner
            is creating it (read :meth:`batch` again later)
        """
        with self._write() as db:
            row = db.execute(
                "SELECT * FROM chunks WHERE digest = ? AND idx = ?", (digest, index)
            ).fetchone()
            if row is None:
                raise JournalError(f"batch {digest[:12]} has no job {index}; it was not opened.")
            state = self._decode(row).state
            if state is ChunkState.CREATING and not self._stale(row["owner"], row["lease_at"]):
                return None
            if state not in (ChunkState.PLANNED, ChunkState.CREATING, ChunkState.FAILED):
                return None
            client_id = uuid.uuid4().hex if state is ChunkState.FAILED else row["client_id"]
            db.execute(
                "UPDATE chunks SET state = ?, owner = ?, lease_at = ?, client_id = ?, "
                "job_id = NULL, error = NULL, updated_at = ? WHERE digest = ? AND idx = ?",
                (ChunkState.CREATING, owner, time.time(), client_id, time.time(), digest, index),
            )
            chunk = self._decode(
                db.execute(
                    "SELECT * FROM chunks WHERE digest = ? AND idx = ?", (digest, index)
                ).fetchone()
            )
            return Claim(chunk=chunk, resumed=state is ChunkState.CREATING)

    def record_job(self, digest: str, index: int, job_id: str) -> None:
        """The job of ``index`` exists: store its id (right after creation)."""
        with self._write() as db:
            db.execute(
                "UPDATE chunks SET state = ?, job_id = ?, owner = NULL, updated_at = ? "
                "WHERE digest = ? AND idx = ?",
                (ChunkState.SUBMITTED, job_id, time.time(), digest, index),
            )

    def record_results(self, job_id: str, results: Sequence[Mapping[int, float]]) -> None:
        """Store the results of a job (every chunk that points at it)."""
        text = json.dumps([{str(k): float(v) for k, v in r.items()} for r in results])
        with self._write() as db:
            db.execute(
                "UPDATE chunks SET state = ?, results = ?, updated_at = ? WHERE job_id = ?",
                (ChunkState.COMPLETED, text, time.time(), job_id),
            )

    def record_failure(self, job_id: str, message: str) -> None:
        """The job failed or was cancelled: the next run of its batch creates a new one."""
        with self._write() as db:
            db.execute(
                "UPDATE chunks SET state = ?, error = ?, updated_at = ? WHERE job_id = ?",
                (ChunkState.FAILED, message[:2000], time.time(), job_id),
            )

    def release(self, digest: str, index: int, *, owner: str, maybe_created: bool) -> None:
        """Give up a claim after creation did not succeed.

        Args:
            digest (str): the batch
            index (int): the job
            owner (str): the claim owner
            maybe_created (bool): the job may exist (ambiguous failure): the next claimant
                looks its client id up before creating
        """
        state = ChunkState.CREATING if maybe_created else ChunkState.PLANNED
        with self._write() as db:
            db.execute(
                "UPDATE chunks SET state = ?, owner = NULL, updated_at = ? "
                "WHERE digest = ? AND idx = ? AND owner = ? AND state = ?",
                (state, time.time(), digest, index, owner, ChunkState.CREATING),
            )

    def session(self, key: str) -> str | None:
        """The session recorded under ``key`` and not ended by us, or ``None``."""
        with self._read() as db:
            row = db.execute(
                "SELECT session_id FROM sessions WHERE key = ? AND ended_at IS NULL", (key,)
            ).fetchone()
        return None if row is None else str(row["session_id"])

    def record_session(self, key: str, session_id: str) -> None:
        """Record the session the run under ``key`` now uses."""
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO sessions (key, session_id, opened_at, ended_at) "
                "VALUES (?, ?, ?, NULL)",
                (key, session_id, time.time()),
            )

    def record_session_end(self, session_id: str) -> None:
        """The session has ended: a later run opens a new one."""
        with self._write() as db:
            db.execute(
                "UPDATE sessions SET ended_at = ? WHERE session_id = ?", (time.time(), session_id)
            )

    def forget(self, digest: str) -> None:
        """Delete a batch and its records."""
        with self._write() as db:
            db.execute("DELETE FROM chunks WHERE digest = ?", (digest,))
            db.execute("DELETE FROM batches WHERE digest = ?", (digest,))
