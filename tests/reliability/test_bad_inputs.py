"""Bad input at every entry point fails cleanly, fast, with nothing paid and nothing written.

Each case asserts the error type (or, on a command line, exit status 2 and one line on stderr
without a traceback), a message fragment naming the value, the time to fail (< 2 s, measured
with ``time.perf_counter``), that no job was created on the emulator (``/_emulator/stats``,
read with the admin key) and, where a case could write, that nothing was written.
"""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pennylane as qp
import pytest

from pennylane_qnative import cli
from pennylane_qnative.emulator import __main__ as emulator_cli
from pennylane_qnative.emulator import running
from pennylane_qnative.exceptions import (
    ConfigurationError,
    QnativeError,
    UnsupportedCircuitError,
)
from pennylane_qnative.gradients import SPSA, natural_grad, resolve, richardson_grad, spsa_grad
from pennylane_qnative.training import QuantumModel, QuantumTrainer, TrainingConfig

KEY = "bad-inputs-admin-key-7"
ADMIN = {"Authorization": f"apiKey {KEY}"}
FAIL_WITHIN_S = 2.0  # generous: every case fails in milliseconds


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    """One emulator with a configured key (the admin endpoints then need it too)."""
    with running(api_keys=[KEY], seed=3) as url:
        yield url


def jobs_created(url: str) -> int:
    """Jobs the emulator has created (read through the admin API, with the key)."""
    response = httpx.get(f"{url}/_emulator/stats", headers=ADMIN)
    response.raise_for_status()
    return response.json()["jobs_created"]


def _timed(fn: Callable[[], Any]) -> tuple[Any, BaseException | None, float]:
    start = time.perf_counter()
    try:
        result, error = fn(), None
    except BaseException as caught:  # SystemExit included, examined below
        result, error = None, caught
    return result, error, time.perf_counter() - start


def assert_fails(fn: Callable[[], Any], error_type: type, fragment: str) -> BaseException:
    """``fn()`` raises ``error_type`` (one of ours) naming ``fragment``, within the bound."""
    _, error, elapsed = _timed(fn)
    assert error is not None, f"accepted silently (expected {error_type.__name__})"
    assert isinstance(error, error_type), f"{type(error).__name__}: {error}"
    assert isinstance(error, QnativeError)
    assert fragment in str(error), str(error)
    assert elapsed < FAIL_WITHIN_S
    return error


def assert_one_line_exit(capsys, fn: Callable[[], Any], fragment: str, prefix: str) -> str:
    """A command line exits with 2 and one line on stderr, no traceback, within the bound."""
    result, error, elapsed = _timed(fn)
    status = error.code if isinstance(error, SystemExit) else result
    if error is not None and not isinstance(error, SystemExit):
        raise error
    err = capsys.readouterr().err
    assert status == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith(prefix), err
    assert fragment in lines[0], err
    assert elapsed < FAIL_WITHIN_S
    return lines[0]


# --- qnative (the command line) ------------------------------------------------------------

