"""The worker process of the benchmark: one configuration per process, so peaks are its own.

``python -m pennylane_qnative.benchmark.worker SPEC OUT`` reads a JSON spec (the configuration,
the workload, the data file, the emulator's URL), trains, and writes the runner's records to
``OUT``, with the process's peak resident set size when the training ended (``peak_rss_mb``,
the table's figure) and after the test evaluation (``peak_rss_with_test_mb``).
``python -m pennylane_qnative.benchmark.worker --baseline OUT`` only imports PennyLane and
writes that process's peak: the floor every configuration is compared with.

The worker never imports scikit-learn: the harness prepares the data and passes arrays.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pennylane_qnative.benchmark import peak_rss_mb

__all__ = ["configuration_spec", "main", "peak_rss_mb"]


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
    result.setdefault("peak_rss_mb", peak_rss_mb())  # a failed run: whatever it reached
    result["peak_rss_with_test_mb"] = peak_rss_mb()  # the test evaluation included
    Path(argv[1]).write_text(json.dumps(result), encoding="utf-8")
    return status


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
