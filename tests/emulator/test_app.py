"""Protocol tests of auth, backends, whoami, errors, faults and admin (emulator.app)."""

from __future__ import annotations

import logging

import httpx
import pytest

from pennylane_qnative.emulator import running

BELL = [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}]
JOB = {
    "type": "ionq.circuit.v1",
    "backend": "simulator",
    "input": {"qubits": 2, "gateset": "qis", "circuit": BELL},
}


class TestAuth:
    """Authorization: apiKey <key>."""

    @pytest.mark.parametrize(
        "headers",
        [
            pytest.param({}, id="missing"),
            pytest.param({"Authorization": "apiKey"}, id="empty"),
            pytest.param({"Authorization": "Bearer good"}, id="wrong-scheme"),
            pytest.param({"Authorization": "apiKey bad"}, id="wrong-key"),
        ],
    )
    def test_rejected(self, headers):
        """Missing or wrong keys get 401 with IonQ's error body."""
        with running(api_keys=["good"]) as url:
            response = httpx.get(f"{url}/v0.4/jobs", headers=headers)
        assert response.status_code == 401
        body = response.json()
        assert body["statusCode"] == 401
        assert body["error"] == "Unauthorized Error"
        assert "bad" not in body["message"]

    @pytest.mark.parametrize("key", ["good", "other"])
    def test_accepted_keys(self, key):
        """Each configured key is accepted."""
        with running(api_keys=["good", "other"]) as url:
            response = httpx.get(f"{url}/v0.4/jobs", headers={"Authorization": f"apiKey {key}"})
        assert response.status_code == 200

    def test_keys_from_environment(self, monkeypatch):
        """QNATIVE_EMULATOR_KEYS (comma-separated) is read when api_keys is None."""
        monkeypatch.setenv("QNATIVE_EMULATOR_KEYS", "k1, k2")
        with running() as url:
            ok = httpx.get(f"{url}/v0.4/whoami", headers={"Authorization": "apiKey k2"})
            bad = httpx.get(f"{url}/v0.4/whoami", headers={"Authorization": "apiKey k3"})
        assert ok.status_code == 200
        assert bad.status_code == 401

    def test_any_key_when_none_configured(self, api):
        """With no configured key, any non-empty key works."""
        assert api.get("/whoami").status_code == 200

    def test_backends_are_open(self, emulator_url):
        """GET /backends needs no key."""
        assert httpx.get(f"{emulator_url}/v0.4/backends").status_code == 200

    def test_key_never_logged(self, caplog):
        """Neither successful nor refused requests log the key."""
        secret = "super-secret-key-123"
        with caplog.at_level(logging.DEBUG), running(api_keys=[secret]) as url:
            headers = {"Authorization": f"apiKey {secret}"}
            httpx.post(f"{url}/v0.4/jobs", json=JOB, headers=headers)
            httpx.get(f"{url}/v0.4/jobs", headers={"Authorization": "apiKey wrong-secret"})
        assert secret not in caplog.text
        assert "wrong-secret" not in caplog.text


class TestCatalogue:
    """Backends, characterizations and whoami."""

    def test_backends_list(self, api):
        """A JSON array with simulator, aria and forte."""
        backends = {b["backend"]: b for b in api.get("/backends").json()}
        assert backends["simulator"]["qubits"] == 29
        assert backends["qpu.aria-1"]["qubits"] == 25
        assert backends["qpu.forte-1"]["qubits"] == 36

    def test_one_backend_and_404(self, api):
        """GET /backends/{name}; unknown names are 404."""
        assert api.get("/backends/qpu.aria-1").json()["backend"] == "qpu.aria-1"
        assert api.get("/backends/qpu.nope").status_code == 404

    def test_characterizations(self, api):
        """QPUs have one characterization with connectivity; the simulator none."""
        page = api.get("/backends/qpu.aria-1/characterizations", params={"limit": 1}).json()
        (char,) = page["characterizations"]
        assert [0, 1] in char["connectivity"]
        one = api.get(f"/backends/qpu.aria-1/characterizations/{char['id']}").json()
        assert one == char
        sim = api.get("/backends/simulator/characterizations").json()
        assert sim == {"characterizations": [], "pages": 0}
        assert api.get("/backends/qpu.aria-1/characterizations/nope").status_code == 404

    def test_whoami(self, api):
        """whoami gives key_id, key_name, project_id and never the key."""
        body = api.get("/whoami").json()
        assert set(body) == {"key_id", "key_name", "project_id"}
        assert "test-key" not in str(body)


