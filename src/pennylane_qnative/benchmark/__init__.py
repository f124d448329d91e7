"""``qnative benchmark``: the specification's performance table, measured in one run.

:mod:`~pennylane_qnative.benchmark.configs` holds the configurations (one registry, where new
policies are added), :mod:`~pennylane_qnative.benchmark.runners` the training loops,
:mod:`~pennylane_qnative.benchmark.worker` the process each configuration runs in (so its
peak memory is its own), :mod:`~pennylane_qnative.benchmark.report` the table, the JSON and the
generated section of ``docs/benchmarks.md``, :mod:`~pennylane_qnative.benchmark.plots` the
figures, and :mod:`~pennylane_qnative.benchmark.harness` the run that ties them together.
"""

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
    "register",
]
