"""What our devices share about their result cache: ``cache_stats`` and ``clear_cache``."""

from __future__ import annotations

from typing import Any

from pennylane_qnative.execution.cache import QuantumCircuitCache

__all__ = ["ResultCacheMethods"]


class ResultCacheMethods:
    """``cache_stats`` and ``clear_cache`` of a device whose result cache is ``self.cache``.

    **Example**

    >>> import pennylane as qp
    >>> dev = qp.device("qnative.simulator", wires=1)
    >>> dev.cache_stats()["hits"], dev.clear_cache()
    (0, None)
    """

    cache: QuantumCircuitCache | None

    def cache_stats(self) -> dict[str, Any]:
        """Statistics of the result cache (:meth:`QuantumCircuitCache.get_stats`); empty when
        the cache is disabled."""
        return {} if self.cache is None else self.cache.get_stats()

    def clear_cache(self) -> None:
        """Drop every result held in memory (a persistent layer keeps what was paid for); a
        no-op when the cache is disabled."""
        if self.cache is not None:
            self.cache.clear()
