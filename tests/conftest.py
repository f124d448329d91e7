"""Fixtures shared across the test packages: a real two-process Dask ``LocalCluster``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


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
