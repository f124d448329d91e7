"""Run a workload in a child process that SIGKILLs itself at a named point: kill -9 on cue.

The workloads are real: a :class:`~pennylane_qnative.QuantumTrainer` on ``qnative.ionq``
(``fit(..., resume=True)``, checkpoints in the scenario's folder) or one ``qnative.ionq``
batch of several jobs, both against an emulator reached over loopback HTTP. Nothing in the
package knows about the kill: the child replaces one function (``module:Qualified.name``) by a
wrapper that counts its calls and, at the ``nth`` one, sends ``SIGKILL`` to its own process
``before`` or ``after`` calling the original. A point that is never reached lets the workload
finish (the caller sees exit status 0, not ``-SIGKILL``).

Two ways to run it:

* ``python kill_points.py run SPEC_JSON``: one cold process (for a look by hand);
* ``python kill_points.py serve``: a fork server. It imports PennyLane and the package once,
  then reads one JSON spec per line on stdin, forks a child per spec (a new process: nothing
  but the imported modules is shared, no thread runs at fork time) and answers one JSON line
  ``{"pid", "status"}`` per spec, ``status`` being the child's exit status or ``-signal``.
  Each kill and each resume is then a fresh process without 3 s of imports.

A spec: ``{"workload": "train" | "execute", "url": emulator root URL, "dir": a folder,
"kill": null | {"target", "when", "nth"}, "count": [targets], "shots": int | null}``.
A child writes ``result.json`` (``execute``) and, when ``count`` is given, ``counts.json`` (the
calls each target received) into ``dir``; its stdout and stderr go to ``dir/child.log``.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

KEY = "kill-points-key"


def resolve(target: str) -> tuple[Any, str]:
    """``"pkg.module:Class.method"`` -> (the object holding the attribute, its name)."""
    module_name, _, qualname = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *path, name = qualname.split(".")
    for part in path:
        owner = getattr(owner, part)
    return owner, name


def _wrap(original: Any, on_call: Any) -> Any:
    if _is_async(original):

        @functools.wraps(original)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            on_call("before")
            result = await original(*args, **kwargs)
            on_call("after")
            return result

        return async_wrapper

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        on_call("before")
        result = original(*args, **kwargs)
        on_call("after")
        return result

    return wrapper


def _is_async(function: Any) -> bool:
    return inspect.iscoroutinefunction(function)


def install(kill: dict[str, Any] | None, count: list[str], counts: dict[str, int]) -> None:
    """Patch the kill target and the counted targets in this process."""
    targets = set(count) | ({kill["target"]} if kill else set())
    for target in targets:
        owner, name = resolve(target)
        original = getattr(owner, name)
        counts[target] = 0

        def on_call(when: str, target: str = target) -> None:
            if when == "before":
                counts[target] += 1
            due = kill and kill["target"] == target and counts[target] == kill["nth"]
            if due and kill["when"] == when:
                os.kill(os.getpid(), signal.SIGKILL)

        setattr(owner, name, _wrap(original, on_call))


def training_data() -> tuple[Any, Any]:
    """Ten 2-feature samples with binary labels (fixed)."""
    import numpy as np

    rng = np.random.default_rng(5)
    X = rng.uniform(0, np.pi, (10, 2))
    return X, (X[:, 0] > X[:, 1]).astype(int)


def train(spec: dict[str, Any]) -> None:
    """A tiny training on ``qnative.ionq``: 4 steps of 15 circuits, 4 jobs a step."""
    from pennylane_qnative import QuantumModel, QuantumTrainer, TrainingConfig

    folder = Path(spec["dir"])
    config = TrainingConfig(
        n_qubits=2,
        circuit_depth=1,
        epochs=2,
        batch_size=5,
        gradient_method="spsa",
        seed=11,
        shots_per_circuit=spec.get("shots"),
    )
    trainer = QuantumTrainer(
        config,
        "qnative.ionq",
        output_dir=folder / "run",
        progress=False,
        device_kwargs={
            "api_url": spec["url"] + "/v0.4",
            "api_key": KEY,
            "journal_path": folder / "journal.sqlite",
            "cache_path": folder / "results.sqlite",
            "max_circuits_per_job": 4,
            "retry_delay": 0.01,
        },
    )
    X, y = training_data()
    trainer.fit(QuantumModel.from_config(config), X, y, resume=True)


def execute(spec: dict[str, Any]) -> None:
    """One broadcast QNode call on ``qnative.ionq``: 12 circuits in 4 jobs of 3."""
    import numpy as np
    import pennylane as qp

    folder = Path(spec["dir"])
    dev = qp.device(
        "qnative.ionq",
        wires=3,
        api_url=spec["url"] + "/v0.4",
        api_key=KEY,
        journal_path=folder / "journal.sqlite",
        cache=False,
        max_circuits_per_job=3,
        retry_delay=0.01,
    )

    @qp.qnode(dev, diff_method=None)
    def circuit(x):
        qp.RX(x, 0)
        qp.RY(2 * x, 1)
        qp.CNOT([0, 1])
        qp.CRX(x / 3, [1, 2])
        return qp.expval(qp.Z(0) @ qp.Z(2)), qp.probs(wires=[1, 2])

    expval, probs = circuit(np.linspace(0.1, 2.9, 12))
    result = {"expval": np.asarray(expval).tolist(), "probs": np.asarray(probs).tolist()}
    (folder / "result.json").write_text(json.dumps(result), encoding="utf-8")


WORKLOADS = {"train": train, "execute": execute}


def child(spec: dict[str, Any]) -> int:
    """Run one spec in this process; returns the exit status."""
    folder = Path(spec["dir"])
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    try:
        install(spec.get("kill"), list(spec.get("count") or ()), counts)
        WORKLOADS[spec["workload"]](spec)
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        if spec.get("count"):
            (folder / "counts.json").write_text(json.dumps(counts), encoding="utf-8")
    return 0


def serve() -> None:
    """The fork server: a child per spec line on stdin, one status line per child."""
    import pennylane  # noqa: F401  (the imports every child would otherwise pay for)

    import pennylane_qnative  # noqa: F401

    for line in sys.stdin:
        spec = json.loads(line)
        pid = os.fork()
        if pid == 0:  # the child: its own output file, then the workload
            folder = Path(spec["dir"])
            folder.mkdir(parents=True, exist_ok=True)
            log = os.open(folder / "child.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.dup2(log, 1)
            os.dup2(log, 2)
            status = 1
            try:
                status = child(spec)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        _, code = os.waitpid(pid, 0)
        status = -os.WTERMSIG(code) if os.WIFSIGNALED(code) else os.WEXITSTATUS(code)
        print(json.dumps({"pid": pid, "status": status}), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve()
    elif sys.argv[1:2] == ["run"]:
        sys.exit(child(json.loads(sys.argv[2])))
    else:
        sys.exit("usage: kill_points.py serve | run SPEC_JSON")