TRAIN = ["train", "--samples", "20", "--epochs", "1", "--batch-size", "5", "--no-progress"]
CLI_CASES = [
    pytest.param(
        [*TRAIN, "--device", "qnative.bogus"], "'qnative.bogus'", id="train-unknown-device"
    ),
    pytest.param([*TRAIN, "--device-option", "bogus=1"], "bogus", id="train-unknown-option"),
    pytest.param(
        [*TRAIN, "--device-option", "max_workers"], "'max_workers'", id="train-option-no-eq"
    ),
    pytest.param([*TRAIN, "--device-option", "=2"], "'=2'", id="train-option-no-key"),
    pytest.param(
        [*TRAIN, "--device-option", "max_workers=0"], "max_workers", id="train-option-value"
    ),
    pytest.param([*TRAIN, "--samples", "3"], "got 3", id="train-too-few-samples"),
    pytest.param([*TRAIN, "--samples", "5000"], "got 5000", id="train-too-many-samples"),
    pytest.param([*TRAIN, "--samples", "-20"], "got -20", id="train-negative-samples"),
    pytest.param([*TRAIN, "--batch-size", "50"], "--batch-size 50", id="train-batch-over-data"),
    pytest.param([*TRAIN, "--batch-size", "0"], "got 0", id="train-batch-zero"),
    pytest.param([*TRAIN, "--epochs", "-1"], "got -1", id="train-epochs-negative"),
    pytest.param([*TRAIN, "--learning-rate", "nan"], "got nan", id="train-lr-nan"),
    pytest.param([*TRAIN, "--learning-rate", "inf"], "got inf", id="train-lr-inf"),
    pytest.param([*TRAIN, "--depth", "0"], "got 0", id="train-depth-zero"),
    pytest.param([*TRAIN, "--shots", "-5"], "got -5", id="train-shots-negative"),
    pytest.param([*TRAIN, "--budget", "nan"], "got nan", id="train-budget-nan"),
    pytest.param([*TRAIN, "--budget", "-1"], "got -1", id="train-budget-negative"),
    pytest.param([*TRAIN, "--budget", "5"], "--budget", id="train-budget-on-simulator"),
    pytest.param([*TRAIN, "--baseline-steps", "-1"], "got -1", id="train-baseline-negative"),
    pytest.param([*TRAIN, "--session", "{{oops"], "'{oops'", id="train-session-json"),
    pytest.param([*TRAIN, "--session"], "qnative.ionq", id="train-session-on-simulator"),
    pytest.param([*TRAIN, "--seed", "-3"], "got -3", id="train-seed-negative"),
    pytest.param([*TRAIN, "--epochs", "two"], "'two'", id="train-epochs-not-int"),
    pytest.param([*TRAIN, "--gradient", "adam"], "'adam'", id="train-gradient-choice"),
    pytest.param(["benchmark", "--only", "nope.qubit"], "'nope.qubit'", id="bench-unknown-name"),
    pytest.param(["benchmark", "--worker-timeout", "0"], "got 0", id="bench-timeout-zero"),
    pytest.param(["benchmark", "--seed", "-1"], "got -1", id="bench-seed-negative"),
    pytest.param(["cost", "estimate", "--backend", "qpu.nope"], "'qpu.nope'", id="cost-backend"),
    pytest.param(["cost", "estimate", "--jobs", "-1"], "got -1", id="cost-jobs-negative"),
    pytest.param(["cost", "estimate", "--circuits", "-2"], "got -2", id="cost-circuits-negative"),
    pytest.param(["cost", "estimate", "--circuits", "6000"], "got 6000", id="cost-circuits-limit"),
    pytest.param(["cost", "estimate", "--shots", "0"], "got 0", id="cost-shots-zero"),
    pytest.param(["cost", "estimate", "--one-qubit-gates", "-4"], "got -4", id="cost-1q-negative"),
    pytest.param(["cost", "estimate", "--two-qubit-gates", "-1"], "got -1", id="cost-2q-negative"),
    pytest.param(["jobs", "show", "no-such-job"], "'no-such-job'", id="jobs-show-unknown"),
    pytest.param(["jobs", "list", "--limit", "0"], "got 0", id="jobs-list-limit"),
    pytest.param(
        ["jobs", "--journal", "{tmp}/none.sqlite", "list"], "none.sqlite", id="jobs-no-file"
    ),
    pytest.param(["jobs", "--journal", "{tmp}", "list"], "is a folder", id="jobs-journal-folder"),
    pytest.param(["jobs", "--journal", "{text}", "list"], "not an SQLite", id="jobs-not-sqlite"),
    pytest.param(["cache", "--path", "{tmp}", "info"], "is a folder", id="cache-folder"),
    pytest.param(["cache", "--path", "{text}", "clear"], "not an SQLite", id="cache-not-sqlite"),
    pytest.param(["fly"], "'fly'", id="unknown-command"),
]


