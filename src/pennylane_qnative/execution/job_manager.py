"""The job manager: run packed batches as IonQ jobs, concurrently, results in order.

Two layers, each usable on its own (packing itself is :mod:`~pennylane_qnative.execution.packing`):

* :class:`JobManager` (async) — takes a :class:`~.PackedBatch` (built once, and read as it is
  by the estimate, the budget, the journal and job creation), submits its jobs concurrently
  (``max_concurrent_jobs``), polls each with backoff guided by its predicted times, fetches each
  result as soon as its job completes, returns results in input order, enforces an overall
  deadline (best-effort cancel) and records everything in the
  :class:`~pennylane_qnative.execution.journal.Journal`.
* :class:`CircuitBatchManager` (sync facade) — runs the manager on an :class:`EventLoopRunner`,
  a private event loop on a background thread; safe from Jupyter, from several threads and from
  inside a running event loop (no ``asyncio.run``, no ``nest_asyncio``).

**Example**

>>> from pennylane_qnative.execution.job_manager import JobLimits, pack_circuits
>>> from pennylane_qnative.ionq.models import Circuit
>>> circuits = [Circuit(qubits=1, gates=({"gate": "h", "target": 0},))] * 5
>>> pack_circuits(circuits, limits=JobLimits(max_circuits=2))
[(0, 2), (2, 4), (4, 5)]
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import httpx

from pennylane_qnative.exceptions import (
    IonQError,
    IonQNotFoundError,
    JobCancelledError,
    JobFailedError,
    JobTimeoutError,
    QnativeError,
    SessionLimitError,
)
from pennylane_qnative.execution.job_config import BatchReport, JobManagerConfig
from pennylane_qnative.execution.journal import ChunkState, Journal
from pennylane_qnative.execution.packing import (
    JobLimits,
    JobSettings,
    PackedBatch,
    PackedJob,
    as_circuit,
    pack_batch,
    pack_circuits,
)
from pennylane_qnative.execution.runner import EventLoopRunner, gather_or_cancel, shared_runner
from pennylane_qnative.execution.session import SessionHandle, SessionRequest
from pennylane_qnative.ionq.backends import MAX_CIRCUITS_PER_JOB
from pennylane_qnative.ionq.client import IonQClient, resolve_api_url
from pennylane_qnative.ionq.deadline import deadline_scope
from pennylane_qnative.ionq.models import Circuit, JobRequest, Probabilities
from pennylane_qnative.ionq.pricing import DEFAULT_RATE_CARD, GateCounts, RateCard
from pennylane_qnative.ionq.retry import PollPolicy, RetryPolicy
from pennylane_qnative.ionq.urls import redact_url, without_userinfo

__all__ = [
    "BatchReport",
    "CircuitBatchManager",
    "EventLoopRunner",
    "JobLimits",
    "JobManager",
    "JobManagerConfig",
    "as_circuit",
    "pack_circuits",
]

logger = logging.getLogger(__name__)
T = TypeVar("T")
CANCEL_GRACE_S = 1.0
"""Seconds past a batch's deadline given to cancelling its unfinished jobs."""
_BACKSTOP_S = 1.0
# Session refusals after which a replacement session is opened (the others are limits).
_REPLACEABLE = frozenset({"ended", "duration_limit_min"})


