"""Async HTTP client for the IonQ v0.4 API (contract: ``docs/ionq-api.md``).

One :class:`IonQClient` holds one pooled :class:`httpx.AsyncClient`. Requests are built without
I/O (:func:`error_from_response`, :meth:`JobRequest.to_payload`); the transport is injectable
(``transport=httpx.MockTransport(...)`` in unit tests). Idempotent calls (``GET``, ``PUT``
cancel) are retried with jittered exponential backoff on 429, 5xx, 520-529 and broken
connections, honouring ``Retry-After``. Job creation is never retried blindly: every job
carries a client-generated id in ``metadata["qnative_client_id"]``; after an ambiguous failure
(5xx, lost response) the client searches ``GET /jobs`` for that id before submitting again.

The API key is sent through an :class:`httpx.Auth` hook and appears in no log line, ``repr``,
exception or attribute other than the private auth object.

**Example**

>>> import asyncio, httpx
>>> from pennylane_qnative.ionq.client import IonQClient
>>> def handler(request):
...     return httpx.Response(200, json={"id": "j1", "status": "completed"})
>>> async def main():
...     async with IonQClient(api_key="k", transport=httpx.MockTransport(handler)) as client:
...         return (await client.get_job("j1")).status
>>> asyncio.run(main())
<JobStatus.COMPLETED: 'completed'>
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
import uuid
from collections.abc import AsyncIterator, Generator, Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx

from pennylane_qnative.exceptions import (
    ConfigurationError,
    IonQError,
    IonQRateLimitError,
    IonQServerError,
    JobTimeoutError,
)
from pennylane_qnative.ionq.deadline import bounded_timeout, current_deadline, time_left
from pennylane_qnative.ionq.errors import check_terminal, error_from_response, message_of
from pennylane_qnative.ionq.models import (
    CLIENT_ID_KEY,
    CostEstimate,
    Job,
    JobCost,
    JobCreated,
    JobPage,
    JobRequest,
    JobStatus,
    Probabilities,
    parse_probabilities,
)
from pennylane_qnative.ionq.retry import (
    PollPolicy,
    RetryPolicy,
    RetryState,
    is_retryable_status,
    poll_delay,
)
from pennylane_qnative.ionq.sessions import SessionsAPI, is_session_refusal, session_refusal
from pennylane_qnative.ionq.urls import without_userinfo

__all__ = [
    "API_KEY_ENVS",
    "API_URL_ENV",
    "DEFAULT_API_URL",
    "DEFAULT_TIMEOUT",
    "IonQClient",
    "error_from_response",
    "resolve_api_key",
    "resolve_api_url",
]

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.ionq.co/v0.4"
API_URL_ENV = "IONQ_API_URL"
API_KEY_ENVS = ("IONQ_API_KEY", "PENNYLANE_IONQ_API_KEY")
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
_USER_AGENT = "pennylane-qnative/0.1 httpx/" + httpx.__version__
# Connection failures that prove the request never reached the server: safe to resend a POST.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def resolve_api_url(api_url: str | None = None) -> str:
    """``api_url``, else ``$IONQ_API_URL``, else the real service; no trailing slash."""
    return (api_url or os.environ.get(API_URL_ENV) or DEFAULT_API_URL).rstrip("/")


def resolve_api_key(api_key: str | None = None) -> str | None:
    """``api_key``, else ``$IONQ_API_KEY``, else ``$PENNYLANE_IONQ_API_KEY`` (``None``: none)."""
    if api_key:
        return api_key
    return next((os.environ[e] for e in API_KEY_ENVS if os.environ.get(e)), None)


class _ApiKeyAuth(httpx.Auth):
    """Adds ``Authorization: apiKey <key>``; the key never shows in ``repr``."""

    __slots__ = ("_key",)

    def __init__(self, key: str) -> None:
        self._key = key

    def __repr__(self) -> str:
        return "_ApiKeyAuth(key='***')"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"apiKey {self._key}"
        yield request

    def redact(self, text: str) -> str:
        # Keys of 1-3 characters are toy keys (tests); scrubbing them would garble messages.
        return text.replace(self._key, "***") if len(self._key) >= 4 else text


class _ConnectionFailedError(IonQServerError):
    """The connection broke; ``sent`` says whether the request may have reached the server."""

    def __init__(self, message: str, *, sent: bool, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.sent = sent


class _AmbiguousCreateError(Exception):
    """A POST whose outcome is unknown (lost response, 5xx)."""

    def __init__(self, error: IonQError) -> None:
        super().__init__(str(error))
        self.error = error


class IonQClient(SessionsAPI):
    """Async client for the IonQ v0.4 REST API (jobs, and sessions through
    :class:`~pennylane_qnative.ionq.sessions.SessionsAPI`).

    Args:
        api_key (str | None): the key; default ``$IONQ_API_KEY`` or ``$PENNYLANE_IONQ_API_KEY``
        api_url (str | None): base URL including the version; default ``$IONQ_API_URL`` or
            ``https://api.ionq.co/v0.4`` (the emulator: ``<emulator url>/v0.4``)
        timeout (httpx.Timeout | float): per-request timeouts (inside a deadline scope each
            is cut to the time left: :mod:`~pennylane_qnative.ionq.deadline`)
        retry (RetryPolicy): retries of idempotent requests (and of unsent job creations)
        poll (PollPolicy): status polling schedule of :meth:`wait_for_job`
        max_connections (int): connection pool size
        transport (httpx.AsyncBaseTransport | None): injected transport (tests)
        seed (int | None): seeds the backoff jitter

    Raises:
        ConfigurationError: if no API key is given or found in the environment
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        api_url: str | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        poll: PollPolicy | None = None,
        max_connections: int = 32,
        transport: httpx.AsyncBaseTransport | None = None,
        seed: int | None = None,
    ) -> None:
        key = resolve_api_key(api_key)
        if not key:
            raise ConfigurationError(
                "No IonQ API key: pass api_key=... or set IONQ_API_KEY (or PENNYLANE_IONQ_API_KEY)."
            )
        self.api_url = without_userinfo(resolve_api_url(api_url))  # a key there is never shown
        self.retry = retry or RetryPolicy()
        self.poll = poll or PollPolicy()
        self._auth = _ApiKeyAuth(key)
        self._rng = random.Random(seed)
        self._http = httpx.AsyncClient(
            base_url=self.api_url + "/",
            auth=self._auth,
            timeout=timeout,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            headers={"User-Agent": _USER_AGENT, "Accept": "application/json"},
            transport=transport,
        )
        self.requests_sent: dict[str, int] = {}
        """Requests sent per endpoint (``create``, ``status``, ``results``, ``list``...)."""

    def __repr__(self) -> str:
        return f"IonQClient(api_url={self.api_url!r})"

    async def __aenter__(self) -> IonQClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # -- transport -----------------------------------------------------------------------

    def _url(self, path: str) -> str:
        """A path relative to the API root, or a host-relative results URL."""
        if path.startswith(("http://", "https://")):
            return path
        if path.startswith("/"):
            return str(httpx.URL(self.api_url).join(path))
        return path

    def _where(self, method: str, path: str) -> str:
        """``METHOD url`` of a request for messages (user-info of the URL removed)."""
        url = httpx.URL(path if "://" in path else f"{self.api_url}/{path.lstrip('/')}")
        return f"{method} {url.copy_with(username=None, password=None)}"

    def _expired(self, method: str, path: str, job_id: str | None, note: str) -> JobTimeoutError:
        return JobTimeoutError(
            f"{self._where(method, path)} {note} before the deadline (timeout=) passed; raise "
            "timeout=, check the service (https://status.ionq.co) or api_url, and run again "
            "(jobs already created are re-attached by the journal).",
            job_id=job_id,
        )

    async def _send_once(
        self, method: str, path: str, *, job_id: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """One attempt, cut at the deadline (:mod:`~pennylane_qnative.ionq.deadline`); a
        transport error becomes :class:`_ConnectionFailedError` (no chaining)."""
        start, left = time.perf_counter(), time_left()
        if left is not None and left <= 0:
            raise self._expired(method, path, job_id, "was not sent")
        kind = _endpoint(method, path)
        self.requests_sent[kind] = self.requests_sent.get(kind, 0) + 1
        timeout = bounded_timeout(self._http.timeout, left)
        try:
            async with asyncio.timeout(left):
                response = await self._http.request(
                    method, self._url(path), timeout=timeout, **kwargs
                )
        except TimeoutError:
            failure: tuple[str, str] | None = None
        except httpx.TransportError as error:
            failure = (type(error).__name__, self._auth.redact(str(error)))
            sent = not isinstance(error, _NOT_SENT)
        else:
            elapsed = (time.perf_counter() - start) * 1e3
            logger.debug("%s %s -> %d in %.1f ms", method, path, response.status_code, elapsed)
            return response
        # Raised outside the ``except`` block so that the httpx error (whose request holds the
        # Authorization header) is not kept as ``__context__``.
        elapsed = (time.perf_counter() - start) * 1e3
        logger.debug("%s %s -> %s after %.1f ms", method, path, failure, elapsed)
        left = time_left()
        if failure is None or (left is not None and left <= 0.01):
            raise self._expired(method, path, job_id, "got no answer")
        raise _ConnectionFailedError(
            f"{self._where(method, path)} failed before a response arrived ({failure[0]}: "
            f"{failure[1]}); check api_url / IONQ_API_URL and the network, or retry later.",
            job_id=job_id,
            sent=sent,
        )

    async def _backoff(self, state: RetryState, error: IonQError, *, what: tuple[str, str]) -> bool:
        """Sleep before the next retry; ``False`` when the policy has none left.

        Raises:
            JobTimeoutError: when the retry could not start before the deadline
        """
        delay = state.next_delay(getattr(error, "retry_after", None))
        if delay is None:
            return False
        left = time_left()
        if left is not None and delay >= left:
            raise self._expired(
                *what, error.job_id, f"failed ({error.message}) and cannot be retried"
            )
        await asyncio.sleep(delay)
        return True

    async def _request(
        self, method: str, path: str, *, job_id: str | None = None, **kwargs: Any
    ) -> Any:
        """An idempotent request with retries (:class:`RetryPolicy`); the decoded JSON body."""
        state = RetryState(self.retry, self._rng)
        while True:
            try:
                response = await self._send_once(method, path, job_id=job_id, **kwargs)
            except _ConnectionFailedError as broken:
                error: IonQError = broken
            else:
                if response.is_success:
                    try:
                        return response.json()
                    except ValueError:
                        response = httpx.Response(
                            502, text="malformed JSON", request=response.request
                        )
                error = error_from_response(response, job_id=job_id, redact=self._auth.redact)
                if not is_retryable_status(response.status_code, method):
                    raise error
            if not await self._backoff(state, error, what=(method, path)):
                raise error

    # -- jobs ----------------------------------------------------------------------------

    async def create_job(
        self,
        request: JobRequest | Mapping[str, Any],
        *,
        client_id: str | None = None,
        session_id: str | None = None,
    ) -> JobCreated:
        """Create a job, exactly once even when responses are lost.

        The job gets a client id in ``metadata`` (``client_id``, else the one already there,
        else a new one): this is the one place that sets it. Failures that prove the job was
        not created (connection refused, 429) are retried; ambiguous ones (5xx, connection
        lost after sending) trigger a :meth:`find_job` before resubmitting.

        Args:
            request (JobRequest | Mapping[str, Any]): the job, or its ``POST /jobs`` body
                built beforehand (sent as it is, plus the client id)
            client_id (str | None): the id to search for after an ambiguous failure
            session_id (str | None): the session the job joins (added to the body here, so
                a packed payload and its journal digest do not depend on the session)

        Returns:
            JobCreated: id and status of the (single) created job

        Raises:
            SessionLimitError: the session refused the job (a limit, or it ended)
            IonQError: the mapped error once retries are exhausted, or at once for 4xx
        """
        payload = request.to_payload() if isinstance(request, JobRequest) else dict(request)
        if session_id is not None:
            payload["session_id"] = session_id
        metadata = dict(payload.get("metadata") or {})
        client_id = client_id or metadata.get(CLIENT_ID_KEY) or uuid.uuid4().hex
        payload["metadata"] = {**metadata, CLIENT_ID_KEY: client_id}
        since = datetime.now().astimezone()
        state = RetryState(self.retry, self._rng)
        while True:
            ambiguous = False
            try:
                return await self._post_job(payload)
            except _AmbiguousCreateError as lost:
                error, ambiguous = lost.error, True
            except (IonQRateLimitError, IonQServerError) as retryable:
                error = retryable
            retrying = await self._backoff(state, error, what=("POST", "jobs"))
            if ambiguous:  # look the client id up before sending the job again
                found = await self.find_job(client_id, since=since)
                if found is not None:
                    logger.info("job %s found by client id after a lost create", found.id)
                    return JobCreated(id=found.id, status=found.status)
            if not retrying:
                raise error

    async def _post_job(self, payload: dict[str, Any]) -> JobCreated:
        try:
            response = await self._send_once("POST", "jobs", json=payload)
        except _ConnectionFailedError as error:
            if not error.sent:
                raise
            raise _AmbiguousCreateError(error) from None
        if response.is_success:
            return JobCreated.from_json(response.json())
        error = error_from_response(response, redact=self._auth.redact)
        if response.status_code >= 500:
            raise _AmbiguousCreateError(error)
        if payload.get("session_id") and is_session_refusal(error.message):
            raise session_refusal(
                message_of(response), session_id=payload["session_id"], status_code=400
            )
        raise error

    async def get_job(self, job_id: str) -> Job:
        """``GET /jobs/{id}``.

        Raises:
            IonQServerError: if the job object is malformed (e.g. an unknown status)
        """
        body = await self._request("GET", f"jobs/{job_id}", job_id=job_id)
        try:
            return Job.from_json(body)
        except (KeyError, TypeError, ValueError) as error:
            raise IonQServerError(
                f"job {job_id} came back malformed ({type(error).__name__}: {error}); "
                "the service may have changed its API: report it.",
                job_id=job_id,
            ) from None

    async def list_jobs(
        self, *, limit: int = 100, cursor: str | None = None, **filters: str
    ) -> JobPage:
        """One page of ``GET /jobs`` (filters: ``status``, ``target``, ``parent_job_id``...)."""
        params: dict[str, Any] = {"limit": limit, **filters}
        if cursor:
            params["next"] = cursor
        return JobPage.from_json(await self._request("GET", "jobs", params=params))

    async def iter_jobs(self, *, limit: int = 1000, **filters: str) -> AsyncIterator[Job]:
        """All jobs, newest first, following the ``next`` cursor."""
        cursor: str | None = None
        while True:
            page = await self.list_jobs(limit=limit, cursor=cursor, **filters)
            for job in page.jobs:
                yield job
            if not page.next or not page.jobs:
                return
            cursor = page.next

    async def find_job(
        self, client_id: str, *, since: datetime | None = None, skew: float = 300.0
    ) -> Job | None:
        """The top-level job whose ``metadata`` carries ``client_id``, or ``None``.

        Scans ``GET /jobs`` newest first (the API has no metadata filter) and stops at jobs
        submitted more than ``skew`` seconds before ``since``.

        Args:
            client_id (str): the value of ``metadata["qnative_client_id"]``
            since (datetime | None): when the job was (possibly) submitted
            skew (float): tolerance for clock differences, seconds
        """
        horizon = since - timedelta(seconds=skew) if since is not None else None
        async for job in self.iter_jobs():
            if job.parent_job_id is None and job.metadata.get(CLIENT_ID_KEY) == client_id:
                return job
            if horizon and job.submitted_at and job.submitted_at < horizon:
                return None
        return None

    async def cancel_job(self, job_id: str) -> JobStatus:
        """``PUT /jobs/{id}/status/cancel``; returns the status the service reports."""
        body = await self._request("PUT", f"jobs/{job_id}/status/cancel", job_id=job_id)
        return JobStatus.parse(body.get("status", "canceled"))

    async def get_probabilities(self, job: Job) -> list[Probabilities]:
        """Probabilities of each circuit of a completed job, in circuit order."""
        url = job.results_url or (
            f"jobs/{job.id}/results/probabilities" + ("/aggregated" if job.is_multi_circuit else "")
        )
        body = await self._request("GET", url, job_id=job.id)
        try:
            return parse_probabilities(body, child_job_ids=job.child_job_ids)
        except (ValueError, TypeError) as error:
            raise IonQServerError(
                f"results of job {job.id} are malformed ({error}); fetch them again later.",
                job_id=job.id,
            ) from None

    async def get_cost(self, job_id: str) -> JobCost:
        """``GET /jobs/{id}/cost``: the estimate and, once the job is final, the billed cost."""
        data = await self._request("GET", f"jobs/{job_id}/cost", job_id=job_id)
        return JobCost.from_json(data)

    async def estimate(
        self,
        *,
        backend: str,
        qubits: int,
        shots: int,
        one_qubit_gates: int,
        two_qubit_gates: int,
        error_mitigation: bool = False,
    ) -> CostEstimate:
        """``GET /jobs/estimate`` for one circuit-job of the given size."""
        params = {
            "backend": backend,
            "type": "ionq.circuit.v1",
            "qubits": qubits,
            "shots": shots,
            "1q_gates": one_qubit_gates,
            "2q_gates": two_qubit_gates,
            "error_mitigation": str(bool(error_mitigation)).lower(),
        }
        return CostEstimate.from_json(await self._request("GET", "jobs/estimate", params=params))

    async def wait_for_job(self, job_id: str, *, deadline: float | None = None) -> Job:
        """Poll until the job ends; ``deadline`` is a :func:`time.monotonic` instant.

        Sleeps until the job's predicted completion (from its ``predicted_*_ms`` fields), then
        backs off geometrically (:func:`~pennylane_qnative.ionq.retry.poll_delay`).

        Returns:
            Job: the completed job

        Raises:
            JobFailedError: the job ended ``failed`` (IonQ's code and message)
            JobCancelledError: the job ended ``canceled``
            JobTimeoutError: ``deadline`` (or the current deadline scope's, the earlier)
                passed first (the job is not cancelled here)
        """
        scope = current_deadline()
        if scope is not None:
            deadline = scope if deadline is None else min(deadline, scope)
        start, overdue = time.monotonic(), 0
        while True:
            job = await self.get_job(job_id)
            if job.status.terminal:
                return check_terminal(job)
            now = time.monotonic()
            predicted, elapsed = job.predicted_remaining_s, _elapsed(job, now - start)
            delay = poll_delay(
                self.poll, elapsed=elapsed, predicted_total=predicted, overdue_polls=overdue
            )
            if predicted is None or elapsed >= predicted:
                overdue += 1
            if deadline is not None and now + delay > deadline:
                if now >= deadline:
                    raise JobTimeoutError(
                        f"job {job_id} still {job.status} at the deadline; raise the timeout "
                        "or collect it later by id.",
                        job_id=job_id,
                    )
                delay = deadline - now
            await asyncio.sleep(delay)


def _endpoint(method: str, path: str) -> str:
    """A short name of the endpoint (for the per-endpoint request counters)."""
    parts = [p for p in httpx.URL(path).path.split("/") if p]
    parts = parts[parts.index("jobs") :] if "jobs" in parts else parts
    if method == "POST" and parts[:1] == ["sessions"]:
        return "sessions"
    if method == "POST":
        return "create"
    if method == "PUT":
        return "cancel"
    if "results" in parts:
        return "results"
    if parts == ["jobs"]:
        return "list"
    if parts[:1] == ["sessions"]:
        return "sessions"
    if parts[-1:] in (["estimate"], ["cost"]):
        return parts[-1]
    return "status" if len(parts) == 2 else "/".join(parts)


def _elapsed(job: Job, local: float) -> float:
    """Seconds since submission: the service's ``submitted_at`` against our clock, or the time
    we have been waiting, whichever is larger (both are lower bounds up to clock skew)."""
    if job.submitted_at is None:
        return local
    server = (datetime.now(job.submitted_at.tzinfo) - job.submitted_at).total_seconds()
    return max(server, local)