class TestCommandLine:
    """``qnative``: exit 2, one line, before anything is run or written."""

    @pytest.mark.parametrize(("argv", "fragment"), CLI_CASES)
    def test_bad_input(self, capsys, monkeypatch, tmp_path, argv, fragment):
        """The command exits with 2 and one line naming the value; nothing is written."""
        monkeypatch.setenv("QNATIVE_CACHE_DIR", str(tmp_path / "cache"))
        text = tmp_path / "notes.txt"
        text.write_text("not a database\n", encoding="utf-8")
        out = tmp_path / "out"
        argv = [a.format(tmp=tmp_path, text=text) for a in argv]
        if argv[0] == "train":
            argv += ["--output-dir", str(out)]
        prefix = "qnative" if argv[0] == "fly" else f"qnative {argv[0]}"
        assert_one_line_exit(capsys, lambda: cli.main(argv), fragment, prefix)
        assert not out.exists()
        assert not (tmp_path / "cache").exists()
        assert text.read_text(encoding="utf-8") == "not a database\n"

    @pytest.mark.parametrize(
        ("where", "fragment"),
        [
            pytest.param("{file}", "is not a folder", id="output-dir-is-a-file"),
            pytest.param("{file}/sub", "cannot be written", id="output-dir-under-a-file"),
        ],
    )
    def test_unwritable_output_dir(self, capsys, tmp_path, where, fragment):
        """An output folder that cannot be written is refused before training."""
        file = tmp_path / "file.txt"
        file.write_text("keep", encoding="utf-8")
        argv = [*TRAIN, "--output-dir", where.format(file=file)]
        assert_one_line_exit(capsys, lambda: cli.main(argv), fragment, "qnative train")
        assert file.read_text(encoding="utf-8") == "keep"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]

    def test_no_job_on_ionq(self, capsys, monkeypatch, emulator, tmp_path):
        """A bad option on qnative.ionq exits 2 without creating a job or a journal."""
        monkeypatch.setenv("IONQ_API_URL", f"{emulator}/v0.4")
        monkeypatch.setenv("IONQ_API_KEY", KEY)
        monkeypatch.setenv("QNATIVE_CACHE_DIR", str(tmp_path / "cache"))
        before = jobs_created(emulator)
        argv = [*TRAIN, "--device", "qnative.ionq", "--device-option", "timeout=-1"]
        argv += ["--output-dir", str(tmp_path / "out")]
        assert_one_line_exit(capsys, lambda: cli.main(argv), "got -1", "qnative train")
        assert jobs_created(emulator) == before
        assert not (tmp_path / "out").exists()
        assert not (tmp_path / "cache").exists()

    def test_version(self, capsys):
        """``qnative --version`` prints the version and exits 0."""
        from pennylane_qnative import __version__

        with pytest.raises(SystemExit) as info:
            cli.main(["--version"])
        assert info.value.code == 0
        assert capsys.readouterr().out.strip() == f"qnative {__version__}"

    @pytest.mark.parametrize("debug", [pytest.param("", id="plain"), pytest.param("1", id="debug")])
    def test_unexpected_error(self, capsys, monkeypatch, debug):
        """An unexpected exception exits 1 with one line; QNATIVE_DEBUG=1 adds the traceback."""

        def broken(args):
            raise RuntimeError("boom")

        monkeypatch.setattr(cli, "cmd_cost", broken)
        monkeypatch.setenv("QNATIVE_DEBUG", debug)
        assert cli.main(["cost", "estimate"]) == 1
        err = capsys.readouterr().err
        assert (
            err.strip().splitlines()[-1].startswith("qnative cost: unexpected RuntimeError: boom")
        )
        assert "QNATIVE_DEBUG=1" in err
        assert ("Traceback" in err) is bool(debug)


# --- qnative-ionq-emulator (its command line) ----------------------------------------------


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port another socket listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


EMULATOR_CLI_CASES = [
    pytest.param(["--port", "70000"], "got 70000", id="port-too-large"),
    pytest.param(["--port", "-1"], "got -1", id="port-negative"),
    pytest.param(["--port", "{busy}"], "in use", id="port-in-use"),
    pytest.param(["--host", "0.0.0.0"], "'0.0.0.0'", id="host-remote"),
    pytest.param(["--host", "example.org"], "'example.org'", id="host-name"),
    pytest.param(["--profile", "warp"], "'warp'", id="profile"),
    pytest.param(["--error-rate", "2"], "got 2.0", id="fault-rate"),
    pytest.param(["--failure-rate", "nan"], "nan", id="fault-rate-nan"),
    pytest.param(["--failure-codes", "Nope"], "'Nope'", id="fault-code"),
    pytest.param(["--error-codes", "404"], "404", id="fault-status"),
    pytest.param(["--error-codes", "x"], "'x'", id="fault-status-type"),
    pytest.param(["--retry-after", "nan"], "nan", id="retry-after-nan"),
    pytest.param(["--slow-seconds", "-1"], "-1.0", id="slow-negative"),
    pytest.param(["--queue-delay", "-3"], "-3.0", id="latency-negative"),
    pytest.param(["--log-level", "LOUD"], "'LOUD'", id="log-level"),
    pytest.param(["--seed", "-1"], "got -1", id="seed"),
    pytest.param(["--root", "api"], "'api'", id="root"),
    pytest.param(["--cost-1q", "nan"], "nan", id="price-nan"),
    pytest.param(["--api-key-file", "{tmp}/missing.txt"], "missing.txt", id="key-file-missing"),
    pytest.param(["--api-key-file", "{empty}"], "holds no key", id="key-file-empty"),
    pytest.param(
        ["--db", "{file}/jobs.sqlite", "--port", "{free}"], "jobs.sqlite", id="db-unwritable"
    ),
]


