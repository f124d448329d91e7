"""The worker process of the benchmark: one configuration per process, so peaks are its own.

``python -m pennylane_qnative.benchmark.worker SPEC OUT`` reads a JSON spec (the configuration,
the workload, the data file, the emulator's URL), trains, and writes the runner's records plus
the process's peak resident set size (``peak_rss_mb``) to ``OUT``.
``python -m pennylane_qnative.benchmark.worker --baseline OUT`` only imports PennyLane and
writes that process's peak: the floor every configuration is compared with.

The worker never imports scikit-learn: the harness prepares the data and passes arrays.
"""

from __future__ import annotations

import dataclasses
import json
import resource
import sys
import tempfile
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["configuration_spec", "main", "peak_rss_mb"]


def peak_rss_mb() -> float:
    """This process's peak resident set size in MiB.

    On Linux, ``VmHWM`` of ``/proc/self/status``: ``ru_maxrss`` would also count the pages of
    the parent the process was forked from before it exec'd. Elsewhere ``ru_maxrss`` (KiB, or
    bytes on macOS).
    """
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**10
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def configuration_spec(
    configuration: Any, workload: Any, *, data: Path, url: str | None, scratch: Path
) -> dict[str, Any]:
    """The JSON spec of one worker run."""
    fields = {f.name: getattr(configuration, f.name) for f in dataclasses.fields(configuration)}
    fields = fields | {"options": dict(configuration.options)}
    return {
        "configuration": fields,
        "workload": dataclasses.asdict(workload),
        "data": str(data),
        "url": url,
        "scratch": str(scratch),
    }


def _run(spec: Mapping[str, Any]) -> dict[str, Any]:
    import numpy as np

    from pennylane_qnative.benchmark.configs import Configuration, Workload
    from pennylane_qnative.benchmark.runners import Context, run

    configuration = Configuration(**spec["configuration"])
    with np.load(spec["data"]) as arrays:
        data = {name: arrays[name] for name in arrays.files}
    scratch = Path(spec["scratch"] or tempfile.mkdtemp())
    context = Context(
        workload=Workload(**spec["workload"]), data=data, url=spec["url"], scratch=scratch
    )
    return run(configuration, context)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (1 when the run raised)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) == 2 and argv[0] == "--baseline":
        start = time.perf_counter()
        import pennylane  # noqa: F401

        seconds = time.perf_counter() - start
        result = {"peak_rss_mb": peak_rss_mb(), "import_seconds": seconds}
        Path(argv[1]).write_text(json.dumps(result), encoding="utf-8")
        return 0
    if len(argv) != 2:
        print("usage: python -m pennylane_qnative.benchmark.worker SPEC OUT | --baseline OUT")
        return 2
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    status, result = 0, {}
    try:
        result = _run(spec)
    except Exception as error:  # reported in the table's row, not a crash of the whole run
        traceback.print_exc()
        status = 1
        result = {"error": f"{type(error).__name__}: {error}"}
    result["peak_rss_mb"] = peak_rss_mb()
    Path(argv[1]).write_text(json.dumps(result), encoding="utf-8")
    return status


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
