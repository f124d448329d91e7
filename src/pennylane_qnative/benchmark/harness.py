"""One benchmark run: data, emulators, a worker process per configuration, the document.

:func:`run_benchmark` prepares the reference data once (scikit-learn stays out of the workers),
starts the emulators the selected configurations need, each in its own process (so the
workers' CPU and memory are their own), measures the ``import pennylane`` baseline in a fresh
process, runs every configuration in a fresh worker process (see
:mod:`~pennylane_qnative.benchmark.worker`) under a progress bar, and returns the benchmark
*document*: machine details, the workload, one row per configuration (see
:data:`~pennylane_qnative.benchmark.report.ROW_FIELDS`), the issue's targets and each worker's
raw records. :func:`write_outputs` writes the JSON, the figures and the docs section.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pennylane_qnative.benchmark.configs import (
    PLANNED,
    QUICK,
    REFERENCE,
    Configuration,
    Platform,
    Workload,
    selected,
)
from pennylane_qnative.benchmark.report import (
    COST_BACKEND,
    add_ratios,
    build_row,
    evaluate_targets,
)
from pennylane_qnative.benchmark.runners import API_KEY
from pennylane_qnative.benchmark.worker import configuration_spec
from pennylane_qnative.emulator import spawned

__all__ = ["EMULATOR_ARGS", "BenchmarkOptions", "machine_details", "run_benchmark", "write_outputs"]

EMULATOR_ARGS: dict[Platform, tuple[str, ...]] = {
    Platform.CLOUD: ("--profile", "cloud-simulator"),
    # hardware proportions, scaled down: a 6 s queue is 20x a step's 0.3 s execution
    # (30 circuits x 100 shots x 0.1 ms), as hours of queue meet minutes of execution
    Platform.QPU: (
        "--profile", "qpu", "--queue-delay", "6", "--validation-delay", "0.05",
        "--exec-per-circuit", "0", "--exec-per-shot", "0.0001",
    ),
}  # fmt: skip
"""The emulator's options for each platform (``--quick`` runs one ``instant`` emulator)."""
QUICK_EMULATOR_ARGS = ("--profile", "instant")


@dataclass(frozen=True, kw_only=True, slots=True)
class BenchmarkOptions:
    """What to run and where the outputs go.

    Args:
        quick (bool): the reduced workload and configurations, one ``instant`` emulator
        names (tuple[str, ...]): only the configurations whose names contain one of these
        seed (int): the workload's seed
        progress (bool): show a progress bar (on stderr)
        worker_timeout_s (float): a worker running longer is stopped and its row marked failed
        command (str): the command line, recorded in the document
    """

    quick: bool = False
    names: tuple[str, ...] = ()
    seed: int = 0
    progress: bool = True
    worker_timeout_s: float = 1800.0
    command: str = "qnative benchmark"
    workload: Workload = field(init=False)

    def __post_init__(self) -> None:
        base = QUICK if self.quick else REFERENCE
        object.__setattr__(self, "workload", replace(base, seed=self.seed))


