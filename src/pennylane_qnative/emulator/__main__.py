"""``qnative-ionq-emulator``: run the IonQ-compatible emulator in the foreground.

**Example** (shell)::

    qnative-ionq-emulator --host 127.0.0.1 --port 8000 --profile cloud-simulator \\
        --db jobs.sqlite --seed 7 --api-key-file keys.txt --failure-rate 0.1 --rate-limit-rate 0.05

Keys come from ``--api-key-file`` (one per line), ``QNATIVE_EMULATOR_KEYS`` (comma-separated)
or ``--api-key`` (shown in the process list: for throwaway keys only). With keys configured,
every endpoint but ``/v0.4/backends`` needs one, the admin endpoints (``/_emulator/*``)
included. The server binds to loopback only unless ``--allow-remote`` is given. A bad option
exits with status 2 and one line on stderr.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from pennylane_qnative.emulator.app import create_app
from pennylane_qnative.emulator.config import KEYS_ENV, EmulatorConfig, check_host, keys_from_env
from pennylane_qnative.emulator.faults import CancelMode, FaultConfig
from pennylane_qnative.emulator.latency import LatencyModel, Profile
from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.ionq.pricing import RateCard

__all__ = ["build_parser", "config_from_args", "keys_from_file", "main"]

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        text = " ".join(message.split())
        self.exit(2, f"{self.prog}: {text}; see '{self.prog} --help'.\n")


def keys_from_file(path: str) -> tuple[str, ...]:
    """The keys in ``path``: one per line; blank lines and ``#`` comments are skipped.

    Raises:
        ConfigurationError: if the file cannot be read or holds no key
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or type(error).__name__
        raise ConfigurationError(
            f"--api-key-file {path!r} cannot be read ({reason}); pass a readable text file "
            "with one key per line."
        ) from None
    keys = tuple(line.strip() for line in text.splitlines())
    keys = tuple(k for k in keys if k and not k.startswith("#"))
    if not keys:
        raise ConfigurationError(f"--api-key-file {path!r} holds no key; write one key per line.")
    return keys


