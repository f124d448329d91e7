"""The ``qnative`` command line: ``train``, ``benchmark``, ``jobs``, ``cost`` and ``cache``.

Every bad input exits with status 2 and one line on stderr (``qnative <command>: <what is
wrong>, <the value>; <what to do>``), before anything is run, paid for or written; an unexpected
error exits with 1 and one line (``QNATIVE_DEBUG=1`` prints the traceback).

``qnative train`` runs the reference workload (see :mod:`pennylane_qnative.training.reference`)
on ``qnative.simulator`` by default, compares it with the v3.2-style baseline it measures, and
writes the history (CSV), the plot (PNG) and the checkpoint into ``--output-dir``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pennylane_qnative.cli_inputs import (
    check_device,
    check_device_options,
    check_number,
    check_output_dir,
    check_sqlite_file,
    parse_device_options,
    shots_argument,
)
from pennylane_qnative.exceptions import ConfigurationError, QnativeError

__all__ = ["main"]

GRADIENTS = (
    "adaptive",
    "spsa",
    "parameter-shift",
    "parameter_shift",
    "natural",
    "richardson",
)
"""``--gradient`` choices: ``TrainingConfig.gradient_method``'s, PennyLane's spelling first."""
DEBUG_ENV = "QNATIVE_DEBUG"
"""Set to ``1`` for the traceback of an unexpected error."""


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (``qnative train: argument --epochs: ...``)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {_one_line(message)}; see '{self.prog} --help'.\n")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _train_parser(sub: Any) -> None:
    p = sub.add_parser("train", help="train the reference classifier (or your settings)")
    p.add_argument("--device", default="qnative.simulator", help="PennyLane device name")
    p.add_argument(
        "--gradient",
        default="spsa",
        choices=GRADIENTS,
        help="gradient method, as TrainingConfig.gradient_method (spsa: Spall's gain schedule)",
    )
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=10)
    p.add_argument("--learning-rate", type=float, default=0.1)
    p.add_argument("--depth", type=int, default=2, help="ansatz layers")
    p.add_argument("--samples", type=int, default=100, help="training samples")
    p.add_argument(
        "--shots",
        type=shots_argument,
        default=None,
        metavar="N|adaptive|N,N,...",
        help="shots per circuit: a count, 'adaptive' (by the gradient's signal-to-noise, priced "
        "per job) or one count per epoch (default: exact)",
    )
    p.add_argument(
        "--budget",
        type=float,
        default=None,
        help="USD budget (cloud devices): shots and steps are planned to fit it",
    )
    p.add_argument(
        "--validation-samples",
        type=int,
        default=50,
        help="validation split (outside the test split), run inside each epoch's last job",
    )
    p.add_argument("--target-accuracy", type=float, default=None, help="stop at this val. acc.")
    p.add_argument(
        "--patience", type=int, default=None, help="stop after N validations without improvement"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output-dir", type=Path, default=Path("runs/reference"))
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    p.add_argument("--baseline-steps", type=int, default=2, help="v3.2 steps to time (0: skip)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--device-option", action="append", default=[], metavar="KEY=JSON")
    p.add_argument(
        "--session",
        nargs="?",
        const="true",
        default=None,
        metavar="LIMITS|ID",
        help="run the whole training in one IonQ session (qnative.ionq): bare, a JSON dict of "
        'limits (\'{"max_jobs": 60, "max_cost_usd": 500}\') or a session id to join',
    )


def _session_option(value: str | None) -> Any:
    """``--session``'s value: ``True``, a dict of limits, or a session id."""
    if value is None:
        return None
    if value.strip().lower() == "true":
        return True
    if value.lstrip().startswith("{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise ConfigurationError(
                f"--session: {value!r} is not a JSON dict ({error}); pass e.g. "
                "'{\"max_jobs\": 60}', a session id, or --session alone."
            ) from None
    return value


def _device_options(pairs: Sequence[str], budget: float | None) -> dict[str, Any]:
    options = parse_device_options(pairs)
    if budget is not None:
        options["budget_usd"] = budget
    return options


