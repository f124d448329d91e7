"""Tests for pennylane_qnative.ionq.client and ionq.retry.

Unit tests use ``httpx.MockTransport``; the ``TestAgainstEmulator`` classes talk to the real
emulator over loopback HTTP.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pennylane_qnative.exceptions import (
    ConfigurationError,
    IonQAuthenticationError,
    IonQError,
    IonQNotFoundError,
    IonQPermissionError,
    IonQRateLimitError,
    IonQRequestError,
    IonQServerError,
    JobCancelledError,
    JobFailedError,
    JobTimeoutError,
)
from pennylane_qnative.ionq.client import (
    DEFAULT_API_URL,
    IonQClient,
    error_from_response,
    resolve_api_key,
    resolve_api_url,
)
from pennylane_qnative.ionq.models import CLIENT_ID_KEY, Circuit, JobRequest, JobStatus
from pennylane_qnative.ionq.retry import (
    PollPolicy,
    RetryPolicy,
    is_retryable_status,
    parse_retry_after,
    poll_delay,
    retry_delay,
)

SECRET = "sk-test-SECRET-0123456789"
ADMIN = {"Authorization": f"apiKey {SECRET}"}  # the admin endpoints need a key when keys are set
BELL = Circuit(
    qubits=2, gates=({"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1})
)
REQUEST = JobRequest(backend="simulator", shots=100, circuits=(BELL,))
FAST = RetryPolicy(max_retries=4, base_delay=0.0, max_delay=0.05)


def run(coro):
    """Run a coroutine in a fresh loop (tests only; library code never does this)."""
    return asyncio.run(coro)


class FakeIonQ:
    """A scripted IonQ API: ``script`` maps an endpoint to a list of responses or exceptions."""

    def __init__(self, **script):
        self.script = {k: list(v) for k, v in script.items()}
        self.requests: list[httpx.Request] = []
        self.jobs: dict[str, dict] = {}

    def endpoint(self, request: httpx.Request) -> str:
        path = request.url.path.removeprefix("/v0.4/")
        if request.method == "POST":
            return "create"
        if path == "jobs":
            return "list"
        if "results" in path:
            return "results"
        if request.method == "PUT":
            return "cancel"
        return "status"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        name = self.endpoint(request)
        queue = self.script.get(name) or []
        item = queue.pop(0) if queue else None
        if isinstance(item, Exception):
            raise item
        if callable(item):
            return item(request)
        if item is not None:
            return item
        return self.default(name, request)

    def default(self, name: str, request: httpx.Request) -> httpx.Response:
        if name == "create":
            body = httpx.Request("POST", "x", content=request.content)
            import json

            payload = json.loads(body.content)
            job_id = f"job-{len(self.jobs)}"
            self.jobs[job_id] = {
                "id": job_id,
                "status": "completed",
                "metadata": payload.get("metadata"),
            }
            return httpx.Response(
                201, json={"id": job_id, "status": "submitted", "session_id": None}
            )
        if name == "list":
            return httpx.Response(200, json={"jobs": list(self.jobs.values())[::-1], "next": None})
        if name == "results":
            return httpx.Response(200, json={"0": 0.5, "3": 0.5})
        job_id = request.url.path.rsplit("/", 1)[-1]
        return httpx.Response(200, json={"id": job_id, "status": "completed"})

    def count(self, name: str) -> int:
        return sum(self.endpoint(r) == name for r in self.requests)


def make_client(fake: FakeIonQ, **kwargs) -> IonQClient:
    return IonQClient(
        api_key=SECRET,
        api_url="https://ionq.test/v0.4",
        transport=httpx.MockTransport(fake),
        retry=kwargs.pop("retry", FAST),
        seed=0,
        **kwargs,
    )


@pytest.fixture
def sleeps(monkeypatch):
    """Record asyncio.sleep delays without waiting for them."""
    delays: list[float] = []
    real = asyncio.sleep

    async def fake(delay, result=None):
        delays.append(delay)
        return await real(0, result)

    monkeypatch.setattr(asyncio, "sleep", fake)
    return delays


class TestConfiguration:
    """Key and URL resolution."""

    def test_key_precedence(self, monkeypatch):
        """api_key beats IONQ_API_KEY, which beats PENNYLANE_IONQ_API_KEY."""
        monkeypatch.setenv("PENNYLANE_IONQ_API_KEY", "pl")
        assert resolve_api_key() == "pl"
        monkeypatch.setenv("IONQ_API_KEY", "ionq")
        assert resolve_api_key() == "ionq"
        assert resolve_api_key("explicit") == "explicit"

    def test_url_precedence(self, monkeypatch):
        """api_url beats IONQ_API_URL, which beats the real service."""
        monkeypatch.delenv("IONQ_API_URL", raising=False)
        assert resolve_api_url() == DEFAULT_API_URL
        monkeypatch.setenv("IONQ_API_URL", "http://env/v0.4/")
        assert resolve_api_url() == "http://env/v0.4"
        assert resolve_api_url("http://x/v0.4") == "http://x/v0.4"

    def test_missing_key(self, monkeypatch):
        """No key anywhere is a ConfigurationError saying what to set."""
        monkeypatch.delenv("IONQ_API_KEY", raising=False)
        monkeypatch.delenv("PENNYLANE_IONQ_API_KEY", raising=False)
        with pytest.raises(ConfigurationError, match="IONQ_API_KEY"):
            IonQClient()

    def test_auth_header_and_repr(self):
        """Requests carry 'Authorization: apiKey <key>'; repr shows no key."""
        fake = FakeIonQ()
        client = make_client(fake)
        run(client.get_job("j"))
        assert fake.requests[0].headers["Authorization"] == f"apiKey {SECRET}"
        assert SECRET not in repr(client)
        assert SECRET not in repr(client._http.headers)


class TestErrorMapping:
    """HTTP errors map onto the exception hierarchy."""

    @pytest.mark.parametrize(
        ("status", "cls"),
        [
            pytest.param(400, IonQRequestError, id="400"),
            pytest.param(401, IonQAuthenticationError, id="401"),
            pytest.param(403, IonQPermissionError, id="403"),
            pytest.param(404, IonQNotFoundError, id="404"),
            pytest.param(413, IonQRequestError, id="413"),
            pytest.param(429, IonQRateLimitError, id="429"),
            pytest.param(500, IonQServerError, id="500"),
            pytest.param(522, IonQServerError, id="522-cloudflare"),
        ],
    )
    def test_status_to_class(self, status, cls):
        """Each status gives its class, carrying job id and status code."""
        request = httpx.Request("GET", "https://ionq.test/v0.4/jobs/j1")
        body = {"error": "E", "message": "what happened", "statusCode": status}
        error = error_from_response(httpx.Response(status, json=body, request=request), job_id="j1")
        assert type(error) is cls
        assert (error.job_id, error.status_code) == ("j1", status)
        assert "what happened" in str(error)

    def test_non_json_body_and_retry_after(self):
        """An HTML 429 still maps, with Retry-After parsed."""
        request = httpx.Request("GET", "https://ionq.test/v0.4/jobs")
        response = httpx.Response(
            429, text="<html>slow down</html>", headers={"Retry-After": "2"}, request=request
        )
        error = error_from_response(response)
        assert isinstance(error, IonQRateLimitError)
        assert error.retry_after == 2.0

    def test_client_raises_mapped_error_without_retrying_4xx(self):
        """A 404 is raised at once (no retry)."""
        fake = FakeIonQ(status=[httpx.Response(404, json={"message": "gone"})])
        with pytest.raises(IonQNotFoundError) as info:
            run(make_client(fake).get_job("j9"))
        assert info.value.job_id == "j9"
        assert fake.count("status") == 1


class TestMalformedResponses:
    """Garbage from the service maps onto the hierarchy too."""

    def test_unknown_status_is_server_error(self):
        """A status outside the enum is an IonQServerError, not a bare ValueError."""
        fake = FakeIonQ(status=[httpx.Response(200, json={"id": "j", "status": "deleted"})])
        with pytest.raises(IonQServerError, match="malformed"):
            run(make_client(fake).get_job("j"))

    def test_non_json_success_is_retried(self, sleeps):
        """A 200 with a non-JSON body is retried like a 502."""
        fake = FakeIonQ(status=[httpx.Response(200, text="<html>")])
        assert run(make_client(fake).get_job("j")).status is JobStatus.COMPLETED
        assert fake.count("status") == 2


class TestRetries:
    """Idempotent requests are retried; job creation is not retried blindly."""

    def test_get_retried_on_transient_errors(self, sleeps):
        """429 (Retry-After honoured), 503, 409 and a reset are retried on GET."""
        fake = FakeIonQ(
            status=[
                httpx.Response(429, headers={"Retry-After": "0.04"}),
                httpx.Response(503, text="<html>"),
                httpx.Response(409),
                httpx.ReadError("reset"),
            ]
        )
        job = run(make_client(fake).get_job("j"))
        assert job.status is JobStatus.COMPLETED
        assert fake.count("status") == 5
        assert sleeps[0] >= 0.04

    def test_gives_up_after_max_retries(self, sleeps):
        """After max_retries the last error is raised."""
        fake = FakeIonQ(status=[httpx.Response(502)] * 10)
        with pytest.raises(IonQServerError) as info:
            run(make_client(fake, retry=RetryPolicy(max_retries=2, base_delay=0)).get_job("j"))
        assert info.value.status_code == 502
        assert fake.count("status") == 3

    def test_create_retried_when_not_sent(self, sleeps):
        """A refused connection or a 429 proves nothing was created: resend, no lookup."""
        fake = FakeIonQ(create=[httpx.ConnectError("refused"), httpx.Response(429)])
        created = run(make_client(fake).create_job(REQUEST))
        assert created.id == "job-0"
        assert (fake.count("create"), fake.count("list")) == (3, 0)

    @pytest.mark.parametrize(
        "failure",
        [
            pytest.param(httpx.Response(503), id="503"),
            pytest.param(httpx.ReadError("lost"), id="lost-response"),
            pytest.param(httpx.RemoteProtocolError("reset"), id="reset"),
        ],
    )
    def test_ambiguous_create_found_by_client_id(self, sleeps, failure):
        """After an ambiguous failure the job is looked up, not created again."""
        fake = FakeIonQ()

        def create_then_fail(request):
            fake.default("create", request)
            if isinstance(failure, Exception):
                raise failure
            return failure

        fake.script["create"] = [create_then_fail]
        created = run(make_client(fake).create_job(REQUEST))
        assert created.id == "job-0"
        assert len(fake.jobs) == 1
        assert (fake.count("create"), fake.count("list")) == (1, 1)

    def test_ambiguous_create_not_found_resubmits_same_client_id(self, sleeps):
        """If the lookup finds nothing, the job is submitted again with the same client id."""
        fake = FakeIonQ(create=[httpx.Response(500)])
        created = run(make_client(fake).create_job(REQUEST.with_metadata(CLIENT_ID_KEY, "cid")))
        assert created.id == "job-0"
        assert fake.count("create") == 2
        assert fake.jobs["job-0"]["metadata"] == {CLIENT_ID_KEY: "cid"}

    def test_create_4xx_not_retried(self):
        """A 400 on create is raised at once."""
        fake = FakeIonQ(create=[httpx.Response(400, json={"message": "bad gate"})])
        with pytest.raises(IonQRequestError, match="bad gate"):
            run(make_client(fake).create_job(REQUEST))
        assert fake.count("create") == 1


class TestPolling:
    """wait_for_job: schedule, terminal statuses, deadline."""

    @staticmethod
    def status(state, **extra):
        return httpx.Response(200, json={"id": "j", "status": state, **extra})

    def test_sleeps_until_predicted_completion(self, sleeps):
        """With predictions, the second poll is at the predicted completion."""
        predicted = {"predicted_wait_time_ms": 1000, "predicted_execution_duration_ms": 5}
        fake = FakeIonQ(status=[self.status("ready", **predicted), self.status("completed")])
        job = run(make_client(fake).wait_for_job("j"))
        assert job.status is JobStatus.COMPLETED
        assert fake.count("status") == 2
        assert sleeps[0] == pytest.approx(1.015, abs=0.05)

    def test_backs_off_without_prediction(self, sleeps):
        """Without predictions the delays grow geometrically from PollPolicy.unpredicted."""
        fake = FakeIonQ(status=[self.status("submitted")] * 3 + [self.status("completed")])
        run(make_client(fake).wait_for_job("j"))
        assert sleeps == pytest.approx([0.5, 0.75, 1.125])

    @pytest.mark.parametrize(
        ("body", "cls", "match"),
        [
            pytest.param(
                {"failure": {"code": "SimulationError", "message": "boom"}},
                JobFailedError,
                "SimulationError: boom",
                id="failed",
            ),
            pytest.param({}, JobCancelledError, "canceled", id="canceled"),
        ],
    )
    def test_terminal_errors(self, body, cls, match):
        """failed and canceled end polling with a precise error."""
        state = "failed" if cls is JobFailedError else "canceled"
        fake = FakeIonQ(status=[self.status(state, **body)])
        with pytest.raises(cls, match=match) as info:
            run(make_client(fake).wait_for_job("j"))
        assert info.value.job_id == "j"
        if cls is JobFailedError:
            assert info.value.code == "SimulationError"

    def test_deadline(self, sleeps):
        """A passed deadline raises JobTimeoutError (a TimeoutError)."""
        fake = FakeIonQ(status=[self.status("ready")] * 100)
        with pytest.raises(JobTimeoutError) as info:
            run(make_client(fake).wait_for_job("j", deadline=0.0))
        assert isinstance(info.value, TimeoutError)
        assert fake.count("status") == 1


class TestSecrecy:
    """The API key appears in no log line, repr or exception."""

    def test_key_never_logged_or_raised(self, caplog, sleeps):
        """DEBUG logs of httpx/httpcore/ours and all errors are free of the key."""
        caplog.set_level(logging.DEBUG)
        fake = FakeIonQ(
            status=[httpx.Response(401, json={"message": f"bad key {SECRET}"})],
            create=[httpx.ConnectError(f"cannot reach with {SECRET}")],
        )
        client = make_client(fake, retry=RetryPolicy(max_retries=0))
        errors: list[BaseException] = []
        for coro in (client.get_job("j"), client.create_job(REQUEST)):
            with pytest.raises(IonQError) as info:
                run(coro)
            errors.append(info.value)
        assert caplog.records
        text = caplog.text + "".join(repr(e) + str(e) + repr(e.__dict__) for e in errors)
        assert SECRET not in text
        assert all(e.__cause__ is None and e.__context__ is None for e in errors)


class TestBackoffSchedules:
    """Pure backoff functions (property-based)."""

    @given(
        attempt=st.integers(0, 100),
        seed=st.integers(0, 2**32),
        retry_after=st.none() | st.floats(0, 100),
        base=st.floats(0, 5),
        cap=st.floats(0, 60),
        after_cap=st.floats(0, 120),
    )
    def test_retry_delay_bounds(self, attempt, seed, retry_after, base, cap, after_cap):
        """Backoff within [0, max_delay]; Retry-After honoured up to retry_after_cap."""
        policy = RetryPolicy(base_delay=base, max_delay=cap, retry_after_cap=after_cap)
        delay = retry_delay(
            policy, attempt=attempt, rng=random.Random(seed), retry_after=retry_after
        )
        if retry_after is None:
            assert 0.0 <= delay <= cap
        else:
            assert min(retry_after, after_cap) <= delay <= max(cap, min(retry_after, after_cap))

    @given(seed=st.integers(0, 2**32))
    def test_retry_delay_seedable(self, seed):
        """Equal seeds give equal schedules."""
        policy = RetryPolicy()
        a = [retry_delay(policy, attempt=i, rng=random.Random(seed)) for i in range(6)]
        b = [retry_delay(policy, attempt=i, rng=random.Random(seed)) for i in range(6)]
        assert a == b

    @given(
        elapsed=st.floats(0, 1e5),
        predicted=st.none() | st.floats(0, 1e5),
        overdue=st.integers(0, 1000),
    )
    def test_poll_delay_never_busy(self, elapsed, predicted, overdue):
        """Every poll delay is within [min_interval, max_interval]."""
        policy = PollPolicy()
        delay = poll_delay(
            policy, elapsed=elapsed, predicted_total=predicted, overdue_polls=overdue
        )
        assert policy.min_interval <= delay <= policy.max_interval

    @given(overdue=st.integers(0, 50))
    def test_poll_delay_monotone_when_overdue(self, overdue):
        """Past the prediction, delays never shrink from one poll to the next."""
        policy = PollPolicy()
        a = poll_delay(policy, elapsed=2.0, predicted_total=1.0, overdue_polls=overdue)
        b = poll_delay(policy, elapsed=2.0, predicted_total=1.0, overdue_polls=overdue + 1)
        assert b >= a

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            pytest.param("3", 3.0, id="seconds"),
            pytest.param("-1", 0.0, id="negative"),
            pytest.param("Wed, 21 Oct 2015 07:28:00 GMT", 0.0, id="past-date"),
            pytest.param("nonsense", None, id="garbage"),
        ],
    )
    def test_parse_retry_after(self, value, expected):
        """Retry-After in seconds or as an HTTP date."""
        assert parse_retry_after(value) == expected

    def test_retryable_statuses(self):
        """409 only on GET; 4xx never."""
        assert is_retryable_status(409, "GET")
        assert not is_retryable_status(409, "POST")
        assert not is_retryable_status(400, "GET")
        assert all(is_retryable_status(s, "POST") for s in (429, 500, 502, 503, 520, 529))

    @pytest.mark.parametrize(
        "kwargs",
        [
            pytest.param({"base_delay": -1}, id="negative"),
            pytest.param({"multiplier": 0.5}, id="shrinking"),
        ],
    )
    def test_invalid_policy(self, kwargs):
        """Invalid policies are refused."""
        with pytest.raises(ConfigurationError):
            RetryPolicy(**kwargs)


@pytest.fixture(scope="module")
def emulator():
    """A real emulator over loopback HTTP (instant profile)."""
    from pennylane_qnative.emulator import running

    with running(seed=1) as url:
        yield url


def emulator_client(url: str, **kwargs) -> IonQClient:
    return IonQClient(api_key=SECRET, api_url=url + "/v0.4", seed=0, **kwargs)


def jobs_created(url: str) -> int:
    return httpx.get(url + "/_emulator/stats", headers=ADMIN).json()["jobs_created"]


class TestAgainstEmulator:
    """The client against the real emulator over loopback HTTP."""

    def test_single_and_multi_circuit_results(self, emulator):
        """Create, wait and fetch: Bell probabilities, multi-circuit in circuit order."""
        flip = Circuit(qubits=2, gates=({"gate": "x", "target": 1},))

        async def go():
            async with emulator_client(emulator) as client:
                out = []
                for circuits in ((BELL,), (flip, BELL, flip)):
                    request = JobRequest(backend="simulator", shots=10, circuits=circuits)
                    job = await client.wait_for_job((await client.create_job(request)).id)
                    out.append(await client.get_probabilities(job))
                return out

        single, multi = run(go())
        assert single == [pytest.approx({0: 0.5, 3: 0.5})]
        assert [sorted(p) for p in multi] == [[2], [0, 3], [2]]

    def test_find_job_by_client_id(self, emulator):
        """A created job is found by its client id; an unknown id is not."""

        async def go():
            async with emulator_client(emulator) as client:
                request = REQUEST.with_metadata(CLIENT_ID_KEY, "find-me")
                created = await client.create_job(request)
                found = await client.find_job("find-me")
                missing = await client.find_job("nobody")
                return created, found, missing

        created, found, missing = run(go())
        assert found is not None
        assert found.id == created.id
        assert missing is None

    def test_estimate_matches_rate_card(self, emulator):
        """GET /jobs/estimate agrees with the local pricing module."""
        from pennylane_qnative.ionq.pricing import GateCounts, estimate_cost

        async def go():
            async with emulator_client(emulator) as client:
                return await client.estimate(
                    backend="qpu.aria-1",
                    qubits=2,
                    shots=100_000,
                    one_qubit_gates=1,
                    two_qubit_gates=1,
                )

        remote = run(go())
        local = estimate_cost(
            backend="qpu.aria-1", shots=100_000, gate_counts=GateCounts(one_qubit=1, two_qubit=1)
        )
        assert remote.cost == pytest.approx(local)

    def test_wrong_key_is_authentication_error(self):
        """A key the emulator refuses maps to IonQAuthenticationError, key not shown."""
        from pennylane_qnative.emulator import running

        with (
            running(api_keys=["the-right-key"]) as url,
            pytest.raises(IonQAuthenticationError) as info,
        ):
            run(emulator_client(url).get_job("x"))
        assert info.value.status_code == 401
        assert SECRET not in str(info.value)

    def test_cancel(self):
        """A queued job is cancelled and then reported canceled."""
        from pennylane_qnative.emulator import LatencyModel, running

        async def go(url):
            async with emulator_client(url) as client:
                created = await client.create_job(REQUEST)
                status = await client.cancel_job(created.id)
                with pytest.raises(JobCancelledError):
                    await client.wait_for_job(created.id)
                return status

        with running(latency=LatencyModel(queue_s=60)) as url:
            assert run(go(url)) is JobStatus.CANCELED


class TestCreateExhaustion:
    """What create_job does when every attempt fails."""

    def test_last_ambiguous_failure_is_looked_up(self, sleeps):
        """Even after the last attempt, an ambiguous failure is looked up before raising."""
        fake = FakeIonQ()

        def create_then_503(request):
            fake.default("create", request)
            return httpx.Response(503)

        fake.script["create"] = [httpx.Response(503), create_then_503]
        fake.script["list"] = [httpx.Response(200, json={"jobs": [], "next": None})]
        client = make_client(fake, retry=RetryPolicy(max_retries=1, base_delay=0))
        assert run(client.create_job(REQUEST)).id == "job-0"
        assert (fake.count("create"), fake.count("list")) == (2, 2)

    def test_rate_limited_to_the_end(self, sleeps):
        """Only 429s: the rate-limit error is raised, no lookup (nothing was created)."""
        fake = FakeIonQ(create=[httpx.Response(429, headers={"Retry-After": "0"})] * 5)
        client = make_client(fake, retry=RetryPolicy(max_retries=2, base_delay=0))
        with pytest.raises(IonQRateLimitError):
            run(client.create_job(REQUEST))
        assert (fake.count("create"), fake.count("list"), len(sleeps)) == (3, 0, 2)


class TestCreateJobPayloads:
    """create_job takes a request or a payload built beforehand; it alone sets the client id."""

    def test_payload_dict_sent_with_client_id(self):
        """A payload dict is sent as it is, plus metadata['qnative_client_id'] = client_id."""
        fake = FakeIonQ()
        payload = {**REQUEST.to_payload(), "metadata": {"user": "me"}}
        before = {**payload, "metadata": dict(payload["metadata"])}
        run(make_client(fake).create_job(payload, client_id="abc"))
        (sent,) = [json.loads(r.content) for r in fake.requests if r.method == "POST"]
        assert sent == {**before, "metadata": {"user": "me", CLIENT_ID_KEY: "abc"}}
        assert payload == before  # the caller's payload is not modified

    @pytest.mark.parametrize(
        ("metadata", "client_id", "expected"),
        [
            pytest.param({CLIENT_ID_KEY: "old"}, "new", "new", id="argument-wins"),
            pytest.param({CLIENT_ID_KEY: "old"}, None, "old", id="existing-kept"),
        ],
    )
    def test_one_client_id(self, metadata, client_id, expected):
        """Exactly one client id is sent: the argument, else the one already in metadata."""
        fake = FakeIonQ()
        payload = {**REQUEST.to_payload(), "metadata": metadata}
        run(make_client(fake).create_job(payload, client_id=client_id))
        (sent,) = [json.loads(r.content) for r in fake.requests if r.method == "POST"]
        assert sent["metadata"] == {CLIENT_ID_KEY: expected}

    def test_request_and_its_payload_send_the_same_body(self):
        """A JobRequest and its to_payload() dict produce the same request body."""
        bodies = []
        for job in (REQUEST, REQUEST.to_payload()):
            fake = FakeIonQ()
            run(make_client(fake).create_job(job, client_id="same"))
            bodies.extend(json.loads(r.content) for r in fake.requests if r.method == "POST")
        assert bodies[0] == bodies[1]
        assert bodies[0]["metadata"] == {CLIENT_ID_KEY: "same"}

    def test_new_client_id_when_none(self):
        """Without any client id, a fresh one is generated per job."""
        fake = FakeIonQ()
        client = make_client(fake)
        for _ in range(2):
            run(client.create_job(REQUEST.to_payload()))
        ids = [json.loads(r.content)["metadata"][CLIENT_ID_KEY] for r in fake.requests]
        assert len(set(ids)) == 2
        assert all(ids)
