"""Tests for pennylane_qnative.execution.journal.

Storage behaviour is tested on the journal alone; re-attachment (same process, new process,
after SIGKILL, concurrent processes) against the real emulator over loopback HTTP, counting
jobs through the emulator's admin endpoint.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qnative.emulator import LatencyModel, running
from pennylane_qnative.exceptions import JobFailedError, JobTimeoutError, JournalError
from pennylane_qnative.execution.job_manager import CircuitBatchManager, as_circuit, pack_circuits
from pennylane_qnative.execution.journal import (
    ChunkState,
    Journal,
    batch_digest,
    default_journal_path,
)
from pennylane_qnative.ionq.client import IonQClient
from pennylane_qnative.ionq.models import CLIENT_ID_KEY
from pennylane_qnative.ionq.retry import RetryPolicy

KEY = "journal-test-SECRET-key-42"
ADMIN = {"Authorization": f"apiKey {KEY}"}  # the admin endpoints need a key when keys are set


def basis_circuit(i: int, qubits: int = 5) -> dict:
    gates = [{"gate": "x", "target": q} for q in range(qubits) if i >> q & 1]
    return {"qubits": qubits, "circuit": gates or [{"gate": "z", "target": 0}]}


def jobs_created(url: str) -> int:
    return httpx.get(url + "/_emulator/stats", headers=ADMIN).json()["jobs_created"]


def manager(url: str, path, **kwargs) -> CircuitBatchManager:
    return CircuitBatchManager(
        api_key=KEY,
        api_url=url + "/v0.4",
        journal_path=path,
        retry=RetryPolicy(max_retries=8, base_delay=0.01, max_delay=0.2),
        **kwargs,
    )


def dead_pid() -> int:
    """The pid of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


class TestStorage:
    """The sqlite file itself."""

    def test_private_files_and_wal(self, tmp_path):
        """Directory 0o700, files 0o600 (wal/shm included), WAL mode."""
        path = tmp_path / "sub" / "journal.sqlite"
        with Journal(path) as journal:
            journal.open_batch("d", spans=[(0, 1)], n_circuits=1)
            mode = journal._db.execute("PRAGMA journal_mode").fetchone()[0]
            files = [p for p in path.parent.iterdir()]
            assert {p.name for p in files} >= {"journal.sqlite", "journal.sqlite-wal"}
            assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
        assert mode == "wal"
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    def test_default_path_in_user_cache(self, monkeypatch, tmp_path):
        """The default journal lives in the user cache directory."""
        monkeypatch.delenv("QNATIVE_CACHE_DIR", raising=False)
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
        path = default_journal_path()
        assert path.name == "journal.sqlite"
        assert path.parent == tmp_path / "pennylane-qnative"

    def test_cache_dir_override(self, monkeypatch, tmp_path):
        """$QNATIVE_CACHE_DIR moves the journal (and the result store) elsewhere."""
        monkeypatch.setenv("QNATIVE_CACHE_DIR", str(tmp_path / "elsewhere"))
        assert default_journal_path() == tmp_path / "elsewhere" / "journal.sqlite"

    def test_unwritable_location(self, tmp_path):
        """A journal that cannot be created raises JournalError naming the path."""
        blocker = tmp_path / "file"
        blocker.write_text("x")
        with pytest.raises(JournalError, match="journal_path"):
            Journal(blocker / "journal.sqlite")

    def test_first_plan_wins(self, tmp_path):
        """Opening a known batch returns its stored plan, not the new one."""
        with Journal(tmp_path / "j.sqlite") as journal:
            first = journal.open_batch("d", spans=[(0, 2), (2, 3)], n_circuits=3)
            again = journal.open_batch("d", spans=[(0, 3)], n_circuits=3)
        assert again == first
        assert [(c.start, c.stop) for c in again] == [(0, 2), (2, 3)]
        assert all(c.state is ChunkState.PLANNED for c in again)

    @settings(max_examples=30, deadline=None)
    @given(
        results=st.lists(
            st.dictionaries(st.integers(0, 2**20), st.floats(0, 1, allow_nan=False), max_size=6),
            min_size=1,
            max_size=4,
        )
    )
    def test_results_roundtrip_exact(self, tmp_path_factory, results):
        """Results come back bit-for-bit (JSON, no rounding)."""
        path = tmp_path_factory.mktemp("rt") / "j.sqlite"
        with Journal(path) as journal:
            journal.open_batch("d", spans=[(0, len(results))], n_circuits=len(results))
            journal.claim("d", 0, owner=journal.new_owner())
            journal.record_job("d", 0, "job")
            journal.record_results("job", results)
            assert journal.batch("d")[0].results == results

    def test_digest_covers_everything(self):
        """Any change of backend, noise, settings, circuits or URL changes the digest."""
        base = {
            "api_url": "u",
            "backend": "simulator",
            "shots": 10,
            "circuits": [basis_circuit(1)],
            "noise": None,
            "settings": None,
        }
        changes = [
            {"api_url": "v"},
            {"backend": "qpu.aria-1"},
            {"circuits": [basis_circuit(2)]},
            {"noise": {"model": "aria-1"}},
            {"settings": {"error_mitigation": {"debiasing": True}}},
        ]
        digests = {batch_digest(**{**base, **c}) for c in changes}
        assert len(digests | {batch_digest(**base)}) == len(changes) + 1


