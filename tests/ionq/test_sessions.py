"""Tests for :mod:`pennylane_qnative.ionq.sessions`: models and the client's session calls."""

from __future__ import annotations

import asyncio

import pytest

from pennylane_qnative.emulator import running
from pennylane_qnative.exceptions import ConfigurationError, SessionLimitError
from pennylane_qnative.ionq import IonQClient, SessionLimits, SessionStatus
from pennylane_qnative.ionq.models import Circuit, JobRequest
from pennylane_qnative.ionq.sessions import Session, is_session_refusal, session_refusal

H = Circuit(qubits=1, gates=({"gate": "h", "target": 0},))


class TestModels:
    """Pure models."""

    @pytest.mark.parametrize(
        ("limits", "settings"),
        [
            pytest.param({}, {}, id="none"),
            pytest.param({"max_jobs": 3}, {"job_count_limit": 3}, id="jobs"),
            pytest.param({"max_minutes": 5}, {"duration_limit_min": 5}, id="minutes"),
            pytest.param(
                {"max_cost_usd": 2}, {"cost_limit": {"unit": "usd", "value": 2.0}}, id="cost"
            ),
        ],
    )
    def test_limits_to_settings(self, limits, settings):
        """Each limit maps to its API setting."""
        assert SessionLimits.from_mapping(limits).to_json() == settings

    @pytest.mark.parametrize(
        "limits",
        [
            pytest.param({"max_jobs": 0}, id="zero-jobs"),
            pytest.param({"max_jobs": 1.5}, id="fractional-jobs"),
            pytest.param({"max_cost_usd": float("nan")}, id="nan-cost"),
            pytest.param({"max_minutes": True}, id="bool-minutes"),
            pytest.param({"max_hours": 1}, id="unknown-key"),
        ],
    )
    def test_invalid_limits(self, limits):
        """Invalid limits raise ConfigurationError."""
        with pytest.raises(ConfigurationError):
            SessionLimits.from_mapping(limits)

    def test_session_parse(self):
        """A Session object parses; an ended one is not usable."""
        session = Session.from_json(
            {"id": "s", "backend": "simulator", "status": "ended", "active": False}
        )
        assert session.status is SessionStatus.ENDED
        assert not session.usable

    def test_refusal_names_the_limit(self):
        """The service's message gives the limit of the SessionLimitError."""
        message = "SessionLimitExceeded (cost_limit): session s has spent $5.00"
        assert is_session_refusal(message)
        error = session_refusal(message, session_id="s")
        assert (error.limit, error.session_id) == ("cost_limit", "s")
        assert not is_session_refusal("InvalidInput: gate 'z'")


class TestClient:
    """The session calls against the emulator."""

    def test_lifecycle_and_refusal(self):
        """create, get, list, jobs, end; a job past max_jobs raises SessionLimitError."""

        async def scenario(url: str) -> None:
            async with IonQClient(api_key="k", api_url=f"{url}/v0.4") as client:
                session = await client.create_session("simulator", SessionLimits(max_jobs=1))
                assert session.status is SessionStatus.CREATED
                request = JobRequest(backend="simulator", shots=10, circuits=(H,))
                created = await client.create_job(request, session_id=session.id)
                assert created.session_id == session.id
                job = await client.wait_for_job(created.id)
                assert job.session_id == session.id
                assert job.queued_s == pytest.approx(0.0, abs=0.05)
                page = await client.list_session_jobs(session.id)
                assert [j.id for j in page.jobs] == [created.id]
                with pytest.raises(SessionLimitError) as refused:
                    await client.create_job(request, session_id=session.id)
                assert refused.value.limit == "job_count_limit"
                assert refused.value.session_id == session.id
                assert [s.id for s in await client.list_sessions(active=True)] == [session.id]
                ended = await client.end_session(session.id)
                assert ended.status is SessionStatus.ENDED
                assert (await client.get_session(session.id)).usable is False

        with running() as url:
            asyncio.run(scenario(url))
