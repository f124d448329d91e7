"""``qnative benchmark``: the specification's performance table, measured in one run.

:mod:`~pennylane_qnative.benchmark.configs` holds the configurations (one registry, where new
policies are added), :mod:`~pennylane_qnative.benchmark.runners` the training loops,
:mod:`~pennylane_qnative.benchmark.worker` the process each configuration runs in (so its
peak memory is its own), :mod:`~pennylane_qnative.benchmark.report` the table, the JSON and the
generated section of ``docs/benchmarks.md``, :mod:`~pennylane_qnative.benchmark.plots` the
figures, and :mod:`~pennylane_qnative.benchmark.harness` the run that ties them together.
"""

import resource
import sys
from pathlib import Path

from pennylane_qnative.benchmark.configs import (
    CONFIGURATIONS,
    PLANNED,
    Configuration,
    Group,
    Platform,
    Runner,
    Workload,
    register,
)

__all__ = [
    "CONFIGURATIONS",
    "PLANNED",
    "Configuration",
    "Group",
    "Platform",
    "Runner",
    "Workload",
    "peak_rss_mb",
    "register",
]


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
