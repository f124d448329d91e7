"""Fixtures shared across the test packages: a real two-process Dask ``LocalCluster``; the
``--runslow`` option (tests marked ``slow`` are skipped without it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--runslow", action="store_true", default=False, help="also run the tests marked slow"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the tests marked ``slow`` unless ``--runslow`` is given."""
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if item.get_closest_marker("slow") is not None:  # not keywords: ids may say "slow"
            item.add_marker(skip)


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    """A client of a ``LocalCluster`` of 2 worker processes (1 thread each), torn down after.

    Session-scoped: starting one costs several seconds on a 2-core machine; tests that restart
    a worker leave two running workers behind them.
    """
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
