"""Errors of the wire layer built from what the service answered (pure; no I/O).

* :func:`error_from_response` — the exception of our hierarchy for an error response;
* :func:`check_terminal` — a job that ended ``failed`` or ``canceled`` as an exception.

**Example**

>>> import httpx
>>> request = httpx.Request("GET", "https://api.ionq.co/v0.4/jobs/j1")
>>> error = error_from_response(httpx.Response(404, json={"message": "gone"}, request=request))
>>> type(error).__name__, error.status_code
('IonQNotFoundError', 404)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx

from pennylane_qnative.exceptions import (
    IonQAuthenticationError,
    IonQError,
    IonQNotFoundError,
    IonQPermissionError,
    IonQRateLimitError,
    IonQRequestError,
    IonQServerError,
    JobCancelledError,
    JobFailedError,
)
from pennylane_qnative.ionq.models import Job, JobStatus
from pennylane_qnative.ionq.retry import parse_retry_after

__all__ = ["check_terminal", "error_from_response", "message_of"]

_ERRORS: dict[int, type[IonQError]] = {
    400: IonQRequestError,
    401: IonQAuthenticationError,
    403: IonQPermissionError,
    404: IonQNotFoundError,
    413: IonQRequestError,
    422: IonQRequestError,
    429: IonQRateLimitError,
}
_ADVICE: dict[type[IonQError], str] = {
    IonQAuthenticationError: "check api_key / IONQ_API_KEY",
    IonQPermissionError: "use a key allowed to do this, or another backend",
    IonQNotFoundError: "check the job id (deleted jobs are gone)",
    IonQRequestError: "fix the request (see the message), or split the batch if it is too large",
    IonQRateLimitError: "slow down or ask IonQ for a higher limit",
    IonQServerError: "retry later; see https://status.ionq.co",
}


def message_of(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):  # {"error": {"type", "message"}}
            return str(error.get("message") or error.get("type") or "")
        return str(body.get("message") or error or "")
    return response.reason_phrase or "non-JSON error body"


def error_from_response(
    response: httpx.Response,
    *,
    job_id: str | None = None,
    redact: Callable[[str], str] = str,
) -> IonQError:
    """The exception of our hierarchy for an error response (pure; no I/O).

    Args:
        response (httpx.Response): a response with status >= 400
        job_id (str | None): the job concerned, if any
        redact (Callable[[str], str]): scrubs secrets from the server's message

    Returns:
        IonQError: the matching subclass, carrying ``job_id`` and ``status_code``
    """
    status = response.status_code
    cls = _ERRORS.get(status, IonQServerError if status >= 500 else IonQRequestError)
    method, path = response.request.method, response.request.url.path
    message = (
        f"IonQ answered {method} {path} with {status}: {redact(message_of(response)[:500])}; "
        f"{_ADVICE.get(cls, 'see the message')}."
    )
    if cls is IonQRateLimitError:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return IonQRateLimitError(
            message, retry_after=retry_after, job_id=job_id, status_code=status
        )
    return cls(message, job_id=job_id, status_code=status)


def check_terminal(job: Job) -> Job:
    if job.status is JobStatus.FAILED:
        failure = job.failure
        code = failure.code if failure else None
        raise JobFailedError(
            f"job {job.id} failed with {code}: {failure.message if failure else 'no message'}; "
            "fix the circuit or resubmit.",
            code=code,
            job_id=job.id,
            status_code=200,
        )
    if job.status is JobStatus.CANCELED:
        raise JobCancelledError(
            f"job {job.id} was canceled; resubmit the batch to run it.",
            job_id=job.id,
            status_code=200,
        )
    return job
