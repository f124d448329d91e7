"""The configurations ``qnative benchmark`` measures, in one registry.

Every row of the table is a :class:`Configuration`: who it stands for (:class:`Group`), where it
runs (:class:`Platform`: a local simulator, or the IonQ emulator on a latency profile), which
runner trains it (:class:`Runner`) and with which options, and how many steps are measured
before the rest is extrapolated (``measure_steps``; ``None`` trains all of them). Adding a
policy to the table is one :func:`register` call in this module, for example::

    register(
        Configuration(
            name="qnative.ionq + SPSA, 300 shots",
            group=Group.QNATIVE,
            platform=Platform.CLOUD,
            runner=Runner.QNATIVE,
            options={"device": "qnative.ionq", "gradient": "spsa"},
            shots=300,
        )
    )

(The runner passes ``options`` it does not know to the device as keywords.) :data:`PLANNED`
lists the rows the specification asks for that do not exist yet; the generated document shows
them as not measured.

**Example**

>>> [c.name for c in selected(quick=True)][:2]
['v3.2 loop, default.qubit + parameter shift', 'v3.2 loop, ionq.simulator + parameter shift']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from pennylane_qnative.exceptions import ConfigurationError

__all__ = [
    "CONFIGURATIONS",
    "PLANNED",
    "QUICK",
    "REFERENCE",
    "Configuration",
    "Group",
    "Platform",
    "Runner",
    "Workload",
    "register",
    "selected",
]


class Group(StrEnum):
    """Whose way of training a configuration stands for."""

    V32 = "v3.2 baseline"
    PENNYLANE = "PennyLane"
    QNATIVE = "qnative"


class Platform(StrEnum):
    """Where a configuration runs; rows are compared with rows of the same platform."""

    SIMULATOR = "simulator"
    """A local simulator in the worker process (exact expectation values)."""
    CLOUD = "cloud-simulator"
    """IonQ's cloud simulator: the emulator on its ``cloud-simulator`` profile."""
    QPU = "qpu"
    """A queued QPU: the emulator on its ``qpu`` profile, delays scaled down (see harness)."""


