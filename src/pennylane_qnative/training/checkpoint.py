"""Checkpoints: one JSON document per run, written atomically and privately.

A checkpoint holds everything needed to continue a run exactly: parameters, optimiser state,
gradient-method state (SPSA iteration, adaptive history), the random generator's state, the
data order of the current epoch, the position in it, and the history so far. Floats are
written with Python's shortest round-trip representation, so parameters come back bit for bit.
No pickle: a checkpoint is plain JSON that any tool can read.

**Example**

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "run" / "checkpoint.json"
>>> save_checkpoint(path, {"step": 3, "parameters": [0.1, 0.2]})
>>> load_checkpoint(path)["step"]
3
>>> oct(path.stat().st_mode & 0o777)
'0o600'
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from pennylane_qnative._files import private_dir
from pennylane_qnative.exceptions import CheckpointError, ConfigurationError

__all__ = [
    "CHECKPOINT_VERSION",
    "TRAINER_KEYS",
    "checked_optimizer",
    "data_fingerprint",
    "device_identity",
    "load_checkpoint",
    "mismatches",
    "reading",
    "remove_partial_writes",
    "save_checkpoint",
]

CHECKPOINT_VERSION = 1


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically (temporary file + ``os.replace``), mode 0600.

    A crash during the write leaves the previous checkpoint intact. The directory is created
    with mode 0700 if missing.
    """
    path = Path(path)
    private_dir(path.parent)
    document = json.dumps({"version": CHECKPOINT_VERSION, **state}, allow_nan=False)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:  # mkstemp creates it 0600
            handle.write(document)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_partial_writes(path: str | os.PathLike) -> int:
    """Delete the temporary files a killed :func:`save_checkpoint` left next to ``path``.

    Call it only when no other process writes this checkpoint (when resuming a dead run).
    Returns the number of files removed.
    """
    path = Path(path)
    removed = 0
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
        removed += 1
    return removed


def load_checkpoint(path: str | os.PathLike, *, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """Read and validate a checkpoint written by :func:`save_checkpoint`.

    Every key the trainer writes that is present must have its type; ``required`` names
    the keys that must be there (the trainer's :data:`TRAINER_KEYS`).

    Raises:
        ConfigurationError: when the file is missing
        CheckpointError: when it is unreadable, from another version, or malformed (a
            missing key, a wrong type), naming the file and what is wrong
    """
    path = Path(path)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(
            f"no checkpoint at {path}; start without resume=True or point to the run's "
            "output directory."
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"checkpoint {path} is unreadable ({error}); {_FIX}") from None
    if not isinstance(state, dict):
        raise CheckpointError(
            f"checkpoint {path} holds a JSON {type(state).__name__}, not an object; {_FIX}"
        )
    if state.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(
            f"checkpoint {path} has version {state.get('version')!r}; this release reads "
            f"version {CHECKPOINT_VERSION}; {_FIX}"
        )
    problem = _problem(state, required)
    if problem is not None:
        raise CheckpointError(f"checkpoint {path} is malformed: {problem}; {_FIX}")
    return state


_FIX = "delete it (or use another output_dir) to start a new run"


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_numbers(value: Any) -> bool:
    """A (nested) list of finite numbers of a rectangular shape."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return isinstance(value, list) and bool(np.all(np.isfinite(array)))


_KEYS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "config": (lambda v: isinstance(v, dict), "an object"),
    "epoch": (_is_count, "an int >= 0"),
    "batch_in_epoch": (_is_count, "an int >= 0"),
    "step": (_is_count, "an int >= 0"),
    "parameters": (_is_numbers, "a list of finite numbers"),
    "optimizer": (lambda v: isinstance(v, dict) and isinstance(v.get("type"), str), "an object"),
    "gradient": (lambda v: v is None or isinstance(v, dict), "null or an object"),
    "tracker": (
        lambda v: (
            isinstance(v, dict)
            and isinstance(v.get("rows"), list)
            and all(isinstance(r, dict) for r in v["rows"])
            and isinstance(v.get("evaluations"), list)
            and all(isinstance(e, dict) for e in v["evaluations"])
        ),
        "an object with lists of objects 'rows' and 'evaluations'",
    ),
}
_OPTIONAL: dict[str, tuple[Callable[[Any], bool], str]] = {
    "data_seed": (lambda v: v is None or _is_count(v), "null or an int >= 0"),
    "run_id": (lambda v: v is None or isinstance(v, str), "null or a string"),
    "data": (lambda v: v is None or isinstance(v, dict), "null or an object"),
    "device": (lambda v: v is None or isinstance(v, dict), "null or an object"),
}


TRAINER_KEYS = tuple(_KEYS)
"""The keys every trainer checkpoint holds."""


def _problem(state: dict[str, Any], required: tuple[str, ...]) -> str | None:
    """What is wrong with a checkpoint document (``None``: nothing)."""
    missing = [k for k in required if k not in state]
    if missing:
        return f"missing {', '.join(map(repr, missing))}"
    for key, (check, expected) in (*_KEYS.items(), *_OPTIONAL.items()):
        if key in state and not check(state[key]):
            return f"{key!r} must be {expected}, got {_short(state[key])}"
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def data_fingerprint(X: Any, y: Any) -> dict[str, Any]:
    """What identifies a training set: sample count, shapes and the SHA-256 of its bytes.

    >>> data_fingerprint([[0.0, 1.0]], [1])["shape"]
    [1, 2]
    """
    X, y = np.ascontiguousarray(X), np.ascontiguousarray(y)
    digest = hashlib.sha256()
    for array in (X, y):
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        # object arrays hold pointers: hash their values' text instead
        digest.update(repr(array.tolist()).encode() if array.dtype.hasobject else array.tobytes())
    return {"samples": len(X), "shape": list(X.shape), "sha256": digest.hexdigest()}


def device_identity(device: Any) -> dict[str, Any]:
    """The device's name and what changes its results (its public ``cache_context`` on our
    devices), in canonical JSON form; the service URL is not part of it."""
    context = getattr(device, "cache_context", None)
    identity = dict(context) if isinstance(context, dict) else {}
    identity.pop("service", None)
    identity["name"] = str(getattr(device, "name", type(device).__name__))
    return json.loads(json.dumps(identity, sort_keys=True, default=str))


def mismatches(saved: dict[str, Any] | None, current: dict[str, Any]) -> list[str]:
    """``"key: saved -> current"`` for every entry that differs (``saved=None``: none)."""
    if saved is None:
        return []
    keys = sorted(set(saved) | set(current))
    return [
        f"{k}: {_short(saved.get(k))} -> {_short(current.get(k))}"
        for k in keys
        if saved.get(k) != current.get(k)
    ]


@contextlib.contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn what a malformed checkpoint raises while it is applied into a CheckpointError."""
    try:
        yield
    except CheckpointError:
        raise
    except (AttributeError, KeyError, IndexError, TypeError, ValueError) as error:
        raise CheckpointError(
            f"checkpoint {path} is malformed ({type(error).__name__}: {error}); delete it (or "
            "use another output_dir) to start a new run."
        ) from None


def checked_optimizer(data: dict[str, Any], model: Any) -> Any:
    """The optimiser state of a checkpoint, its arrays shaped like the parameters."""
    from pennylane_qnative.training.optimizers import state_from_dict

    opt_state = state_from_dict(data)
    shape = np.shape(model.quantum_layer.parameters)
    for name, value in zip(opt_state._fields, opt_state, strict=True):
        if isinstance(value, np.ndarray) and value.ndim and value.shape != shape:
            raise ValueError(f"optimizer state {name!r} has shape {value.shape}, not {shape}")
    return opt_state
