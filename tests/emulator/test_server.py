"""Tests of the background server and running() (pennylane_qnative.emulator.server)."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from pennylane_qnative.emulator import EmulatorConfig, EmulatorServer, running, spawned
from pennylane_qnative.exceptions import ConfigurationError, QnativeError


def port_of(url: str) -> int:
    """The port of an http URL."""
    return int(url.rsplit(":", 1)[1].split("/")[0])


class TestRunning:
    """The running() context manager."""

    def test_serves_on_a_free_loopback_port(self):
        """It yields a loopback URL that answers immediately."""
        with running() as url:
            assert url.startswith("http://127.0.0.1:")
            assert port_of(url) > 0
            assert httpx.get(f"{url}/v0.4/backends").status_code == 200

    def test_stops_cleanly(self):
        """After the block: the port is closed and no thread is left behind."""
        before = threading.active_count()
        with running() as url:
            httpx.get(f"{url}/v0.4/backends")
        assert threading.active_count() == before
        with (
            pytest.raises(ConnectionRefusedError),
            socket.create_connection(("127.0.0.1", port_of(url)), timeout=1),
        ):
            pass

    def test_two_at_once(self):
        """Two emulators can run side by side on different ports."""
        with running() as first, running() as second:
            assert first != second

    def test_invalid_options(self):
        """Invalid options raise ConfigurationError before anything starts."""
        with pytest.raises(ConfigurationError, match="profile"), running(profile="warp"):
            pass
        with pytest.raises(ConfigurationError, match="root"), running(root="no-slash"):
            pass
        with (
            pytest.raises(ConfigurationError, match="error_rate"),
            running(faults={"error_rate": 3}),
        ):
            pass

    def test_config_object(self):
        """A full EmulatorConfig can be passed instead of options."""
        config = EmulatorConfig(profile="instant", api_keys=("k",))
        with running(config=config) as url:
            assert httpx.get(f"{url}/v0.4/whoami").status_code == 401


class TestEmulatorServer:
    """The server object."""

    def test_state_access(self):
        """The live state is reachable for in-process checks."""
        with EmulatorServer(EmulatorConfig()) as server:
            assert server.state.stats()["jobs_created"] == 0
            assert server.url.endswith(str(server.port))

    def test_state_before_start(self):
        """state before start() is an error."""
        with pytest.raises(RuntimeError, match="not running"):
            _ = EmulatorServer(EmulatorConfig()).state

    def test_port_in_use(self):
        """Binding a busy port fails with RuntimeError."""
        with running() as url:
            server = EmulatorServer(EmulatorConfig(), port=port_of(url))
            with pytest.raises(RuntimeError, match="did not start"):
                server.start()

    def test_stop_is_idempotent(self):
        """stop() twice is harmless."""
        server = EmulatorServer(EmulatorConfig()).start()
        server.stop()
        server.stop()


class TestSpawned:
    """``spawned()``: the emulator in its own process."""

    def test_serves_and_stops(self, tmp_path):
        """It answers on loopback, writes its log, and is gone after the block."""
        log = tmp_path / "emulator.log"
        with spawned(["--profile", "instant", "--api-key", "k"], log=log) as url:
            assert url.startswith("http://127.0.0.1:")
            headers = {"Authorization": "apiKey k"}
            assert httpx.get(f"{url}/v0.4/jobs", headers=headers).status_code == 200
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{url}/v0.4/backends", timeout=1)
        assert log.exists()

    def test_a_process_that_exits_is_our_error(self, tmp_path):
        """A bad option makes the command exit 2: our error, with its status, not a hang."""
        log = tmp_path / "emulator.log"
        with (
            pytest.raises(QnativeError, match="exited with status 2"),
            spawned(["--profile", "nope"], log=log),
        ):
            pass  # pragma: no cover
        assert "nope" in log.read_text()