class TestEmulatorCommandLine:
    """``qnative-ionq-emulator``: exit 2, one line, nothing served."""

    @pytest.mark.parametrize(("argv", "fragment"), EMULATOR_CLI_CASES)
    def test_bad_input(self, capsys, tmp_path, busy_port, argv, fragment):
        """The emulator refuses to start with one line naming the value."""
        empty = tmp_path / "empty.txt"
        empty.write_text("# no keys\n\n", encoding="utf-8")
        file = tmp_path / "file.txt"
        file.write_text("x", encoding="utf-8")
        values = {"busy": busy_port, "tmp": tmp_path, "empty": empty, "file": file}
        values["free"] = _free_port()
        argv = [a.format(**values) for a in argv]
        if "--port" not in argv:
            argv += ["--port", str(busy_port)]  # were a case accepted, it could not serve
        line = assert_one_line_exit(
            capsys, lambda: emulator_cli.main(argv), fragment, "qnative-ionq-emulator: "
        )
        assert "apiKey" not in line

    def test_remote_host_with_flag(self, capsys, busy_port):
        """--allow-remote lifts the loopback rule (the busy port then stops it)."""
        argv = ["--host", "0.0.0.0", "--allow-remote", "--port", str(busy_port)]
        line = assert_one_line_exit(
            capsys, lambda: emulator_cli.main(argv), "in use", "qnative-ionq-emulator: "
        )
        assert "loopback" not in line

    def test_keys_from_file(self, tmp_path):
        """--api-key-file adds the file's keys (comments and blank lines skipped)."""
        path = tmp_path / "keys.txt"
        path.write_text("# team keys\nalpha\n\n  beta  \n", encoding="utf-8")
        args = emulator_cli.build_parser().parse_args(["--api-key-file", str(path)])
        assert emulator_cli.config_from_args(args).api_keys == ("alpha", "beta")

    def test_key_flag_help_warns(self):
        """--api-key's help says the value shows in the process list."""
        assert "process list" in emulator_cli.build_parser().format_help()

    def test_server_refuses_remote_host(self):
        """running(host=...) refuses a non-loopback interface without allow_remote."""
        error = assert_fails(
            lambda: running(host="0.0.0.0").__enter__(), ConfigurationError, "0.0.0.0"
        )
        assert "allow_remote" in str(error)


# --- the emulator's HTTP API, admin included ----------------------------------------------

BELL = {"type": "ir", "circuit": [{"gate": "h", "target": 0}]}
HTTP_CASES = [
    pytest.param("GET", "/_emulator/stats", None, {}, 401, id="admin-stats-no-key"),
    pytest.param(
        "PUT", "/_emulator/faults", {"error_rate": 1.0}, {}, 401, id="admin-faults-no-key"
    ),
    pytest.param("POST", "/_emulator/reset", None, {}, 401, id="admin-reset-no-key"),
    pytest.param("GET", "/_emulator/other", None, {}, 401, id="admin-unknown-no-key"),
    pytest.param(
        "GET",
        "/_emulator/faults",
        None,
        {"Authorization": "apiKey wrong"},
        401,
        id="admin-wrong-key",
    ),
    pytest.param(
        "PUT",
        "/_emulator/faults",
        {"error_rate": 1.0},
        {"Authorization": f"Bearer {KEY}"},
        401,
        id="admin-wrong-scheme",
    ),
    pytest.param("PUT", "/_emulator/faults", {"error_rate": 7}, ADMIN, 400, id="admin-bad-fault"),
    pytest.param(
        "PUT", "/_emulator/faults", ["error_rate"], ADMIN, 400, id="admin-faults-not-object"
    ),
    pytest.param(
        "POST",
        "/v0.4/jobs",
        {"backend": "simulator", "shots": 10, "input": BELL},
        {},
        401,
        id="jobs-no-key",
    ),
    pytest.param(
        "POST",
        "/v0.4/jobs",
        {"backend": "qpu.nope", "shots": 10, "input": BELL},
        ADMIN,
        400,
        id="jobs-backend",
    ),
    pytest.param(
        "POST",
        "/v0.4/jobs",
        {"backend": "simulator", "shots": -5, "input": BELL},
        ADMIN,
        400,
        id="jobs-shots",
    ),
    pytest.param(
        "POST",
        "/v0.4/jobs",
        {
            "backend": "simulator",
            "shots": 10,
            "input": {"circuit": [{"gate": "warp", "target": 0}]},
        },
        ADMIN,
        400,
        id="jobs-gate",
    ),
    pytest.param("POST", "/v0.4/jobs", "not json", ADMIN, 400, id="jobs-not-json"),
]