class JobManager:
    """Async job manager over one :class:`~pennylane_qnative.ionq.client.IonQClient`.

    Args:
        client (IonQClient): the client (owned by the caller)
        config (JobManagerConfig): the settings
        journal (Journal | None): records batches so that they are paid for once
        session (SessionHandle | None): the IonQ session new jobs join (``None``: none)
    """

    def __init__(
        self,
        client: IonQClient,
        config: JobManagerConfig,
        *,
        journal: Journal | None = None,
        session: SessionHandle | None = None,
    ) -> None:
        self.client = client
        self.config = config
        self.journal = journal
        self.session = session
        self._owner = Journal.new_owner() if journal is not None else ""

    def settings(self) -> JobSettings:
        """What every job of this manager carries (the packing's input besides circuits)."""
        config = self.config
        return JobSettings(
            api_url=self.client.api_url,
            backend=config.backend,
            noise=config.noise,
            settings=config.settings,
            metadata=config.metadata,
            limits=config.limits,
            rate_card=config.rate_card,
        )

    def pack(
        self,
        circuits: Sequence[Circuit],
        shots: int,
        *,
        name: str | None = None,
        tag: str | None = None,
    ) -> PackedBatch:
        """The batch packed once (pure): payloads, sizes, gate counts, estimate and digest.

        ``tag`` tells apart deliberate repeats of an identical batch in the journal.
        """
        return pack_batch(circuits, shots, settings=self.settings(), name=name, tag=tag)

    def plan(
        self, circuits: Sequence[Circuit], shots: int, *, name: str | None = None
    ) -> list[JobRequest]:
        """The job requests of a batch (pure): one per span of :func:`pack_circuits`."""
        packed = self.pack(circuits, shots, name=name)
        return [
            JobRequest(
                backend=self.config.backend,
                shots=shots,
                circuits=tuple(circuits[a:b]),
                name=job.payload["name"],
                metadata=dict(self.config.metadata) if self.config.metadata else None,
                noise=self.config.noise,
                settings=self.config.settings,
            )
            for job, (a, b) in zip(packed.jobs, packed.spans, strict=True)
        ]

    def estimate_cost(
        self, circuits: Sequence[Circuit], shots: int, *, rate_card: RateCard | None = None
    ) -> float:
        """Estimated price of running the batch (sum over its packed jobs)."""
        settings = self.settings()
        if rate_card is not None:
            settings = replace(settings, rate_card=rate_card)
        return pack_batch(circuits, shots, settings=settings).estimate_usd

    async def estimate_cost_remote(self, circuits: Sequence[Circuit], shots: int) -> float:
        """Price of the batch according to the service (``GET /jobs/estimate`` per job)."""
        packed, total = self.pack(circuits, shots), 0.0
        with deadline_scope(self._deadline(None)):
            for job in packed.jobs:
                counts = sum(job.gate_counts, GateCounts())
                estimate = await self.client.estimate(
                    backend=self.config.backend,
                    qubits=job.payload["input"]["qubits"],
                    shots=shots,
                    one_qubit_gates=counts.one_qubit,
                    two_qubit_gates=counts.two_qubit,
                    error_mitigation=packed.settings.error_mitigation,
                )
                total += estimate.cost
        return total

    def digest(self, circuits: Sequence[Circuit], shots: int, *, tag: str | None = None) -> str:
        """The journal key of a batch (``tag`` tells apart deliberate repeats of a batch)."""
        return self.pack(circuits, shots, tag=tag).digest

    def _deadline(self, timeout: float | None) -> float | None:
        timeout = self.config.timeout if timeout is None else timeout
        return None if timeout is None else time.monotonic() + timeout

    # -- one job -----------------------------------------------------------------------

    async def _create(self, packed: PackedBatch, index: int, *, deadline: float | None) -> str:
        """Create the ``index``-th job of ``packed`` (journal-aware); returns its id."""
        job = packed.jobs[index]
        if self.journal is None:
            return await self._post(job, client_id=None)
        journal, digest, delay = self.journal, packed.digest, 0.05
        while True:
            claim = await asyncio.to_thread(journal.claim, digest, index, owner=self._owner)
            if claim is not None:
                break
            chunk = (await asyncio.to_thread(journal.batch, digest))[index]
            if chunk.job_id is not None:
                return chunk.job_id
            if deadline is not None and time.monotonic() > deadline:
                raise JobTimeoutError(
                    f"job {index} of batch {digest[:12]} is still being created by another "
                    f"process ({chunk.owner}); wait for it or raise the timeout."
                )
            await asyncio.sleep(delay)  # another live process is creating it
            delay = min(1.0, delay * 1.5)
        client_id = claim.chunk.client_id
        try:
            found = await self.client.find_job(client_id) if claim.resumed else None
            if found is not None:
                logger.info("job %s re-attached by client id %s", found.id, client_id)
            job_id = found.id if found is not None else await self._post(job, client_id=client_id)
        except IonQError as error:
            maybe = not isinstance(error.status_code, int) or error.status_code >= 500
            await asyncio.to_thread(
                journal.release, digest, index, owner=self._owner, maybe_created=maybe
            )
            raise
        await asyncio.to_thread(journal.record_job, digest, index, job_id)
        return job_id

    async def _post(self, job: PackedJob, *, client_id: str | None) -> str:
        """Create one job, in the session if there is one (an ended session is replaced once;
        a session limit raises :class:`~.SessionLimitError`)."""
        session = None if self.session is None else await self.session.acquire()
        try:
            created = await self.client.create_job(
                job.payload, client_id=client_id, session_id=session
            )
        except SessionLimitError as refused:
            if self.session is None or refused.limit not in _REPLACEABLE:
                raise
            if not self.session.replaceable:
                raise
            session = await self.session.replace(refused.session_id or "")
            created = await self.client.create_job(
                job.payload, client_id=client_id, session_id=session
            )
        logger.info(
            "job %s created (%d circuits%s)",
            created.id,
            job.n_circuits,
            f", session {session}" if session else "",
        )
        return created.id

    async def _collect(
        self, job_id: str, *, deadline: float | None, report: BatchReport | None = None
    ) -> list[Probabilities]:
        """Wait for one job and fetch its results (recorded in the journal)."""
        try:
            job = await self.client.wait_for_job(job_id, deadline=deadline)
        except (JobFailedError, JobCancelledError, IonQNotFoundError) as error:
            if self.journal is not None:
                await asyncio.to_thread(self.journal.record_failure, job_id, error.message)
            raise
        if report is not None:
            report.queued_s += job.queued_s or 0.0
            report.session_id = job.session_id or report.session_id
        results = await self.client.get_probabilities(job)
        logger.info("job %s completed (%d results)", job_id, len(results))
        if self.journal is not None:
            await asyncio.to_thread(self.journal.record_results, job_id, results)
        return results

    # -- batches -----------------------------------------------------------------------

    async def _open(self, packed: PackedBatch) -> tuple[PackedBatch, list[Any]]:
        """The batch as journaled (an earlier plan's spans win) and its journal records."""
        if self.journal is None:
            return packed, []
        chunks = await asyncio.to_thread(
            self.journal.open_batch,
            packed.digest,
            spans=packed.spans,
            n_circuits=len(packed.circuits),
        )
        return packed.with_spans([(c.start, c.stop) for c in chunks]), chunks

    async def submit(
        self, circuits: Sequence[Circuit], shots: int, *, name: str | None = None
    ) -> list[str]:
        """Create the jobs of a batch concurrently; returns their ids in batch order."""
        packed, chunks = await self._open(self.pack(circuits, shots, name=name))
        limit = asyncio.Semaphore(self.config.max_concurrent_jobs)

        async def one(k: int) -> str:
            if chunks and chunks[k].job_id is not None and chunks[k].state is not ChunkState.FAILED:
                return chunks[k].job_id
            async with limit:
                return await self._create(packed, k, deadline=deadline)

        deadline = self._deadline(None)
        with deadline_scope(deadline):
            return await gather_or_cancel([one(k) for k in range(len(packed.jobs))])

    async def results(
        self, job_ids: Sequence[str], *, timeout: float | None = None
    ) -> list[Probabilities]:
        """Wait for jobs concurrently and return all their results, flattened in order.

        The jobs already exist, so all of them are polled at once (polling is cheap: each
        job sleeps until its predicted completion).
        """
        deadline = self._deadline(timeout)
        coros = [self._collect(j, deadline=deadline) for j in job_ids]
        per_job = await self._guard(job_ids, coros, deadline=deadline)
        return [r for results in per_job for r in results]

    async def execute(
        self,
        circuits: Sequence[Circuit],
        shots: int,
        *,
        name: str | None = None,
        timeout: float | None = None,
        report: BatchReport | None = None,
        tag: str | None = None,
    ) -> list[Probabilities]:
        """Pack a batch and :meth:`run` it; results in input order."""
        packed = self.pack(circuits, shots, name=name, tag=tag)
        return await self.run(packed, timeout=timeout, report=report)

    async def run(
        self,
        packed: PackedBatch,
        *,
        timeout: float | None = None,
        report: BatchReport | None = None,
    ) -> list[Probabilities]:
        """Run a packed batch: create, poll and fetch each job as a pipeline.

        ``report``, when given, receives the job ids, created and reused counts, and the
        billed cost. The journal re-attaches a batch identical to one already submitted to
        its jobs; a different ``tag`` (see :meth:`pack`) makes a deliberate repeat a new batch.

        Raises:
            JobFailedError: a job ended ``failed`` (its siblings keep running, journaled)
            JobCancelledError: a job ended ``canceled``
            JobTimeoutError: the deadline passed (unfinished jobs are cancelled)
        """
        deadline = self._deadline(timeout)
        packed, chunks = await self._open(packed)
        limit = asyncio.Semaphore(self.config.max_concurrent_jobs)
        created: list[str | None] = [None] * len(packed.jobs)
        report = report if report is not None else BatchReport()
        report.job_ids = [""] * len(packed.jobs)

        async def one(k: int) -> list[Probabilities]:
            chunk = chunks[k] if chunks else None
            if chunk is not None and chunk.results is not None:
                report.job_ids[k], report.reused = chunk.job_id or "", report.reused + 1
                return chunk.results
            async with limit:
                job_id = chunk.job_id if chunk and chunk.state is not ChunkState.FAILED else None
                if job_id is None:
                    job_id = await self._create(packed, k, deadline=deadline)
                    report.created += 1
                else:
                    report.reused += 1
                created[k] = report.job_ids[k] = job_id
                results = await self._collect(job_id, deadline=deadline, report=report)
            if not packed.is_free:
                cost = await self.client.get_cost(job_id)
                report.billed_usd += cost.billed if cost.billed is not None else 0.0
            return results

        coros = [one(k) for k in range(len(packed.jobs))]
        per_job = await self._guard(created, coros, deadline=deadline)
        return [r for results in per_job for r in results]

    async def _guard(
        self,
        job_ids: Sequence[str | None],
        coros: Sequence[Awaitable[T]],
        *,
        deadline: float | None,
    ) -> list[T]:
        """Gather under ``deadline`` (every request is cut at it: :mod:`~.ionq.deadline`); on a
        timeout, best-effort cancel every job that has not finished, within
        :data:`CANCEL_GRACE_S`."""
        try:
            with deadline_scope(deadline):
                return await gather_or_cancel(coros)
        except JobTimeoutError as error:
            if self.config.cancel_on_timeout:
                await self._cancel_quietly([j for j in job_ids if j is not None])
            ids = ", ".join(j for j in job_ids if j) or "none created yet"
            fate = (
                "were cancelled; raise timeout= and run the batch again"
                if self.config.cancel_on_timeout
                else "keep running; run the same batch again to re-attach to them"
            )
            raise JobTimeoutError(
                "the batch did not finish before its deadline "
                f"(jobs: {ids}): {error.message.removesuffix('.')}. Unfinished jobs {fate}.",
                job_id=error.job_id,
            ) from None

    async def _cancel_quietly(self, job_ids: Sequence[str]) -> None:
        async def cancel(job_id: str) -> None:
            with contextlib.suppress(QnativeError):
                job = await self.client.get_job(job_id)
                if not job.status.terminal:
                    await self.client.cancel_job(job_id)
                    logger.info("job %s cancelled at the deadline", job_id)
                    if self.journal is not None:  # the next run creates a new job
                        await asyncio.to_thread(
                            self.journal.record_failure, job_id, "cancelled at the deadline"
                        )

        with contextlib.suppress(TimeoutError), deadline_scope(time.monotonic() + CANCEL_GRACE_S):
            await asyncio.wait_for(asyncio.gather(*(cancel(j) for j in job_ids)), CANCEL_GRACE_S)


