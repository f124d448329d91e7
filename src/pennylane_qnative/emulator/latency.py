"""The emulator's latency model: how long a job waits and runs, per profile.

A job's whole timeline is planned when it is created; its status is derived from the clock at
read time, so nothing runs in the background and no job can get stuck:

.. code-block:: text

    submitted --validation_s--> ready --queue_s--> started --execution--> completed | failed

A job of an IonQ *session* that already holds the backend skips the queue: it starts when
the session's previous job ends (``hold_until``), or as soon as it is validated if the backend
is idle. Only the session's first job waits ``queue_s``.

Execution takes ``exec_per_circuit_s + shots * exec_per_shot_s`` per circuit (the ideal
``simulator`` ignores shots); the circuits of a multi-circuit job run one after another. The
predicted fields of the job (``predicted_wait_time_ms``, ``predicted_execution_duration_ms``)
report exactly this plan.

**Example**

>>> from pennylane_qnative.emulator.latency import LatencyModel, Profile, plan
>>> timeline = plan(LatencyModel.for_profile(Profile.INSTANT), now=10.0, shots=[100, 100])
>>> timeline.completed_at
10.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from pennylane_qnative.exceptions import ConfigurationError

__all__ = ["LatencyModel", "Profile", "Timeline", "plan"]


class Profile(StrEnum):
    """Named latency profiles of the emulator."""

    INSTANT = "instant"
    """Jobs complete as soon as they are created (unit tests)."""
    CLOUD_SIMULATOR = "cloud-simulator"
    """About 1 s of queue and a few ms of execution per circuit (benchmarks)."""
    QPU = "qpu"
    """Tens of seconds of queue and about 1 ms per shot (hardware-like)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class LatencyModel:
    """Delays (seconds) applied to every job.

    Args:
        validation_s (float): ``submitted`` -> ``ready``
        queue_s (float): ``ready`` -> ``started``
        exec_per_circuit_s (float): fixed execution time of each circuit
        exec_per_shot_s (float): execution time of each shot (not on the ideal simulator)

    Raises:
        ConfigurationError: if a delay is negative
    """

    validation_s: float = 0.0
    queue_s: float = 0.0
    exec_per_circuit_s: float = 0.0
    exec_per_shot_s: float = 0.0

    def __post_init__(self) -> None:
        for name in ("validation_s", "queue_s", "exec_per_circuit_s", "exec_per_shot_s"):
            if getattr(self, name) < 0:
                raise ConfigurationError(
                    f"LatencyModel.{name} must be >= 0 seconds, got {getattr(self, name)!r}."
                )

    @classmethod
    def for_profile(cls, profile: Profile | str, **overrides: float | None) -> LatencyModel:
        """The model of a named profile, with any non-``None`` override applied.

        Args:
            profile (Profile | str): ``instant``, ``cloud-simulator`` or ``qpu``
            **overrides (float | None): field values replacing the profile's

        Returns:
            LatencyModel: the model
        """
        base = _PROFILES[Profile(profile)]
        return replace(base, **{k: v for k, v in overrides.items() if v is not None})


_PROFILES = {
    Profile.INSTANT: LatencyModel(),
    Profile.CLOUD_SIMULATOR: LatencyModel(
        validation_s=0.05, queue_s=1.0, exec_per_circuit_s=0.005, exec_per_shot_s=0.0
    ),
    Profile.QPU: LatencyModel(
        validation_s=0.5, queue_s=30.0, exec_per_circuit_s=0.2, exec_per_shot_s=0.001
    ),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Timeline:
    """The planned timestamps (seconds since the epoch) of a job and of each of its circuits.

    Args:
        submitted_at (float): creation time
        ready_at (float): end of validation
        started_at (float): end of queueing
        completed_at (float): end of the last circuit
        circuit_windows (tuple[tuple[float, float], ...]): ``(start, end)`` of each circuit
    """

    submitted_at: float
    ready_at: float
    started_at: float
    completed_at: float
    circuit_windows: tuple[tuple[float, float], ...]

    @property
    def predicted_wait_ms(self) -> int:
        """Milliseconds from submission to start."""
        return round((self.started_at - self.submitted_at) * 1000)

    @property
    def predicted_execution_ms(self) -> int:
        """Milliseconds from start to completion."""
        return round((self.completed_at - self.started_at) * 1000)


def plan(
    model: LatencyModel,
    *,
    now: float,
    shots: Sequence[int],
    charge_shots: bool = True,
    hold_until: float | None = None,
) -> Timeline:
    """Plan a job's timeline.

    Args:
        model (LatencyModel): the delays
        now (float): submission time, seconds since the epoch
        shots (Sequence[int]): shots of each circuit, in circuit order
        charge_shots (bool): whether shots take time (``False`` on the ideal simulator)
        hold_until (float | None): the job runs in a session that holds the backend until
            then (its previous job's end): no queue, it starts at the later of its validation
            and that instant

    Returns:
        Timeline: the planned timestamps
    """
    ready = now + model.validation_s
    started = ready + model.queue_s if hold_until is None else max(ready, hold_until)
    windows = []
    cursor = started
    for n in shots:
        duration = model.exec_per_circuit_s + (n * model.exec_per_shot_s if charge_shots else 0.0)
        windows.append((cursor, cursor + duration))
        cursor += duration
    return Timeline(
        submitted_at=now,
        ready_at=ready,
        started_at=started,
        completed_at=cursor,
        circuit_windows=tuple(windows),
    )
