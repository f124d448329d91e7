"""Tests for :mod:`pennylane_qnative.execution.session`: the SessionHandle."""

from __future__ import annotations

import asyncio

import pytest

from pennylane_qnative.emulator import running
from pennylane_qnative.execution.journal import Journal
from pennylane_qnative.execution.runner import EventLoopRunner
from pennylane_qnative.execution.session import SessionHandle, SessionRequest
from pennylane_qnative.ionq import IonQClient, SessionLimits


@pytest.fixture
def runner():
    """A private event-loop runner."""
    with EventLoopRunner() as loop_runner:
        yield loop_runner


@pytest.fixture
def service(runner):
    """(client, runner) on a fresh emulator."""
    with running() as url:
        client = IonQClient(api_key="k", api_url=f"{url}/v0.4")
        yield client, runner
        runner.run(client.aclose())


def handle(client, runner, journal=None, **kwargs) -> SessionHandle:
    """A handle on the simulator."""
    request = kwargs.pop("request", SessionRequest(limits=SessionLimits(max_jobs=5)))
    return SessionHandle(
        client, backend="simulator", request=request, journal=journal, run=runner.run, **kwargs
    )


class TestSessionHandle:
    """Lazy open, journaled rejoin, replacement and close."""

    def test_lazy_then_stable(self, service):
        """No session before acquire; then the same id, concurrently too."""
        client, runner = service
        h = handle(client, runner)
        assert h.session_id is None

        async def many():
            return await asyncio.gather(*(h.acquire() for _ in range(5)))

        ids = runner.run(many())
        assert len(set(ids)) == 1
        assert h.opened == 1

    def test_close_ends_it(self, service):
        """close() ends a session the handle opened; the next acquire opens another."""
        client, runner = service
        h = handle(client, runner)
        first = runner.run(h.acquire())
        h.close()
        assert runner.run(client.get_session(first)).usable is False
        assert runner.run(h.acquire()) != first

    def test_joined_session_is_not_ended(self, service):
        """A session given by id is used as it is and never ended by the handle."""
        client, runner = service
        existing = runner.run(client.create_session("simulator"))
        h = handle(client, runner, request=SessionRequest(join=existing.id))
        assert runner.run(h.acquire()) == existing.id
        h.close()
        assert runner.run(client.get_session(existing.id)).usable
        assert not h.replaceable

    def test_resumed_run_rejoins(self, service, tmp_path):
        """A second handle with the same journal rejoins an active session, not an ended one."""
        client, runner = service
        with Journal(tmp_path / "j.sqlite") as journal:
            first = runner.run(handle(client, runner, journal).acquire())
            again = handle(client, runner, journal)
            assert runner.run(again.acquire()) == first
            assert again.opened == 0
            again.close()
            third = handle(client, runner, journal)
            assert runner.run(third.acquire()) != first

    def test_session_ended_elsewhere_is_replaced(self, service):
        """replace() after the session ended opens a new one (once)."""
        client, runner = service
        h = handle(client, runner)
        first = runner.run(h.acquire())
        runner.run(client.end_session(first))
        second = runner.run(h.replace(first))
        assert second != first
        assert runner.run(h.replace(first)) == second

    def test_budget_caps_the_cost_limit(self, service):
        """The session's cost_limit is the smaller of max_cost_usd and the budget left."""
        client, runner = service
        request = SessionRequest(limits=SessionLimits(max_cost_usd=100.0))
        h = handle(client, runner, request=request, remaining_budget=lambda: 12.5)
        session = runner.run(client.get_session(runner.run(h.acquire())))
        assert session.settings["cost_limit"] == {"unit": "usd", "value": 12.5}