def _check_train_args(args: argparse.Namespace) -> dict[str, Any]:
    """Refuse bad ``qnative train`` inputs before anything runs; the device options."""
    from pennylane_qnative.training.reference import MAX_SAMPLES, MIN_SAMPLES

    check_device(args.device)
    check_number("--validation-samples", args.validation_samples, low=0, integer=True, high=169)
    if args.validation_samples == 1:
        raise ConfigurationError("--validation-samples must be 0 or at least 2, got 1.")
    if not args.validation_samples and (args.target_accuracy, args.patience) != (None, None):
        raise ConfigurationError(
            "--target-accuracy and --patience stop on validation metrics, and "
            "--validation-samples is 0; pass --validation-samples 2 or more."
        )
    high = MAX_SAMPLES - args.validation_samples
    check_number("--samples", args.samples, low=MIN_SAMPLES, high=high, integer=True)
    check_number("--budget", args.budget, low=0)
    check_number("--baseline-steps", args.baseline_steps, low=0, integer=True)
    _train_config(args)  # epochs, batch size, learning rate, shots, seed: TrainingConfig's rules
    if args.batch_size > args.samples:
        raise ConfigurationError(
            f"--batch-size {args.batch_size} is larger than --samples {args.samples}; pass a "
            "batch size of at most the number of samples."
        )
    options = _device_options(args.device_option, args.budget)
    check_device_options(args.device, options, flags={"budget_usd": "--budget"})
    _session_option(args.session)
    check_output_dir(args.output_dir)
    return options


def _train_config(args: argparse.Namespace) -> Any:
    """The ``TrainingConfig`` of ``qnative train``'s arguments (8 qubits: the reference)."""
    from pennylane_qnative.training import TrainingConfig

    return TrainingConfig(
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        n_qubits=8,
        circuit_depth=args.depth,
        epochs=args.epochs,
        shots_per_circuit=args.shots,
        seed=args.seed,
        gradient_method=args.gradient,
        target_accuracy=args.target_accuracy,
        patience=args.patience,
        budget_usd=args.budget,
    )


def _print_run(args: argparse.Namespace, stats: dict, test: dict, n_test: int, wall: float) -> None:
    print(f"\nReference training on {args.device}, gradient {args.gradient}")
    print(
        f"  steps {stats['steps']}, circuits {stats['circuits']} "
        f"({stats['circuits_per_step']:.0f}/step), jobs {stats['jobs']}, "
        f"cost ${stats['cost_usd']:.2f}"
    )
    if stats["device_shots"]:
        shots = ",".join(map(str, args.shots)) if isinstance(args.shots, tuple) else args.shots
        print(
            f"  shots {shots}: {stats['device_shots']:,} run by the device; test evaluation "
            f"cost ${test['cost_usd']:.2f}, total ${stats['cost_usd'] + test['cost_usd']:.2f}"
        )
    if stats.get("stop_reason"):
        print(f"  stopped early: {stats['stop_reason']}")
    print(f"  training time {stats['seconds']:.2f} s (wall {wall:.2f} s incl. checkpoints)")
    print(
        f"  test accuracy {test['accuracy']:.3f} on {n_test} held-out samples, "
        f"test loss {test['loss']:.4f}"
    )


def _print_baseline(args: argparse.Namespace, config: Any, data: Any, stats: dict) -> None:
    """Time the v3.2-style baseline for ``args.baseline_steps`` steps and compare."""
    from pennylane_qnative.training import QuantumModel
    from pennylane_qnative.training.reference import time_v32_baseline

    baseline = time_v32_baseline(
        QuantumModel.from_config(config),
        data.X_train,
        data.y_train,
        batch_size=config.batch_size,
        steps=args.baseline_steps,
    )
    total = baseline.extrapolate(stats["steps"])
    print(
        f"  v3.2-style baseline (per-sample parameter shift on default.qubit, "
        f"{baseline.steps_measured} steps measured):"
    )
    print(
        f"    {baseline.circuits_per_step} circuits/step, {baseline.seconds_per_step:.2f} "
        f"s/step -> {total:.1f} s for {stats['steps']} steps"
    )
    # like for like: the baseline validates nothing, so this run's validation circuits are aside
    per_step = (stats["circuits"] - stats["validation_circuits"]) / max(stats["steps"], 1)
    print(
        f"    this run: {baseline.circuits_per_step / max(per_step, 1):.1f}x fewer circuits per "
        f"training step ({per_step:.0f}; its {stats['validation_circuits']} validation circuits "
        f"aside), {total / max(stats['seconds'], 1e-9):.0f}x faster"
    )