class TestEmulatorHTTP:
    """The emulator refuses bad requests, the admin ones without a key, creating nothing."""

    @pytest.mark.parametrize(("method", "path", "body", "headers", "status"), HTTP_CASES)
    def test_refused(self, emulator, method, path, body, headers, status):
        """The request gets its 4xx status in IonQ's error shape; no job, no fault changed."""
        before, faults = (
            jobs_created(emulator),
            httpx.get(f"{emulator}/_emulator/faults", headers=ADMIN).json(),
        )
        kwargs = {"content": body} if isinstance(body, str) else {"json": body}
        start = time.perf_counter()
        response = httpx.request(method, emulator + path, headers=headers, timeout=5, **kwargs)
        assert time.perf_counter() - start < FAIL_WITHIN_S
        assert response.status_code == status, response.text
        assert {"error", "message"} <= set(response.json())
        assert KEY not in response.text
        assert jobs_created(emulator) == before
        assert httpx.get(f"{emulator}/_emulator/faults", headers=ADMIN).json() == faults

    def test_admin_open_without_keys(self):
        """With no key configured the emulator is a local toy: the admin API stays open."""
        with running(api_keys=()) as url:
            assert httpx.get(f"{url}/_emulator/stats").status_code == 200


# --- devices: constructors and execution ---------------------------------------------------


def ionq(url: str, tmp: Path, wires: Any = 2) -> Any:
    """A qnative.ionq device on the emulator (no cache; a journal under ``tmp``)."""
    options = {"api_url": f"{url}/v0.4", "api_key": KEY, "cache": False}
    return qp.device("qnative.ionq", wires=wires, journal_path=tmp / "journal.sqlite", **options)


CONSTRUCTOR_CASES = [
    pytest.param("qnative.simulator", {"wires": -1}, "got -1", id="sim-wires-negative"),
    pytest.param("qnative.simulator", {"max_workers": 0}, "got 0", id="sim-max-workers"),
    pytest.param("qnative.simulator", {"backend": "warp.qubit"}, "'warp.qubit'", id="sim-backend"),
    pytest.param("qnative.simulator", {"seed": -1}, "got -1", id="sim-seed"),
    pytest.param("qnative.simulator", {"cache_size": -1}, "got -1", id="sim-cache-size"),
    pytest.param("qnative.simulator", {"cache_ttl": math.nan}, "got nan", id="sim-cache-ttl-nan"),
    pytest.param(
        "qnative.simulator", {"cache_finite_shots": "always"}, "'always'", id="sim-cache-shots"
    ),
    pytest.param("qnative.simulator", {"batch": "no"}, "'no'", id="sim-batch-not-bool"),
    pytest.param("qnative.simulator", {"executor": 42}, "executor", id="sim-executor"),
    pytest.param("qnative.ionq", {"timeout": -1}, "got -1", id="ionq-timeout"),
    pytest.param("qnative.ionq", {"timeout": math.nan}, "got nan", id="ionq-timeout-nan"),
    pytest.param("qnative.ionq", {"max_retries": -1}, "got -1", id="ionq-retries"),
    pytest.param("qnative.ionq", {"retry_delay": math.inf}, "got inf", id="ionq-retry-delay"),
    pytest.param("qnative.ionq", {"budget_usd": -1}, "got -1", id="ionq-budget"),
    pytest.param("qnative.ionq", {"target": "qpu.warp"}, "'qpu.warp'", id="ionq-target"),
    pytest.param("qnative.ionq", {"noise_seed": 0}, "got 0", id="ionq-noise-seed"),
    pytest.param("qnative.ionq", {"max_circuits_per_job": 0}, "got 0", id="ionq-circuits-per-job"),
    pytest.param("qnative.ionq", {"max_concurrent_jobs": -2}, "got -2", id="ionq-concurrency"),
    pytest.param("qnative.ionq", {"api_url": "not a url"}, "'not a url'", id="ionq-api-url"),
    pytest.param(
        "qnative.ionq", {"api_url": "ftp://host/v0.4"}, "ftp://host", id="ionq-api-url-scheme"
    ),
    pytest.param("qnative.ionq", {"api_key": 12345}, "<int>", id="ionq-api-key-type"),
    pytest.param(
        "qnative.ionq", {"session": {"max_jobs": -1}}, "max_jobs", id="ionq-session-limits"
    ),
    pytest.param("qnative.ionq", {"metadata": {"k": 1}}, "metadata", id="ionq-metadata"),
]


