"""The settings of a job manager and the report of one batch (plain data).

**Example**

>>> from pennylane_qnative.execution.job_config import BatchReport, JobManagerConfig
>>> JobManagerConfig(backend="qpu.aria-1").max_concurrent_jobs, BatchReport().queued_s
(8, 0.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.execution.packing import JobLimits
from pennylane_qnative.ionq.pricing import DEFAULT_RATE_CARD, RateCard

__all__ = ["BatchReport", "JobManagerConfig"]


@dataclass(frozen=True, kw_only=True, slots=True)
class JobManagerConfig:
    """Settings of a :class:`JobManager`.

    Args:
        backend (str): IonQ backend of every job
        noise (Mapping[str, Any] | None): ``{"model", "seed"}`` (simulator only)
        settings (Mapping[str, Any] | None): ``{"compilation", "error_mitigation"}``
        limits (JobLimits): packing limits (``max_circuits`` = ``max_circuits_per_job``)
        max_concurrent_jobs (int): jobs in flight at once
        timeout (float | None): overall deadline of one batch, seconds (``None``: none)
        cancel_on_timeout (bool): cancel unfinished jobs when the deadline passes
        metadata (Mapping[str, str] | None): user metadata attached to every job
        rate_card (RateCard): prices of estimates, and which backends are never billed

    Raises:
        ConfigurationError: on an invalid value
    """

    backend: str = "simulator"
    noise: Mapping[str, Any] | None = None
    settings: Mapping[str, Any] | None = None
    limits: JobLimits = field(default_factory=JobLimits)
    max_concurrent_jobs: int = 8
    timeout: float | None = 3600.0
    cancel_on_timeout: bool = True
    metadata: Mapping[str, str] | None = None
    rate_card: RateCard = DEFAULT_RATE_CARD

    def __post_init__(self) -> None:
        n = self.max_concurrent_jobs
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ConfigurationError(
                f"JobManagerConfig.max_concurrent_jobs must be an int >= 1, got {n!r}."
            )
        if self.timeout is not None and not self.timeout > 0:
            raise ConfigurationError(
                f"JobManagerConfig.timeout must be > 0 seconds or None, got {self.timeout!r}."
            )
        if not isinstance(self.backend, str) or not self.backend:
            raise ConfigurationError(
                f"JobManagerConfig.backend must be a backend name, got {self.backend!r}."
            )


@dataclass(slots=True)
class BatchReport:
    """What running one batch involved, filled in by :meth:`JobManager.execute`.

    Attributes:
        job_ids (list[str]): the batch's jobs, in batch order
        created (int): jobs created by this call
        reused (int): jobs taken from the journal (re-attached, or results already stored)
        billed_usd (float): billed cost read back from the service (paid backends only)
        queued_s (float): seconds the batch's jobs waited in the queue, summed (as the
            service reports them: ``started_at - submitted_at``)
        session_id (str | None): the IonQ session the batch's new jobs joined
    """

    job_ids: list[str] = field(default_factory=list)
    created: int = 0
    reused: int = 0
    billed_usd: float = 0.0
    queued_s: float = 0.0
    session_id: str | None = None