class TestErrors:
    """Error bodies for routing errors."""

    @pytest.mark.parametrize(
        ("method", "path", "status"),
        [
            pytest.param("GET", "/nowhere", 404, id="unknown-path"),
            pytest.param("PATCH", "/jobs", 405, id="bad-method"),
        ],
    )
    def test_json_error_bodies(self, api, method, path, status):
        """Routing errors also use {error, message, statusCode}."""
        response = api.request(method, path)
        assert response.status_code == status
        assert response.json()["statusCode"] == status

    def test_root_prefix(self):
        """With root='/ionq' the API lives at /ionq/v0.4 and results URLs include it."""
        with running(root="/ionq", api_keys=()) as url:
            assert url.endswith("/ionq")
            headers = {"Authorization": "apiKey k"}
            job_id = httpx.post(f"{url}/v0.4/jobs", json=JOB, headers=headers).json()["id"]
            job = httpx.get(f"{url}/v0.4/jobs/{job_id}", headers=headers).json()
        assert job["results"]["probabilities"]["url"].startswith("/ionq/v0.4/jobs/")


class TestFaults:
    """Faults set through the admin endpoint."""

    def test_rate_limit_burst_with_retry_after(self, api, admin):
        """429 with Retry-After, for rate_limit_burst consecutive requests."""
        admin.put("/faults", json={"rate_limit_rate": 1.0, "rate_limit_burst": 3})
        first = api.get("/backends")
        assert first.status_code == 429
        assert first.headers["Retry-After"] == "1"
        assert first.json()["statusCode"] == 429
        admin.put("/faults", json={"rate_limit_rate": 0.0})
        statuses = [api.get("/backends").status_code for _ in range(3)]
        assert statuses == [429, 429, 200]

    @pytest.mark.parametrize("code", [500, 502, 503, 520])
    def test_5xx_json(self, api, admin, code):
        """5xx faults carry the JSON error body."""
        admin.put("/faults", json={"error_rate": 1.0, "error_codes": [code]})
        response = api.get("/jobs")
        assert response.status_code == code
        assert response.json()["statusCode"] == code

    def test_5xx_non_json(self, api, admin):
        """non_json_rate=1 gives an HTML body, as Cloudflare does."""
        admin.put("/faults", json={"error_rate": 1.0, "error_codes": [502], "non_json_rate": 1})
        response = api.get("/jobs")
        assert response.status_code == 502
        assert response.headers["Content-Type"].startswith("text/html")
        with pytest.raises(ValueError, match="Expecting value"):
            response.json()

    def test_connection_reset(self, api, admin):
        """reset_rate=1 drops the connection before any response."""
        admin.put("/faults", json={"reset_rate": 1.0})
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            api.get("/jobs")
        assert admin.get("/stats").json()["faults_injected"]["reset"] == 1

    def test_slow_response_still_succeeds(self, api, admin):
        """slow_rate delays but serves the request."""
        admin.put("/faults", json={"slow_rate": 1.0, "slow_s": 0.05})
        assert api.get("/backends").status_code == 200
        assert admin.get("/stats").json()["faults_injected"] == {"slow": 1}

    def test_methods_filter_protects_post(self, api, admin):
        """Faults limited to GET never hit job creation."""
        admin.put("/faults", json={"error_rate": 1.0, "methods": ["GET"]})
        assert api.post("/jobs", json=JOB).status_code == 201
        assert api.get("/jobs").status_code >= 500

    def test_same_seed_same_faults(self):
        """Two emulators with the same seed inject the same faults."""
        faults = {"error_rate": 0.5}
        runs = []
        for _ in range(2):
            with running(seed=9, faults=faults, api_keys=()) as url:
                runs.append([httpx.get(f"{url}/v0.4/backends").status_code for _ in range(20)])
        assert runs[0] == runs[1]
        assert {200} < set(runs[0])


class TestAdmin:
    """The admin endpoints."""

    def test_faults_roundtrip(self, admin):
        """GET shows the config; PUT changes it; bad values are 400."""
        assert admin.get("/faults").json()["error_rate"] == 0.0
        assert admin.put("/faults", json={"error_rate": 0.25}).json()["error_rate"] == 0.25
        assert admin.put("/faults", json={"error_rate": 2}).status_code == 400
        assert admin.put("/faults", json={"nope": 1}).status_code == 400
        assert admin.put("/faults", json=[1]).status_code == 400

    def test_stats_count_jobs(self, api, admin):
        """jobs_created counts top-level jobs; submissions counts accepted POSTs."""
        for _ in range(3):
            api.post("/jobs", json=JOB)
        stats = admin.get("/stats").json()
        assert stats["jobs_created"] == 3
        assert stats["submissions"] == 3
        assert stats["duplicate_payloads"] == 2

    def test_reset(self, api, admin):
        """reset restores startup faults and zeroes counters, keeping jobs."""
        api.post("/jobs", json=JOB)
        admin.put("/faults", json={"error_rate": 1.0})
        stats = admin.post("/reset").json()
        assert stats["submissions"] == 0
        assert stats["jobs_created"] == 1
        assert admin.get("/faults").json()["error_rate"] == 0.0

    def test_admin_needs_no_key_and_has_no_faults(self, admin):
        """Admin endpoints are open and never hit by faults."""
        admin.put("/faults", json={"error_rate": 1.0, "reset_rate": 1.0})
        assert admin.get("/stats").status_code == 200
