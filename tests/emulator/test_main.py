"""Tests of the qnative-ionq-emulator command line (pennylane_qnative.emulator.__main__)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from pennylane_qnative.emulator.__main__ import build_parser, config_from_args, main
from pennylane_qnative.emulator.faults import CancelMode


def parse(*argv: str):
    """Parse arguments into a config."""
    return config_from_args(build_parser().parse_args(list(argv)))


class TestArguments:
    """Flags map onto the configuration."""

    def test_defaults(self):
        """Default profile is cloud-simulator, memory db, no faults."""
        config = parse()
        assert str(config.profile) == "cloud-simulator"
        assert config.db == ":memory:"
        assert config.faults.error_rate == 0.0

    def test_everything(self):
        """Every group of flags is applied."""
        config = parse(
            "--profile=qpu",
            "--db=x.sqlite",
            "--seed=5",
            "--api-key=a",
            "--api-key=b",
            "--queue-delay=2",
            "--failure-rate=0.1",
            "--failure-codes=SimulationError,InternalError",
            "--rate-limit-rate=0.2",
            "--rate-limit-burst=4",
            "--retry-after=3",
            "--error-rate=0.3",
            "--error-codes=502,520",
            "--non-json-rate=0.5",
            "--reset-rate=0.01",
            "--slow-rate=0.1",
            "--slow-seconds=2",
            "--cancel-mode=force",
            "--fault-methods=get,put",
            "--cost-1q=0.1",
            "--job-minimum=0",
        )
        assert config.seed == 5
        assert config.api_keys == ("a", "b")
        assert config.latency.queue_s == 2.0
        assert config.faults.failure_codes == ("SimulationError", "InternalError")
        assert config.faults.error_codes == (502, 520)
        assert config.faults.cancel_mode is CancelMode.FORCE
        assert config.faults.methods == ("GET", "PUT")
        assert config.rate_card.cost_1q_gate_shot == 0.1
        assert config.rate_card.job_cost_minimum == 0.0

    def test_keys_from_environment(self, monkeypatch):
        """Without --api-key, QNATIVE_EMULATOR_KEYS is used."""
        monkeypatch.setenv("QNATIVE_EMULATOR_KEYS", "x,y")
        assert parse().api_keys == ("x", "y")

    @pytest.mark.parametrize(
        "argv",
        [
            pytest.param(["--error-rate=2"], id="rate"),
            pytest.param(["--profile=warp"], id="profile"),
            pytest.param(["--failure-codes=Nope"], id="code"),
        ],
    )
    def test_invalid_exit_2(self, argv):
        """Invalid options exit with status 2."""
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestConsoleScript:
    """The real process."""

    def test_serves_in_foreground(self, tmp_path):
        """The module runs a server until terminated."""
        port = free_port()
        command = [sys.executable, "-m", "pennylane_qnative.emulator", f"--port={port}"]
        command += ["--profile=instant", "--api-key=k", f"--db={tmp_path / 'j.sqlite'}"]
        env = os.environ | {"PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
        )
        try:
            url = f"http://127.0.0.1:{port}/v0.4"
            for _ in range(200):
                try:
                    response = httpx.get(f"{url}/whoami", headers={"Authorization": "apiKey k"})
                    break
                except httpx.ConnectError:
                    time.sleep(0.05)
            assert response.status_code == 200
        finally:
            process.terminate()
            output = process.communicate(timeout=10)[0].decode()
        assert "qnative-ionq-emulator" in output
        assert "apiKey k" not in output