class TestClaims:
    """Who may create a job."""

    def test_live_owner_blocks_dead_owner_resumes(self, tmp_path):
        """A live claim blocks others; a claim of a dead process is resumed (lookup first)."""
        with Journal(tmp_path / "j.sqlite") as journal:
            journal.open_batch("d", spans=[(0, 1)], n_circuits=1)
            first = journal.claim("d", 0, owner=journal.new_owner())
            assert first is not None
            assert not first.resumed
            assert journal.claim("d", 0, owner=journal.new_owner()) is None
            host = journal.new_owner().split(":")[0]
            journal._db.execute("UPDATE chunks SET owner = ?", (f"{host}:{dead_pid()}:x",))
            taken = journal.claim("d", 0, owner=journal.new_owner())
        assert taken is not None
        assert taken.resumed
        assert taken.chunk.client_id == first.chunk.client_id

    def test_expired_lease_resumes(self, tmp_path):
        """A claim older than lease_s is taken over even if its owner looks alive."""
        with Journal(tmp_path / "j.sqlite", lease_s=0.0) as journal:
            journal.open_batch("d", spans=[(0, 1)], n_circuits=1)
            journal.claim("d", 0, owner="elsewhere:1:x")
            assert journal.claim("d", 0, owner=journal.new_owner()).resumed

    def test_failure_gets_new_client_id(self, tmp_path):
        """After a failed job the next claim uses a fresh client id, no lookup."""
        with Journal(tmp_path / "j.sqlite") as journal:
            journal.open_batch("d", spans=[(0, 1)], n_circuits=1)
            first = journal.claim("d", 0, owner=journal.new_owner())
            journal.record_job("d", 0, "job-1")
            assert journal.claim("d", 0, owner=journal.new_owner()) is None
            journal.record_failure("job-1", "failed with InternalError")
            again = journal.claim("d", 0, owner=journal.new_owner())
        assert again is not None
        assert not again.resumed
        assert again.chunk.client_id != first.chunk.client_id

    def test_release(self, tmp_path):
        """A refused creation frees the claim; an ambiguous one leaves it to be looked up."""
        with Journal(tmp_path / "j.sqlite") as journal:
            journal.open_batch("d", spans=[(0, 1), (1, 2)], n_circuits=2)
            owner = journal.new_owner()
            journal.claim("d", 0, owner=owner)
            journal.claim("d", 1, owner=owner)
            journal.release("d", 0, owner=owner, maybe_created=False)
            journal.release("d", 1, owner=owner, maybe_created=True)
            assert not journal.claim("d", 0, owner=journal.new_owner()).resumed
            assert journal.claim("d", 1, owner=journal.new_owner()).resumed


@pytest.fixture
def emulator():
    with running(seed=5) as url:
        yield url