def cmd_train(args: argparse.Namespace) -> int:
    import pennylane as qp

    from pennylane_qnative.training import QuantumModel, QuantumTrainer
    from pennylane_qnative.training.reference import load_reference_data

    device_kwargs = _check_train_args(args)
    config = _train_config(args)
    data = load_reference_data(
        n_train=args.samples, seed=args.seed, n_validation=args.validation_samples
    )
    trainer = QuantumTrainer(
        config,
        args.device,
        output_dir=args.output_dir,
        progress=not args.no_progress,
        device_kwargs=device_kwargs,
        session=_session_option(args.session),
    )
    model = QuantumModel.from_config(config)
    start = time.perf_counter()
    trainer.fit(
        model,
        data.X_train,
        data.y_train,
        validation_data=(data.X_val, data.y_val) if args.validation_samples else None,
        resume=args.resume,
    )
    wall = time.perf_counter() - start
    stats = trainer.get_performance_stats()
    session = trainer.tracker.rows[-1]["session_id"] if trainer.tracker.rows else None
    with qp.Tracker(trainer.device) as tracker:
        test = trainer.evaluate(model, data.X_test, data.y_test)
    test["cost_usd"] = float(tracker.totals.get("estimated_cost_usd", 0.0))
    if hasattr(trainer.device, "close"):
        trainer.device.close()  # ends a session the evaluation opened
    plot = trainer.tracker.plot_history(args.output_dir / "history.png")
    _print_run(args, stats, test, len(data.y_test), wall)
    if stats["queued_seconds"] or session:
        where = f"in session {session}" if session else "without a session"
        print(f"  time queued {stats['queued_seconds']:.1f} s, {where}")
    if args.baseline_steps > 0:
        _print_baseline(args, config, data, stats)
    print(f"  outputs: {args.output_dir}/ (history.csv, checkpoint.json, {plot.name})")
    return 0


def cmd_benchmark(args: argparse.Namespace) -> int:
    """The specification's table (see :mod:`pennylane_qnative.benchmark`)."""
    from pennylane_qnative.benchmark.configs import selected
    from pennylane_qnative.benchmark.harness import BenchmarkOptions, run_benchmark, write_outputs
    from pennylane_qnative.benchmark.report import format_table

    check_number("--seed", args.seed, low=0, integer=True)
    check_number("--worker-timeout", args.worker_timeout, low=1)
    if args.list:
        for configuration in selected(quick=args.quick, names=tuple(args.only)):
            print(f"{configuration.name}  ({configuration.group}, {configuration.platform})")
        return 0
    command = "qnative benchmark" + " --quick" * args.quick
    command += "".join(f" --only {name!r}" for name in args.only)
    command += f" --seed {args.seed}" * (args.seed != 0)
    command += f" --write-docs {args.write_docs}" * (args.write_docs is not None)
    options = BenchmarkOptions(
        quick=args.quick,
        names=tuple(args.only),
        seed=args.seed,
        progress=not args.no_progress,
        worker_timeout_s=args.worker_timeout,
        command=command,
    )
    document = run_benchmark(options)
    print(format_table(document["rows"]))
    print("(* extrapolated from measured steps; ratios: times faster than that row)")
    for target in document["targets"]:
        result = {True: "met", False: "MISSED", None: "not measured"}[target["met"]]
        value = "-" if target["value"] is None else f"{target['value']:.2f}"
        print(f"  {result:12s} {target['target']}: {value} ({target['row']})")
    written = write_outputs(
        document,
        output_dir=args.output_dir,
        json_path=args.json or args.output_dir / "benchmark.json",
        docs_path=args.write_docs,
    )
    print("wrote " + ", ".join(str(p) for p in written))
    failed = [r["name"] for r in document["rows"] if r["error"]]
    if failed:
        print(
            f"qnative benchmark: {len(failed)} configuration(s) failed: {failed}", file=sys.stderr
        )
        return 1
    return 0