class Runner(StrEnum):
    """The training loops of :mod:`pennylane_qnative.benchmark.runners`."""

    V32 = "v32"
    """Per-sample loop, parameter shift, plain gradient step (the v3.2 trainer)."""
    PENNYLANE = "pennylane"
    """One broadcast QNode call per batch, PennyLane's gradient, Adam."""
    QNATIVE = "qnative"
    """:class:`~.QuantumTrainer` on our devices (the gradient inside the device), Adam."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Configuration:
    """One row of the benchmark table.

    Args:
        name (str): the row's name (unique)
        group (Group): whose way of training it is
        platform (Platform): where it runs
        runner (Runner): the training loop
        options (Mapping): the runner's options (``device``, ``diff_method``, ``gradient``, ...)
        shots (int | str | None): shots per circuit (``None``: exact; ``"adaptive"``: the
            trainer's adaptive policy, :mod:`pennylane_qnative.training.shots`)
        measure_steps (int | None): steps measured, the rest extrapolated; ``None``: all
        quick (bool): part of ``--quick``
    """

    name: str
    group: Group
    platform: Platform
    runner: Runner
    options: Mapping[str, Any] = field(default_factory=dict)
    shots: int | str | None = None
    measure_steps: int | None = None
    quick: bool = False

    def __post_init__(self) -> None:
        for attribute, kind in (("group", Group), ("platform", Platform), ("runner", Runner)):
            try:
                object.__setattr__(self, attribute, kind(getattr(self, attribute)))
            except ValueError:
                allowed = [str(k) for k in kind]
                raise ConfigurationError(
                    f"Configuration.{attribute} must be one of {allowed}, "
                    f"got {getattr(self, attribute)!r}."
                ) from None
        if self.measure_steps is not None and self.measure_steps < 1:
            raise ConfigurationError(
                f"Configuration.measure_steps must be None or >= 1, got {self.measure_steps!r}."
            )
        if self.shots is not None and self.shots != "adaptive" and self.shots < 1:
            raise ConfigurationError(f"Configuration.shots must be None or >= 1, got {self.shots}.")
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))


@dataclass(frozen=True, kw_only=True, slots=True)
class Workload:
    """The training every configuration runs (the specification's reference workload).

    Args:
        n_train (int): training samples
        n_test (int): held-out samples the accuracy is measured on
        epochs (int): passes over the training samples
        batch_size (int): samples per step
        learning_rate (float): Adam's (and the v3.2 loop's plain step's) learning rate
        seed (int): seed of the data split, the model's initial weights and the batch order
    """

    n_train: int = 100
    n_test: int = 200
    epochs: int = 5
    batch_size: int = 10
    learning_rate: float = 0.1
    seed: int = 0
    n_qubits: int = 8
    depth: int = 2

    def __post_init__(self) -> None:
        for name in ("n_train", "n_test", "epochs", "batch_size", "n_qubits", "depth"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigurationError(
                    f"Workload.{name} must be a positive integer, got {value!r}."
                )

    @property
    def steps_per_epoch(self) -> int:
        """Optimisation steps in one epoch (the last batch may be smaller)."""
        return -(-self.n_train // self.batch_size)

    @property
    def steps(self) -> int:
        """Optimisation steps of the whole training."""
        return self.steps_per_epoch * self.epochs


REFERENCE = Workload()
"""The specification's workload: 100 samples, 8 features and qubits, depth 2, 5 epochs, 10."""
QUICK = Workload(n_train=40, n_test=50, epochs=1)
"""``--quick``: 4 steps, 50 test samples."""

_REGISTRY: dict[str, Configuration] = {}
CONFIGURATIONS: Mapping[str, Configuration] = MappingProxyType(_REGISTRY)
"""Every registered configuration, by name, in table order."""

PLANNED: tuple[str, ...] = ()
"""Rows the specification asks for that cannot be measured yet."""


def register(configuration: Configuration) -> Configuration:
    """Add ``configuration`` to the table (after the rows registered before it).

    Raises:
        ConfigurationError: if a configuration of that name exists
    """
    if configuration.name in _REGISTRY:
        raise ConfigurationError(
            f"a benchmark configuration named {configuration.name!r} is already registered."
        )
    _REGISTRY[configuration.name] = configuration
    return configuration


def selected(*, quick: bool = False, names: tuple[str, ...] = ()) -> list[Configuration]:
    """The configurations of a run: ``names`` (substrings of names), else all or the quick ones.

    Raises:
        ConfigurationError: if a name matches no configuration
    """
    if names:
        chosen = []
        for name in names:
            matches = [c for c in _REGISTRY.values() if name.lower() in c.name.lower()]
            if not matches:
                raise ConfigurationError(
                    f"no benchmark configuration matches {name!r}; the names are {list(_REGISTRY)}."
                )
            chosen += [c for c in matches if c not in chosen]
        return [c for c in _REGISTRY.values() if c in chosen]
    return [c for c in _REGISTRY.values() if c.quick or not quick]


def _spsa(seed_key: str = "spsa_seed") -> dict[str, Any]:
    return {"diff_method": "spsa", seed_key: 0}


_V32, _PL, _QN = Group.V32, Group.PENNYLANE, Group.QNATIVE
_SIM, _CLOUD, _QPU = Platform.SIMULATOR, Platform.CLOUD, Platform.QPU
_TABLE = (
    # the v3.2-style baseline
    Configuration(name="v3.2 loop, default.qubit + parameter shift", group=_V32, platform=_SIM,
                  runner=Runner.V32, options={"device": "default.qubit"}, quick=True),
    Configuration(name="v3.2 loop, ionq.simulator + parameter shift", group=_V32,
                  platform=_CLOUD, runner=Runner.V32, options={"device": "ionq.simulator"},
                  shots=1000, measure_steps=2, quick=True),
    # PennyLane's best plain options
    Configuration(name="PL default.qubit, broadcast + spsa_grad", group=_PL, platform=_SIM,
                  runner=Runner.PENNYLANE, options={"device": "default.qubit", **_spsa()},
                  quick=True),
    Configuration(name="PL default.qubit, broadcast + backprop", group=_PL, platform=_SIM,
                  runner=Runner.PENNYLANE,
                  options={"device": "default.qubit", "diff_method": "backprop"}, quick=True),
    Configuration(name="PL lightning.qubit + adjoint", group=_PL, platform=_SIM,
                  runner=Runner.PENNYLANE,
                  options={"device": "lightning.qubit", "diff_method": "adjoint"}),
    Configuration(name="pennylane-ionq ionq.simulator + parameter shift", group=_PL,
                  platform=_CLOUD, runner=Runner.PENNYLANE,
                  options={"device": "ionq.simulator", "diff_method": "parameter-shift"},
                  shots=1000, measure_steps=3, quick=True),
    Configuration(name="pennylane-ionq ionq.simulator + spsa_grad", group=_PL, platform=_CLOUD,
                  runner=Runner.PENNYLANE, options={"device": "ionq.simulator", **_spsa()},
                  shots=1000, measure_steps=5),
    Configuration(name="pennylane-ionq ionq.qpu + spsa_grad", group=_PL, platform=_QPU,
                  runner=Runner.PENNYLANE,
                  options={"device": "ionq.qpu", "backend": "aria-1", **_spsa()},
                  shots=100, measure_steps=2),
    # qnative
    Configuration(name="qnative.simulator + SPSA", group=_QN, platform=_SIM,
                  runner=Runner.QNATIVE, options={"device": "qnative.simulator",
                                                  "gradient": "spsa"}, quick=True),
    Configuration(name="qnative.simulator + adaptive", group=_QN, platform=_SIM,
                  runner=Runner.QNATIVE,
                  options={"device": "qnative.simulator", "gradient": "adaptive"}),
    Configuration(name="qnative.ionq + SPSA", group=_QN, platform=_CLOUD, runner=Runner.QNATIVE,
                  options={"device": "qnative.ionq", "gradient": "spsa"}, shots=1000,
                  quick=True),
    Configuration(name="qnative.ionq + adaptive", group=_QN, platform=_CLOUD,
                  runner=Runner.QNATIVE, options={"device": "qnative.ionq",
                                                  "gradient": "adaptive"}, shots=1000),
    Configuration(name="qnative.ionq + SPSA, adaptive shots", group=_QN, platform=_CLOUD,
                  runner=Runner.QNATIVE, options={"device": "qnative.ionq", "gradient": "spsa"},
                  shots="adaptive"),
    Configuration(name="qnative.ionq + SPSA, no session", group=_QN, platform=_QPU,
                  runner=Runner.QNATIVE, options={"device": "qnative.ionq", "gradient": "spsa"},
                  shots=100, measure_steps=2),
    Configuration(name="qnative.ionq + SPSA, session=True", group=_QN, platform=_QPU,
                  runner=Runner.QNATIVE,
                  options={"device": "qnative.ionq", "gradient": "spsa", "session": True},
                  shots=100, quick=True),
    Configuration(name="qnative.ionq + SPSA, adaptive shots, session=True", group=_QN,
                  platform=_QPU, runner=Runner.QNATIVE,
                  options={"device": "qnative.ionq", "gradient": "spsa", "session": True},
                  shots="adaptive"),
)  # fmt: skip
for _configuration in _TABLE:
    register(_configuration)
