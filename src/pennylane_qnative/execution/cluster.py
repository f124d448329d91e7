"""Running a batch of circuits on a Dask cluster or a ``qp.concurrency`` executor.

A batch is cut into at most one task per worker slot; each task is a :class:`Task` (a backend
device name, wires, a sampling seed, circuits and an execution config) run by the top-level
:func:`run_task`, which builds the backend device on the worker and executes the circuits.
Everything a task carries pickles, and a task is a pure function of its contents, so Dask may
run it again after a worker is lost (``retries=``, and the scheduler's own rescheduling of
tasks whose worker died) without changing a result. Results come back in batch order.

Two executors share one small interface (``slots()``, ``map(fn, *iterables)``):

- :class:`DaskExecutor`: a ``distributed.Client``, or a scheduler address connected on first
  use within ``connect_timeout`` seconds (:class:`~.ClusterUnavailableError` otherwise);
- :class:`ConcurrencyExecutor`: one of PennyLane's ``qp.concurrency`` backends (a name such as
  ``"cf_procpool"``, an :class:`~pennylane.concurrency.executors.ExecBackends` member, an
  executor class or an executor instance).

This module knows nothing of our devices: it builds backends with ``qp.device`` by name.

**Example**

>>> import pennylane as qp
>>> tape = qp.tape.QuantumScript([qp.RX(0.5, 0)], [qp.expval(qp.Z(0))])
>>> executor = as_executor("serial")
>>> results = run_batch(executor, [tape], device_name="default.qubit", wires=1,
...                     config=qp.devices.ExecutionConfig(), seeds=[7])
>>> round(float(results[0]), 6)
0.877583
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

import numpy as np
import pennylane as qp
from pennylane.concurrency.executors import ExecBackends, get_executor, get_supported_backends
from pennylane.devices import ExecutionConfig

from pennylane_qnative.exceptions import ClusterUnavailableError, ConfigurationError

__all__ = [
    "ConcurrencyExecutor",
    "DaskExecutor",
    "Task",
    "as_executor",
    "run_batch",
    "run_task",
    "select_executor",
    "tune_malloc",
]

logger = logging.getLogger(__name__)

#: What PennyLane puts in every ``ExecutionConfig.executor_backend`` nobody chose.
DEFAULT_BACKEND = get_executor(ExecBackends.MP_Pool)
DASK_BACKEND = get_executor(ExecBackends.Dask)
SERIAL_BACKEND = get_executor(ExecBackends.Serial)
#: Device options that belong to the client process: never shipped to a worker.
_LOCAL_OPTIONS = frozenset({"rng", "prng_key", "max_workers"})


class Task(NamedTuple):
    """What one worker runs: ``circuits`` on a fresh ``device_name`` seeded with ``seed``."""

    device_name: str
    wires: Any
    seed: int
    circuits: list
    config: ExecutionConfig


def run_task(device_name: str, wires: Any, seed: int, circuits: list, config: Any) -> list:
    """Execute one :class:`Task` on a freshly built backend device (on whichever worker runs it).

    The fields come as separate arguments: ``qp.concurrency``'s native executors unpack the
    iterables of ``map`` only for functions of more than one parameter.
    """
    device = qp.device(device_name, wires=wires, seed=seed)
    return list(device.execute(circuits, config))


def shippable(config: ExecutionConfig) -> ExecutionConfig:
    """``config`` without what stays in the client process (sampling streams, worker pools)."""
    options = {k: v for k, v in config.device_options.items() if k not in _LOCAL_OPTIONS}
    return replace(
        config,
        device_options=options,
        gradient_method=None,
        gradient_keyword_arguments={},
        executor_backend=None,
    )


def run_batch(
    executor: DaskExecutor | ConcurrencyExecutor,
    circuits: Sequence[Any],
    *,
    device_name: str,
    wires: Any,
    config: ExecutionConfig,
    seeds: Sequence[int],
) -> list:
    """Results of ``circuits`` run on ``executor``'s workers, in order.

    The circuits are cut into ``min(len(circuits), executor.slots())`` contiguous tasks,
    task ``t`` seeded with ``seeds[t]`` (``seeds`` needs at least that many entries).
    """
    if not circuits:
        return []
    n_tasks = min(len(circuits), executor.slots())
    chunks = np.array_split(np.arange(len(circuits)), n_tasks)
    config = shippable(config)
    tasks = [
        Task(device_name, wires, int(seeds[t]), [circuits[i] for i in chunk], config)
        for t, chunk in enumerate(chunks)
    ]
    outputs = executor.map(run_task, *zip(*tasks, strict=True))
    results = [result for output in outputs for result in output]
    if len(results) != len(circuits):  # never hand back a short batch
        raise RuntimeError(f"the executor returned {len(results)} of {len(circuits)} results.")
    return results


#: glibc ``mallopt`` parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_malloc_tuned = False


def tune_malloc() -> bool:
    """Undo the side effect of Dask's ``MALLOC_TRIM_THRESHOLD_`` on simulation, once a process.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``; setting any trim
    threshold also freezes glibc's mmap threshold at 128 KiB, so every medium-size array a
    simulator allocates is a fresh ``mmap`` (page faults, zeroing): the reference training runs
    2.2x slower in a worker than in a plain process. This raises the mmap threshold to 16 MiB
    and the trim threshold to 32 MiB (memory above that is still returned to the system). A
    no-op unless the variable is set and the C library is glibc.
    """
    global _malloc_tuned
    if _malloc_tuned or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return False
    _malloc_tuned = True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 16 * 2**20)
        libc.mallopt(_M_TRIM_THRESHOLD, 32 * 2**20)
    except (OSError, AttributeError):  # not glibc
        return False
    return True


def _on_worker(fn: Callable[..., Any], *args: Any) -> Any:
    tune_malloc()
    return fn(*args)


class DaskExecutor:
    """A Dask ``distributed.Client``, given or connected on first use to ``address``.

    Args:
        client_or_address (distributed.Client | str): a connected client, or a scheduler
            address such as ``"tcp://10.0.0.5:8786"``
        retries (int): times Dask re-runs a task that raised (a task whose worker died is
            rescheduled by the scheduler on its own, up to its ``allowed-failures``)
        connect_timeout (float): seconds allowed to reach the scheduler
        tune_workers (bool): let the worker processes that run our tasks call
            :func:`tune_malloc` (simulation in a Dask worker is otherwise about 2x slower)

    Raises:
        ConfigurationError: for a value that is neither a client nor an address, or bad options
    """

    def __init__(
        self,
        client_or_address: Any,
        *,
        retries: int = 1,
        connect_timeout: float = 10.0,
        tune_workers: bool = True,
    ) -> None:
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise ConfigurationError(f"retries must be a non-negative integer, got {retries!r}.")
        if not isinstance(connect_timeout, int | float) or connect_timeout <= 0:
            raise ConfigurationError(
                f"connect_timeout must be a positive number of seconds, got {connect_timeout!r}."
            )
        self.retries = retries
        self.connect_timeout = float(connect_timeout)
        self.tune_workers = bool(tune_workers)
        self._lock = threading.Lock()
        if isinstance(client_or_address, str):
            self.address, self._client = client_or_address, None
        elif _is_client(client_or_address):
            self.address, self._client = client_or_address.scheduler.address, client_or_address
        else:
            raise ConfigurationError(
                "a Dask executor needs a distributed.Client or a scheduler address like "
                f"'tcp://host:8786', got {client_or_address!r}."
            )

    def __repr__(self) -> str:
        return f"DaskExecutor({self.address!r}, retries={self.retries})"

    def __reduce__(self):
        # a copy reconnects to the same scheduler on first use
        return (
            _dask_executor,
            (self.address, self.retries, self.connect_timeout, self.tune_workers),
        )

    @property
    def client(self) -> Any:
        """The client, connecting to :attr:`address` on first use."""
        with self._lock:
            if self._client is None:
                self._client = _connect(self.address, self.connect_timeout)
            return self._client

    def slots(self) -> int:
        """Worker threads in the cluster now (at least 1)."""
        return max(1, sum(self.client.nthreads().values()))

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> list:
        """``list(map(fn, *iterables))`` on the cluster, in order, with :attr:`retries`."""
        client = self.client
        columns = [list(column) for column in iterables]
        token = uuid.uuid4().hex  # keys name the function (dashboard) and are unique per call
        keys = [f"{fn.__name__}-{token}-{i}" for i in range(len(columns[0]))]
        if self.tune_workers:
            fn, columns = _on_worker, [[fn] * len(keys), *columns]
        futures = client.map(fn, *columns, key=keys, retries=self.retries)
        try:
            return client.gather(futures)
        except BaseException:
            client.cancel(futures)
            raise


def _dask_executor(address: str, retries: int, timeout: float, tune: bool) -> DaskExecutor:
    return DaskExecutor(address, retries=retries, connect_timeout=timeout, tune_workers=tune)


def _is_client(value: Any) -> bool:
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - distributed is a dependency
        return False
    return isinstance(value, Client)


def _connect(address: str, timeout: float) -> Any:
    from distributed import Client

    logger.info("connecting to the Dask scheduler at %s", address)
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise ClusterUnavailableError(
            f"cannot reach the Dask scheduler at {address!r} within {timeout:g} s ({error}). "
            "Start one with `dask scheduler` and workers with `dask worker <address>`, check "
            "the address and port, or pass a connected distributed.Client as executor=.",
            address=address,
        ) from None


class ConcurrencyExecutor:
    """One of PennyLane's ``qp.concurrency`` executor backends.

    Args:
        backend (str | ExecBackends | RemoteExec): a backend name, enum member, class
            (entered as a context manager for each batch, with ``max_workers``), or an executor
            instance (used as it is; its owner shuts it down)
        max_workers (int | None): workers of a backend built per batch; ``None`` lets the
            backend choose (the machine's cores)
    """

    def __init__(self, backend: Any, *, max_workers: int | None = None) -> None:
        if isinstance(backend, str | ExecBackends):
            backend = get_executor(backend)
        self.backend = backend
        self.max_workers = max_workers

    def __repr__(self) -> str:
        return f"ConcurrencyExecutor({self.backend!r}, max_workers={self.max_workers})"

    def slots(self) -> int:
        if not isinstance(self.backend, type):
            return max(1, int(self.backend.size))
        if self.backend is SERIAL_BACKEND:
            return 1
        return self.max_workers or os.cpu_count() or 1

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> list:
        """``list(map(fn, *iterables))`` on the backend (``fn`` of two or more parameters)."""
        columns = [list(column) for column in iterables]
        if not isinstance(self.backend, type):
            return list(self.backend.map(fn, *columns))
        serial = self.max_workers is None or self.backend is SERIAL_BACKEND  # it takes no size
        options = {} if serial else {"max_workers": self.max_workers}
        with self.backend(**options) as executor:
            return list(executor.map(fn, *columns))


def as_executor(
    spec: Any, *, max_workers: int | None = None
) -> DaskExecutor | ConcurrencyExecutor | None:
    """The executor ``spec`` names (see the module docstring); ``None`` for ``None``.

    Raises:
        ConfigurationError: for anything else, or for PennyLane's ``"dask"`` backend without a
            cluster (it would start a new ``LocalCluster`` for every batch)
    """
    if spec is None or isinstance(spec, DaskExecutor | ConcurrencyExecutor):
        return spec
    names = get_supported_backends()
    if isinstance(spec, str) and spec in names:
        spec = names[spec]
    elif isinstance(spec, ExecBackends):
        spec = spec.value
    if spec is DASK_BACKEND:
        raise ConfigurationError(
            "executor='dask' would start a new LocalCluster for every batch: pass a "
            "distributed.Client, a scheduler address ('tcp://host:8786'), or "
            "DaskExec(client_provider=..., persist=True)."
        )
    if isinstance(spec, str) or _is_client(spec):
        return DaskExecutor(spec)
    if _is_concurrency_backend(spec):
        return ConcurrencyExecutor(spec, max_workers=max_workers)
    raise ConfigurationError(
        "executor must be a distributed.Client, a scheduler address ('tcp://host:8786'), or a "
        f"qp.concurrency backend ({', '.join(sorted(names))}), got {spec!r}."
    )


def _is_concurrency_backend(spec: Any) -> bool:
    base = qp.concurrency.executors.base.RemoteExec
    return (isinstance(spec, type) and issubclass(spec, base)) or isinstance(spec, base)


def select_executor(
    device_executor: DaskExecutor | ConcurrencyExecutor | None,
    config_backend: Any,
    max_workers: int | None,
) -> DaskExecutor | ConcurrencyExecutor | None:
    """The executor one batch runs on: the QNode's ``executor_backend`` if it chose one.

    PennyLane fills every ``ExecutionConfig.executor_backend`` with its ``mp_pool`` default, so
    that value means "no choice" and the device's own ``executor`` (or none) is used. A QNode's
    ``executor_backend="dask"`` on a device with a Dask cluster runs on that cluster.
    """
    if isinstance(config_backend, str | ExecBackends):  # a QNode keeps the name it was given
        config_backend = get_executor(config_backend)
    if config_backend is None or config_backend is DEFAULT_BACKEND:
        return device_executor
    if config_backend is DASK_BACKEND and isinstance(device_executor, DaskExecutor):
        return device_executor
    return ConcurrencyExecutor(config_backend, max_workers=max_workers)
