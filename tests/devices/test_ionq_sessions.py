"""``qnative.ionq(session=...)`` against the emulator: one session, one queue wait."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import numpy as np
import pennylane as qp
import pytest

from pennylane_qnative.devices.errors import DeviceConfigurationError
from pennylane_qnative.emulator import LatencyModel, running
from pennylane_qnative.exceptions import SessionLimitError

QUEUE_S = 0.4
HEADERS = {"Authorization": "apiKey k"}


@pytest.fixture
def emulator() -> Iterator[str]:
    """An emulator whose jobs queue QUEUE_S and run 20 ms."""
    with running(latency=LatencyModel(queue_s=QUEUE_S, exec_per_circuit_s=0.02)) as url:
        yield url


def device(url: str, tmp_path, **options):
    """qnative.ionq on the emulator (no cache: every call is a job)."""
    options.setdefault("journal_path", tmp_path / "journal.sqlite")
    return qp.device(
        "qnative.ionq", wires=1, api_url=f"{url}/v0.4", api_key="k", cache=False, **options
    )


def circuit(dev):
    """<Z> after RX(x)."""

    @qp.qnode(dev)
    def f(x):
        qp.RX(x, 0)
        return qp.expval(qp.PauliZ(0))

    return f


def session_jobs(url: str, session_id: str) -> list[dict]:
    return httpx.get(f"{url}/v0.4/sessions/{session_id}/jobs", headers=HEADERS).json()["jobs"]


class TestOption:
    """Validation of session=."""

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param({"max_jobs": -1}, id="negative"),
            pytest.param({"max_hours": 1}, id="unknown-key"),
            pytest.param("", id="empty-id"),
            pytest.param(3, id="int"),
        ],
    )
    def test_invalid(self, value):
        """An invalid session option is refused at construction, naming it."""
        with pytest.raises(DeviceConfigurationError, match="session"):
            qp.device("qnative.ionq", wires=1, api_key="k", session=value)

    def test_no_session_by_default(self, emulator, tmp_path):
        """Without session= the jobs join no session."""
        dev = device(emulator, tmp_path)
        circuit(dev)(0.1)
        assert dev.session_id is None


class TestOneSession:
    """A run's jobs in one session."""

    def test_all_jobs_in_one_session_queue_waited_once(self, emulator, tmp_path):
        """Every job is listed under the session; only the first one queued."""
        dev = device(emulator, tmp_path, session={"max_jobs": 10})
        f = circuit(dev)
        with qp.Tracker(dev) as tracker:
            for x in (0.1, 0.2, 0.3, 0.4):
                f(x)
        session_id = dev.session_id
        assert tracker.history["session_id"][-1] == session_id
        listed = session_jobs(emulator, session_id)
        paid = [ids[0] for ids in tracker.history["job_ids"]]
        assert sorted(j["id"] for j in listed if j["parent_job_id"] is None) == sorted(paid)
        queued = tracker.history["queued_seconds"]
        assert queued[0] == pytest.approx(QUEUE_S, abs=0.1)
        assert sum(queued[1:]) < 0.2
        dev.close()
        state = httpx.get(f"{emulator}/v0.4/sessions/{session_id}", headers=HEADERS).json()
        assert state["status"] == "ended"

    def test_context_manager_closes(self, emulator, tmp_path):
        """with dev: ... ends the session."""
        with device(emulator, tmp_path, session=True) as dev:
            circuit(dev)(0.5)
            session_id = dev.session_id
        assert dev.session_id is None
        state = httpx.get(f"{emulator}/v0.4/sessions/{session_id}", headers=HEADERS).json()
        assert state["active"] is False

    def test_limit_refused_precisely(self, emulator, tmp_path):
        """The job past max_jobs raises SessionLimitError naming the session and the limit."""
        dev = device(emulator, tmp_path, session={"max_jobs": 1})
        f = circuit(dev)
        f(0.1)
        with pytest.raises(SessionLimitError) as refused:
            f(0.2)
        assert refused.value.limit == "job_count_limit"
        assert refused.value.session_id == dev.session_id

    def test_join_existing(self, emulator, tmp_path):
        """A session id joins that session, which the device does not end."""
        created = httpx.post(
            f"{emulator}/v0.4/sessions", json={"backend": "simulator"}, headers=HEADERS
        ).json()
        dev = device(emulator, tmp_path, session=created["id"])
        circuit(dev)(0.3)
        dev.close()
        assert [j["session_id"] for j in session_jobs(emulator, created["id"])] == [created["id"]]
        state = httpx.get(f"{emulator}/v0.4/sessions/{created['id']}", headers=HEADERS).json()
        assert state["active"] is True

    def test_resume_rejoins_and_reattaches(self, emulator, tmp_path):
        """A resumed run rejoins the journaled session and re-attaches to its paid job."""
        first = device(emulator, tmp_path, session=True, seed=3)
        value = circuit(first)(0.7)
        session_id = first.session_id  # the "crash": never closed
        again = device(emulator, tmp_path, session=True, seed=3)
        with qp.Tracker(again) as tracker:
            assert circuit(again)(0.7) == pytest.approx(value)
            circuit(again)(0.9)
        assert again.session_id == session_id
        assert tracker.history["jobs_created"] == [0, 1]
        assert len(session_jobs(emulator, session_id)) == 2

    def test_ended_session_reopened_on_resume(self, emulator, tmp_path):
        """After the session ended, the next run opens a new one."""
        first = device(emulator, tmp_path, session=True)
        circuit(first)(0.1)
        old = first.session_id
        first.close()
        again = device(emulator, tmp_path, session=True)
        circuit(again)(0.2)
        assert again.session_id not in (None, old)
        assert np.isfinite(circuit(again)(0.3))
