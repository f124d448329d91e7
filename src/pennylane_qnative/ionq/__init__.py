"""The IonQ wire layer: HTTP client, request/response models and pricing.

This package knows nothing of PennyLane and imports none of it.

* :class:`IonQClient` — async httpx client for the v0.4 API (retries, idempotent creation).
* :mod:`~pennylane_qnative.ionq.models` — :class:`Circuit`, :class:`JobRequest`, :class:`Job`...
* :mod:`~pennylane_qnative.ionq.sessions` — :class:`Session`, :class:`SessionLimits` and the
  client's ``/sessions`` calls.
* :mod:`~pennylane_qnative.ionq.pricing` — the rate card and cost estimator.
* :mod:`~pennylane_qnative.ionq.retry` — :class:`RetryPolicy`, :class:`PollPolicy` and their
  backoff schedules.
* :mod:`~pennylane_qnative.ionq.deadline` — the deadline model: one instant bounds every
  request, retry and poll of a call (``timeout=``).
"""

from pennylane_qnative.ionq.client import DEFAULT_API_URL, IonQClient
from pennylane_qnative.ionq.models import (
    Circuit,
    CostEstimate,
    Failure,
    Gateset,
    Job,
    JobCreated,
    JobPage,
    JobRequest,
    JobStatus,
    Probabilities,
)
from pennylane_qnative.ionq.retry import PollPolicy, RetryPolicy
from pennylane_qnative.ionq.sessions import Session, SessionLimits, SessionStatus

__all__ = [
    "DEFAULT_API_URL",
    "Circuit",
    "CostEstimate",
    "Failure",
    "Gateset",
    "IonQClient",
    "Job",
    "JobCreated",
    "JobPage",
    "JobRequest",
    "JobStatus",
    "PollPolicy",
    "Probabilities",
    "RetryPolicy",
    "Session",
    "SessionLimits",
    "SessionStatus",
]