def _environment() -> dict[str, str]:
    """The workers' and emulators' environment: this package first on ``PYTHONPATH``."""
    import pennylane_qnative

    source = str(Path(pennylane_qnative.__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([source, *filter(None, [env.get("PYTHONPATH")])])
    return env


def _emulator(arguments: Sequence[str], log: Path) -> contextlib.AbstractContextManager[str]:
    """An emulator in its own process (a context manager yielding its root URL)."""
    arguments = [*arguments, "--api-key", API_KEY, "--log-level", "WARNING"]
    return spawned(arguments, log=log, env=_environment())


@contextlib.contextmanager
def _emulators(platforms: set[Platform], quick: bool, folder: Path) -> Iterator[dict]:
    """URLs by platform, an emulator for each (one ``instant`` emulator for all in quick)."""
    with contextlib.ExitStack() as stack:
        urls: dict[Platform, str] = {}
        remote = sorted(p for p in platforms if p != Platform.SIMULATOR)
        if quick and remote:
            url = stack.enter_context(_emulator(QUICK_EMULATOR_ARGS, folder / "emulator.log"))
            urls = dict.fromkeys(remote, url)
        else:
            for platform_ in remote:
                log = folder / f"emulator-{platform_.value}.log"
                urls[platform_] = stack.enter_context(_emulator(EMULATOR_ARGS[platform_], log))
        yield urls


def _write_data(workload: Workload, folder: Path) -> Path:
    import numpy as np

    from pennylane_qnative.training.reference import load_reference_data

    data = load_reference_data(n_train=workload.n_train, n_test=workload.n_test, seed=workload.seed)
    path = folder / "data.npz"
    np.savez(path, **{k: getattr(data, k) for k in ("X_train", "y_train", "X_test", "y_test")})
    return path


def _worker(arguments: Sequence[str], folder: Path, timeout: float) -> dict[str, Any]:
    """Run the worker with ``arguments`` (its last one is the output file); its result."""
    out = Path(arguments[-1])
    command = [sys.executable, "-m", "pennylane_qnative.benchmark.worker", *arguments]
    log = folder / (out.stem + ".log")
    with log.open("w") as handle:
        try:
            subprocess.run(
                command,
                stdout=handle,
                stderr=subprocess.STDOUT,
                env=_environment(),
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"the worker ran over {timeout:.0f} s and was stopped"}
    if not out.exists():
        tail = log.read_text(encoding="utf-8", errors="replace")[-400:]
        return {"error": f"the worker wrote no result: {tail}"}
    return json.loads(out.read_text(encoding="utf-8"))


def _run_configurations(
    configurations: Sequence[Configuration],
    options: BenchmarkOptions,
    urls: dict[Platform, str],
    folder: Path,
    data: Path,
) -> dict[str, dict[str, Any]]:
    from tqdm.auto import tqdm

    records: dict[str, dict[str, Any]] = {}
    bar = tqdm(configurations, desc="benchmark", unit="config", disable=not options.progress)
    for index, configuration in enumerate(bar):
        bar.set_postfix_str(configuration.name)
        spec_path, out = folder / f"spec-{index}.json", folder / f"result-{index}.json"
        scratch = folder / f"scratch-{index}"
        scratch.mkdir()
        spec = configuration_spec(
            configuration,
            options.workload,
            data=data,
            url=urls.get(configuration.platform),
            scratch=scratch,
        )
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        records[configuration.name] = _worker(
            [str(spec_path), str(out)], folder, options.worker_timeout_s
        )
    bar.close()
    return records


def machine_details() -> dict[str, Any]:
    """CPU count and model, RAM, OS, Python and the versions of the libraries measured."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else 0
    gpu = None
    if shutil.which("nvidia-smi"):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            listing = subprocess.run(
                ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10
            )
            gpu = listing.stdout.strip() or None
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "ram_gib": ram / 2**30,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "pennylane": installed("pennylane"),
        "numpy": installed("numpy"),
        "pennylane_ionq": installed("pennylane-ionq"),
        "pennylane_lightning": installed("pennylane-lightning"),
        "gpu": gpu,
    }


def run_benchmark(options: BenchmarkOptions) -> dict[str, Any]:
    """Run the selected configurations; returns the benchmark document (see the module).

    Raises:
        ConfigurationError: if ``options.names`` match no configuration
        QnativeError: if an emulator does not start
    """
    configurations = selected(quick=options.quick, names=options.names)
    workload = options.workload
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qnative-benchmark-") as tmp:
        folder = Path(tmp)
        data = _write_data(workload, folder)
        platforms = {c.platform for c in configurations}
        with _emulators(platforms, options.quick, folder) as urls:
            out = folder / "baseline.json"
            baseline = _worker(["--baseline", str(out)], folder, 300)
            records = _run_configurations(configurations, options, urls, folder, data)
    rss = baseline.get("peak_rss_mb")
    rows = [build_row(c, records[c.name], workload, baseline_rss_mb=rss) for c in configurations]
    add_ratios(rows)
    return {
        "schema": 1,
        "command": options.command,
        "quick": options.quick,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "wall_s": time.perf_counter() - start,
        "machine": machine_details(),
        "workload": asdict(workload),
        "steps": workload.steps,
        "cost_backend": COST_BACKEND,
        "emulators": _emulator_note(options.quick, platforms),
        "baseline_rss_mb": rss,
        "rows": rows,
        "targets": evaluate_targets(rows),
        "planned": list(PLANNED),
        "records": records,
    }


def _emulator_note(quick: bool, platforms: set[Platform]) -> str:
    remote = sorted(p for p in platforms if p != Platform.SIMULATOR)
    if quick:
        return "`instant` for every emulator platform (--quick)" if remote else "none"
    return "; ".join(f"{p}: `{' '.join(EMULATOR_ARGS[p])}`" for p in remote) or "none"


def write_outputs(
    document: dict[str, Any],
    *,
    output_dir: str | os.PathLike | None = None,
    json_path: str | os.PathLike | None = None,
    docs_path: str | os.PathLike | None = None,
) -> list[Path]:
    """Write the JSON, the figures (into ``output_dir``) and the docs section; their paths."""
    from pennylane_qnative.benchmark.document import write_section
    from pennylane_qnative.benchmark.plots import plot_all

    written = []
    if json_path is not None:
        path = Path(json_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=1, allow_nan=False) + "\n", encoding="utf-8")
        written.append(path)
    if output_dir is not None:
        written += plot_all(document["rows"], document["records"], output_dir)
    if docs_path is not None:
        written.append(write_section(docs_path, document))
    return written