class TestDevices:
    """Device constructors and executions refuse bad values before any job."""

    @pytest.mark.parametrize(("name", "kwargs", "fragment"), CONSTRUCTOR_CASES)
    def test_constructor(self, emulator, tmp_path, name, kwargs, fragment):
        """The constructor raises a DeviceConfigurationError naming the value; no job, no file."""
        from pennylane_qnative.devices.errors import DeviceConfigurationError

        before = jobs_created(emulator)
        if name == "qnative.ionq":
            options = {"api_url": f"{emulator}/v0.4", "api_key": KEY, "cache": False, **kwargs}
            build = lambda: qp.device(name, wires=2, journal_path=tmp_path / "j.sqlite", **options)  # noqa: E731
        else:
            build = lambda: qp.device(name, **{"wires": 2, **kwargs})  # noqa: E731
        error = assert_fails(build, DeviceConfigurationError, fragment)
        assert isinstance(error, qp.exceptions.DeviceError)
        assert KEY not in str(error)
        assert jobs_created(emulator) == before
        assert not (tmp_path / "j.sqlite").exists()

    @pytest.mark.parametrize(
        ("name", "x", "fragment"),
        [
            pytest.param("qnative.simulator", math.nan, "nan", id="sim-nan"),
            pytest.param("qnative.simulator", math.inf, "inf", id="sim-inf"),
            pytest.param(
                "qnative.simulator", np.array([0.1, np.nan]), "nan", id="sim-nan-broadcast"
            ),
            pytest.param("qnative.ionq", math.nan, "nan", id="ionq-nan"),
            pytest.param("qnative.ionq", -math.inf, "inf", id="ionq-inf"),
        ],
    )
    def test_non_finite_parameter(self, emulator, tmp_path, name, x, fragment):
        """A NaN or infinite gate parameter raises UnsupportedCircuitError; nothing runs."""
        dev = ionq(emulator, tmp_path) if name == "qnative.ionq" else qp.device(name, wires=2)

        @qp.set_shots(shots=100)
        @qp.qnode(dev)
        def circuit(x):
            qp.RX(x, 0)
            qp.CNOT([0, 1])
            return qp.expval(qp.Z(1))

        before = jobs_created(emulator)
        with qp.Tracker(dev) as tracker:
            assert_fails(lambda: circuit(x), UnsupportedCircuitError, fragment)
        assert jobs_created(emulator) == before
        assert tracker.totals.get("executions", 0) == 0

    @pytest.mark.parametrize(
        ("shots", "wires", "fragment"),
        [
            pytest.param(2_000_000, 2, "2000000", id="ionq-too-many-shots"),
            pytest.param(100, 40, "uses 40 qubits", id="ionq-too-many-qubits"),
        ],
    )
    def test_ionq_limits(self, emulator, tmp_path, shots, wires, fragment):
        """Circuits beyond IonQ's limits are refused before submission."""
        dev = ionq(emulator, tmp_path, wires=None)
        tape = qp.tape.QuantumScript(
            [qp.Hadamard(w) for w in range(wires)], [qp.probs(wires=[0])], shots=shots
        )
        before = jobs_created(emulator)
        program = dev.preprocess_transforms()
        assert_fails(lambda: dev.execute(program((tape,))[0]), UnsupportedCircuitError, fragment)
        assert jobs_created(emulator) == before


# --- gradient transforms -----------------------------------------------------------------


def _tape() -> qp.tape.QuantumScript:
    ops = [qp.RX(0.3, 0), qp.RY(0.2, 1), qp.CNOT([0, 1])]
    return qp.tape.QuantumScript(ops, [qp.expval(qp.Z(0))], trainable_params=[0, 1])


