"""``qnative-ionq-emulator``: run the IonQ-compatible emulator in the foreground.

**Example** (shell)::

    qnative-ionq-emulator --host 127.0.0.1 --port 8000 --profile cloud-simulator \\
        --db jobs.sqlite --seed 7 --api-key secret --failure-rate 0.1 --rate-limit-rate 0.05
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from aiohttp import web

from pennylane_qnative.emulator.app import create_app
from pennylane_qnative.emulator.config import KEYS_ENV, EmulatorConfig, keys_from_env
from pennylane_qnative.emulator.faults import CancelMode, FaultConfig
from pennylane_qnative.emulator.latency import LatencyModel, Profile
from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.ionq.pricing import RateCard

__all__ = ["build_parser", "config_from_args", "main"]


def _csv(kind: type) -> object:
    def parse(text: str) -> tuple:
        return tuple(kind(item.strip()) for item in text.split(",") if item.strip())

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser (every option has a default)."""
    parser = argparse.ArgumentParser(
        prog="qnative-ionq-emulator",
        description="A local IonQ-compatible API (v0.4) server for offline development.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--profile", choices=[str(p) for p in Profile], default="cloud-simulator")
    parser.add_argument("--db", default=":memory:", help="sqlite file for jobs (default: memory)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--root", default="", help="path prefix of the API (default: none)")
    parser.add_argument(
        "--api-key", action="append", default=[], help=f"accepted key (repeatable; or {KEYS_ENV})"
    )
    parser.add_argument("--log-level", default="INFO")
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
        api_keys=tuple(args.api_key) or keys_from_env(),
        faults=faults,
        rate_card=rate_card,
        root=args.root,
        max_simulated_qubits=args.max_simulated_qubits,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``qnative-ionq-emulator``: serve until interrupted.

    Returns:
        int: the exit status (2 on an invalid option)
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s"
    )
    try:
        config = config_from_args(args)
    except ConfigurationError as error:
        parser.error(str(error))
    keys = f"{len(config.api_keys)} configured key(s)" if config.api_keys else "any non-empty key"
    print(
        f"qnative-ionq-emulator: http://{args.host}:{args.port}{config.root}/v0.4 "
        f"(profile {config.profile}, db {config.db}, seed {config.seed}, auth: {keys})",
        flush=True,
    )
    web.run_app(create_app(config), host=args.host, port=args.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
