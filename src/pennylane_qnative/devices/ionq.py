"""``qnative.ionq``: IonQ's cloud (or the local emulator) with one job per optimisation step.

Keyword-compatible with pennylane-ionq's devices, plus batching, an exact result cache with a
persistent layer, the crash-safe job journal, cost estimates and a budget.

What one ``execute`` does:

1. lowers every circuit for IonQ: non-commuting measurements split, observables rotated into
   the computational basis, broadcasts expanded, gates decomposed and compiled for the gate set
   (a circuit *structure* is compiled once; later circuits of that shape only bind parameters);
2. looks each circuit up in the result cache (memory, then disk) and drops duplicates;
3. estimates the cost of the rest and refuses it (:class:`~.BudgetExceededError`) if it would
   overspend ``budget_usd``, before anything is sent;
4. sends the remaining circuits as multi-circuit jobs (one per shot count, split only at the
   API's limits) through the job manager, which journals them so a crashed run re-attaches to
   jobs it already paid for;
5. converts the probabilities into PennyLane results, fills the cache and the tracker.

With ``diff_method="device"`` the forward circuits and every gradient circuit of a step go
through one ``execute``, hence one job.

**Example** (against the local emulator)

>>> import pathlib, tempfile
>>> import pennylane as qp
>>> from pennylane_qnative.emulator import running
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> with running() as url:
...     dev = qp.device("qnative.ionq", wires=2, api_url=url + "/v0.4", api_key="key",
...                     cache=False, journal_path=tmp / "journal.sqlite")
...     @qp.qnode(dev)
...     def bell():
...         qp.Hadamard(0)
...         qp.CNOT([0, 1])
...         return qp.probs(wires=[0, 1])
...     [round(float(p), 6) for p in bell()]
[0.5, 0.0, 0.0, 0.5]
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pennylane as qp
from pennylane.devices import Device, ExecutionConfig
from pennylane.devices.modifiers import single_tape_support
from pennylane.devices.preprocess import (
    decompose,
    validate_device_wires,
    validate_measurements,
)
from pennylane.measurements import (
    ExpectationMP,
    ProbabilityMP,
    SampleMeasurement,
    VarianceMP,
)
from pennylane.tape import QuantumScript, QuantumScriptBatch
from pennylane.transforms import broadcast_expand, diagonalize_measurements, split_non_commuting
from pennylane.transforms.core import transform
from pennylane.typing import ResultBatch

from pennylane_qnative.devices._gradients import DeviceGradients
from pennylane_qnative.devices.errors import DeviceConfigurationError
from pennylane_qnative.devices.ionq_results import Distribution, tape_results
from pennylane_qnative.devices.ionq_translation import (
    compile_circuit,
    native_supports,
    qis_supports,
)
from pennylane_qnative.exceptions import ConfigurationError, UnsupportedCircuitError
from pennylane_qnative.execution.budget import BudgetGuard
from pennylane_qnative.execution.cache import QuantumCircuitCache, context_bytes, fingerprint
from pennylane_qnative.execution.jobs import BatchReport
from pennylane_qnative.execution.journal import default_cache_dir
from pennylane_qnative.execution.store import ResultStore
from pennylane_qnative.ionq.backends import API_LIMITS, MAX_SHOTS, NOISE_MODELS, backend_info
from pennylane_qnative.ionq.models import Circuit, Gateset

__all__ = ["IonQDevice"]

logger = logging.getLogger(__name__)

_ANALYTIC = (ExpectationMP, VarianceMP, ProbabilityMP)


def _check_options(**options: Any) -> None:
    """Every option checked before anything is built, errors naming the option."""
    from pennylane_qnative.ionq import PollPolicy

    def need(ok: bool, name: str, allowed: str) -> None:
        if not ok:
            raise ConfigurationError(f"{name} must be {allowed}, got {options[name]!r}.")

    def number(name: str, *, low: float, integer: bool = False, optional: bool = True) -> None:
        value = options[name]
        if value is None and optional:
            return
        kind = int if integer else (int, float)
        ok = isinstance(value, kind) and not isinstance(value, bool) and value >= low
        need(ok and math.isfinite(value), name, f"a number >= {low}" + (" (integer)" * integer))

    need(options["gateset"] in ("qis", "native"), "gateset", "'qis' or 'native'")
    noise = options["noise_model"]
    need(
        noise is None or noise in NOISE_MODELS,
        "noise_model",
        f"None or one of {sorted(NOISE_MODELS)}",
    )
    seed = options["noise_seed"]
    need(
        seed is None or (isinstance(seed, int) and 1 <= seed <= 2**31 - 1),
        "noise_seed",
        "in [1, 2**31 - 1]",
    )
    number("seed", low=0, integer=True)
    for name in ("error_mitigation", "compilation"):
        need(options[name] is None or isinstance(options[name], Mapping), name, "a dict or None")
    need(options["sharpen"] in (None, True, False), "sharpen", "True, False or None")
    need(options["dry_run"] in (True, False), "dry_run", "True or False")
    need(
        options["job_name"] is None or isinstance(options["job_name"], str),
        "job_name",
        "a string or None",
    )
    metadata = options["metadata"]
    need(
        metadata is None
        or (
            isinstance(metadata, Mapping)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
        ),
        "metadata",
        "a dict of strings to strings (IonQ's rule)",
    )
    number("timeout", low=1e-9)
    number("max_retries", low=0, integer=True)
    number("retry_delay", low=0)
    number("max_circuits_per_job", low=1, integer=True, optional=False)
    need(
        options["max_circuits_per_job"] <= API_LIMITS.max_circuits_per_job,
        "max_circuits_per_job",
        f"at most {API_LIMITS.max_circuits_per_job:,} (IonQ's limit)",
    )
    number("max_concurrent_jobs", low=1, integer=True, optional=False)
    poll = options["poll_policy"]
    need(poll is None or isinstance(poll, PollPolicy), "poll_policy", "a PollPolicy or None")
    shots_policy = options["cache_finite_shots"]
    need(shots_policy in ("skip", "reuse"), "cache_finite_shots", "'skip' or 'reuse'")


def _check_finite_parameters(tape: QuantumScript) -> None:
    for op in tape.operations:
        for p in op.data:
            if qp.math.is_abstract(p):  # a traced value: checked when it is concrete
                continue
            if not np.all(np.isfinite(np.asarray(qp.math.unwrap(p), dtype=complex))):
                raise UnsupportedCircuitError(
                    f"{op.name} on wires {op.wires.tolist()} has a non-finite parameter {p!r}; "
                    "nothing was submitted. Check the inputs and the learning rate."
                )


@transform
def diagonalize_general_observables(tape: QuantumScript) -> tuple[QuantumScriptBatch, Any]:
    """Rotate non-Pauli observables (Hermitian, Projector, ...) into the computational basis.

    Runs after ``split_non_commuting``, which gives such observables wires of their own in
    each tape; Pauli observables are left to ``diagonalize_measurements``.
    """
    gates, measurements, seen = [], [], []
    for m in tape.measurements:
        obs = m.obs
        if obs is None or obs.pauli_rep is not None:
            measurements.append(m)
            continue
        if not any(qp.equal(obs, other) for other in seen):
            seen.append(obs)
            gates.extend(obs.diagonalizing_gates())
        measurements.append(type(m)(eigvals=obs.eigvals(), wires=obs.wires))
    if not seen:
        return (tape,), lambda results: results[0]
    new = tape.copy(operations=[*tape.operations, *gates], measurements=measurements)
    return (new,), lambda results: results[0]


@transform
def validate_for_ionq(
    tape: QuantumScript, *, qubits: int, exact: bool, target: str
) -> tuple[QuantumScriptBatch, Any]:
    """Refuse, before any submission, what IonQ would refuse or bill for nothing."""
    if len(tape.wires) > qubits:
        raise UnsupportedCircuitError(
            f"the circuit uses {len(tape.wires)} qubits but {target} has {qubits}."
        )
    shots = tape.shots
    if not shots and not exact:
        raise UnsupportedCircuitError(
            f"{target} returns sampled counts, not exact probabilities: set shots, e.g. "
            "qp.set_shots(qnode, shots=1000), or use target='simulator' without a noise model."
        )
    if shots and not 1 <= shots.total_shots <= MAX_SHOTS:
        raise UnsupportedCircuitError(
            f"IonQ accepts 1 to {MAX_SHOTS:,} shots per circuit, got {shots.total_shots}."
        )
    _check_finite_parameters(tape)
    return (tape,), lambda results: results[0]


@single_tape_support
class IonQDevice(Device):
    """IonQ trapped-ion backends through the IonQ v0.4 REST API.

    Args:
        wires (int | Iterable): the wires (one qubit each)
        shots (int | Sequence | None): deprecated in PennyLane 0.45; use ``qp.set_shots``
        target (str): ``"simulator"`` or a QPU (``"qpu.aria-1"``, ``"qpu.forte-1"``, ...)
        gateset (str): ``"qis"`` (default) or ``"native"``
        noise_model (str | None): simulator noise model (``"aria-1"``, ``"forte-1"``, ...)
        noise_seed (int | None): seed of the simulator's noise, 1 to 2**31 - 1
        error_mitigation (dict | None): e.g. ``{"debiasing": True}`` (QPUs)
        sharpen (bool | None): request sharpened (debiased) aggregation of results
        compilation (dict | None): IonQ compilation settings
        job_name (str | None): name of the jobs
        metadata (dict | None): string metadata attached to every job
        api_key (str | None): the key (default ``$IONQ_API_KEY`` or ``$PENNYLANE_IONQ_API_KEY``)
        timeout (float | None): seconds one batch may take (default 3600)
        max_retries (int | None): retries of an HTTP request after transient failures
        retry_delay (float | None): first retry delay in seconds
        dry_run (bool): estimate instead of running: results are NaN, the estimate goes to
            ``dev.last_estimate_usd`` and the tracker
        api_url (str | None): API base URL (default ``$IONQ_API_URL`` or IonQ's service)
        seed (int | None): seed for sampling shots from exact probabilities
        cache (bool | QuantumCircuitCache): result cache; ``True`` adds a persistent layer
        cache_path (str | Path | None): file of the persistent layer (default:
            ``results.sqlite`` in ``$QNATIVE_CACHE_DIR`` or the user cache directory)
        cache_finite_shots (str): ``"reuse"`` (default: a circuit already paid for is not paid
            again) or ``"skip"``
        journal_path (str | Path | None): job journal file (default: ``journal.sqlite`` in
            ``$QNATIVE_CACHE_DIR`` or the user cache directory); the journal is always on
        budget_usd (float | None): refuse batches that would exceed this total
        max_circuits_per_job (int): at most this many circuits per job (<= 5,000)
        max_concurrent_jobs (int): jobs in flight at once
        poll_policy (PollPolicy | None): polling schedule (default: guided by predicted times)

    Raises:
        DeviceConfigurationError: for an invalid option, naming it and what is allowed
    """

    name = "qnative.ionq"
    short_name = "qnative.ionq"  # what pennylane-ionq's devices and PennyLane's tests read
    config_filepath = Path(__file__).with_name("ionq.toml")

    def __init__(
        self,
        wires: Any = None,
        shots: Any = None,
        *,
        target: str = "simulator",
        gateset: str = "qis",
        noise_model: str | None = None,
        noise_seed: int | None = None,
        error_mitigation: Mapping[str, Any] | None = None,
        sharpen: bool | None = None,
        compilation: Mapping[str, Any] | None = None,
        job_name: str | None = None,
        metadata: Mapping[str, str] | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        retry_delay: float | None = None,
        dry_run: bool = False,
        api_url: str | None = None,
        seed: int | None = None,
        cache: bool | QuantumCircuitCache = True,
        cache_path: Any = None,
        cache_finite_shots: str = "reuse",
        journal_path: Any = None,
        budget_usd: float | None = None,
        max_circuits_per_job: int = API_LIMITS.max_circuits_per_job,
        max_concurrent_jobs: int = 8,
        poll_policy: Any = None,
    ) -> None:
        super().__init__(wires=wires, shots=shots)
        try:
            self.backend = backend_info(target)
            _check_options(
                gateset=gateset, noise_model=noise_model, noise_seed=noise_seed, seed=seed,
                error_mitigation=error_mitigation, sharpen=sharpen, compilation=compilation,
                job_name=job_name, metadata=metadata, timeout=timeout, max_retries=max_retries,
                retry_delay=retry_delay, dry_run=dry_run, max_circuits_per_job=max_circuits_per_job,
                max_concurrent_jobs=max_concurrent_jobs, poll_policy=poll_policy,
                cache_finite_shots=cache_finite_shots,
            )  # fmt: skip
            self.budget = BudgetGuard(budget_usd)
            self.cache = self._make_cache(cache, cache_finite_shots, cache_path)
            self._manager = self._make_manager(
                api_key,
                api_url,
                timeout,
                max_retries,
                retry_delay,
                journal_path,
                max_circuits_per_job,
                max_concurrent_jobs,
                poll_policy,
                noise_model,
                noise_seed,
                error_mitigation,
                compilation,
                metadata,
            )
        except ConfigurationError as error:
            raise DeviceConfigurationError(f"qnative.ionq: {error.message}") from None
        self.target = self.backend.name
        self.gateset = Gateset(gateset)
        self.noise_model, self.noise_seed = noise_model, noise_seed
        self.error_mitigation, self.sharpen = error_mitigation, sharpen
        self.compilation = compilation
        self.job_name, self.metadata = job_name, dict(metadata or {})
        self.dry_run = bool(dry_run)
        self.seed = seed
        self.exact = self.backend.is_simulator and noise_model in (None, "ideal")
        self.entangler = self.backend.native_entangler
        self.last_estimate_usd: float | None = None
        self.cache_finite_shots = cache_finite_shots
        self._rng = np.random.default_rng(seed)
        self._repeats: dict[int, int] = {}  # "skip": times each sampled batch was requested
        self._sampling_seed = seed
        self._gradients = DeviceGradients(self.execute)
        self.cache_context = {
            "device": self.name,
            "service": self._manager.client.api_url,
            "wires": None if self.wires is None else list(self.wires.labels),
            "target": self.target,
            "gateset": self.gateset.value,
            "noise": [noise_model, noise_seed],
            "error_mitigation": dict(error_mitigation or {}),
            "sharpen": sharpen,
            "compilation": dict(compilation or {}),
        }
        self._context = context_bytes(self.cache_context)
        if self.wires is not None and len(self.wires) > self.backend.qubits:
            raise DeviceConfigurationError(
                f"{len(self.wires)} wires requested but {self.target} has "
                f"{self.backend.qubits} qubits."
            )

    def wire_order(self, tape: QuantumScript) -> qp.wires.Wires:
        """The qubit order of a circuit: the device's wires, or the circuit's own."""
        return self.wires if self.wires is not None else tape.wires

    def reseed(self, seed: int | None) -> None:
        """Restart sampling from ``seed`` (between executions, never during one).

        With ``cache_finite_shots="skip"`` on a sampling backend, a batch identical to an
        earlier one gets fresh shots (a new job) unless it is repeated under the same seed
        and occurrence, which is what a resumed run does: it re-attaches to the job it paid.
        """
        self._rng = np.random.default_rng(seed)
        self._repeats = {}
        self._sampling_seed = seed

    def _journal_tag(self, batch: tuple, sampled: bool) -> str | None:
        """A tag making a deliberate repeat of a sampled batch a new job under ``"skip"``."""
        if not sampled or self.exact or self.cache_finite_shots != "skip":
            return None
        identity = hash(batch)
        occurrence = self._repeats.get(identity, 0)
        self._repeats[identity] = occurrence + 1
        return f"{self._sampling_seed}:{occurrence}"

    def __repr__(self) -> str:
        return (
            f"<{self.name} device (wires={len(self.wires or ())}, target={self.target!r}, "
            f"gateset={self.gateset.value!r}) at {hex(id(self))}>"
        )

    # --- construction helpers -------------------------------------------------------------

    def _make_cache(self, cache: Any, finite_shots: str, path: Any) -> QuantumCircuitCache | None:
        def build() -> QuantumCircuitCache:  # the persistent layer only when caching
            return QuantumCircuitCache(
                finite_shots=finite_shots,
                store=ResultStore(path or default_cache_dir() / "results.sqlite"),
                codec=(Distribution.to_json, Distribution.from_json),
            )

        return QuantumCircuitCache.from_option(cache, build)

    def _make_manager(
        self, api_key, api_url, timeout, max_retries, retry_delay, journal_path,
        max_circuits, max_concurrent, poll_policy, noise_model, noise_seed,
        error_mitigation, compilation, metadata,
    ):  # fmt: skip
        from pennylane_qnative.execution.jobs import CircuitBatchManager
        from pennylane_qnative.ionq import RetryPolicy

        retry = None
        if max_retries is not None or retry_delay is not None:
            defaults = RetryPolicy()
            retry = RetryPolicy(
                max_retries=defaults.max_retries if max_retries is None else max_retries,
                base_delay=defaults.base_delay if retry_delay is None else retry_delay,
            )
        noise = None if noise_model is None else {"model": noise_model, "seed": noise_seed}
        settings = {}
        if error_mitigation:
            settings["error_mitigation"] = dict(error_mitigation)
        if compilation:
            settings["compilation"] = dict(compilation)
        return CircuitBatchManager(
            api_key=api_key,
            api_url=api_url,
            backend=self.backend.name,
            noise=noise,
            settings=settings or None,
            max_circuits_per_job=max_circuits,
            max_concurrent_jobs=max_concurrent,
            timeout=3600.0 if timeout is None else timeout,
            journal=True,
            journal_path=journal_path,
            retry=retry,
            poll=poll_policy,
            metadata=metadata,
        )

    # --- configuration ----------------------------------------------------------------------

    def _stops(self, op: qp.operation.Operator) -> bool:
        if self.gateset is Gateset.QIS:
            return qis_supports(op)
        return native_supports(op, self.entangler)

    def _lowering(self) -> qp.CompilePipeline:
        """Split, diagonalise and decompose: what every circuit needs before IonQ sees it."""
        program = qp.CompilePipeline()
        program.add_transform(split_non_commuting, grouping_strategy="qwc")
        program.add_transform(diagonalize_general_observables)
        program.add_transform(diagonalize_measurements)
        program.add_transform(
            decompose,
            stopping_condition=self._stops,
            skip_initial_state_prep=False,
            name=self.name,
        )
        return program

    def preprocess_transforms(
        self, execution_config: ExecutionConfig | None = None
    ) -> qp.CompilePipeline:
        """Validate and lower circuits; everything is checked before anything is submitted."""
        program = qp.CompilePipeline()
        if self.wires is not None:
            program.add_transform(validate_device_wires, self.wires, name=self.name)
        program.add_transform(qp.transforms.defer_measurements, allow_postselect=False)
        program += self._lowering()
        program.add_transform(
            validate_measurements,
            analytic_measurements=lambda m: isinstance(m, _ANALYTIC),
            sample_measurements=lambda m: isinstance(m, SampleMeasurement),
            name=self.name,
        )
        program.add_transform(
            validate_for_ionq, qubits=self.backend.qubits, exact=self.exact, target=self.target
        )
        return program

    def setup_execution_config(
        self, config: ExecutionConfig | None = None, circuit: QuantumScript | None = None
    ) -> ExecutionConfig:
        """Numpy parameters; ``diff_method="device"`` runs our gradient transforms."""
        config = config or ExecutionConfig()
        for option in config.device_options:
            raise DeviceConfigurationError(f"qnative.ionq has no device option {option!r}.")
        mcm = replace(config.mcm_config, mcm_method=config.mcm_config.mcm_method or "deferred")
        if mcm.mcm_method != "deferred":
            raise DeviceConfigurationError(
                f"mcm_method {mcm.mcm_method!r} is not available on IonQ; use 'deferred'."
            )
        base = replace(config, convert_to_numpy=True, mcm_config=mcm)
        if config.gradient_method != "device":
            return replace(base, use_device_gradient=False)
        return self._gradients.configure(config, base)

    def supports_derivatives(self, execution_config=None, circuit=None) -> bool:
        return execution_config is not None and execution_config.gradient_method == "device"

    def compute_derivatives(self, circuits, execution_config=None):
        return self._gradients.run(circuits, execution_config, forward=False)[1]

    def execute_and_compute_derivatives(self, circuits, execution_config=None):
        return self._gradients.run(circuits, execution_config, forward=True)

    # --- execution ----------------------------------------------------------------------------

    def execute(
        self, circuits: QuantumScriptBatch, execution_config: ExecutionConfig | None = None
    ) -> ResultBatch:
        lowered, postprocess = (self._lowering() + broadcast_expand)(circuits)
        run = _Run(self, list(lowered))
        try:
            results = run.results()
        finally:
            if self.tracker.active:
                run.track(self.tracker, circuits)
        return postprocess(results)

    # --- cache --------------------------------------------------------------------------------

    def cache_stats(self) -> dict[str, Any]:
        """Statistics of the result cache (empty when disabled)."""
        return {} if self.cache is None else self.cache.get_stats()

    def clear_cache(self) -> None:
        """Drop every result held in memory (the persistent layer keeps what was paid for)."""
        if self.cache is not None:
            self.cache.clear()


class _Run:
    """The state of one ``execute``: keys, hits, jobs, costs (the device is not mutated)."""

    def __init__(self, device: IonQDevice, tapes: list[QuantumScript]) -> None:
        self.device = device
        self.tapes = tapes
        self.hits = 0
        self.job_ids: list[str] = []
        self.created = self.reused = 0
        self.submitted = 0
        self.shots = 0
        self.estimated_usd = self.billed_usd = 0.0

    def results(self) -> list[Any]:
        dev = self.device
        dists: list[Distribution | None] = [None] * len(self.tapes)
        memo: dict = {}  # operations shared by the circuits of this batch are read once
        fps = [fingerprint(t, memo) for t in self.tapes]
        keys = [None if dev.cache is None else dev.cache.key_for(fp, dev._context) for fp in fps]
        for i, key in enumerate(keys):
            dists[i] = None if key is None else dev.cache.get(key)
            self.hits += dists[i] is not None
        groups: dict[int, dict[Any, list[int]]] = {}
        for i, tape in enumerate(self.tapes):
            if dists[i] is None:
                shots = tape.shots.total_shots if tape.shots else 1
                twin = keys[i] if keys[i] is not None else ("unique", i)
                groups.setdefault(shots, {}).setdefault(twin, []).append(i)
        planned = {shots: self._circuits(owners, fps) for shots, owners in groups.items()}
        estimates = {s: dev._manager.estimate_cost(c, s) for s, c in planned.items()}
        self.estimated_usd = sum(estimates.values())
        if not dev.dry_run:  # the whole execute is refused before anything is submitted
            dev.budget.charge(self.estimated_usd)
        if dev.dry_run:
            dev.last_estimate_usd = self.estimated_usd
            warnings.warn(
                f"dry_run: nothing was submitted; estimated cost ${self.estimated_usd:.2f}",
                UserWarning,
                stacklevel=3,
            )
            return [_nan_like(t) for t in self.tapes]
        for shots, owners in groups.items():
            sampled = bool(self.tapes[next(iter(owners.values()))[0]].shots)
            batch = (
                shots,
                *(
                    (fps[i[0]].structure, fps[i[0]].parameters) if fps[i[0]] else i[0]
                    for i in owners.values()
                ),
            )
            tag = dev._journal_tag(batch, sampled)
            self._submit(shots, owners, planned[shots], dists, keys, estimates[shots], tag)
            if sampled:
                self.shots += shots * len(owners)
        return [
            tape_results(t, d, dev.wire_order(t), exact=dev.exact, rng=dev._rng)
            for t, d in zip(self.tapes, dists, strict=True)
        ]

    def _circuits(self, owners: Mapping[Any, list[int]], fps: list) -> list[Circuit]:
        dev = self.device
        circuits = []
        for indices in owners.values():
            tape, fp = self.tapes[indices[0]], fps[indices[0]]
            wires = dev.wire_order(tape)
            build = lambda tape=tape, wires=wires: compile_circuit(  # noqa: E731
                tape, gateset=dev.gateset.value, wire_order=wires, entangler=dev.entangler
            )
            template = (
                build()
                if fp is None or dev.cache is None
                else dev.cache.compiled((fp.structure, dev.gateset.value, dev.entangler), build)
            )
            circuits.append(
                Circuit(qubits=max(len(wires), 1), gates=tuple(template.bind(tape.data)),
                        gateset=dev.gateset)
            )  # fmt: skip
        return circuits

    def _submit(self, shots, owners, circuits, dists, keys, estimate: float, tag) -> None:
        dev = self.device
        report = BatchReport()
        try:
            probabilities = dev._manager.execute_batch(
                circuits, shots, name=dev.job_name, report=report, tag=tag
            )
        finally:
            self.job_ids.extend(j for j in report.job_ids if j)
            self.created += report.created
            self.reused += report.reused
            self.billed_usd += report.billed_usd
        dev.budget.settle(estimate, report.billed_usd if report.created else 0.0)
        self.submitted += len(circuits)
        for indices, probs in zip(owners.values(), probabilities, strict=True):
            tape = self.tapes[indices[0]]
            dist = Distribution.from_ionq(probs, n_qubits=max(len(dev.wire_order(tape)), 1))
            for i in indices:
                dists[i] = dist
            if dev.cache is not None and keys[indices[0]] is not None:
                dev.cache.put(keys[indices[0]], dist)

    def track(self, tracker: Any, circuits: QuantumScriptBatch) -> None:
        executions = sum(max(c.batch_size or 1, 1) for c in circuits)
        tracker.update(
            batches=1,
            batch_len=len(circuits),
            executions=executions,
            circuits=len(self.tapes),
            submitted_circuits=self.submitted,
            jobs=len(self.job_ids),
            job_ids=list(self.job_ids),
            jobs_created=self.created,
            journal_reuses=self.reused,
            shots=self.shots,
            estimated_cost_usd=self.estimated_usd,
            billed_cost_usd=self.billed_usd,
            cache_hits=self.hits,
        )
        tracker.record()


def _nan_like(tape: QuantumScript) -> Any:
    def one(m: Any) -> Any:
        if isinstance(m, ProbabilityMP):
            return np.full(2 ** len(m.wires), math.nan)
        return np.float64(math.nan)

    values = [one(m) for m in tape.measurements]
    result = values[0] if len(values) == 1 else tuple(values)
    return tuple(result for _ in tape.shots) if tape.shots.has_partitioned_shots else result