GRADIENT_CASES = [
    pytest.param(lambda: spsa_grad(_tape(), h=-1.0), "-1.0", id="spsa-h-negative"),
    pytest.param(lambda: spsa_grad(_tape(), h=math.nan), "nan", id="spsa-h-nan"),
    pytest.param(
        lambda: spsa_grad(_tape(), num_directions=0), "num_directions=0", id="spsa-directions"
    ),
    pytest.param(lambda: spsa_grad(_tape(), n=0), "n=0", id="spsa-order"),
    pytest.param(lambda: spsa_grad(_tape(), strategy="sideways"), "'sideways'", id="spsa-strategy"),
    pytest.param(lambda: spsa_grad(_tape(), rng="seed"), "'seed'", id="spsa-rng"),
    pytest.param(lambda: spsa_grad(_tape(), argnum=9), "argnum=9", id="spsa-argnum"),
    pytest.param(lambda: richardson_grad(_tape(), levels=0), "levels=0", id="richardson-levels"),
    pytest.param(lambda: richardson_grad(_tape(), h=math.nan), "nan", id="richardson-h-nan"),
    pytest.param(
        lambda: richardson_grad(_tape(), argnum=[0, 5]), "argnum=[0, 5]", id="richardson-argnum"
    ),
    pytest.param(lambda: natural_grad(_tape(), lam=-1), "lam=-1", id="natural-lam"),
    pytest.param(lambda: natural_grad(_tape(), eps=0), "eps=0", id="natural-eps"),
    pytest.param(lambda: natural_grad(_tape(), metric="full"), "'full'", id="natural-metric"),
    pytest.param(lambda: SPSA(c=0), "c=0", id="SPSA-c"),
    pytest.param(lambda: SPSA(schedule="spall", alpha=math.nan), "nan", id="SPSA-alpha"),
    pytest.param(lambda: resolve("adamw"), "'adamw'", id="resolve-unknown"),
]


class TestGradients:
    """Gradient transforms and their stateful wrappers refuse bad options."""

    @pytest.mark.parametrize(("build", "fragment"), GRADIENT_CASES)
    def test_bad_option(self, build, fragment):
        """A ConfigurationError naming the option and the value."""
        assert_fails(build, ConfigurationError, fragment)


# --- TrainingConfig and the trainer ---------------------------------------------------------

CONFIG_CASES = [
    pytest.param({"learning_rate": math.nan}, "got nan", id="lr-nan"),
    pytest.param({"learning_rate": -0.1}, "got -0.1", id="lr-negative"),
    pytest.param({"batch_size": 0}, "got 0", id="batch-zero"),
    pytest.param({"epochs": -2}, "got -2", id="epochs-negative"),
    pytest.param({"n_qubits": 0}, "got 0", id="qubits-zero"),
    pytest.param({"cache_size": -1}, "got -1", id="cache-negative"),
    pytest.param({"batch_timeout": -1}, "got -1", id="timeout-negative"),
    pytest.param({"batch_timeout": math.inf}, "got inf", id="timeout-inf"),
    pytest.param({"shots_per_circuit": 2**40}, "1099511627776", id="shots-huge"),
    pytest.param({"shots_per_circuit": "many"}, "'many'", id="shots-type"),
    pytest.param({"loss": "l1"}, "'l1'", id="loss"),
    pytest.param({"seed": -1}, "got -1", id="seed"),
    pytest.param({"enable_circuit_cache": "yes"}, "'yes'", id="flag-type"),
]

SMALL = {"n_qubits": 2, "circuit_depth": 1, "batch_size": 2, "epochs": 1, "seed": 0}
X4, Y4 = np.zeros((4, 2)), np.array([0, 1, 0, 1])
TRAINER_CASES = [
    pytest.param({"batch_size": 50}, {}, (X4, Y4), "batch_size 50", id="batch-over-data"),
    pytest.param({}, {}, (np.full((4, 2), np.nan), Y4), "NaN", id="x-nan"),
    pytest.param({}, {}, (X4, np.array(["a", "b", "a", "b"])), "'a'", id="y-strings"),
    pytest.param({}, {}, (X4, Y4[:3]), "4 and 3", id="length-mismatch"),
    pytest.param({}, {"epochs": -1}, (X4, Y4), "got -1", id="fit-epochs"),
    pytest.param({}, {"epochs": 0}, (X4, Y4), "got 0", id="fit-epochs-zero"),
    pytest.param({}, {}, (np.zeros((4, 5)), Y4), "(2, 5)", id="features"),
]