class CircuitBatchManager:
    """Synchronous facade over :class:`JobManager` (public as ``qnative.CircuitBatchManager``).

    Args:
        api_key (str | None): IonQ key (default ``$IONQ_API_KEY``/``$PENNYLANE_IONQ_API_KEY``)
        api_url (str | None): API base URL (default ``$IONQ_API_URL`` or the real service)
        backend (str): IonQ backend
        noise (Mapping[str, Any] | None): noise model (simulator only)
        settings (Mapping[str, Any] | None): compilation / error mitigation settings
        max_circuits_per_job (int): packing limit (<= 5,000)
        max_concurrent_jobs (int): jobs in flight at once
        timeout (float | None): overall deadline of one batch, seconds
        journal (bool): record batches in the persistent journal
        journal_path (str | os.PathLike | None): journal file (default: user cache directory)
        retry (RetryPolicy | None): request retry policy
        poll (PollPolicy | None): polling schedule
        transport (httpx.AsyncBaseTransport | None): injected HTTP transport (tests)
        runner (EventLoopRunner | None): the event-loop runner (default: shared)
        seed (int | None): seeds retry jitter
        metadata (Mapping[str, str] | None): user metadata attached to every job
        rate_card (RateCard): prices of estimates, and which backends are never billed
        session (SessionRequest | None): run the jobs in an IonQ session (opened at the first
            job, recorded in the journal, ended by :meth:`close`)
        remaining_budget (Callable[[], float] | None): dollars left of the owner's budget (caps
            the session's cost limit)

    **Example** (against a local emulator)

    >>> from pennylane_qnative.emulator import running
    >>> bell = {"qubits": 2, "circuit": [{"gate": "h", "target": 0},
    ...                                   {"gate": "cnot", "control": 0, "target": 1}]}
    >>> with running() as url, CircuitBatchManager(
    ...     api_key="k", api_url=url + "/v0.4", journal=False) as manager:
    ...     [sorted(r) for r in manager.execute_batch([bell, bell], shots=100)]
    [[0, 3], [0, 3]]
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        api_url: str | None = None,
        backend: str = "simulator",
        noise: Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
        max_circuits_per_job: int = MAX_CIRCUITS_PER_JOB,
        max_concurrent_jobs: int = 8,
        timeout: float | None = 3600.0,
        journal: bool = True,
        journal_path: str | os.PathLike[str] | None = None,
        retry: RetryPolicy | None = None,
        poll: PollPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        runner: EventLoopRunner | None = None,
        seed: int | None = None,
        metadata: Mapping[str, str] | None = None,
        rate_card: RateCard = DEFAULT_RATE_CARD,
        session: SessionRequest | None = None,
        remaining_budget: Callable[[], float] | None = None,
    ) -> None:
        self.config = JobManagerConfig(
            backend=backend,
            noise=noise,
            settings=settings,
            metadata=metadata,
            rate_card=rate_card,
            limits=JobLimits(max_circuits=max_circuits_per_job),
            max_concurrent_jobs=max_concurrent_jobs,
            timeout=timeout,
        )
        self.client = IonQClient(
            api_key=api_key,
            # the key travels in the Authorization header: a key in the URL's user-info would
            # only show in httpx's log lines and in connection errors
            api_url=without_userinfo(resolve_api_url(api_url)),
            retry=retry,
            poll=poll,
            transport=transport,
            seed=seed,
            max_connections=max(8, 2 * max_concurrent_jobs),
        )
        self.journal = Journal(journal_path) if journal else None
        self.runner = runner or shared_runner()
        self.session = (
            None
            if session is None
            else SessionHandle(
                self.client,
                backend=backend,
                request=session,
                journal=self.journal,
                remaining_budget=remaining_budget,
                run=self.runner.run,
            )
        )
        self.manager = JobManager(
            self.client, self.config, journal=self.journal, session=self.session
        )

    def __repr__(self) -> str:
        path = str(self.journal.path) if self.journal else None
        return (
            f"CircuitBatchManager(api_url={redact_url(self.client.api_url)!r}, "
            f"backend={self.config.backend!r}, journal={path!r})"
        )

    def __enter__(self) -> CircuitBatchManager:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def end_session(self) -> None:
        """End the IonQ session if this manager opened one (the next job opens a new one)."""
        if self.session is not None:
            self.session.close()

    def close(self) -> None:
        """End the session, close the HTTP connections and the journal (the shared runner
        keeps running)."""
        self.end_session()
        with contextlib.suppress(RuntimeError):
            self.runner.run(self.client.aclose())
        if self.journal is not None:
            self.journal.close()

    def submit_batch(
        self,
        circuits: Sequence[Circuit | Mapping[str, Any]],
        shots: int,
        *,
        name: str | None = None,
    ) -> list[str]:
        """Create the batch's jobs (journaled) and return their ids without waiting."""
        batch = [as_circuit(c) for c in circuits]
        return self._bounded(self.manager.submit(batch, shots, name=name), None)

    def get_results(
        self, job_ids: Sequence[str], *, timeout: float | None = None
    ) -> list[Probabilities]:
        """Wait for the jobs and return their results, flattened in job then circuit order."""
        return self._bounded(self.manager.results(list(job_ids), timeout=timeout), timeout)

    def pack(
        self,
        circuits: Sequence[Circuit | Mapping[str, Any]],
        shots: int,
        *,
        name: str | None = None,
        tag: str | None = None,
    ) -> PackedBatch:
        """The batch packed once (see :meth:`JobManager.pack`); no request is sent."""
        return self.manager.pack([as_circuit(c) for c in circuits], shots, name=name, tag=tag)

    def run(
        self,
        packed: PackedBatch,
        *,
        timeout: float | None = None,
        report: BatchReport | None = None,
    ) -> list[Probabilities]:
        """Run a packed batch; one probability map per circuit, in input order."""
        return self._bounded(self.manager.run(packed, timeout=timeout, report=report), timeout)

    def execute_batch(
        self,
        circuits: Sequence[Circuit | Mapping[str, Any]],
        shots: int,
        *,
        name: str | None = None,
        timeout: float | None = None,
        report: BatchReport | None = None,
        tag: str | None = None,
    ) -> list[Probabilities]:
        """Run a batch and return one probability map per circuit, in input order.

        ``report`` (a :class:`BatchReport`) receives job ids, reuse counts and billed cost;
        ``tag`` distinguishes a deliberate repeat of an identical batch (see
        :meth:`JobManager.run`).
        """
        packed = self.pack(circuits, shots, name=name, tag=tag)
        return self.run(packed, timeout=timeout, report=report)

    def estimate_cost(
        self,
        circuits: Sequence[Circuit | Mapping[str, Any]],
        shots: int,
        *,
        rate_card: RateCard | None = None,
    ) -> float:
        """Estimated price of a batch from the rate card (default: the configured one); no
        request is sent.

        Cross-check with ``GET /jobs/estimate`` through :meth:`estimate_cost_remote`.
        """
        return self.manager.estimate_cost(
            [as_circuit(c) for c in circuits], shots, rate_card=rate_card
        )

    def estimate_cost_remote(
        self, circuits: Sequence[Circuit | Mapping[str, Any]], shots: int
    ) -> float:
        """Price of a batch according to the service's ``GET /jobs/estimate``."""
        batch = [as_circuit(c) for c in circuits]
        return self._bounded(self.manager.estimate_cost_remote(batch, shots), None)

    def _bounded(self, coro: Coroutine[Any, Any, T], timeout: float | None) -> T:
        """Run ``coro`` on the runner; never wait past its deadline (plus the cancel grace).

        The manager cuts every request at the deadline itself; this is the backstop for
        anything else (a local lock, a stuck thread) so that the caller never hangs.
        """
        limit = self.config.timeout if timeout is None else timeout
        wait = None if limit is None else limit + CANCEL_GRACE_S + _BACKSTOP_S
        try:
            return self.runner.run(coro, timeout=wait)
        except TimeoutError as error:
            if isinstance(error, JobTimeoutError):
                raise
            raise JobTimeoutError(
                f"the batch did not return within timeout={limit} s; it was abandoned (jobs "
                "already created are re-attached by the journal when it runs again)."
            ) from None
