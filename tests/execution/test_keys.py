"""Tests for :mod:`pennylane_qnative.execution.keys` (exact circuit keys).

The key functions' behaviour is tested in ``test_cache.py`` through the names
:mod:`pennylane_qnative.execution.cache` re-exports; these tests cover the split itself.
"""

from __future__ import annotations

import pennylane as qp
import pytest

from pennylane_qnative.execution import cache, keys

QS = qp.tape.QuantumScript


class TestReExports:
    """``execution.cache`` keeps exporting the key names, as the same objects."""

    @pytest.mark.parametrize(
        "name", ["Fingerprint", "Structure", "circuit_digest", "context_bytes", "fingerprint"]
    )
    def test_same_object(self, name):
        """Each key name in ``cache`` is the one defined in ``keys``."""
        assert getattr(cache, name) is getattr(keys, name)
        assert name in cache.__all__


class TestDigest:
    """``digest`` of a fingerprint and context."""

    def test_matches_circuit_digest(self):
        """``digest(fingerprint(t), context_bytes(c))`` is ``circuit_digest(t, c)``."""
        tape = QS([qp.RX(0.5, 0), qp.CNOT([0, 1])], [qp.expval(qp.Z(1))])
        context = {"backend": "default.qubit", "seed": 7}
        expected = keys.circuit_digest(tape, context)
        assert keys.digest(keys.fingerprint(tape), keys.context_bytes(context)) == expected

    def test_context_changes_the_key(self):
        """The same circuit under two contexts has two keys."""
        fp = keys.fingerprint(QS([qp.RX(0.5, 0)], [qp.expval(qp.Z(0))]))
        assert keys.digest(fp, keys.context_bytes({"seed": 1})) != keys.digest(fp, b"")
