"""Exact, bounded, thread-safe caches for circuit results and compiled circuit structures.

Two levels:

* **results**, keyed by :func:`~pennylane_qnative.execution.keys.circuit_digest`: the
  SHA-256 of a canonical serialisation of the circuit (operations, wires, hyper-parameters,
  *every parameter at full float64/complex128 precision*, measurements, shots) plus a
  *context* mapping for whatever else changes the result (backend, gate set, noise model,
  seed, ...). Nothing is rounded: two circuits whose angles differ by 1e-12 get different
  keys. PennyLane's ``tape.hash`` is salted per process and rounds angles, so it is never
  used here. The key functions live in :mod:`pennylane_qnative.execution.keys` and are
  re-exported here.
* **compiled**, keyed by :attr:`Fingerprint.structure` (the circuit without its parameters):
  whatever a backend builds once per circuit *shape* (a translated template, a gate plan).

Both levels are LRU, bounded by entry count *and* by bytes, with an optional time-to-live,
and guarded by one lock (safe to share between threads).

**Finite-shot policy.** A finite-shot result is a random sample; handing the same sample back
for a repeated circuit silently correlates estimates (PennyLane warns on finite-shot cache hits
for that reason). By default (:attr:`ShotsPolicy.SKIP`) only analytic results are stored. Pass
``finite_shots="reuse"`` to store and reuse finite-shot results too: the right choice on paid
hardware, where repeating an identical circuit costs money and the user accepts reusing its
counts. Shots are part of the key in both cases.

**Example**

>>> import pennylane as qp
>>> from pennylane_qnative import QuantumCircuitCache
>>> cache = QuantumCircuitCache(max_entries=1000)
>>> tape = qp.tape.QuantumScript([qp.RX(0.3, 0)], [qp.expval(qp.Z(0))])
>>> key = cache.key(tape, context={"backend": "default.qubit"})
>>> cache.get(key) is None
True
>>> cache.put(key, 0.955)
>>> cache.get(key)
0.955
>>> cache.get_stats()["hits"]
1
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any, TypeVar

import numpy as np
from cachetools import LRUCache, TTLCache

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.execution.keys import (
    Fingerprint,
    Structure,
    circuit_digest,
    context_bytes,
    digest,
    fingerprint,
)

__all__ = [
    "Fingerprint",
    "QuantumCircuitCache",
    "ShotsPolicy",
    "Structure",
    "circuit_digest",
    "context_bytes",
    "copy_result",
    "fingerprint",
]

logger = logging.getLogger(__name__)
T = TypeVar("T")
_MISSING = object()


class ShotsPolicy(StrEnum):
    """What the result cache does with finite-shot results."""

    SKIP = "skip"
    """Store only analytic results (default): samples are never handed back twice."""
    REUSE = "reuse"
    """Store finite-shot results as well and return them for identical circuits."""


def _sizeof(value: Any) -> int:
    """Approximate bytes held by a cached result (arrays, scalars, dicts, nested tuples)."""
    if isinstance(value, np.ndarray):
        return 112 + value.nbytes
    if isinstance(value, tuple | list):
        return 56 + 8 * len(value) + sum(_sizeof(v) for v in value)
    if isinstance(value, dict):
        return 64 + sum(_sizeof(k) + _sizeof(v) for k, v in value.items())
    if isinstance(value, str):
        return 49 + len(value)
    return 32 + int(getattr(value, "nbytes", 0))  # e.g. a sparse distribution


def copy_result(value: Any) -> Any:
    """An independent copy, so neither the caller nor the cache can mutate the other's value."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return tuple(copy_result(v) for v in value)
    if isinstance(value, list):
        return [copy_result(v) for v in value]
    if isinstance(value, dict):
        return {k: copy_result(v) for k, v in value.items()}
    return value


class _EntryBounded:
    """Mixin adding an entry-count bound to a byte-bounded cachetools cache."""

    max_entries: int
    evictions: int

    def popitem(self):
        self.evictions += 1
        return super().popitem()

    def __setitem__(self, key, value, *args):
        super().__setitem__(key, value, *args)
        while len(self) > self.max_entries:
            self.popitem()


class _LRU(_EntryBounded, LRUCache):
    pass


class _TTL(_EntryBounded, TTLCache):
    pass


def _numeric(data: Any) -> bool:
    """Whether ``data`` is numeric JSON: finite numbers in lists and string-keyed objects."""
    if isinstance(data, bool):
        return False
    if isinstance(data, int | float):
        return math.isfinite(data)
    if isinstance(data, list):
        return all(_numeric(item) for item in data)
    if isinstance(data, dict):
        return all(isinstance(k, str) and _numeric(v) for k, v in data.items())
    return False


def _make_store(max_entries: int, max_bytes: int, ttl: float | None) -> LRUCache:
    size = _sizeof
    store = (
        _LRU(max_bytes, getsizeof=size)
        if ttl is None
        else _TTL(max_bytes, ttl, timer=time.monotonic, getsizeof=size)
    )
    store.max_entries = max_entries
    store.evictions = 0
    return store


