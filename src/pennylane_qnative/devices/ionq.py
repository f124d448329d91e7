"""``qnative.ionq``: IonQ's cloud (or the local emulator) with one job per optimisation step.

Keyword-compatible with pennylane-ionq's devices, plus batching, an exact result cache with a
persistent layer, the crash-safe job journal, cost estimates and a budget.

Preprocessing lowers every circuit for IonQ once (non-commuting measurements split,
observables rotated into the computational basis, gates decomposed for the gate set) and
validates it. What one ``execute`` of lowered circuits then does:

1. splits broadcast circuits (by re-binding parameters, not rebuilding gates) and compiles each
   for the gate set (a circuit *structure* is compiled once; later circuits of that shape only
   bind parameters);
2. looks each circuit up in the result cache (memory, then disk) and drops duplicates;
3. packs the rest into jobs once (:func:`~.pack_batch`), estimates them and refuses them
   (:class:`~.BudgetExceededError`) if they would overspend ``budget_usd``, before anything
   is sent;
4. runs the packed jobs (one per shot count, split only at the API's limits) through the job
   manager, which journals them so a crashed run re-attaches to jobs it already paid for;
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
import secrets
import warnings
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pennylane as qp
from pennylane.devices import Device, ExecutionConfig
from pennylane.devices.modifiers import single_tape_support
from pennylane.devices.preprocess import validate_device_wires, validate_measurements
from pennylane.measurements import ExpectationMP, ProbabilityMP, SampleMeasurement, VarianceMP
from pennylane.tape import QuantumScript, QuantumScriptBatch
from pennylane.typing import ResultBatch

from pennylane_qnative.devices.caching import ResultCacheMethods
from pennylane_qnative.devices.copying import rebuild
from pennylane_qnative.devices.device_gradients import DeviceGradients
from pennylane_qnative.devices.errors import DeviceConfigurationError
from pennylane_qnative.devices.ionq_options import IonQOptions, ShotsReuse
from pennylane_qnative.devices.ionq_preprocess import lowered, lowering, validate_for_ionq
from pennylane_qnative.devices.ionq_results import Distribution, tape_results
from pennylane_qnative.devices.ionq_translation import (
    compile_circuit,
    native_supports,
    qis_supports,
)
from pennylane_qnative.devices.tracking import record_circuits
from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.execution.batching import split_broadcasts
from pennylane_qnative.execution.budget import BudgetGuard
from pennylane_qnative.execution.cache import QuantumCircuitCache, context_bytes, fingerprint
from pennylane_qnative.execution.job_manager import BatchReport, CircuitBatchManager
from pennylane_qnative.execution.journal import default_cache_dir
from pennylane_qnative.execution.result_store import ResultStore
from pennylane_qnative.ionq.backends import MAX_CIRCUITS_PER_JOB
from pennylane_qnative.ionq.models import Circuit, Gateset
from pennylane_qnative.ionq.pricing import DEFAULT_RATE_CARD, RateCard
from pennylane_qnative.ionq.urls import redact_url

__all__ = ["IonQDevice"]

logger = logging.getLogger(__name__)

_ANALYTIC = (ExpectationMP, VarianceMP, ProbabilityMP)
_DEVICE_OPTIONS = ("rng", "run_id")


def _option(name: str, doc: str) -> property:
    return property(lambda self: getattr(self.options, name), doc=doc)


@single_tape_support
class IonQDevice(ResultCacheMethods, Device):
    """IonQ trapped-ion backends through the IonQ v0.4 REST API.

    The keywords are held, validated, in one frozen :class:`~.IonQOptions` (``dev.options``);
    the device never changes them, nor itself, while it executes.

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
        cache_finite_shots (str): ``"skip"`` (default: finite-shot results are measured anew,
            as PennyLane does) or ``"reuse"`` (opt-in: a circuit already paid for is served
            from the cache, in this process and later ones)
        journal_path (str | Path | None): job journal file (default: ``journal.sqlite`` in
            ``$QNATIVE_CACHE_DIR`` or the user cache directory); the journal is always on
        budget_usd (float | None): refuse batches that would exceed this total
        max_circuits_per_job (int): at most this many circuits per job (<= 5,000)
        max_concurrent_jobs (int): jobs in flight at once
        poll_policy (PollPolicy | None): polling schedule (default: guided by predicted times)
        rate_card (RateCard): prices of estimates and budgets (default: the contract's)
        session (bool | dict | str | None): run the jobs in one IonQ session, so that a
            training waits the queue once: ``True``, or limits ``{"max_jobs", "max_cost_usd",
            "max_minutes"}``, opens one at the first job (its cost limit capped by what remains
            of ``budget_usd``) and ends it on :meth:`close` or at exit; a session id joins that
            session (never ended here). The journal records it: a resumed run rejoins it.
        run_id (str | None): a run identity. Finite shots are new samples (a new job) at every
            call, in this process or another, as in PennyLane; under a run identity a run
            repeated with the same seeds (a resumed run) re-attaches to the jobs it already
            paid for instead. The trainer sets one per run and keeps it in its checkpoint.

    Execution-config ``device_options``: ``"rng"``, a seed or ``numpy.random.Generator`` for
    the shots of that execution (default: the device's own stream, see :meth:`reseed`), as
    ``default.qubit`` takes it; ``"run_id"``, the run identity of that execution.

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
        cache_finite_shots: str = "skip",
        journal_path: Any = None,
        budget_usd: float | None = None,
        max_circuits_per_job: int = MAX_CIRCUITS_PER_JOB,
        max_concurrent_jobs: int = 8,
        poll_policy: Any = None,
        rate_card: RateCard = DEFAULT_RATE_CARD,
        session: bool | Mapping[str, Any] | str | None = None,
        run_id: str | None = None,
    ) -> None:
        super().__init__(wires=wires, shots=shots)
        try:
            self.options = IonQOptions(
                target=target, gateset=gateset, noise_model=noise_model, noise_seed=noise_seed,
                error_mitigation=error_mitigation, sharpen=sharpen, compilation=compilation,
                job_name=job_name, metadata=metadata, api_key=api_key, timeout=timeout,
                max_retries=max_retries, retry_delay=retry_delay, dry_run=dry_run,
                api_url=api_url, seed=seed, cache=cache, cache_path=cache_path,
                shots_policy=cache_finite_shots, journal_path=journal_path,
                budget_usd=budget_usd, max_circuits_per_job=max_circuits_per_job,
                max_concurrent_jobs=max_concurrent_jobs, poll_policy=poll_policy,
                rate_card=rate_card, session=session, run_id=run_id,
            )  # fmt: skip
            self.budget = BudgetGuard(budget_usd)
            self.cache = _make_cache(self.options)
            self._manager = _make_manager(self.options, self.budget)
        except ConfigurationError as error:
            raise DeviceConfigurationError(f"qnative.ionq: {error.message}") from None
        if self.wires is not None and len(self.wires) > self.backend.qubits:
            raise DeviceConfigurationError(
                f"{len(self.wires)} wires requested but {self.target} has "
                f"{self.backend.qubits} qubits."
            )
        self._rng = np.random.default_rng(seed)
        self._gradients = DeviceGradients(self.execute, lower=self._lower_generated)
        self.cache_context = _cache_context(self)
        self._context = context_bytes(self.cache_context)

    target = _option("target", "The IonQ backend, e.g. ``'qpu.aria-1'``.")
    backend = _option("backend", "The target's :class:`~.BackendInfo`.")
    gateset = _option("gateset", "The :class:`~.Gateset` circuits are compiled to.")
    entangler = _option("entangler", "The target's native two-qubit gate, ``'ms'`` or ``'zz'``.")
    exact = _option("exact", "Whether results are exact probabilities (the ideal simulator).")
    noise_model = _option("noise_model", "The simulator's noise model.")
    noise_seed = _option("noise_seed", "The seed of the simulator's noise.")
    error_mitigation = _option("error_mitigation", "IonQ error-mitigation settings.")
    sharpen = _option("sharpen", "Whether sharpened results are requested.")
    compilation = _option("compilation", "IonQ compilation settings.")
    job_name = _option("job_name", "The name of the jobs.")
    metadata = _option("metadata", "Metadata attached to every job.")
    dry_run = _option("dry_run", "Whether batches are priced instead of run.")
    seed = _option("seed", "The seed of the device's sampling stream.")

    @property
    def cache_finite_shots(self) -> str:
        """``"reuse"`` or ``"skip"``: whether finite-shot results are served from the cache."""
        return self.options.shots_policy.value

    @property
    def session_id(self) -> str | None:
        """The IonQ session the jobs run in (``None`` before the first job, or without one)."""
        session = self._manager.session
        return None if session is None else session.session_id

    def close(self) -> None:
        """End the IonQ session this device opened (the next job opens a new one)."""
        self._manager.end_session()

    def __enter__(self) -> IonQDevice:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def last_estimate_usd(self) -> float | None:
        """The estimated cost of the last batch (dry runs included)."""
        return self.budget.last_estimate_usd

    def wire_order(self, tape: QuantumScript) -> qp.wires.Wires:
        """The qubit order of a circuit: the device's wires, or the circuit's own."""
        return self.wires if self.wires is not None else tape.wires

    def reseed(self, seed: int | None) -> None:
        """Restart the device's sampling stream from ``seed`` (between executions).

        An execution given ``device_options={"rng": ...}`` samples from that instead. With
        ``cache_finite_shots="skip"`` on a sampling backend, each batch's journal tag is drawn
        from the stream: a deliberate repeat is a new job, while a run repeated under the same
        seed (a resumed run) re-attaches to the jobs it paid for.
        """
        self._rng = np.random.default_rng(seed)

    def __reduce__(self) -> tuple[Any, ...]:
        """Copies and pickles are rebuilt from the options (see :mod:`~.devices.copying`)."""
        kwargs = {**self.options.device_kwargs(), "cache": self.cache or False}
        shots = self.shots if self.shots else None
        return (
            rebuild,
            (type(self), self.wires, shots, kwargs),
            {"rng": self._rng, "budget": self.budget},
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._rng, self.budget = state["rng"], state["budget"]

    def __repr__(self) -> str:
        return (
            f"<{self.name} device (wires={None if self.wires is None else len(self.wires)}, "
            f"target={self.target!r}, "
            f"gateset={self.gateset.value!r}) at {hex(id(self))}>"
        )

    # --- configuration ----------------------------------------------------------------------

    def _stops(self, op: qp.operation.Operator) -> bool:
        if self.gateset is Gateset.QIS:
            return qis_supports(op)
        return native_supports(op, self.entangler)

    def _lower_generated(self, tapes: QuantumScriptBatch) -> tuple[QuantumScriptBatch, Any]:
        """Lower the circuits a gradient transform generated, skipping those already lowered."""
        todo = [i for i, t in enumerate(tapes) if not lowered(t, self._stops)]
        if not todo:
            return tapes, lambda results: results
        done, post = lowering(self._stops, self.name)([tapes[i] for i in todo])
        return _merge_lowered(tapes, todo, done, post)

    def preprocess_transforms(
        self, execution_config: ExecutionConfig | None = None
    ) -> qp.CompilePipeline:
        """Validate and lower circuits; everything is checked before anything is submitted.

        With program capture on, the program is converted to a circuit first (see
        :meth:`eval_jaxpr`), which then takes this same pipeline.
        """
        program = qp.CompilePipeline()
        if qp.capture.enabled():
            return program
        if self.wires is not None:
            program.add_transform(validate_device_wires, self.wires, name=self.name)
        program.add_transform(qp.transforms.defer_measurements, allow_postselect=False)
        if self.wires is not None:  # deferring measurements may need wires the device lacks
            program.add_transform(validate_device_wires, self.wires, name=self.name)
        program += lowering(self._stops, self.name)
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
        """Numpy parameters, the sampling ``rng``; ``diff_method="device"`` runs our
        gradient transforms."""
        config = DeviceGradients.seeded(config or ExecutionConfig(), served={})
        for option in config.device_options:
            if option not in _DEVICE_OPTIONS:
                raise DeviceConfigurationError(
                    f"qnative.ionq has no device option {option!r}; it takes "
                    f"{list(_DEVICE_OPTIONS)}."
                )
        rng = config.device_options.get("rng", self._rng)
        mcm = replace(config.mcm_config, mcm_method=config.mcm_config.mcm_method or "deferred")
        if mcm.mcm_method != "deferred":
            raise DeviceConfigurationError(
                f"mcm_method {mcm.mcm_method!r} is not available on IonQ; use 'deferred'."
            )
        base = replace(
            config,
            convert_to_numpy=True,
            mcm_config=mcm,
            device_options={
                **config.device_options,
                "rng": rng if rng is self._rng else np.random.default_rng(rng),
            },
        )
        if config.gradient_method != "device":
            return replace(base, use_device_gradient=False)
        return self._gradients.configure(config, base)

    def supports_derivatives(self, execution_config=None, circuit=None) -> bool:
        return DeviceGradients.serves(execution_config, served={})

    def compute_derivatives(self, circuits, execution_config=None):
        return self._gradients.run(circuits, execution_config, forward=False)[1]

    def execute_and_compute_derivatives(self, circuits, execution_config=None):
        return self._gradients.run(circuits, execution_config, forward=True)

    # --- program capture (qp.capture.enable()) ------------------------------------------------

    def eval_jaxpr(self, jaxpr, consts, *args, execution_config=None, shots=None) -> list:
        """Run a captured program (``qp.capture.enable()``): it becomes a circuit, preprocessed
        and run as one batch like any other (values, not traced functions: no ``jax.jit``)."""
        tape = qp.tape.plxpr_to_tape(jaxpr, consts, *args, shots=shots)
        with qp.capture.pause():  # the circuit takes the ordinary route
            config = self.setup_execution_config(execution_config)
            tapes, postprocess = self.preprocess_transforms(config)((tape,))
            [result] = postprocess(self.execute(tapes, config))
        return list(result) if len(tape.measurements) > 1 else [result]

    # --- execution ----------------------------------------------------------------------------

    def execute(
        self, circuits: QuantumScriptBatch, execution_config: ExecutionConfig | None = None
    ) -> ResultBatch:
        """Run preprocessed (lowered) circuits; broadcasts are split here."""
        config = execution_config or ExecutionConfig()
        tapes, postprocess = split_broadcasts(circuits)
        rng = np.random.default_rng(config.device_options.get("rng", self._rng))
        run_id = config.device_options.get("run_id", self.options.run_id)
        run = _Run(self, list(tapes), rng, run_id)
        results = None
        try:
            results = postprocess(run.results())
        finally:  # a failed batch is still accounted for
            if self.tracker.active:
                run.track(self.tracker, circuits, results)
        return results


def _make_cache(options: IonQOptions) -> QuantumCircuitCache | None:
    def build() -> QuantumCircuitCache:  # the persistent layer only when caching
        return QuantumCircuitCache(
            finite_shots=options.shots_policy.value,
            store=ResultStore(options.cache_path or default_cache_dir() / "results.sqlite"),
            codec=(Distribution.to_json, Distribution.from_json),
        )

    return QuantumCircuitCache.from_option(options.cache, build)


def _make_manager(options: IonQOptions, budget: BudgetGuard) -> CircuitBatchManager:
    return CircuitBatchManager(
        api_key=options.api_key,
        api_url=options.api_url,
        backend=options.target,
        noise=options.noise,
        settings=options.job_settings,
        max_circuits_per_job=options.max_circuits_per_job,
        max_concurrent_jobs=options.max_concurrent_jobs,
        timeout=3600.0 if options.timeout is None else options.timeout,
        journal=True,
        journal_path=options.journal_path,
        retry=options.retry,
        poll=options.poll_policy,
        metadata=options.metadata,
        rate_card=options.rate_card,
        session=options.session_request,
        remaining_budget=lambda: budget.remaining,
    )


def _cache_context(dev: IonQDevice) -> dict[str, Any]:
    """What the device adds to cache keys: everything that changes a circuit's result."""
    options = dev.options
    return {
        "device": dev.name,
        "service": redact_url(dev._manager.client.api_url),  # the service, never a key
        "wires": None if dev.wires is None else list(dev.wires.labels),
        "target": options.target,
        "gateset": options.gateset.value,
        "noise": [options.noise_model, options.noise_seed],
        "error_mitigation": dict(options.error_mitigation or {}),
        "sharpen": options.sharpen,
        "compilation": dict(options.compilation or {}),
    }


def _merge_lowered(tapes, todo, done, post) -> tuple[QuantumScriptBatch, Any]:
    """``tapes`` with those at ``todo`` replaced by their lowered circuits ``done``."""
    out, where, k = [], [], 0
    for i, tape in enumerate(tapes):
        if todo and k < len(todo) and todo[k] == i:
            k += 1
            where.append(None)
        else:
            where.append(len(out))
            out.append(tape)
    first_lowered = len(out)
    out.extend(done)

    def postprocess(results):
        lowered_results = iter(post(results[first_lowered:]))
        return [next(lowered_results) if w is None else results[w] for w in where]

    return out, postprocess


class _Run:
    """The state of one ``execute``: keys, hits, jobs, costs (the device is not mutated)."""

    def __init__(
        self, device: IonQDevice, tapes: list[QuantumScript], rng: Any, run_id: str | None
    ) -> None:
        self.device = device
        self.tapes = tapes
        self.rng = rng
        self.run_id = run_id
        self.hits = 0
        self.job_ids: list[str] = []
        self.created = self.reused = 0
        self.submitted = 0
        self.shots = 0
        self.estimated_usd = self.billed_usd = 0.0
        self.queued_s = 0.0
        self.session_id: str | None = None

    def results(self) -> list[Any]:
        """Look up, pack once, estimate, charge, run; one PennyLane result per tape."""
        dev = self.device
        memo: dict = {}  # operations shared by the circuits of this batch are read once
        fps = [fingerprint(t, memo) for t in self.tapes]
        keys = [None if dev.cache is None else dev.cache.key_for(fp, dev._context) for fp in fps]
        dists: list[Distribution | None] = [
            None if key is None else dev.cache.get(key) for key in keys
        ]
        self.hits = sum(d is not None for d in dists)
        groups: dict[int, dict[Any, list[int]]] = {}
        for i, tape in enumerate(self.tapes):
            if dists[i] is None:
                shots = tape.shots.total_shots if tape.shots else 1
                twin = keys[i] if keys[i] is not None else ("unique", i)
                groups.setdefault(shots, {}).setdefault(twin, []).append(i)
        packed = {
            shots: dev._manager.pack(
                self._circuits(owners, fps), shots, name=dev.job_name, tag=self._tag(owners)
            )
            for shots, owners in groups.items()
        }
        self.estimated_usd = sum(p.estimate_usd for p in packed.values())
        dev.budget.quote(self.estimated_usd)
        if dev.dry_run:
            warnings.warn(
                f"dry_run: nothing was submitted; estimated cost ${self.estimated_usd:.2f}",
                UserWarning,
                stacklevel=3,
            )
            return [_nan_like(t) for t in self.tapes]
        dev.budget.charge(self.estimated_usd)  # the whole execute is refused before submitting
        for shots, owners in groups.items():
            self._submit(packed[shots], owners, dists, keys)
            if self.tapes[next(iter(owners.values()))[0]].shots:
                self.shots += shots * len(owners)
        return [
            tape_results(t, d, dev.wire_order(t), exact=dev.exact, rng=self.rng)
            for t, d in zip(self.tapes, dists, strict=True)
        ]

    def _tag(self, owners: Mapping[Any, list[int]]) -> str | None:
        """The journal tag of a sampled batch under ``"skip"``: fresh shots, a new job.

        Without a run identity every such batch is a new job, in this process or another
        (PennyLane's semantics). With one (``run_id``, which the trainer sets and keeps in its
        checkpoint), the tag is drawn from the execution's seeded stream, so a run repeated
        under the same identity and seeds (a resumed run) re-attaches to the jobs it paid for.
        """
        dev = self.device
        sampled = bool(self.tapes[next(iter(owners.values()))[0]].shots)
        if not sampled or dev.exact or dev.options.shots_policy is not ShotsReuse.SKIP:
            return None
        if self.run_id is None:
            return f"fresh:{secrets.token_hex(16)}"
        return f"{self.run_id}:{int(self.rng.integers(2**62))}"

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

    def _submit(self, packed, owners, dists, keys) -> None:
        dev = self.device
        report = BatchReport()
        try:
            probabilities = dev._manager.run(packed, report=report)
        finally:
            self.job_ids.extend(j for j in report.job_ids if j)
            self.created += report.created
            self.reused += report.reused
            self.billed_usd += report.billed_usd
            self.queued_s += report.queued_s
            self.session_id = report.session_id or self.session_id
        dev.budget.settle(packed.estimate_usd, report.billed_usd if report.created else 0.0)
        self.submitted += len(packed.circuits)
        fresh = []
        for indices, probs in zip(owners.values(), probabilities, strict=True):
            tape = self.tapes[indices[0]]
            dist = Distribution.from_ionq(probs, n_qubits=max(len(dev.wire_order(tape)), 1))
            for i in indices:
                dists[i] = dist
            fresh.append((keys[indices[0]], dist))
        if dev.cache is not None:  # all or none: a part cached would be paid for again
            dev.cache.put_many(fresh)

    def track(self, tracker: Any, circuits: QuantumScriptBatch, results: Any) -> None:
        """PennyLane's per-circuit keys, then the batch's (so ``tracker.latest`` holds the
        jobs, cost and session); a failed batch records the batch's keys and its
        ``executions`` only."""
        failed = (
            {}
            if results is not None
            else {"executions": sum(max(c.batch_size or 1, 1) for c in circuits)}
        )
        if results is not None:
            record_circuits(tracker, circuits, results)
        session = {} if self.session_id is None else {"session_id": self.session_id}
        tracker.update(
            **session,
            batches=1,
            batch_len=len(circuits),
            circuits=len(self.tapes),
            submitted_circuits=self.submitted,
            submitted_shots=self.shots,
            jobs=len(self.job_ids),
            job_ids=list(self.job_ids),
            jobs_created=self.created,
            journal_reuses=self.reused,
            estimated_cost_usd=self.estimated_usd,
            billed_cost_usd=self.billed_usd,
            cache_hits=self.hits,
            queued_seconds=self.queued_s,
            **failed,
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
