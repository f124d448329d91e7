"""The specification's table in one run: a thin wrapper of ``qnative benchmark`` (not a test).

Every configuration of the reference workload (the v3.2-style baseline, PennyLane's best plain
options, qnative) is measured in a fresh worker process against emulators in their own
processes; the table is printed and written as JSON, figures and (``--write-docs``) the
generated section of ``docs/benchmarks.md``. See ``qnative benchmark --help``.

Usage: ``python benchmarks/run_all.py [--quick] [--write-docs] [--json PATH] [--only NAME]``
"""

from __future__ import annotations

import sys

from pennylane_qnative.cli import main

if __name__ == "__main__":
    sys.exit(main(["benchmark", *sys.argv[1:]]))