class TestReattach:
    """The same batch is paid for once."""

    def test_same_process_returns_stored_results(self, emulator, tmp_path):
        """A second run returns the stored results without any request."""
        circuits = [basis_circuit(i) for i in range(6)]
        path = tmp_path / "j.sqlite"
        with manager(emulator, path, max_circuits_per_job=4) as m:
            first = m.execute_batch(circuits, shots=10)
        with manager(emulator, path, max_circuits_per_job=2) as m:
            second = m.execute_batch(circuits, shots=10)
            assert m.client.requests_sent == {}
        assert first == second == [{i: 1.0} for i in range(6)]
        assert jobs_created(emulator) == 2

    def test_submitted_batch_reattached(self, emulator, tmp_path):
        """Jobs created by submit_batch are re-attached by a later execute_batch."""
        circuits = [basis_circuit(i) for i in range(3)]
        path = tmp_path / "j.sqlite"
        with manager(emulator, path) as m:
            ids = m.submit_batch(circuits, shots=10)
        with manager(emulator, path) as m:
            assert m.submit_batch(circuits, shots=10) == ids
            assert m.execute_batch(circuits, shots=10) == [{i: 1.0} for i in range(3)]
            assert "create" not in m.client.requests_sent
        assert jobs_created(emulator) == 1

    def test_different_shots_is_another_batch(self, emulator, tmp_path):
        """Changing shots changes the digest: a new job."""
        with manager(emulator, tmp_path / "j.sqlite") as m:
            m.execute_batch([basis_circuit(1)], shots=10)
            m.execute_batch([basis_circuit(1)], shots=11)
        assert jobs_created(emulator) == 2

    def test_failed_job_is_recreated(self, tmp_path):
        """A failed job is recorded; running the batch again creates a new job."""
        faults = {"failure_rate": 1.0}
        with running(faults=faults) as url, manager(url, tmp_path / "j.sqlite") as m:
            for _ in range(2):
                with pytest.raises(JobFailedError):
                    m.execute_batch([basis_circuit(1)], shots=10)
            assert jobs_created(url) == 2
            chunk = m.journal.batch(m.manager.digest([as_circuit(basis_circuit(1))], 10))[0]
        assert chunk.state is ChunkState.FAILED
        assert "InternalError" in chunk.error

    def test_deadline_cancel_is_journaled(self, tmp_path):
        """Jobs cancelled at the deadline are marked failed: the next run creates new ones."""
        circuits = [basis_circuit(1)]
        with (
            running(latency=LatencyModel(queue_s=60)) as url,
            manager(url, tmp_path / "j.sqlite", timeout=0.2) as m,
        ):
            with pytest.raises(JobTimeoutError, match="cancelled"):
                m.execute_batch(circuits, shots=10)
            digest = m.manager.digest([as_circuit(c) for c in circuits], 10)
            chunk = m.journal.batch(digest)[0]
        assert chunk.state is ChunkState.FAILED
        assert chunk.error == "cancelled at the deadline"

    def test_creator_died_before_recording_job_id(self, emulator, tmp_path):
        """The creator died between POST and recording: the job is found by client id."""
        circuits = [as_circuit(basis_circuit(i)) for i in range(2)]
        with manager(emulator, tmp_path / "j.sqlite") as m:
            digest = m.manager.digest(circuits, 10)
            spans = pack_circuits(circuits, limits=m.config.limits)
            journal = m.journal
            journal.open_batch(digest, spans=spans, n_circuits=2)
            host = journal.new_owner().split(":")[0]
            claim = journal.claim(digest, 0, owner=f"{host}:{dead_pid()}:gone")
            request = m.manager.plan(circuits, 10)[0]
            request = request.with_metadata(CLIENT_ID_KEY, claim.chunk.client_id)
            m.runner.run(_create(emulator, request))
            assert jobs_created(emulator) == 1
            assert m.execute_batch(circuits, shots=10) == [{0: 1.0}, {1: 1.0}]
            assert "create" not in m.client.requests_sent
        assert jobs_created(emulator) == 1

    def test_key_not_in_journal(self, emulator, tmp_path):
        """The journal file (and its WAL) never contain the API key."""
        path = tmp_path / "j.sqlite"
        with manager(emulator, path) as m:
            m.execute_batch([basis_circuit(3)], shots=10)
            blobs = b"".join(p.read_bytes() for p in tmp_path.iterdir())
        assert KEY.encode() not in blobs
        assert b"pickle" not in blobs
        rows = sqlite3.connect(path).execute("SELECT results FROM chunks").fetchall()
        assert json.loads(rows[0][0]) == [{"3": 1.0}]
        assert KEY not in repr(m)


async def _create(url, request):
    async with IonQClient(api_key=KEY, api_url=url + "/v0.4") as client:
        return await client.create_job(request)


WORKER = textwrap.dedent(
    """
    import json, sys
    from pennylane_qnative.execution.job_manager import CircuitBatchManager
    url, path, mode = sys.argv[1:4]
    circuits = [{"qubits": 5, "circuit": [{"gate": "x", "target": q} for q in range(5)
                 if i >> q & 1] or [{"gate": "z", "target": 0}]} for i in range(8)]
    m = CircuitBatchManager(api_key="__KEY__", api_url=url + "/v0.4", journal_path=path,
                            max_circuits_per_job=3)
    if mode == "submit-then-hang":
        ids = m.submit_batch(circuits, shots=10)
        print("SUBMITTED", json.dumps(ids), flush=True)
        m.get_results(ids)
        print("NOT KILLED", flush=True)
    else:
        results = m.execute_batch(circuits, shots=10)
        print(json.dumps([{str(k): v for k, v in r.items()} for r in results]), flush=True)
    """
).replace("__KEY__", KEY)
EXPECTED = [{str(i): 1.0} for i in range(8)]


def worker(url, path, mode):
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, url, str(path), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class TestProcesses:
    """Crashes and concurrency across processes."""

    def test_sigkill_after_submission(self, tmp_path):
        """Killed after recording job ids: a new process creates 0 jobs and gets results."""
        with running(latency=LatencyModel(queue_s=1.5)) as url:
            first = worker(url, tmp_path / "j.sqlite", "submit-then-hang")
            line = first.stdout.readline()
            assert line.startswith("SUBMITTED"), first.stderr.read()
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
            created = jobs_created(url)
            second = worker(url, tmp_path / "j.sqlite", "execute")
            out, err = second.communicate(timeout=60)
            assert second.returncode == 0, err
            assert jobs_created(url) == created == 3
        assert first.returncode == -signal.SIGKILL
        assert json.loads(out) == EXPECTED

    def test_concurrent_processes_share_jobs(self, tmp_path):
        """Two processes running the same batch on one journal create each job once."""
        with running(latency=LatencyModel(queue_s=0.2)) as url:
            procs = [worker(url, tmp_path / "j.sqlite", "execute") for _ in range(2)]
            outs = [p.communicate(timeout=60) for p in procs]
            assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
            assert jobs_created(url) == 3
        assert [json.loads(o) for o, _ in outs] == [EXPECTED, EXPECTED]