def _benchmark_parser(sub: Any) -> None:
    bench = sub.add_parser(
        "benchmark",
        help="the specification's table: the reference workload under every configuration",
    )
    bench.add_argument("--quick", action="store_true", help="reduced run (minutes), as in CI")
    bench.add_argument(
        "--only", action="append", default=[], metavar="NAME", help="configurations whose "
        "names contain NAME (repeatable; default: all, or the quick ones with --quick)"
    )  # fmt: skip
    bench.add_argument("--list", action="store_true", help="list the configurations and exit")
    bench.add_argument(
        "--json", type=Path, default=None, help="JSON document (default: in --output-dir)"
    )
    bench.add_argument(
        "--output-dir", type=Path, default=Path("runs/benchmark"), help="figures and JSON"
    )
    bench.add_argument(
        "--write-docs", type=Path, nargs="?", const=Path("docs/benchmarks.md"), default=None,
        metavar="PAGE", help="regenerate the table's section of PAGE (default docs/benchmarks.md)",
    )  # fmt: skip
    bench.add_argument("--seed", type=int, default=0)
    bench.add_argument("--no-progress", action="store_true", help="no progress bar")
    bench.add_argument(
        "--worker-timeout", type=float, default=1800.0, help="seconds a configuration may take"
    )


def cmd_jobs(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from pennylane_qnative.execution.journal import Journal, default_journal_path

    path = args.journal or default_journal_path()
    check_sqlite_file("--journal", path, "job journal")
    check_number("--limit", getattr(args, "limit", None), low=1, integer=True)
    if not path.exists():
        if args.journal is not None:
            raise ConfigurationError(
                f"--journal {str(path)!r} does not exist; pass the path of a journal a run wrote."
            )
        if args.action == "list":
            print(f"(no jobs in {path})")
            return 0
        raise ConfigurationError(
            f"job {args.job_id!r} is not in the journal {path} (there is none yet); list the "
            "recorded jobs with 'qnative jobs list'."
        )
    with Journal(path) as journal:
        if args.action == "list":
            rows = journal.recent(args.limit)
            print(f"{'job id':38s} {'state':10s} {'circuits':>8s}  {'batch':12s}  updated (UTC)")
            for row in rows:
                when = datetime.fromtimestamp(row["updated_at"], UTC).strftime("%Y-%m-%d %H:%M:%S")
                job = row["job_id"] or "(not created)"
                print(
                    f"{job:38s} {row['state']:10s} {row['circuits']:8d}  {row['batch']:12s}  {when}"
                )
            if not rows:
                print(f"(no jobs in {journal.path})")
            return 0
        record = journal.find(args.job_id)
    if record is None:
        raise ConfigurationError(
            f"job {args.job_id!r} is not in the journal {path}; list the recorded jobs with "
            "'qnative jobs list'."
        )
    print(f"job {record.job_id}: {record.state.value}, circuits {record.start}..{record.stop - 1}")
    if record.error:
        print(f"  error: {record.error}")
    for i, probabilities in enumerate(record.results or []):
        top = sorted(probabilities.items(), key=lambda kv: -kv[1])[:4]
        shown = ", ".join(f"{k}: {v:.4f}" for k, v in top)
        print(f"  circuit {record.start + i}: {shown}{' ...' if len(probabilities) > 4 else ''}")
    return 0


def cmd_cost(args: argparse.Namespace) -> int:
    from pennylane_qnative.ionq.backends import MAX_CIRCUITS_PER_JOB, MAX_SHOTS, backend_info
    from pennylane_qnative.ionq.pricing import DEFAULT_RATE_CARD, GateCounts, estimate_cost

    try:
        backend_info(args.backend)
    except ConfigurationError as error:
        raise ConfigurationError(f"--backend: {error.message}") from None
    check_number("--shots", args.shots, low=1, high=MAX_SHOTS, integer=True)
    check_number("--circuits", args.circuits, low=1, high=MAX_CIRCUITS_PER_JOB, integer=True)
    check_number("--jobs", args.jobs, low=1, integer=True)
    check_number("--one-qubit-gates", args.one_qubit_gates, low=0, integer=True)
    check_number("--two-qubit-gates", args.two_qubit_gates, low=0, integer=True)
    counts = GateCounts(one_qubit=args.one_qubit_gates, two_qubit=args.two_qubit_gates)
    per_job = estimate_cost(
        backend=args.backend,
        shots=args.shots,
        gate_counts=[counts] * args.circuits,
        error_mitigation=args.error_mitigation,
    )
    total = per_job * args.jobs
    print(
        f"{args.jobs} job(s) of {args.circuits} circuit(s) on {args.backend}, {args.shots} shots,"
    )
    print(f"  {counts.one_qubit} one-qubit and {counts.two_qubit} two-qubit gates per circuit:")
    print(
        f"  ${per_job:,.2f} per job, ${total:,.2f} in all "
        f"(rate card: ${DEFAULT_RATE_CARD.cost_1q_gate_shot}/1q gate-shot, "
        f"${DEFAULT_RATE_CARD.cost_2q_gate_shot}/2q gate-shot, "
        f"${DEFAULT_RATE_CARD.job_cost_minimum} job minimum)"
    )
    return 0


def _jobs_parser(sub: Any) -> None:
    jobs = sub.add_parser("jobs", help="jobs recorded in the journal")
    jobs.add_argument("--journal", type=Path, default=None, help="journal file (default: cache)")
    actions = jobs.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="most recent jobs")
    listing.add_argument("--limit", type=int, default=20)
    show = actions.add_parser("show", help="one job and its stored results")
    show.add_argument("job_id")