def _csv(kind: type) -> object:
    def parse(text: str) -> tuple:
        return tuple(kind(item.strip()) for item in text.split(",") if item.strip())

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser (every option has a default)."""
    parser = _Parser(
        prog="qnative-ionq-emulator",
        description="A local IonQ-compatible API (v0.4) server for offline development.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (loopback by default)")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow --host to be a non-loopback interface (anyone who can reach it can use "
        "the API; configure keys)",
    )
    parser.add_argument("--port", type=int, default=8000, help="TCP port, 1 to 65535")
    parser.add_argument("--profile", choices=[str(p) for p in Profile], default="cloud-simulator")
    parser.add_argument("--db", default=":memory:", help="sqlite file for jobs (default: memory)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--root", default="", help="path prefix of the API (default: none)")
    parser.add_argument(
        "--api-key",
        action="append",
        default=[],
        help="accepted key (repeatable). Visible to every user in the process list: prefer "
        f"--api-key-file or {KEYS_ENV}",
    )
    parser.add_argument(
        "--api-key-file", default=None, metavar="PATH", help="file of accepted keys, one a line"
    )
    parser.add_argument("--log-level", default="INFO", type=str.upper, choices=_LOG_LEVELS)
    parser.add_argument(
        "--max-simulated-qubits", type=int, default=24, help="wider jobs end failed (memory)"
    )
    latency = parser.add_argument_group("latency (seconds; override the profile)")
    latency.add_argument("--validation-delay", type=float)
    latency.add_argument("--queue-delay", type=float)
    latency.add_argument("--exec-per-circuit", type=float)
    latency.add_argument("--exec-per-shot", type=float)
    faults = parser.add_argument_group("faults (deterministic by --seed)")
    faults.add_argument("--failure-rate", type=float, default=0.0)
    faults.add_argument("--failure-codes", type=_csv(str), default=("InternalError",))
    faults.add_argument("--rate-limit-rate", type=float, default=0.0)
    faults.add_argument("--rate-limit-burst", type=int, default=1)
    faults.add_argument("--retry-after", type=float, default=1.0)
    faults.add_argument("--error-rate", type=float, default=0.0)
    faults.add_argument("--error-codes", type=_csv(int), default=(500, 502, 503))
    faults.add_argument("--non-json-rate", type=float, default=0.0)
    faults.add_argument("--reset-rate", type=float, default=0.0)
    faults.add_argument("--slow-rate", type=float, default=0.0)
    faults.add_argument("--slow-seconds", type=float, default=0.5)
    faults.add_argument("--cancel-mode", choices=[str(m) for m in CancelMode], default="force")
    faults.add_argument("--fault-methods", type=_csv(str.upper), default=None)
    prices = parser.add_argument_group("rate card (USD)")
    prices.add_argument("--cost-1q", type=float, default=RateCard().cost_1q_gate_shot)
    prices.add_argument("--cost-2q", type=float, default=RateCard().cost_2q_gate_shot)
    prices.add_argument("--job-minimum", type=float, default=RateCard().job_cost_minimum)
    prices.add_argument(
        "--job-minimum-em", type=float, default=RateCard().job_cost_minimum_error_mitigation
    )
    return parser


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """Turn parsed arguments into an :class:`EmulatorConfig`.

    Raises:
        ConfigurationError: on an invalid value
    """
    faults = FaultConfig(
        failure_rate=args.failure_rate,
        failure_codes=args.failure_codes,
        rate_limit_rate=args.rate_limit_rate,
        rate_limit_burst=args.rate_limit_burst,
        retry_after_s=args.retry_after,
        error_rate=args.error_rate,
        error_codes=args.error_codes,
        non_json_rate=args.non_json_rate,
        reset_rate=args.reset_rate,
        slow_rate=args.slow_rate,
        slow_s=args.slow_seconds,
        cancel_mode=CancelMode(args.cancel_mode),
        **({"methods": args.fault_methods} if args.fault_methods else {}),
    )
    latency = LatencyModel.for_profile(
        args.profile,
        validation_s=args.validation_delay,
        queue_s=args.queue_delay,
        exec_per_circuit_s=args.exec_per_circuit,
        exec_per_shot_s=args.exec_per_shot,
    )
    rate_card = RateCard(
        cost_1q_gate_shot=args.cost_1q,
        cost_2q_gate_shot=args.cost_2q,
        job_cost_minimum=args.job_minimum,
        job_cost_minimum_error_mitigation=args.job_minimum_em,
    )
    return EmulatorConfig(
        profile=args.profile,
        latency=latency,
        db=args.db,
        seed=args.seed,
        api_keys=_api_keys(args),
        faults=faults,
        rate_card=rate_card,
        root=args.root,
        max_simulated_qubits=args.max_simulated_qubits,
    )


def _api_keys(args: argparse.Namespace) -> tuple[str, ...]:
    """``--api-key`` and ``--api-key-file`` together, else ``QNATIVE_EMULATOR_KEYS``."""
    keys = tuple(args.api_key)
    if getattr(args, "api_key_file", None):
        keys += keys_from_file(args.api_key_file)
    return keys or keys_from_env()


def _check_address(args: argparse.Namespace) -> None:
    if not 1 <= args.port <= 65535:
        raise ConfigurationError(f"--port must be from 1 to 65535, got {args.port}.")
    check_host(args.host, allow_remote=args.allow_remote, option="--host")


def _fail(message: str) -> SystemExit:
    print(f"qnative-ionq-emulator: {' '.join(message.split())}", file=sys.stderr)
    return SystemExit(2)


def _check_port_free(host: str, port: int) -> None:
    """Refuse a port another process listens on (before anything is printed or opened)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as error:
            raise ConfigurationError(
                f"cannot listen on {host}:{port} ({error.strerror or error}); the port may be "
                "in use: pass another --port."
            ) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``qnative-ionq-emulator``: serve until interrupted.

    Returns:
        int: ``0`` once the server stopped

    Raises:
        SystemExit: status 2, with one line on stderr, on an invalid option, a port in use or
            a job database that cannot be opened
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _check_address(args)
        config = config_from_args(args)
        _check_port_free(args.host, args.port)
    except ConfigurationError as error:
        raise _fail(error.message) from None
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(message)s")
    keys = f"{len(config.api_keys)} configured key(s)" if config.api_keys else "any non-empty key"
    try:
        app = create_app(config)
    except Exception as error:  # the job database cannot be opened
        message = f"cannot start with --db {config.db!r} ({error}); pass a writable path."
        raise _fail(message) from None
    print(
        f"qnative-ionq-emulator: http://{args.host}:{args.port}{config.root}/v0.4 "
        f"(profile {config.profile}, db {config.db}, seed {config.seed}, auth: {keys})",
        flush=True,
    )
    try:
        web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)
    except OSError as error:
        raise _fail(
            f"cannot listen on {args.host}:{args.port} ({error.strerror or error}); the port "
            "may be in use: pass another --port."
        ) from None
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