def _check_positive(name: str, value: Any, *, integer: bool) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
    if integer:
        ok = ok and isinstance(value, int)
    if not ok or (isinstance(value, float) and not math.isfinite(value)):
        kind = "a positive integer" if integer else "a positive finite number"
        raise ConfigurationError(f"{name} must be {kind}, got {value!r}.")


class QuantumCircuitCache:
    """LRU cache of circuit results, exactly keyed, bounded by entries and bytes.

    Args:
        max_entries (int): most results kept (least recently used evicted first)
        max_bytes (int): most bytes of stored results (an estimate of their memory)
        ttl (float | None): seconds a result stays valid; ``None`` keeps results until evicted
        finite_shots (str | ShotsPolicy): ``"skip"`` (default) stores analytic results only;
            ``"reuse"`` also stores finite-shot results (see the module notes)
        compiled_max_entries (int): most compiled structures kept
        store (ResultStore | None): a persistent layer: results missing in memory are looked
            up there, and new results are written through to it
        codec (tuple[Callable, Callable] | None): ``(encode, decode)`` between results and
            JSON values, required with ``store``

    Raises:
        ConfigurationError: for a non-positive bound or an unknown policy

    **Example**

    >>> import pennylane as qp
    >>> dev = qp.device("qnative.simulator", wires=1)
    >>> @qp.qnode(dev)
    ... def circuit(x):
    ...     qp.RX(x, 0)
    ...     return qp.expval(qp.Z(0))
    >>> _ = circuit(0.1), circuit(0.1)
    >>> dev.cache_stats()["hits"]
    1
    """

    def __init__(
        self,
        *,
        max_entries: int = 10_000,
        max_bytes: int = 64 * 2**20,
        ttl: float | None = None,
        finite_shots: str | ShotsPolicy = ShotsPolicy.SKIP,
        compiled_max_entries: int = 1_024,
        store: Any = None,
        codec: tuple[Callable[[Any], Any], Callable[[Any], Any]] | None = None,
    ) -> None:
        _check_positive("max_entries", max_entries, integer=True)
        _check_positive("max_bytes", max_bytes, integer=True)
        _check_positive("compiled_max_entries", compiled_max_entries, integer=True)
        if ttl is not None:
            _check_positive("ttl", ttl, integer=False)
        try:
            self.finite_shots = ShotsPolicy(finite_shots)
        except ValueError:
            allowed = ", ".join(repr(p.value) for p in ShotsPolicy)
            raise ConfigurationError(
                f"finite_shots must be one of {allowed}, got {finite_shots!r}."
            ) from None
        if store is not None and codec is None:
            raise ConfigurationError("a persistent store needs codec=(encode, decode).")
        self.store, self._codec = store, codec
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.ttl = ttl
        self._lock = threading.Lock()
        self._results = _make_store(max_entries, max_bytes, ttl)
        self._compiled = _make_store(compiled_max_entries, 2**62, None)
        self._counts = dict.fromkeys(
            ("hits", "misses", "persistent_hits", "compiled_hits", "compiled_misses"), 0
        )

    def __getstate__(self) -> dict[str, Any]:
        """Everything but the lock: a copied or unpickled cache holds the same results."""
        with self._lock:
            return {k: v for k, v in vars(self).items() if k != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)
        self._lock = threading.Lock()

    @classmethod
    def from_option(
        cls, option: Any, build: Callable[[], QuantumCircuitCache]
    ) -> QuantumCircuitCache | None:
        """A device's ``cache=`` option: ``True`` -> ``build()``, ``False``/``None`` -> no
        cache, a cache -> that cache (shared).

        Raises:
            ConfigurationError: for anything else
        """
        if isinstance(option, cls):
            return option
        if option is True:
            return build()
        if option is False or option is None:
            return None
        raise ConfigurationError(
            f"cache must be True, False or a QuantumCircuitCache, got {option!r}."
        )

    def __repr__(self) -> str:
        return (
            f"QuantumCircuitCache(entries={len(self._results)}/{self.max_entries}, "
            f"bytes={self._results.currsize}/{self.max_bytes}, ttl={self.ttl}, "
            f"finite_shots={self.finite_shots.value!r})"
        )

    def __len__(self) -> int:
        return len(self._results)

    def key(self, tape: Any, context: Mapping[str, Any] | None = None) -> str | None:
        """The result key of ``tape`` under ``context``, or ``None`` if it must not be cached.

        ``None`` is returned for circuits :func:`fingerprint` cannot key and, under the
        ``"skip"`` policy, for finite-shot circuits.
        """
        fp = fingerprint(tape)
        return self.key_for(fp, context_bytes(context))

    def key_for(self, fp: Fingerprint | None, context: bytes = b"") -> str | None:
        """Like :meth:`key` for a precomputed fingerprint and serialised context."""
        if fp is None or (not fp.analytic and self.finite_shots is ShotsPolicy.SKIP):
            return None
        return digest(fp, context)

    def get(self, key: str | None, default: Any = None) -> Any:
        """The cached result for ``key`` (a copy), or ``default``; counts a hit or a miss."""
        if key is None:
            return default
        with self._lock:
            value = self._results.get(key, _MISSING)
            if value is not _MISSING:
                self._counts["hits"] += 1
                return copy_result(value)
        value = self._from_store(key)
        with self._lock:
            if value is _MISSING:
                self._counts["misses"] += 1
                return default
            self._counts["hits"] += 1
            self._counts["persistent_hits"] += 1
            if _sizeof(value) <= self.max_bytes:
                self._results[key] = value
        return copy_result(value)

    def _from_store(self, key: str) -> Any:
        """The persistent layer's result for ``key``, decoded and validated, or ``_MISSING``.

        A stored value is accepted only if it is numeric data (finite numbers in lists and
        string-keyed objects), the codec decodes it, and encoding the decoded result gives the
        stored value back; anything else is a logged miss, dropped (and rewritten when the
        result is computed again), never a wrong result.
        """
        if self.store is None:
            return _MISSING
        data = self.store.get(key)
        if data is None:
            return _MISSING
        encode, decode = self._codec
        try:
            value = decode(data) if _numeric(data) else _MISSING
            valid = value is not _MISSING and encode(value) == data
        except Exception:  # a corrupt row may break a decoder any way it can
            valid = False
        if valid:
            return value
        logger.warning(
            "invalid result %s in %s (not what the codec writes): a miss, rewritten later",
            key[:16],
            getattr(self.store, "path", self.store),
        )
        self.store.discard(key)
        return _MISSING

    def put(self, key: str | None, result: Any) -> None:
        """Store a copy of ``result`` under ``key`` (ignored when ``key`` is ``None``).

        A result larger than ``max_bytes`` on its own is not stored.
        """
        self.put_many([(key, result)])

    def put_many(self, items: Iterable[tuple[str | None, Any]]) -> None:
        """Store copies of several results; the persistent layer writes them in one
        transaction (all or none survive a crash). Pairs whose key is ``None`` are ignored."""
        values = [(key, copy_result(result)) for key, result in items if key is not None]
        if self.store is not None and values:
            encode = self._codec[0]
            self.store.put_many([(key, encode(value)) for key, value in values])
        with self._lock:
            for key, value in values:
                if _sizeof(value) <= self.max_bytes:
                    self._results[key] = value

    def compiled(self, structure: Hashable, build: Callable[[], T]) -> T:
        """The compiled object for a circuit ``structure``, built once by ``build()``.

        ``build`` runs outside the lock; when two threads race on a new structure both build
        and the first stored wins, which is harmless for pure builders.
        """
        with self._lock:
            value = self._compiled.get(structure, _MISSING)
            self._counts["compiled_hits" if value is not _MISSING else "compiled_misses"] += 1
        if value is not _MISSING:
            return value
        value = build()
        with self._lock:
            return self._compiled.setdefault(structure, value)

    def prewarm(
        self,
        circuits: Iterable[Any],
        execute: Callable[[Sequence[Any]], Sequence[Any]],
        *,
        context: Mapping[str, Any] | None = None,
    ) -> int:
        """Execute the circuits that are not cached yet, in one batch, and store their results.

        Args:
            circuits (Iterable[QuantumScript]): circuits to have ready
            execute (Callable): runs a batch of circuits and returns their results in order
                (for instance a device's ``execute``)
            context (Mapping[str, Any] | None): the context the keys are made with

        Returns:
            int: how many results were added
        """
        ctx = context_bytes(context)
        todo: dict[str, Any] = {}
        for tape in circuits:
            key = self.key_for(fingerprint(tape), ctx)
            with self._lock:
                cached = key is None or key in self._results
            if not cached:
                todo.setdefault(key, tape)
        if todo:
            for key, result in zip(todo, execute(list(todo.values())), strict=True):
                self.put(key, result)
        return len(todo)

    def get_stats(self) -> dict[str, Any]:
        """Hit and miss counts, hit rate, sizes, bytes and evictions of both levels."""
        with self._lock:
            counts = dict(self._counts)
            lookups = counts["hits"] + counts["misses"]
            return {
                **counts,
                "hit_rate": counts["hits"] / lookups if lookups else 0.0,
                "entries": len(self._results),
                "max_entries": self.max_entries,
                "bytes": int(self._results.currsize),
                "max_bytes": self.max_bytes,
                "evictions": self._results.evictions,
                "compiled_entries": len(self._compiled),
                "finite_shots": self.finite_shots.value,
            }

    def clear(self) -> None:
        """Drop every stored result and compiled structure and reset the counters."""
        with self._lock:
            self._results.clear()
            self._compiled.clear()
            self._results.evictions = self._compiled.evictions = 0
            self._counts = dict.fromkeys(self._counts, 0)
