"""Fixtures of the emulator tests: a live emulator on loopback and an authenticated client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pennylane_qnative.emulator import running

KEY = "test-key"
HEADERS = {"Authorization": f"apiKey {KEY}"}


@pytest.fixture
def emulator_url() -> Iterator[str]:
    """A fresh instant-profile emulator (any non-empty key accepted)."""
    with running(profile="instant", seed=1234, api_keys=()) as url:
        yield url


@pytest.fixture
def api(emulator_url: str) -> Iterator[httpx.Client]:
    """An httpx client on ``<url>/v0.4`` with a valid key."""
    with httpx.Client(base_url=f"{emulator_url}/v0.4", headers=HEADERS, timeout=10) as client:
        yield client


@pytest.fixture
def admin(emulator_url: str) -> Iterator[httpx.Client]:
    """An httpx client on the admin endpoints ``<url>/_emulator``."""
    with httpx.Client(base_url=f"{emulator_url}/_emulator", timeout=10) as client:
        yield client