class TestTraining:
    """TrainingConfig and the trainer refuse bad values before training or writing."""

    @pytest.mark.parametrize(("kwargs", "fragment"), CONFIG_CASES)
    def test_config(self, kwargs, fragment):
        """TrainingConfig raises naming the field and the value."""
        error = assert_fails(lambda: TrainingConfig(**kwargs), ConfigurationError, fragment)
        assert next(iter(kwargs)) in str(error)

    @pytest.mark.parametrize(("config", "fit", "data", "fragment"), TRAINER_CASES)
    def test_fit(self, tmp_path, config, fit, data, fragment):
        """fit raises a ConfigurationError naming the value; no checkpoint is written."""
        settings = TrainingConfig(**{**SMALL, **config})
        trainer = QuantumTrainer(settings, output_dir=tmp_path / "run", progress=False)
        model = QuantumModel.from_config(settings)
        assert_fails(lambda: trainer.fit(model, *data, **fit), ConfigurationError, fragment)
        assert not (tmp_path / "run" / "checkpoint.json").exists()

    @pytest.mark.parametrize(
        ("device", "kwargs", "fragment"),
        [
            pytest.param("warp.qubit", {}, "'warp.qubit'", id="unknown-device"),
            pytest.param("qnative.simulator", {"bogus": 1}, "bogus", id="unknown-keyword"),
            pytest.param(42, {}, "42", id="device-type"),
            pytest.param("qnative.simulator", {"max_workers": -1}, "got -1", id="device-value"),
        ],
    )
    def test_trainer_device(self, device, kwargs, fragment):
        """QuantumTrainer refuses a device it cannot build, naming it."""
        build = lambda: QuantumTrainer(TrainingConfig(**SMALL), device, device_kwargs=kwargs)  # noqa: E731
        assert_fails(build, ConfigurationError, fragment)

    def test_output_dir_is_a_file(self, tmp_path):
        """An output_dir that is a file is refused and left as it was."""
        path = tmp_path / "file.txt"
        path.write_text("keep", encoding="utf-8")
        build = lambda: QuantumTrainer(TrainingConfig(**SMALL), output_dir=path)  # noqa: E731
        assert_fails(build, ConfigurationError, "file.txt")
        assert path.read_text(encoding="utf-8") == "keep"


# --- a key in api_url's user-info is never shown --------------------------------------------


class TestUrlRedaction:
    """A key in the URL's user-info shows in no repr, log line or error message."""

    SECRET = "sk-userinfo-SECRET-9f8e7d"

    def test_nowhere(self, emulator, tmp_path, caplog):
        """Device repr, options, cache context, manager repr, log lines and errors are clean."""
        import logging

        url = emulator.replace("http://", f"http://user:{self.SECRET}@") + "/v0.4"
        with caplog.at_level(logging.DEBUG):
            dev = qp.device(
                "qnative.ionq",
                wires=1,
                api_url=url,
                api_key=KEY,
                cache=False,
                journal_path=tmp_path / "j.sqlite",
            )

            @qp.set_shots(shots=10)
            @qp.qnode(dev)
            def circuit():
                qp.Hadamard(0)
                return qp.probs(wires=[0])

            circuit()
            down = url.replace(emulator.rsplit(":", 1)[1].split("/")[0], "1")
            dead = qp.device(
                "qnative.ionq",
                wires=1,
                api_url=down,
                api_key=KEY,
                cache=False,
                journal_path=tmp_path / "k.sqlite",
                timeout=2,
                max_retries=0,
            )
            tape = qp.tape.QuantumScript([qp.Hadamard(0)], [qp.probs(wires=[0])], shots=10)
            with pytest.raises(QnativeError) as info:
                dead.execute(tape)
        shown = [repr(dev), repr(dev.options), str(dev.cache_context), repr(dev._manager)]
        shown += [str(info.value), caplog.text]
        assert "***@" in repr(dev.options)
        for text in shown:
            assert self.SECRET not in text

    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            pytest.param("https://u:k@h/v0.4", "https://***@h/v0.4", id="user-and-key"),
            pytest.param("https://k@h:443/v0.4", "https://***@h:443/v0.4", id="key-only"),
            pytest.param("http://h/v0.4", "http://h/v0.4", id="none"),
        ],
    )
    def test_redact_url(self, url, expected):
        """redact_url replaces the user-info, and only that."""
        from pennylane_qnative.ionq.urls import redact_url

        assert redact_url(url) == expected
