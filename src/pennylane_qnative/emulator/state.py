"""The live state of one emulator, shared by its request handlers (``app[STATE]``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from pennylane_qnative.emulator.config import EmulatorConfig
from pennylane_qnative.emulator.faults import FaultInjector
from pennylane_qnative.emulator.job_store import JobStore

__all__ = ["STATE", "EmulatorState"]


class EmulatorState:
    """The live state of one emulator: configuration, store, faults and counters.

    Args:
        config (EmulatorConfig): the configuration
    """

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.store = JobStore(config.db)
        self.faults = FaultInjector(config.faults, seed=config.seed)
        self.submissions = 0
        self._next_seq = self.store.next_seq()

    @property
    def prefix(self) -> str:
        """The host-relative path of the API (``/v0.4`` under the root)."""
        return f"{self.config.root}/v0.4"

    def allocate_seq(self) -> int:
        """The next job sequence number (called on the event-loop thread only)."""
        seq, self._next_seq = self._next_seq, self._next_seq + 1
        return seq

    def key_accepted(self, key: str) -> bool:
        """Whether ``key`` may use the API (any non-empty key when none is configured)."""
        return bool(key) and (not self.config.api_keys or key in self.config.api_keys)

    def stats(self) -> dict[str, Any]:
        """The admin statistics (persistent counts plus this process's counters)."""
        return self.store.counts() | {
            "submissions": self.submissions,
            "requests": self.faults.requests,
            "faults_injected": dict(self.faults.injected),
            "profile": str(self.config.profile),
            "seed": self.config.seed,
        }

    def reset(self) -> None:
        """Restore the startup faults and zero this process's counters (jobs are kept)."""
        self.faults = FaultInjector(self.config.faults, seed=self.config.seed)
        self.submissions = 0


STATE = web.AppKey("state", EmulatorState)
