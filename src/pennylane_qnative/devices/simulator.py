"""``qnative.simulator``: PennyLane's simulators with batching and an exact result cache.

The device wraps a PennyLane simulator (``default.qubit`` by default, ``lightning.qubit`` or
``lightning.gpu``) and adds, within every ``execute`` call:

1. **caching**: each circuit is looked up in a :class:`~.QuantumCircuitCache` under an exact
   key (see :mod:`pennylane_qnative.execution.cache`); analytic duplicates inside the batch
   run once;
2. **batching**: circuits that share a structure and differ only in parameters are merged into
   one broadcast circuit when the backend broadcasts natively (``default.qubit``), or spread
   over ``max_workers`` backend instances on threads otherwise;
3. **simplification** (:mod:`~pennylane_qnative.execution.fusion`, exact): gates outside the
   backward light cone of the measured wires are not simulated, nor diagonal gates that only
   precede a computational-basis readout; adjacent rotations about the same axis on a wire
   (an angle-encoded input and the trainable rotation after it) run as one gate. PennyLane's
   simulator simulates only the wires a circuit acts on: the reference classifier's
   ``expval(Z(0))`` needs 11 of its 46 gates on 3 of its 8 qubits;
4. **tracking**: ``qp.Tracker`` gets PennyLane's simulator keys plus ``cache_hits``,
   ``cache_misses``, ``merged_circuits`` (circuits folded into broadcasts) and
   ``backend_executions`` (circuits the backend actually ran);
5. **distribution** (``executor=``): the circuits left after the cache and the merge go to a
   Dask cluster or a ``qp.concurrency`` executor (:mod:`pennylane_qnative.execution.cluster`),
   one task per worker slot, each same-structure group cut into that many broadcasts. A QNode's
   ``executor_backend=`` is honoured (it reaches the device as
   ``ExecutionConfig.executor_backend``); the cache stays in the client process.

Differentiation is the backend's: ``backprop`` (default.qubit, with autograd, JAX or torch),
``adjoint``, and every PennyLane gradient transform. Circuits carrying framework tensors
(backprop) bypass the cache and the merge and go straight to the backend.

**Example**

>>> import pennylane as qp
>>> from pennylane import numpy as pnp
>>> dev = qp.device("qnative.simulator", wires=2, seed=7)
>>> @qp.qnode(dev, diff_method="parameter-shift")
... def circuit(x):
...     qp.RX(x[0], 0)
...     qp.RY(x[1], 1)
...     qp.CNOT([0, 1])
...     return qp.expval(qp.Z(0) @ qp.Z(1))
>>> x = pnp.array([0.4, 0.3], requires_grad=True)
>>> with qp.Tracker(dev) as tracker:
...     grad = qp.grad(circuit)(x)
>>> tracker.totals["merged_circuits"]  # the 4 shifted circuits ran as one broadcast
4
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pennylane as qp
from pennylane.devices import Device, ExecutionConfig
from pennylane.devices.modifiers import single_tape_support
from pennylane.devices.preprocess import decompose
from pennylane.exceptions import DeviceError
from pennylane.tape import QuantumScript, QuantumScriptBatch
from pennylane.typing import Result, ResultBatch

from pennylane_qnative.devices.caching import ResultCacheMethods
from pennylane_qnative.devices.copying import rebuild
from pennylane_qnative.devices.device_gradients import DeviceGradients
from pennylane_qnative.devices.errors import DeviceConfigurationError
from pennylane_qnative.devices.tracking import record_circuits
from pennylane_qnative.devices.validation import validate_finite_parameters
from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.execution.batching import (
    group_by_structure,
    merge_batches,
    mergeable,
    split_broadcast,
)
from pennylane_qnative.execution.cache import (
    QuantumCircuitCache,
    context_bytes,
    copy_result,
    fingerprint,
)
from pennylane_qnative.execution.cluster import as_executor, run_batch, select_executor
from pennylane_qnative.execution.fusion import simplify

__all__ = ["Backend", "SimulatorDevice"]

logger = logging.getLogger(__name__)
_MISSING = object()


class Backend(StrEnum):
    """The PennyLane simulators ``qnative.simulator`` can wrap."""

    DEFAULT_QUBIT = "default.qubit"
    DEFAULT_MIXED = "default.mixed"
    """Density matrices: noise channels (``qp.DepolarizingChannel``, ...) and ``density_matrix``."""
    LIGHTNING_QUBIT = "lightning.qubit"
    LIGHTNING_KOKKOS = "lightning.kokkos"
    LIGHTNING_GPU = "lightning.gpu"


_BROADCASTING_BACKENDS = frozenset({Backend.DEFAULT_QUBIT})
_INSTALL_HINTS = {
    Backend.LIGHTNING_GPU: "pip install pennylane-lightning-gpu (needs an NVIDIA GPU and CUDA 12)",
    Backend.LIGHTNING_QUBIT: "pip install pennylane-lightning",
    Backend.LIGHTNING_KOKKOS: "pip install pennylane-lightning-kokkos (OpenMP, CUDA or HIP builds)",
}


@dataclass(slots=True)
class _Unit:
    """One backend circuit standing for one or more input circuits."""

    tape: QuantumScript
    indices: list[int]
    merged: bool = False
    sizes: list[int | None] | None = None  # the merged circuits' batch sizes


def _parse_backend(backend: str) -> Backend:
    try:
        return Backend(backend)
    except ValueError:
        allowed = ", ".join(repr(b.value) for b in Backend)
        raise DeviceConfigurationError(
            f"backend must be one of {allowed}, got {backend!r}."
        ) from None


def _make_backend(backend: Backend, wires: Any, seed: Any) -> Device:
    try:
        return qp.device(backend.value, wires=wires, seed=seed)
    except (DeviceError, ImportError, RuntimeError, OSError) as error:
        raise DeviceConfigurationError(_unavailable(backend, error)) from error


def _unavailable(backend: Backend, error: Exception) -> str:
    """What is missing for ``backend`` and how to get it (or what to use instead)."""
    if backend is Backend.LIGHTNING_GPU:
        if importlib.util.find_spec("pennylane_lightning.lightning_gpu_ops") is None:
            missing = "the pennylane-lightning-gpu plugin is not installed"
            fix = f"install it with: {_INSTALL_HINTS[backend]}"
        else:
            missing = "pennylane-lightning-gpu is installed but found no usable NVIDIA GPU / CUDA"
            fix = "run on a machine with an NVIDIA GPU and CUDA 12 drivers"
        return (
            f"backend 'lightning.gpu' is not available here: {missing} ({error}). To fix: "
            f"{fix}; or use backend='lightning.qubit' (the same kernels on CPU) or "
            "backend='default.qubit'."
        )
    return (
        f"backend {backend.value!r} is not available here ({error}). "
        f"Install it with: {_INSTALL_HINTS.get(backend, 'pip install pennylane')}, "
        "or choose backend='default.qubit'."
    )


def _check_options(*, max_workers: Any, seed: Any, wires: Any = None, **flags: Any) -> None:
    def positive_int(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 1

    if max_workers is not None and not positive_int(max_workers):
        raise DeviceConfigurationError(
            f"max_workers must be a positive integer or None, got {max_workers!r}."
        )
    if seed is not None and not (positive_int(seed) or seed == 0):
        raise DeviceConfigurationError(
            f"seed must be a non-negative integer or None, got {seed!r}."
        )
    if isinstance(wires, int) and not isinstance(wires, bool) and wires < 0:
        raise DeviceConfigurationError(
            f"wires must be a number >= 0 or wire labels, got {wires!r}; pass e.g. wires=2."
        )
    for name, value in flags.items():
        if not isinstance(value, bool | np.bool_):
            raise DeviceConfigurationError(f"{name} must be True or False, got {value!r}.")


@single_tape_support
class SimulatorDevice(ResultCacheMethods, Device):
    """Local simulator with exact result caching and broadcast batching.

    Args:
        wires (int | Iterable | None): number of wires or their labels
        shots (int | Sequence | None): deprecated in PennyLane 0.45; use ``qp.set_shots``
        backend (str): ``"default.qubit"`` (backprop with autograd/JAX/torch, broadcasting),
            ``"default.mixed"`` (density matrices: noise channels), ``"lightning.qubit"``
            (adjoint, fast C++ kernels), ``"lightning.kokkos"`` or ``"lightning.gpu"`` (where
            their plugins are installed)
        seed (int | None): seed for reproducible sampling; ``None`` draws fresh entropy
        max_workers (int | None): run circuits that cannot be merged on this many backend
            instances in threads; ``None`` runs them in the calling thread
        batch (bool): merge circuits that share a structure into broadcasts
        fuse (bool): simplify each circuit before the backend runs it: drop the gates its
            measurements cannot see and fold adjacent same-axis rotations on a wire into one
            gate (:func:`~pennylane_qnative.execution.fusion.simplify`; equal results up to
            rounding, the same distributions with shots)
        cache (bool | QuantumCircuitCache): ``True`` for a private cache, ``False`` for none,
            or a cache to share between devices
        cache_size (int): most results kept by a private cache
        cache_bytes (int): most bytes kept by a private cache
        cache_ttl (float | None): seconds a cached result stays valid
        cache_finite_shots (str): ``"skip"`` (default) or ``"reuse"``, see
            :class:`~.QuantumCircuitCache`
        executor (distributed.Client | str | qp.concurrency backend | None): where circuits
            run: a Dask client, a scheduler address (``"tcp://host:8786"``, connected on first
            use; :class:`~.ClusterUnavailableError` if unreachable), a ``qp.concurrency``
            backend name, class or instance (``"cf_procpool"``, with ``max_workers``), or a
            :class:`~.DaskExecutor` for custom ``retries``/``connect_timeout``. ``None`` runs
            them in this process. Circuits carrying framework tensors (backprop) or mid-circuit
            measurements always run here.

    Raises:
        DeviceConfigurationError: for an unknown or unavailable backend or a bad option
    """

    name = "qnative.simulator"
    config_filepath = Path(__file__).with_name("simulator.toml")

    def __init__(
        self,
        wires: Any = None,
        shots: Any = None,
        *,
        backend: str = Backend.DEFAULT_QUBIT,
        seed: int | None = None,
        max_workers: int | None = None,
        batch: bool = True,
        fuse: bool = True,
        cache: bool | QuantumCircuitCache = True,
        cache_size: int = 10_000,
        cache_bytes: int = 64 * 2**20,
        cache_ttl: float | None = None,
        cache_finite_shots: str = "skip",
        executor: Any = None,
    ) -> None:
        _check_options(max_workers=max_workers, seed=seed, wires=wires, batch=batch, fuse=fuse)
        super().__init__(wires=wires, shots=shots)
        self.backend = _parse_backend(backend)
        try:
            self.executor = as_executor(executor, max_workers=max_workers)
        except ConfigurationError as error:
            raise DeviceConfigurationError(f"qnative.simulator: {error.message}") from None
        self.seed = seed
        self.max_workers = max_workers
        self.batch = bool(batch)
        self.fuse = bool(fuse)
        try:
            self.cache = QuantumCircuitCache.from_option(
                cache,
                lambda: QuantumCircuitCache(
                    max_entries=cache_size,
                    max_bytes=cache_bytes,
                    ttl=cache_ttl,
                    finite_shots=cache_finite_shots,
                ),
            )
        except ConfigurationError as error:
            raise DeviceConfigurationError(f"qnative.simulator: {error.message}") from None
        self.reseed(seed)
        self.cache_context = {"device": self.name, "backend": self.backend.value}
        """What the device adds to cache keys (for ``dev.cache.prewarm(..., context=...)``)."""
        self._context = context_bytes(self.cache_context)
        self._gradients = DeviceGradients(self.execute)

    def reseed(self, seed: int | None) -> None:
        """Restart the device's sampling stream from ``seed`` (between executions).

        An execution given ``device_options={"rng": seed}`` (what the trainer passes at each
        step, so that a resumed run draws exactly the shots the killed run would have)
        samples from its own seeded stream instead, leaving the device's untouched.
        """
        self._backend, self._workers = _make_backends(
            self.backend, self.wires, seed, self.max_workers
        )
        # seeds of the tasks sent to an executor: a stream apart from the backends' own
        self._task_seeds = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1 << 20,)))

    def _backends(self, config: ExecutionConfig) -> tuple[Device, tuple[Device, ...]]:
        """The device's backends, or fresh ones seeded by ``device_options["rng"]``."""
        rng = config.device_options.get("rng")
        if rng is None or rng is getattr(self._backend, "_rng", None):
            return self._backend, self._workers
        if isinstance(rng, np.random.Generator):
            rng = int(rng.integers(2**32))
        return _make_backends(self.backend, self.wires, rng, self.max_workers)

    def __reduce__(self) -> tuple[Any, ...]:
        """Copies and pickles are rebuilt from the options (see :mod:`~.devices.copying`);
        the backends, which hold the sampling streams, carry over."""
        kwargs = {
            "backend": self.backend.value,
            "seed": self.seed,
            "max_workers": self.max_workers,
            "batch": self.batch,
            "fuse": self.fuse,
            "cache": self.cache or False,
            "executor": self.executor,  # a Dask executor reconnects by its address
        }
        shots = self.shots if self.shots else None
        state = {"backends": (self._backend, self._workers)}
        return rebuild, (type(self), self.wires, shots, kwargs), state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._backend, self._workers = state["backends"]

    def __repr__(self) -> str:
        wires = f"wires={len(self.wires)}, " if self.wires else ""
        return f"<{self.name} device ({wires}backend={self.backend.value!r}) at {hex(id(self))}>"

    # --- configuration -------------------------------------------------------------------

    def _stop_decomposing(self, op: qp.operation.Operator) -> bool:
        if isinstance(op, qp.ops.MidMeasure | qp.ops.Conditional):
            return True
        return self.capabilities.supports_operation(op) or not op.has_decomposition

    def preprocess_transforms(
        self, execution_config: ExecutionConfig | None = None
    ) -> qp.CompilePipeline:
        """Decompose to the gate set of ``simulator.toml``, refuse NaN or infinite parameters
        (:class:`~.UnsupportedCircuitError`), then the backend's own pipeline."""
        config = execution_config or ExecutionConfig()
        program = qp.CompilePipeline()
        program.add_transform(decompose, stopping_condition=self._stop_decomposing, name=self.name)
        program.add_transform(validate_finite_parameters)
        return program + self._backend.preprocess_transforms(config)

    def setup_execution_config(
        self, config: ExecutionConfig | None = None, circuit: QuantumScript | None = None
    ) -> ExecutionConfig:
        """The backend's configuration; ``diff_method="device"`` runs our gradient transforms.

        With ``diff_method="device"``, ``gradient_kwargs={"method": ..., **options}`` names the
        transform (see :func:`pennylane_qnative.gradients.resolve`; default ``"spsa"``) and
        forward and gradient circuits run in one batch when ``grad_on_execution`` is true
        (the default).
        """
        config = DeviceGradients.seeded(config or ExecutionConfig())
        if "run_id" in config.device_options:  # a run identity names jobs: none here
            options = {k: v for k, v in config.device_options.items() if k != "run_id"}
            config = replace(config, device_options=options)
        if config.gradient_method != "device":
            return self._backend.setup_execution_config(config, circuit)
        plain = replace(config, gradient_method=None, gradient_keyword_arguments={})
        return self._gradients.configure(
            config, self._backend.setup_execution_config(plain, circuit)
        )

    def supports_derivatives(
        self, execution_config: ExecutionConfig | None = None, circuit: QuantumScript | None = None
    ) -> bool:
        if DeviceGradients.serves(execution_config):
            return True
        return self._backend.supports_derivatives(execution_config, circuit)

    def supports_jvp(self, execution_config=None, circuit=None) -> bool:
        return self._backend.supports_jvp(execution_config, circuit)

    def supports_vjp(self, execution_config=None, circuit=None) -> bool:
        return self._backend.supports_vjp(execution_config, circuit)

    # --- execution -----------------------------------------------------------------------

    def execute(
        self, circuits: QuantumScriptBatch, execution_config: ExecutionConfig | None = None
    ) -> ResultBatch:
        config = execution_config or ExecutionConfig()
        executor = select_executor(self.executor, config.executor_backend, self.max_workers)
        results: list[Any] = [_MISSING] * len(circuits)
        use_fp = self.cache is not None or self.batch or executor is not None
        memo: dict = {}  # operations shared by the circuits of this batch are read once
        fps = [fingerprint(c, memo) for c in circuits] if use_fp else [None] * len(circuits)
        keys = [self._key(fp) for fp in fps]
        hits = self._lookup(keys, results)
        simulated = [r is _MISSING for r in results]
        units = self._plan(circuits, fps, results, parts=executor.slots() if executor else 1)
        tapes = [self._fused(u, fps) for u in units]
        raw = self._dispatch(
            tapes, [fps[u.indices[0]] is not None for u in units], config, executor
        )
        for unit, res in zip(units, raw, strict=True):
            parts = split_broadcast(res, unit.sizes) if unit.merged else [res]
            for i, part in zip(unit.indices, parts, strict=True):
                results[i] = part
                if self.cache is not None and keys[i] is not None:
                    self.cache.put(keys[i], part)
        self._fill_duplicates(fps, results)
        if self.tracker.active:
            self._track(
                circuits,
                results,
                simulated,
                cache_hits=hits,
                cache_misses=sum(k is not None for k in keys) - hits,
                merged_circuits=sum(len(u.indices) for u in units if u.merged),
                backend_executions=len(units),
            )
        return tuple(results)

    def _track(self, circuits, results, simulated, **batch_keys: int) -> None:
        """PennyLane's simulator keys plus ours (:mod:`~.devices.tracking`)."""
        self.tracker.update(batches=1, batch_len=len(circuits), **batch_keys)
        self.tracker.record()
        record_circuits(self.tracker, circuits, results, simulated=simulated)

    def _key(self, fp: Any) -> str | None:
        return None if self.cache is None else self.cache.key_for(fp, self._context)

    def _lookup(self, keys: list[str | None], results: list[Any]) -> int:
        hits = 0
        if self.cache is None:
            return hits
        for i, key in enumerate(keys):
            value = self.cache.get(key, _MISSING)
            if value is not _MISSING:
                results[i] = value
                hits += 1
        return hits

    def _plan(
        self, circuits: QuantumScriptBatch, fps: list, results: list, parts: int = 1
    ) -> list[_Unit]:
        """Backend circuits for the results still missing: unique, merged where possible.

        Each same-structure group is cut into up to ``parts`` merged circuits (one per worker
        slot of an executor).
        """
        seen: set[tuple[tuple, bytes]] = set()
        todo: list[int] = []
        for i, fp in enumerate(fps):
            if results[i] is not _MISSING:
                continue
            if fp is not None and fp.analytic:
                if (fp.structure, fp.parameters) in seen:
                    continue  # an analytic duplicate: filled from its twin afterwards
                seen.add((fp.structure, fp.parameters))
            todo.append(i)
        merge = self.batch and self.backend in _BROADCASTING_BACKENDS
        structures = [
            fps[i].structure if merge and fps[i] is not None and mergeable(circuits[i]) else None
            for i in todo
        ]
        units = []
        for group in group_by_structure(structures):
            for part in np.array_split(np.asarray(group), min(parts, len(group))):
                units.extend(self._merge(circuits, fps, [todo[g] for g in part]))
        return units

    @staticmethod
    def _merge(circuits: QuantumScriptBatch, fps: list, indices: list[int]) -> list[_Unit]:
        if len(indices) > 1:
            try:
                tapes = [circuits[i] for i in indices]
                values = None  # scalar parameters only: the fingerprints hold them
                if all(fps[i].scalar for i in indices):
                    values = np.stack([fps[i].values for i in indices])
                merged, sizes = merge_batches(tapes, values=values)
                return [_Unit(merged, indices, merged=True, sizes=sizes)]
            except ValueError as error:  # an operation that refuses broadcasting
                logger.debug("not merging %d circuits: %s", len(indices), error)
        return [_Unit(circuits[i], [i]) for i in indices]

    def _fused(self, unit: _Unit, fps: list) -> QuantumScript:
        """The unit's circuit simplified: :func:`~.fusion.simplify` (NumPy parameters only)."""
        fp = fps[unit.indices[0]]
        if not self.fuse or fp is None:
            return unit.tape
        return simplify(unit.tape, fp.structure)

    def _fill_duplicates(self, fps: list, results: list) -> None:
        first: dict[tuple[tuple, bytes], Any] = {}
        for i, fp in enumerate(fps):
            if fp is None or not fp.analytic:
                continue
            twin = (fp.structure, fp.parameters)
            if results[i] is _MISSING:
                results[i] = copy_result(first[twin])
            else:
                first.setdefault(twin, results[i])

    def _dispatch(
        self, tapes: list[QuantumScript], remote: list[bool], config: ExecutionConfig, executor
    ) -> list[Result]:
        """Run ``tapes``: those marked ``remote`` on ``executor`` (when given), the rest here."""
        if executor is None or not any(remote):
            return list(self._run(tapes, config, *self._backends(config)))
        raw: list[Any] = [None] * len(tapes)
        far = [i for i, r in enumerate(remote) if r]
        near = [i for i, r in enumerate(remote) if not r]
        seeds = self._seeds(config).integers(2**32, size=len(far))
        results = run_batch(
            executor,
            [tapes[i] for i in far],
            device_name=self.backend.value,
            wires=self.wires,
            config=config,
            seeds=seeds,
        )
        for i, result in zip(far, results, strict=True):
            raw[i] = result
        if near:
            local = self._run([tapes[i] for i in near], config, *self._backends(config))
            for i, result in zip(near, local, strict=True):
                raw[i] = result
        return raw

    def _seeds(self, config: ExecutionConfig) -> np.random.Generator:
        """Where the seeds of an executor's tasks come from: ``device_options["rng"]`` or ours."""
        rng = config.device_options.get("rng")
        if rng is None or rng is getattr(self._backend, "_rng", None):
            return self._task_seeds
        return np.random.default_rng(rng)

    @staticmethod
    def _run(
        tapes: list[QuantumScript], config: ExecutionConfig, backend: Device, workers: tuple
    ) -> Sequence[Result]:
        if not tapes:
            return ()
        if not workers or len(tapes) == 1:
            return backend.execute(tapes, config)
        chunks = np.array_split(np.arange(len(tapes)), min(len(workers), len(tapes)))
        with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
            futures = [
                pool.submit(worker.execute, [tapes[i] for i in chunk], config)
                for worker, chunk in zip(workers, chunks, strict=False)
            ]
            return tuple(r for future in futures for r in future.result())

    # --- program capture (qp.capture.enable()): the backend evaluates the program ----------

    def eval_jaxpr(self, jaxpr, consts, *args, execution_config=None, shots=None):
        """Evaluate a captured program on the backend (``qp.capture.enable()``).

        A captured program is one function, not a batch of tapes, so batching and the result
        cache do not apply; ``default.qubit`` and ``lightning.qubit`` evaluate it.
        """
        if type(self._backend).eval_jaxpr is Device.eval_jaxpr:
            raise DeviceConfigurationError(
                f"backend={self.backend.value!r} cannot evaluate captured programs "
                "(qp.capture.enable()); use backend='default.qubit', or disable capture."
            )
        kwargs = {"execution_config": execution_config}
        if shots is not None:
            kwargs["shots"] = shots
        return self._backend.eval_jaxpr(jaxpr, consts, *args, **kwargs)

    def jaxpr_jvp(self, jaxpr, args, tangents, execution_config=None):
        """Derivatives of a captured program, by the backend (backprop or adjoint)."""
        return self._backend.jaxpr_jvp(jaxpr, args, tangents, execution_config=execution_config)

    # --- derivatives: ours for diff_method="device", else the backend's -------------------

    def compute_derivatives(self, circuits, execution_config=None):
        config = execution_config or ExecutionConfig()
        if config.gradient_method == "device":  # tracked by the execute it makes
            return self._gradients.run(circuits, config, forward=False)[1]
        self._track_derivatives(circuits, "derivative", derivative_batches=1)
        return self._backend.compute_derivatives(circuits, config)

    def execute_and_compute_derivatives(self, circuits, execution_config=None):
        config = execution_config or ExecutionConfig()
        if config.gradient_method == "device":
            return self._gradients.run(circuits, config, forward=True)
        self._track_derivatives(
            circuits, "derivative", execute_and_derivative_batches=1, executions=len(circuits)
        )
        return self._backend.execute_and_compute_derivatives(circuits, config)

    def _track_derivatives(self, circuits: QuantumScriptBatch, kind: str, **keys: int) -> None:
        """PennyLane's derivative keys (``derivatives``, ``vjps``, ``jvps`` and batches)."""
        if self.tracker.active:
            self.tracker.update(**{f"{kind}s": len(circuits)}, **keys)
            self.tracker.record()

    def compute_jvp(self, circuits, tangents, execution_config=None):
        self._track_derivatives(circuits, "jvp", jvp_batches=1)
        return self._backend.compute_jvp(circuits, tangents, execution_config)

    def execute_and_compute_jvp(self, circuits, tangents, execution_config=None):
        self._track_derivatives(
            circuits, "jvp", execute_and_jvp_batches=1, executions=len(circuits)
        )
        return self._backend.execute_and_compute_jvp(circuits, tangents, execution_config)

    def compute_vjp(self, circuits, cotangents, execution_config=None):
        self._track_derivatives(circuits, "vjp", vjp_batches=1)
        return self._backend.compute_vjp(circuits, cotangents, execution_config)

    def execute_and_compute_vjp(self, circuits, cotangents, execution_config=None):
        self._track_derivatives(
            circuits, "vjp", execute_and_vjp_batches=1, executions=len(circuits)
        )
        return self._backend.execute_and_compute_vjp(circuits, cotangents, execution_config)


def _make_backends(
    backend: Backend, wires: Any, seed: Any, max_workers: int | None
) -> tuple[Device, tuple[Device, ...]]:
    """The backend and its worker copies, seeded from ``seed``."""
    seeds = np.random.SeedSequence(seed).spawn(1 + (max_workers or 0))
    main = _make_backend(backend, wires, _int_seed(seeds[0]))
    return main, tuple(_make_backend(backend, wires, _int_seed(s)) for s in seeds[1:])


def _int_seed(seq: np.random.SeedSequence) -> int:
    return int(seq.generate_state(1, dtype=np.uint32)[0])
