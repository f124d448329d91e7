"""Tests for :mod:`pennylane_qnative.execution.cache`."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import OrderedDict
from types import SimpleNamespace

import numpy as np
import pennylane as qp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.execution import cache as cache_module
from pennylane_qnative.execution.cache import (
    Fingerprint,
    QuantumCircuitCache,
    ShotsPolicy,
    circuit_digest,
    copy_result,
    fingerprint,
)

QS = qp.tape.QuantumScript
HYPOTHESIS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _bell(*extra, measurements=None, shots=None):
    ops = [qp.Hadamard(0), qp.CNOT([0, 1]), *extra]
    return QS(ops, measurements or [qp.expval(qp.Z(0))], shots=shots)


def _tape(x=0.5, *, wires=(0, 1), shots=None, obs=None, gate=qp.RX):
    return QS(
        [gate(x, wires[0]), qp.CNOT(list(wires))],
        [qp.expval(obs if obs is not None else qp.Z(wires[1]))],
        shots=shots,
    )


class _Clock:
    """A hand-driven stand-in for ``time.monotonic``."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """Make TTL caches built in the test read a clock the test advances by hand."""
    fake = _Clock()
    monkeypatch.setattr(cache_module, "time", SimpleNamespace(monotonic=fake))
    return fake


class TestFingerprint:
    """The structure/parameter split of a circuit."""

    def test_structure_hashes_and_compares_like_its_tuple(self):
        structure = fingerprint(_tape(0.1)).structure
        assert isinstance(structure, cache_module.Structure)
        plain = tuple(structure)
        assert structure == plain
        assert hash(structure) == hash(plain) == hash(structure)  # cached, same value
        assert repr(structure) == repr(plain)  # the digest serialises the repr

    def test_scalar_circuits_carry_their_parameter_row(self):
        fp = fingerprint(_tape(0.25))
        assert fp.scalar
        np.testing.assert_array_equal(fp.values, [0.25])
        assert fp.parameters == fp.values.tobytes()
        broadcast = fingerprint(_tape(np.array([0.1, 0.2])))
        assert not broadcast.scalar
        assert broadcast.values is None

    def test_parameters_read_in_one_pass_match_tape_data(self):
        """Gate and observable parameters, in tape.data order."""
        obs = qp.Hamiltonian([0.5, -0.25], [qp.Z(0), qp.X(1)])
        tape = QS([qp.RX(0.1, 0), qp.Rot(0.2, 0.3, 0.4, 1)], [qp.expval(obs)])
        np.testing.assert_array_equal(fingerprint(tape).values, tape.data)

    def test_array_positions_disambiguate_the_encoding(self):
        """Same numbers, arrays in different places: different keys."""
        a = QS([qp.RX(np.array([0.1, 0.2]), 0), qp.RY(0.3, 0)], [qp.expval(qp.Z(0))])
        b = QS([qp.RX(0.1, 0), qp.RY(np.array([0.2, 0.3]), 0)], [qp.expval(qp.Z(0))])
        assert fingerprint(a).parameters != fingerprint(b).parameters

    def test_structure_excludes_parameters(self):
        """Circuits differing only in parameters share a structure, not parameter bytes."""
        a, b = fingerprint(_tape(0.1)), fingerprint(_tape(0.2))
        assert a.structure == b.structure
        assert a.parameters != b.parameters

    def test_analytic_flag(self):
        """A circuit without shots is analytic, one with shots is not."""
        assert fingerprint(_tape()).analytic is True
        assert fingerprint(_tape(shots=100)).analytic is False

    def test_is_frozen(self):
        """Fingerprints are immutable values."""
        fp = fingerprint(_tape())
        assert isinstance(fp, Fingerprint)
        with pytest.raises(AttributeError):
            fp.structure = "x"

    @staticmethod
    def _autograd_box(x):
        from autograd.tracer import new_box

        return new_box(qp.numpy.array(x, requires_grad=True), 0, None)

    @staticmethod
    def _jax_array(x):
        import jax

        return jax.numpy.array(x)

    @pytest.mark.parametrize("make", ["_autograd_box", "_jax_array"], ids=["autograd", "jax"])
    def test_framework_parameters_cannot_be_keyed(self, make):
        """An autograd box or a JAX array parameter gives ``None``."""
        value = getattr(self, make)(0.3)
        assert fingerprint(_tape(value)) is None
        assert circuit_digest(_tape(value)) is None

    def test_plain_pennylane_tensor_is_keyed(self):
        """A PennyLane NumPy tensor outside differentiation is a NumPy array: keyed exactly."""
        value = qp.numpy.array(0.3, requires_grad=False)
        assert circuit_digest(_tape(value)) is not None
        assert circuit_digest(_tape(value)) != circuit_digest(_tape(0.3 + 1e-12))

    def test_autograd_box_inside_qnode_cannot_be_keyed(self):
        """Parameters seen while autograd differentiates are not keyed."""
        seen = []

        def spy(tape):
            seen.append(circuit_digest(tape))
            return _tape(0.0)

        def cost(x):
            tape = _tape(x)
            spy(tape)
            return x * 1.0

        qp.grad(cost)(qp.numpy.array(0.3, requires_grad=True))
        assert seen == [None]

    def test_jax_tracer_cannot_be_keyed(self):
        """Parameters traced by ``jax.jit`` are not keyed."""
        import jax

        seen = []

        @jax.jit
        def f(x):
            seen.append(circuit_digest(_tape(x)))
            return x

        f(0.3)
        assert seen == [None]

    def test_mid_circuit_measurements_cannot_be_keyed(self):
        """Circuits with mid-circuit measurements or conditionals give ``None``."""

        def qfunc():
            m = qp.measure(0)
            qp.cond(m, qp.RX)(0.3, 1)
            return qp.expval(qp.Z(1))

        tape = qp.tape.make_qscript(qfunc)()
        assert fingerprint(tape) is None
        assert circuit_digest(tape) is None

    def test_measurement_of_mid_circuit_value_cannot_be_keyed(self):
        """Statistics of a mid-circuit measurement value give ``None``."""

        def qfunc():
            m = qp.measure(0)
            return qp.expval(m)

        assert fingerprint(qp.tape.make_qscript(qfunc)()) is None


def _digest_pairs():
    """Pairs of circuits that must get different keys: one change each."""
    h = qp.Hermitian(np.diag([1.0, -1.0]), 0)
    return [
        pytest.param(_tape(0.5), _tape(0.5 + 1e-12), id="parameter-1e-12"),
        pytest.param(_tape(0.5), _tape(-0.5), id="parameter-sign"),
        pytest.param(_tape(wires=(0, 1)), _tape(wires=(1, 0)), id="wires-order"),
        pytest.param(_tape(wires=(0, 1)), _tape(wires=(0, 2)), id="wire-label"),
        pytest.param(_tape(wires=(0, 1)), _tape(wires=("0", 1)), id="wire-label-type"),
        pytest.param(_tape(shots=None), _tape(shots=100), id="shots-analytic-vs-finite"),
        pytest.param(_tape(shots=100), _tape(shots=101), id="shots-count"),
        pytest.param(_tape(shots=(100, 200)), _tape(shots=(200, 100)), id="shot-vector-order"),
        pytest.param(_tape(shots=300), _tape(shots=(100, 200)), id="shot-vector-vs-total"),
        pytest.param(_tape(gate=qp.RX), _tape(gate=qp.RY), id="gate"),
        pytest.param(_tape(obs=qp.Z(1)), _tape(obs=qp.X(1)), id="observable"),
        pytest.param(_tape(obs=qp.Z(1)), _tape(obs=qp.Z(0)), id="observable-wire"),
        pytest.param(_tape(obs=0.5 * qp.Z(1)), _tape(obs=0.6 * qp.Z(1)), id="observable-scalar"),
        pytest.param(
            _tape(obs=qp.Hamiltonian([0.5, 0.2], [qp.Z(0), qp.X(1)])),
            _tape(obs=qp.Hamiltonian([0.5, 0.3], [qp.Z(0), qp.X(1)])),
            id="hamiltonian-coefficient",
        ),
        pytest.param(_tape(obs=qp.Z(0) @ qp.Z(1)), _tape(obs=qp.Z(0) + qp.Z(1)), id="prod-vs-sum"),
        pytest.param(
            _tape(obs=h),
            _tape(obs=qp.Hermitian(np.diag([1.0, 1.0]), 0)),
            id="hermitian-matrix",
        ),
        pytest.param(
            _bell(measurements=[qp.expval(qp.Z(0))]),
            _bell(measurements=[qp.var(qp.Z(0))]),
            id="expval-vs-var",
        ),
        pytest.param(
            _bell(measurements=[qp.probs(wires=[0, 1])]),
            _bell(measurements=[qp.probs(wires=[1, 0])]),
            id="probs-wire-order",
        ),
        pytest.param(
            _bell(measurements=[qp.probs(op=qp.X(0))]),
            _bell(measurements=[qp.probs(op=qp.Y(0))]),
            id="probs-op",
        ),
        pytest.param(
            _bell(measurements=[qp.state()]),
            _bell(measurements=[qp.density_matrix([0, 1])]),
            id="state-vs-density-matrix",
        ),
        pytest.param(
            _bell(measurements=[qp.expval(qp.Z(0)), qp.expval(qp.Z(1))]),
            _bell(measurements=[qp.expval(qp.Z(1)), qp.expval(qp.Z(0))]),
            id="measurement-order",
        ),
        pytest.param(
            _bell(measurements=[qp.sample(wires=0)], shots=10),
            _bell(measurements=[qp.sample(qp.Z(0))], shots=10),
            id="sample-wires-vs-observable",
        ),
        pytest.param(
            _bell(measurements=[qp.counts(wires=[0, 1])], shots=10),
            _bell(measurements=[qp.counts(wires=[0, 1], all_outcomes=True)], shots=10),
            id="counts-all-outcomes",
        ),
        pytest.param(
            _bell(measurements=[qp.vn_entropy(wires=0)]),
            _bell(measurements=[qp.vn_entropy(wires=0, log_base=2)]),
            id="vn-entropy-log-base",
        ),
        pytest.param(
            _bell(qp.Hadamard(2), measurements=[qp.mutual_info([0], [1, 2])]),
            _bell(qp.Hadamard(2), measurements=[qp.mutual_info([0, 1], [2])]),
            id="mutual-info-partition",
        ),
        pytest.param(
            _bell(measurements=[qp.classical_shadow(wires=[0, 1], seed=1)], shots=10),
            _bell(measurements=[qp.classical_shadow(wires=[0, 1], seed=2)], shots=10),
            id="classical-shadow-seed",
        ),
        pytest.param(
            QS([qp.PauliRot(0.1, "XY", [0, 1])], [qp.expval(qp.Z(0))]),
            QS([qp.PauliRot(0.1, "YX", [0, 1])], [qp.expval(qp.Z(0))]),
            id="hyperparameter-pauli-word",
        ),
        pytest.param(
            QS([qp.ctrl(qp.RX(0.1, 0), 1)], [qp.expval(qp.Z(0))]),
            QS([qp.ctrl(qp.RX(0.1, 0), 1, control_values=[0])], [qp.expval(qp.Z(0))]),
            id="hyperparameter-control-values",
        ),
        pytest.param(
            QS([qp.S(0)], [qp.expval(qp.X(0))]),
            QS([qp.adjoint(qp.S(0))], [qp.expval(qp.X(0))]),
            id="adjoint",
        ),
        pytest.param(
            QS([qp.QubitUnitary(np.eye(2), 0)], [qp.expval(qp.Z(0))]),
            QS([qp.QubitUnitary(np.diag([1.0, 1j]), 0)], [qp.expval(qp.Z(0))]),
            id="unitary-matrix",
        ),
        pytest.param(
            QS([qp.RX(0.1, 0), qp.RY(0.2, 0)], [qp.expval(qp.Z(0))]),
            QS([qp.RY(0.2, 0), qp.RX(0.1, 0)], [qp.expval(qp.Z(0))]),
            id="gate-order",
        ),
        pytest.param(
            QS([qp.Rot(0.1, 0.2, 0.3, 0)], [qp.expval(qp.Z(0))]),
            QS([qp.Rot(0.1, 0.3, 0.2, 0)], [qp.expval(qp.Z(0))]),
            id="parameter-order",
        ),
    ]


class TestCircuitDigest:
    """Exact, stable result keys."""

    @pytest.mark.parametrize(("a", "b"), _digest_pairs())
    def test_any_change_changes_the_key(self, a, b):
        """Circuits that can give different results never share a key."""
        assert circuit_digest(a) != circuit_digest(b)

    @pytest.mark.parametrize(
        ("ctx_a", "ctx_b"),
        [
            pytest.param(None, {"backend": "default.qubit"}, id="none-vs-some"),
            pytest.param({"backend": "a"}, {"backend": "b"}, id="value"),
            pytest.param({"seed": 1}, {"seed": 2}, id="seed"),
            pytest.param({"seed": 1}, {"seed": True}, id="int-vs-bool"),
            pytest.param({"noise": 0.01}, {"noise": 0.01 + 1e-15}, id="float-exact"),
            pytest.param({"a": 1}, {"b": 1}, id="key-name"),
            pytest.param({"gates": ("RX", "RY")}, {"gates": ("RY", "RX")}, id="tuple-order"),
        ],
    )
    def test_context_changes_the_key(self, ctx_a, ctx_b):
        """Anything in the context that differs gives another key."""
        assert circuit_digest(_tape(), ctx_a) != circuit_digest(_tape(), ctx_b)

    def test_context_order_does_not_matter(self):
        """The context is a mapping: insertion order is irrelevant."""
        a = circuit_digest(_tape(), {"backend": "x", "seed": 3})
        assert a == circuit_digest(_tape(), {"seed": 3, "backend": "x"})

    def test_equal_circuits_built_separately(self):
        """Two equal circuits built independently share a key."""
        a = QS(
            [qp.Rot(0.1, 0.2, 0.3, 0), qp.CNOT([0, 1]), qp.QubitUnitary(np.eye(2), 1)],
            [qp.expval(qp.Hamiltonian([0.5], [qp.Z(0) @ qp.X(1)])), qp.probs(wires=[1])],
            shots=None,
        )
        b = QS(
            [qp.Rot(0.1, 0.2, 0.3, 0), qp.CNOT([0, 1]), qp.QubitUnitary(np.eye(2), 1)],
            [qp.expval(qp.Hamiltonian([0.5], [qp.Z(0) @ qp.X(1)])), qp.probs(wires=[1])],
        )
        assert circuit_digest(a) == circuit_digest(b)
        assert len(circuit_digest(a)) == 64
        int(circuit_digest(a), 16)  # hex

    def test_numpy_scalars_equal_python_floats(self):
        """A NumPy float64 parameter keys like the equal Python float."""
        assert circuit_digest(_tape(np.float64(0.25))) == circuit_digest(_tape(0.25))

    @given(x=st.floats(-10, 10, allow_nan=False), eps=st.sampled_from([1e-12, 1e-15, 2e-16]))
    @HYPOTHESIS
    def test_nearby_parameters_never_collide(self, x, eps):
        """Distinct float64 angles always get distinct keys (nothing is rounded)."""
        y = x + eps * max(1.0, abs(x))
        if y == x:
            return
        assert circuit_digest(_tape(x)) != circuit_digest(_tape(y))

    def test_stable_across_processes(self):
        """The key is the same in a fresh interpreter (no salted ``hash``)."""
        code = (
            "import json, numpy as np, pennylane as qp\n"
            "from pennylane_qnative.execution.cache import circuit_digest\n"
            "t = qp.tape.QuantumScript([qp.RX(0.5, 0), qp.CNOT([0, 1]),"
            " qp.PauliRot(0.2, 'XY', [0, 1]), qp.QubitUnitary(np.diag([1, 1j]), 1)],"
            " [qp.expval(qp.Hermitian(np.diag([1.0, -1.0]), 0)), qp.probs(wires=[1])],"
            " shots=(100, 200))\n"
            "print(json.dumps(circuit_digest(t, {'backend': 'default.qubit', 'seed': 7})))\n"
        )
        tape = QS(
            [
                qp.RX(0.5, 0),
                qp.CNOT([0, 1]),
                qp.PauliRot(0.2, "XY", [0, 1]),
                qp.QubitUnitary(np.diag([1, 1j]), 1),
            ],
            [qp.expval(qp.Hermitian(np.diag([1.0, -1.0]), 0)), qp.probs(wires=[1])],
            shots=(100, 200),
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        other = json.loads(out.stdout.strip().splitlines()[-1])
        assert other == circuit_digest(tape, {"backend": "default.qubit", "seed": 7})


class TestConstruction:
    """Option validation."""

    @pytest.mark.parametrize(
        ("kwargs", "name"),
        [
            pytest.param({"max_entries": 0}, "max_entries", id="entries-zero"),
            pytest.param({"max_entries": 1.5}, "max_entries", id="entries-float"),
            pytest.param({"max_entries": True}, "max_entries", id="entries-bool"),
            pytest.param({"max_bytes": -1}, "max_bytes", id="bytes-negative"),
            pytest.param({"compiled_max_entries": 0}, "compiled_max_entries", id="compiled"),
            pytest.param({"ttl": 0}, "ttl", id="ttl-zero"),
            pytest.param({"ttl": float("inf")}, "ttl", id="ttl-inf"),
            pytest.param({"ttl": float("nan")}, "ttl", id="ttl-nan"),
            pytest.param({"finite_shots": "sometimes"}, "finite_shots", id="policy"),
        ],
    )
    def test_bad_options(self, kwargs, name):
        """A bad option raises a ConfigurationError naming the field and the value."""
        with pytest.raises(ConfigurationError, match=name) as info:
            QuantumCircuitCache(**kwargs)
        assert repr(next(iter(kwargs.values()))) in str(info.value)
        assert isinstance(info.value, ValueError)

    def test_policy_accepts_enum_and_string(self):
        """The finite-shot policy may be a string or the enum."""
        assert QuantumCircuitCache(finite_shots="reuse").finite_shots is ShotsPolicy.REUSE
        assert QuantumCircuitCache(finite_shots=ShotsPolicy.SKIP).finite_shots is ShotsPolicy.SKIP

    def test_repr_and_len(self):
        """``repr`` shows sizes and policy; ``len`` counts results."""
        cache = QuantumCircuitCache(max_entries=3)
        cache.put("k", 1.0)
        assert len(cache) == 1
        assert "entries=1/3" in repr(cache)
        assert "'skip'" in repr(cache)


class TestShotsPolicy:
    """Finite-shot results: skipped or reused."""

    def test_skip_never_stores(self):
        """Under "skip" a finite-shot circuit has no key and is never stored."""
        cache = QuantumCircuitCache()
        tape = _tape(shots=100)
        key = cache.key(tape)
        assert key is None
        cache.put(key, 0.5)
        assert len(cache) == 0
        assert cache.get(key) is None
        assert cache.get_stats()["misses"] == 0  # a None key is not a lookup

    def test_skip_still_stores_analytic(self):
        """Under "skip" analytic circuits are keyed."""
        assert QuantumCircuitCache().key(_tape()) is not None

    def test_reuse_stores(self):
        """Under "reuse" finite-shot results are stored and handed back."""
        cache = QuantumCircuitCache(finite_shots="reuse")
        key = cache.key(_tape(shots=100))
        cache.put(key, np.array([0.25, 0.75]))
        np.testing.assert_array_equal(cache.get(key), [0.25, 0.75])

    def test_reuse_key_includes_shots(self):
        """Shots stay part of the key under "reuse"."""
        cache = QuantumCircuitCache(finite_shots="reuse")
        assert cache.key(_tape(shots=100)) != cache.key(_tape(shots=200))
        assert cache.key(_tape(shots=100)) != cache.key(_tape())

    def test_key_matches_circuit_digest(self):
        """``cache.key`` is :func:`circuit_digest` for keyable circuits."""
        cache = QuantumCircuitCache()
        ctx = {"backend": "b"}
        assert cache.key(_tape(), ctx) == circuit_digest(_tape(), ctx)


class TestGetPut:
    """Storing and retrieving results."""

    def test_miss_then_hit(self):
        """A miss returns the default, a hit the stored value; both are counted."""
        cache = QuantumCircuitCache()
        sentinel = object()
        assert cache.get("k", sentinel) is sentinel
        cache.put("k", 0.955)
        assert cache.get("k") == 0.955
        stats = cache.get_stats()
        assert (stats["hits"], stats["misses"], stats["hit_rate"]) == (1, 1, 0.5)

    @pytest.mark.parametrize(
        "make",
        [
            pytest.param(lambda: np.arange(4.0), id="array"),
            pytest.param(lambda: (np.arange(2.0), np.ones((2, 2))), id="tuple"),
            pytest.param(lambda: [np.arange(2.0), (np.zeros(3),)], id="nested-list"),
            pytest.param(lambda: {"00": np.array([3]), "11": np.array([5])}, id="dict"),
        ],
    )
    def test_copies_are_independent(self, make):
        """Mutating what was put or what was got never changes the cache."""
        cache = QuantumCircuitCache()
        value = make()
        cache.put("k", value)
        _mutate(value)
        _assert_equal(cache.get("k"), make())
        got = cache.get("k")
        _mutate(got)
        _assert_equal(cache.get("k"), make())

    def test_too_large_value_is_not_stored(self):
        """A result bigger than ``max_bytes`` on its own is dropped, nothing is evicted."""
        cache = QuantumCircuitCache(max_bytes=1000)
        cache.put("small", np.zeros(10))
        cache.put("big", np.zeros(1000))
        assert cache.get("big") is None
        np.testing.assert_array_equal(cache.get("small"), np.zeros(10))
        assert cache.get_stats()["evictions"] == 0

    def test_none_key_is_ignored(self):
        """``put(None, ...)`` stores nothing and ``get(None)`` counts nothing."""
        cache = QuantumCircuitCache()
        cache.put(None, 1.0)
        assert cache.get(None, "d") == "d"
        assert len(cache) == 0
        assert cache.get_stats()["hits"] + cache.get_stats()["misses"] == 0

    def test_bytes_accounting(self):
        """Stored bytes cover the array payloads."""
        cache = QuantumCircuitCache()
        cache.put("a", np.zeros(100))
        cache.put("b", np.zeros(50))
        assert cache.get_stats()["bytes"] >= 150 * 8

    def test_clear_resets(self):
        """``clear`` drops results, compiled structures and every counter."""
        cache = QuantumCircuitCache(max_entries=1)
        cache.put("a", 1.0)
        cache.put("b", 2.0)  # evicts a
        cache.get("a")
        cache.get("b")
        cache.compiled("s", lambda: 1)
        cache.clear()
        stats = cache.get_stats()
        assert len(cache) == 0
        for name in ("hits", "misses", "compiled_hits", "compiled_misses", "evictions"):
            assert stats[name] == 0, name
        assert (stats["entries"], stats["bytes"], stats["compiled_entries"]) == (0, 0, 0)
        assert stats["hit_rate"] == 0.0
        assert cache.get("b") is None


def _mutate(value):
    if isinstance(value, np.ndarray):
        value[...] = -7
    elif isinstance(value, dict):
        for v in value.values():
            _mutate(v)
        value["new"] = 1
    elif isinstance(value, list | tuple):
        for v in value:
            _mutate(v)
        if isinstance(value, list):
            value.append("extra")


def _assert_equal(got, expected):
    assert type(got) is type(expected)
    if isinstance(expected, np.ndarray):
        np.testing.assert_array_equal(got, expected)
    elif isinstance(expected, dict):
        assert got.keys() == expected.keys()
        for k in expected:
            _assert_equal(got[k], expected[k])
    elif isinstance(expected, list | tuple):
        assert len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            _assert_equal(g, e)
    else:
        assert got == expected


def _value_for(key: int) -> np.ndarray:
    """The value a key always maps to (a key determines its result)."""
    return np.full(key % 7 + 1, float(key))


def _model_put(model: OrderedDict, key: str, size: int, max_entries: int, max_bytes: int):
    """Reference LRU put: too large is dropped, a known key is refreshed, else evict then add."""
    if size > max_bytes:
        return
    if key in model:
        model.move_to_end(key)
        return
    while model and sum(model.values()) + size > max_bytes:
        model.popitem(last=False)
    model[key] = size
    while len(model) > max_entries:
        model.popitem(last=False)


class TestLRUBounds:
    """Eviction by entries and bytes, least recently used first."""

    def test_eviction_order_is_lru(self):
        """A get refreshes an entry; the least recently used is evicted first."""
        cache = QuantumCircuitCache(max_entries=3)
        for k in "abc":
            cache.put(k, k)
        assert cache.get("a") == "a"
        cache.put("d", "d")  # evicts b
        assert cache.get("b") is None
        assert [cache.get(k) for k in "acd"] == ["a", "c", "d"]
        cache.put("e", "e")  # a was used before c, d: evicts a
        assert cache.get("a") is None
        assert cache.get_stats()["evictions"] == 2

    def test_byte_bound_evicts_lru(self):
        """Exceeding ``max_bytes`` evicts least recently used results."""
        # 8 kB per result: three fit in 25 kB (with or without per-entry overhead), four do not
        cache = QuantumCircuitCache(max_bytes=25_000)
        for k in "abc":
            cache.put(k, np.zeros(1000))
        cache.get("a")
        cache.put("d", np.zeros(1000))
        assert cache.get("b") is None
        assert all(cache.get(k) is not None for k in "acd")
        assert 3 * 8000 <= cache.get_stats()["bytes"] <= 25_000

    @given(
        ops=st.lists(
            st.tuples(st.sampled_from(["get", "put"]), st.integers(0, 15)),
            min_size=1,
            max_size=80,
        ),
        max_entries=st.integers(1, 6),
        max_bytes=st.integers(150, 600),
    )
    @HYPOTHESIS
    def test_matches_reference_model(self, ops, max_entries, max_bytes):
        """Random put/get sequences behave like an LRU reference model with both bounds."""
        cache = QuantumCircuitCache(max_entries=max_entries, max_bytes=max_bytes)
        model: OrderedDict[str, int] = OrderedDict()  # key -> size
        hits = misses = 0
        for op, k in ops:
            key = f"k{k}"
            if op == "get":
                got = cache.get(key)
                if key in model:
                    hits += 1
                    model.move_to_end(key)
                    np.testing.assert_array_equal(got, _value_for(k))
                else:
                    misses += 1
                    assert got is None
            else:
                value = _value_for(k)
                cache.put(key, value)
                _model_put(model, key, cache_module._sizeof(value), max_entries, max_bytes)
            stats = cache.get_stats()
            assert stats["entries"] == len(model) <= max_entries
            assert stats["bytes"] == sum(model.values()) <= max_bytes
        assert (stats["hits"], stats["misses"]) == (hits, misses)
        for k in range(16):  # the contents, without counting
            assert (f"k{k}" in cache._results) == (f"k{k}" in model)


class TestTTL:
    """Time-to-live expiry, driven by a fake clock."""

    def test_entry_expires(self, clock):
        """A result is served before its TTL and is a miss after it."""
        cache = QuantumCircuitCache(ttl=10.0)
        cache.put("k", 1.0)
        clock.now += 9.999
        assert cache.get("k") == 1.0
        clock.now += 0.002
        assert cache.get("k") is None
        stats = cache.get_stats()
        assert (stats["hits"], stats["misses"]) == (1, 1)

    def test_put_refreshes_expiry(self, clock):
        """Putting a result again restarts its TTL."""
        cache = QuantumCircuitCache(ttl=5)
        cache.put("k", 1.0)
        clock.now += 4
        cache.put("k", 1.0)
        clock.now += 4
        assert cache.get("k") == 1.0

    def test_expired_entries_are_dropped_on_write(self, clock):
        """Expired results free their room at the next write."""
        cache = QuantumCircuitCache(ttl=1, max_entries=2)
        cache.put("a", 1.0)
        cache.put("b", 2.0)
        clock.now += 2
        cache.put("c", 3.0)
        assert cache.get_stats()["entries"] == 1
        assert cache.get("c") == 3.0

    def test_lru_bounds_hold_with_ttl(self, clock):
        """The entry bound also holds for a TTL cache."""
        cache = QuantumCircuitCache(ttl=100, max_entries=2)
        for k in "abc":
            cache.put(k, k)
        assert cache.get("a") is None
        assert len(cache) == 2


class TestPrewarm:
    """Executing the misses of a batch of circuits ahead of time."""

    def test_only_misses_in_one_batch(self):
        """Prewarm runs each uncached circuit once, in one call, and stores the results."""
        cache = QuantumCircuitCache()
        ctx = {"backend": "default.qubit"}
        done = _tape(0.1)
        cache.put(cache.key(done, ctx), 0.0)
        calls = []

        def execute(tapes):
            calls.append(list(tapes))
            return qp.device("default.qubit").execute(tapes)

        circuits = [done, _tape(0.2), _tape(0.3), _tape(0.2), _tape(shots=10)]
        added = cache.prewarm(circuits, execute, context=ctx)
        assert added == 2
        assert len(calls) == 1
        assert [t.data for t in calls[0]] == [_tape(0.2).data, _tape(0.3).data]
        for x in (0.2, 0.3):
            expected = qp.device("default.qubit").execute(_tape(x))
            assert np.isclose(cache.get(cache.key(_tape(x), ctx)), expected, atol=1e-12)
        assert cache.get(cache.key(done, ctx)) == 0.0

    def test_nothing_to_do_does_not_execute(self):
        """Prewarm with every circuit cached does not call ``execute``."""
        cache = QuantumCircuitCache()
        cache.put(cache.key(_tape(0.1)), 0.0)

        def execute(tapes):
            raise AssertionError("should not run")

        assert cache.prewarm([_tape(0.1)], execute) == 0

    def test_prewarm_counts_no_lookups(self):
        """Prewarm checks membership without counting hits or misses."""
        cache = QuantumCircuitCache()
        cache.prewarm([_tape(0.1)], lambda tapes: [1.0] * len(tapes))
        stats = cache.get_stats()
        assert (stats["hits"], stats["misses"]) == (0, 0)


class TestCompiled:
    """The compiled-structure level."""

    def test_builds_once(self):
        """``build`` runs once per structure; later calls return the same object."""
        cache = QuantumCircuitCache()
        builds = []

        def build():
            builds.append(1)
            return object()

        first = cache.compiled("shape", build)
        assert cache.compiled("shape", build) is first
        assert len(builds) == 1
        stats = cache.get_stats()
        assert (stats["compiled_hits"], stats["compiled_misses"]) == (1, 1)
        assert stats["compiled_entries"] == 1

    def test_structure_from_fingerprint(self):
        """Circuits differing only in parameters share their compiled object."""
        cache = QuantumCircuitCache()
        a = cache.compiled(fingerprint(_tape(0.1)).structure, lambda: ["plan"])
        b = cache.compiled(fingerprint(_tape(0.9)).structure, lambda: ["other"])
        assert a is b

    def test_compiled_is_bounded(self):
        """The compiled level keeps at most ``compiled_max_entries`` structures."""
        cache = QuantumCircuitCache(compiled_max_entries=2)
        for s in "abc":
            cache.compiled(s, lambda s=s: s)
        assert cache.get_stats()["compiled_entries"] == 2

    def test_compiled_independent_of_results(self):
        """Compiled structures do not count as results."""
        cache = QuantumCircuitCache()
        cache.compiled("s", lambda: 1)
        assert len(cache) == 0


class TestCopyResult:
    """The copying helper."""

    def test_scalars_pass_through(self):
        """Immutable values are returned as they are."""
        assert copy_result(1.5) == 1.5
        assert copy_result("x") == "x"


class TestThreadSafety:
    """One cache shared by many threads."""

    N_THREADS = 8
    N_OPS = 600

    def _hammer(self, cache, *, with_clear, seed):
        errors, lookups = [], [0] * self.N_THREADS
        start = threading.Barrier(self.N_THREADS)

        def work(t):
            rng = np.random.default_rng([seed, t])
            try:
                start.wait()
                for _ in range(self.N_OPS):
                    r = rng.random()
                    key = f"k{rng.integers(20)}"
                    if r < 0.45:
                        cache.get(key)
                        lookups[t] += 1
                    elif r < 0.9:
                        cache.put(key, np.full(int(rng.integers(1, 8)), 1.0))
                    elif r < 0.98 or not with_clear:
                        stats = cache.get_stats()
                        assert stats["entries"] <= cache.max_entries
                        assert stats["bytes"] <= cache.max_bytes
                    else:
                        cache.clear()
            except BaseException as error:  # reported to the main thread
                errors.append(error)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(self.N_THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        return sum(lookups)

    def test_counts_are_consistent(self):
        """Without ``clear``, hits + misses equals the number of lookups exactly."""
        cache = QuantumCircuitCache(max_entries=8, max_bytes=800)
        lookups = self._hammer(cache, with_clear=False, seed=1)
        stats = cache.get_stats()
        assert stats["hits"] + stats["misses"] == lookups
        assert stats["entries"] <= 8
        assert stats["bytes"] <= 800
        assert len(cache._results) == stats["entries"]

    def test_with_clear(self):
        """With concurrent ``clear`` nothing raises and the bounds hold."""
        cache = QuantumCircuitCache(max_entries=5, max_bytes=600, ttl=60)
        lookups = self._hammer(cache, with_clear=True, seed=2)
        stats = cache.get_stats()
        assert stats["hits"] + stats["misses"] <= lookups
        assert stats["entries"] <= 5
        assert stats["bytes"] <= 600