def _cache_parser(sub: Any) -> None:
    cache = sub.add_parser("cache", help="the persistent result cache")
    cache.add_argument(
        "--path", type=Path, default=None, help="cache file (default: results.sqlite in the cache)"
    )
    actions = cache.add_subparsers(dest="action", required=True)
    actions.add_parser("info", help="entries, bytes, age and limits")
    actions.add_parser("clear", help="drop every stored result (jobs stay in the journal)")


def cmd_cache(args: argparse.Namespace) -> int:
    from pennylane_qnative.execution.journal import default_cache_dir
    from pennylane_qnative.execution.result_store import ResultStore

    path = args.path or default_cache_dir() / "results.sqlite"
    check_sqlite_file("--path", path, "result cache")
    if not path.exists():
        print(f"no result cache at {path}")
        return 0
    store = ResultStore(path)
    try:
        if args.action == "clear":
            print(f"cleared {store.clear()} results from {path}")
            return 0
        info = store.info()
    finally:
        store.close()
    age = info["oldest_age_s"]
    print(f"result cache {info['path']}")
    print(f"  entries {info['entries']:,} of {info['max_entries']:,}")
    print(f"  bytes   {info['bytes']:,} of {info['max_bytes']:,}")
    oldest = "-" if age is None else f"{age / 86400:.1f} days"
    print(f"  oldest  {oldest} (values older than {info['max_age_s'] / 86400:.0f} days are misses)")
    return 0


def _cost_parser(sub: Any) -> None:
    cost = sub.add_parser("cost", help="cost estimates from the rate card")
    actions = cost.add_subparsers(dest="action", required=True)
    estimate = actions.add_parser("estimate", help="estimate a batch before running it")
    estimate.add_argument("--backend", default="qpu.aria-1")
    estimate.add_argument("--shots", type=int, default=1000)
    estimate.add_argument("--circuits", type=int, default=30, help="circuits per job")
    estimate.add_argument("--jobs", type=int, default=50, help="jobs (e.g. training steps)")
    estimate.add_argument("--one-qubit-gates", type=int, default=40)
    estimate.add_argument("--two-qubit-gates", type=int, default=14)
    estimate.add_argument("--error-mitigation", action="store_true")


def build_parser() -> argparse.ArgumentParser:
    from pennylane_qnative import __version__

    parser = _Parser(prog="qnative", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"qnative {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _train_parser(sub)
    _benchmark_parser(sub)
    _jobs_parser(sub)
    _cost_parser(sub)
    _cache_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qnative`` console script."""
    args = build_parser().parse_args(argv)
    commands = {
        "train": cmd_train,
        "benchmark": cmd_benchmark,
        "jobs": cmd_jobs,
        "cost": cmd_cost,
        "cache": cmd_cache,
    }
    try:
        return commands[args.command](args)
    except QnativeError as error:
        print(f"qnative {args.command}: {_one_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"qnative {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # one line, not a traceback, unless asked
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            traceback.print_exc()
        print(
            f"qnative {args.command}: unexpected {type(error).__name__}: {_one_line(error)}; "
            f"run with {DEBUG_ENV}=1 for the traceback (and report it if it is a bug).",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
