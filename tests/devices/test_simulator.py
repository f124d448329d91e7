"""Tests for :mod:`pennylane_qnative.devices.simulator` (the ``qnative.simulator`` device)."""

from __future__ import annotations

import importlib.util
from types import SimpleNamespace

import numpy as np
import pennylane as qp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pennylane import numpy as pnp

from pennylane_qnative.devices.errors import DeviceConfigurationError
from pennylane_qnative.devices.simulator import SimulatorDevice
from pennylane_qnative.exceptions import ConfigurationError, QnativeError
from pennylane_qnative.execution.cache import QuantumCircuitCache

QS = qp.tape.QuantumScript
N_WIRES = 3
HYPOTHESIS = settings(max_examples=30, deadline=None)


def enable_x64(jax):
    """JAX's scoped double precision (``jax.enable_x64`` from 0.8, ``jax.experimental`` before)."""
    scoped = getattr(jax, "enable_x64", None)
    if scoped is None:
        from jax.experimental import enable_x64 as scoped
    return scoped(True)


def _run(dev, tapes):
    """Execute raw tapes the way a QNode does: preprocess, execute, postprocess."""
    program = dev.preprocess_transforms()
    batch, post = program(tapes)
    return post(dev.execute(batch))


def _assert_results_close(got, expected, atol=1e-12):
    if isinstance(expected, tuple | list):
        assert isinstance(got, tuple | list)
        assert len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            _assert_results_close(g, e, atol)
    elif isinstance(expected, dict):
        assert got == expected
    else:
        assert np.shape(got) == np.shape(expected)
        np.testing.assert_allclose(got, expected, atol=atol, rtol=0)


# --- random circuits --------------------------------------------------------------------------


def _random_unitary(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
    q, r = np.linalg.qr(z)
    return q * (np.diag(r) / np.abs(np.diag(r)))


_angle = st.floats(-2 * np.pi, 2 * np.pi, allow_nan=False)
_wire = st.integers(0, N_WIRES - 1)
_pair = st.lists(_wire, min_size=2, max_size=2, unique=True)


_GATES = (
    *("RX", "RY", "RZ", "Rot", "CNOT", "CZ", "CRX", "IsingXX", "Hadamard", "S", "T"),
    *("QubitUnitary1", "QubitUnitary2"),
)


@st.composite
def _gate(draw):
    kind = draw(st.sampled_from(_GATES))
    if kind in ("RX", "RY", "RZ"):
        return getattr(qp, kind)(draw(_angle), draw(_wire))
    if kind == "Rot":
        return qp.Rot(draw(_angle), draw(_angle), draw(_angle), draw(_wire))
    if kind in ("CNOT", "CZ"):
        return getattr(qp, kind)(draw(_pair))
    if kind in ("CRX", "IsingXX"):
        return getattr(qp, kind)(draw(_angle), draw(_pair))
    if kind in ("Hadamard", "S", "T"):
        return getattr(qp, kind)(draw(_wire))
    seed = draw(st.integers(0, 2**31))
    if kind == "QubitUnitary1":
        return qp.QubitUnitary(_random_unitary(seed, 2), draw(_wire))
    return qp.QubitUnitary(_random_unitary(seed, 4), draw(_pair))


_pauli = st.sampled_from([qp.X, qp.Y, qp.Z])


@st.composite
def _measurement(draw):
    kind = draw(st.sampled_from(["expval", "var", "probs", "state", "expval-prod"]))
    if kind == "state":
        return qp.state()
    if kind == "probs":
        wires = draw(st.lists(_wire, min_size=1, max_size=N_WIRES, unique=True))
        return qp.probs(wires=wires)
    if kind == "expval-prod":
        a, b = draw(_pair)
        return qp.expval(draw(_pauli)(a) @ draw(_pauli)(b))
    return getattr(qp, kind)(draw(_pauli)(draw(_wire)))


_circuits = st.builds(
    lambda ops, ms: QS(ops, ms),
    st.lists(_gate(), min_size=1, max_size=8),
    st.lists(_measurement(), min_size=1, max_size=3),
)


class TestAgreesWithDefaultQubit:
    """Results equal ``default.qubit``'s."""

    @given(circuits=st.lists(_circuits, min_size=1, max_size=4))
    @HYPOTHESIS
    def test_random_circuits_analytic(self, circuits):
        """Random circuits (and batches of them) match default.qubit to 1e-10."""
        dev = qp.device("qnative.simulator", wires=N_WIRES)
        ref = qp.device("default.qubit", wires=N_WIRES)
        got = _run(dev, circuits)
        expected = _run(ref, circuits)
        _assert_results_close(got, expected, atol=1e-10)
        with qp.Tracker(dev) as tracker:
            again = _run(dev, circuits)
        _assert_results_close(again, expected, atol=1e-10)
        assert tracker.totals.get("backend_executions", 0) == 0  # all from the cache

    @pytest.mark.parametrize("seed", [pytest.param(s, id=f"circuit-{s}") for s in range(4)])
    def test_random_circuits_with_shots(self, seed):
        """Finite-shot estimates lie within 5 standard deviations of the exact values."""
        rng = np.random.default_rng(seed)
        ops = []
        for _ in range(6):
            w = int(rng.integers(N_WIRES))
            ops.append(qp.Rot(*rng.uniform(-np.pi, np.pi, 3), w))
            ops.append(qp.CNOT([w, (w + 1) % N_WIRES]))
        shots = 20_000
        measurements = [qp.probs(wires=range(N_WIRES)), qp.expval(qp.Z(0) @ qp.X(1))]
        tape = QS(ops, measurements, shots=shots)
        exact_probs, exact_ev = _run(
            qp.device("default.qubit", wires=N_WIRES), [QS(ops, measurements)]
        )[0]
        probs, ev = _run(qp.device("qnative.simulator", wires=N_WIRES, seed=seed), [tape])[0]
        # a frequency p_hat has variance p(1-p)/N; a +-1 observable's mean has (1-<O>^2)/N
        sigma_p = np.sqrt(exact_probs * (1 - exact_probs) / shots) + 1 / shots
        np.testing.assert_array_less(np.abs(probs - exact_probs), 5 * sigma_p)
        sigma_ev = np.sqrt((1 - exact_ev**2) / shots) + 1 / shots
        assert abs(ev - exact_ev) < 5 * sigma_ev

    def test_entry_point(self):
        """``qp.device("qnative.simulator")`` builds the plugin's device."""
        dev = qp.device("qnative.simulator", wires=2)
        assert isinstance(dev, SimulatorDevice)
        assert dev.name == "qnative.simulator"
        assert isinstance(dev.cache, QuantumCircuitCache)
        assert "qnative.simulator" in repr(dev)


# --- batching -----------------------------------------------------------------------------------


def _a(x, shots=None):
    return QS(
        [qp.RX(x, 0), qp.RY(0.4, 1), qp.CNOT([0, 1])], [qp.expval(qp.Z(0) @ qp.Z(1))], shots=shots
    )


def _b(x, shots=None):
    return QS(
        [qp.RY(x, 0), qp.IsingXX(0.3, [0, 1])],
        [qp.probs(wires=[0, 1]), qp.expval(qp.X(1)), qp.var(qp.Y(0))],
        shots=shots,
    )


def _mixed_batch():
    return [
        _a(0.1),
        _a(0.2),
        _b(0.3),
        _a(0.1),  # duplicate of 0
        _a(np.array([0.4, 0.5])),  # already broadcast
        _a(0.3),
        _b(0.9),
        QS([qp.Hadamard(0)], [qp.state()]),  # a structure of its own
        QS([qp.RX(0.7, 0)], [qp.vn_entropy(wires=[0])]),  # not mergeable
    ]


def _each_alone(tapes):
    ref = qp.device("default.qubit", wires=2)
    return [ref.execute([t])[0] for t in tapes]


_STRUCTURES = {
    "a": lambda x: _a(x),
    "b": lambda x: _b(x),
    "entropy": lambda x: QS([qp.RX(x, 0), qp.CNOT([0, 1])], [qp.vn_entropy(wires=[0])]),
    "broadcast": lambda x: _a(np.array([x, x + 1.0])),
}


def _expected_plan(items):
    """Reference batch plan: (merged circuits, backend executions) for analytic items.

    "a" circuits and the "broadcast" ones (an "a" circuit with a batch of angles) share one
    structure, so they merge into one broadcast; "entropy" circuits never merge.
    """
    groups: dict[str, set] = {}
    for kind, x in items:
        group = "a" if kind == "broadcast" else kind
        groups.setdefault(group, set()).add((kind, x))  # analytic duplicates run once
    merged = runs = 0
    for group, circuits in groups.items():
        if group in ("a", "b") and len(circuits) > 1:
            merged, runs = merged + len(circuits), runs + 1
        else:
            runs += len(circuits)
    return merged, runs


class TestBatching:
    """Merging and splitting keep order and values."""

    @given(
        items=st.lists(
            st.tuples(st.sampled_from(sorted(_STRUCTURES)), st.sampled_from([0.1, 0.2, 0.3])),
            min_size=1,
            max_size=10,
        )
    )
    @HYPOTHESIS
    def test_random_batches_follow_the_plan(self, items):
        """Random batches give each tape's own result, in order, with the planned work."""
        tapes = [_STRUCTURES[kind](x) for kind, x in items]
        dev = qp.device("qnative.simulator", wires=2)
        with qp.Tracker(dev) as tracker:
            got = dev.execute(tapes)
        _assert_results_close(got, _each_alone(tapes))
        merged, runs = _expected_plan(items)
        assert tracker.totals.get("merged_circuits", 0) == merged
        assert tracker.totals.get("backend_executions", 0) == runs
        assert tracker.totals.get("cache_misses", 0) == len(tapes)
        stats = dev.cache_stats()
        assert stats["hits"] + stats["misses"] == len(tapes)
        assert stats["entries"] == len(set(items))  # one result per distinct circuit

    def test_mixed_batch_equals_each_alone(self):
        """A batch mixing structures, duplicates and broadcasts gives each tape's own result."""
        tapes = _mixed_batch()
        data = [[np.copy(p) for p in t.data] for t in tapes]
        dev = qp.device("qnative.simulator", wires=2)
        with qp.Tracker(dev) as tracker:
            got = dev.execute(tapes)
        for tape, before in zip(tapes, data, strict=True):  # inputs untouched
            assert tape.batch_size == _mixed_batch()[tapes.index(tape)].batch_size
            for p, q in zip(tape.data, before, strict=True):
                np.testing.assert_array_equal(p, q)
        _assert_results_close(got, _each_alone(tapes))
        # group a: 0, 1, 4 (already broadcast), 5 merged (3 dropped as a duplicate);
        # group b: 2, 6; the state and entropy circuits run alone
        assert tracker.totals["merged_circuits"] == 6
        assert tracker.totals["backend_executions"] == 4
        assert tracker.totals["cache_misses"] == len(tapes)
        assert tracker.totals["cache_hits"] == 0

    def test_repeat_is_served_from_cache(self):
        """Running the same batch again runs nothing on the backend."""
        tapes = _mixed_batch()
        dev = qp.device("qnative.simulator", wires=2)
        first = dev.execute(tapes)
        with qp.Tracker(dev) as tracker:
            second = dev.execute(_mixed_batch())
        _assert_results_close(second, first, atol=0)
        assert tracker.totals["cache_hits"] == len(tapes)
        assert tracker.totals["backend_executions"] == 0

    @pytest.mark.parametrize(
        ("options", "merged", "runs"),
        [
            pytest.param({"batch": False}, 0, 8, id="no-batch"),
            pytest.param({"cache": False}, 6, 4, id="no-cache"),
            pytest.param({"batch": False, "cache": False}, 0, 9, id="neither"),
        ],
    )
    def test_options_change_plan_not_results(self, options, merged, runs):
        """Turning batching or caching off changes the work done, not the results."""
        tapes = _mixed_batch()
        dev = qp.device("qnative.simulator", wires=2, **options)
        with qp.Tracker(dev) as tracker:
            got = dev.execute(tapes)
        _assert_results_close(got, _each_alone(tapes))
        assert tracker.totals["merged_circuits"] == merged
        assert tracker.totals["backend_executions"] == runs

    def test_duplicates_are_independent_copies(self):
        """Duplicate results are separate objects: mutating one leaves the other."""
        tape = QS([qp.RX(0.3, 0)], [qp.probs(wires=[0])])
        dev = qp.device("qnative.simulator", wires=1)
        r1, r2 = dev.execute([tape, tape])
        r1[0] = 42.0
        assert r2[0] != 42.0
        assert dev.execute([tape])[0][0] != 42.0

    def test_shots_batch_with_unmergeable_measurements(self):
        """Counts, samples and expectations with shots keep order and exact outcomes."""
        # Basis-state circuits: every shot gives the same outcome, so results are exact.
        tapes = [
            QS([qp.RX(np.pi, 0)], [qp.counts(wires=[0, 1])], shots=50),
            QS([qp.RX(0.0, 0)], [qp.expval(qp.Z(0))], shots=50),
            QS([qp.RX(np.pi, 0)], [qp.expval(qp.Z(0))], shots=50),
            QS([qp.RX(np.pi, 1)], [qp.sample(wires=[0, 1])], shots=7),
            QS([qp.RX(0.0, 1)], [qp.sample(wires=[0, 1])], shots=7),
            QS([qp.RX(0.0, 0)], [qp.counts(wires=[0, 1], all_outcomes=True)], shots=50),
            QS([qp.RX(np.pi, 0)], [qp.expval(qp.Z(0)), qp.probs(wires=[0])], shots=(10, 20)),
        ]
        dev = qp.device("qnative.simulator", wires=2, seed=11)
        ref = qp.device("default.qubit", wires=2, seed=11)
        with qp.Tracker(dev) as tracker:
            got = dev.execute(tapes)
        expected = [ref.execute([t])[0] for t in tapes]
        _assert_results_close(got, expected, atol=0)
        assert tracker.totals["cache_misses"] == 0  # "skip": finite shots are not keyed
        assert tracker.totals["merged_circuits"] == 4  # tapes 1+2 and 3+4

    def test_shot_vector_with_several_measurements(self):
        """A QNode with ``qp.set_shots((100, 200))`` and two measurements splits correctly."""
        dev = qp.device("qnative.simulator", wires=2, seed=5)

        @qp.set_shots((100, 200))
        @qp.qnode(dev, diff_method="parameter-shift")
        def circuit(x):
            qp.RX(x, 0)
            qp.CNOT([0, 1])
            return qp.expval(qp.Z(1)), qp.probs(wires=[0, 1])

        for x, (ev, probs) in ((0.0, (1.0, [1, 0, 0, 0])), (np.pi, (-1.0, [0, 0, 0, 1]))):
            res = circuit(x)
            assert len(res) == 2
            for copy in res:
                assert len(copy) == 2
                assert copy[0] == pytest.approx(ev)
                np.testing.assert_allclose(copy[1], probs, atol=1e-12)

    def test_shot_vector_merge_statistics(self):
        """Merged finite-shot circuits with a shot vector are unbiased per shot copy."""
        xs = [0.3, 1.1, 2.0]
        shots = (4000, 8000)
        tapes = [_a(x, shots=shots) for x in xs]
        dev = qp.device("qnative.simulator", wires=2, seed=2026)
        with qp.Tracker(dev) as tracker:
            got = dev.execute(tapes)
        assert tracker.totals["merged_circuits"] == 3
        exact = _each_alone([_a(x) for x in xs])
        for res, ev in zip(got, exact, strict=True):
            assert len(res) == 2
            for est, n in zip(res, shots, strict=True):
                assert abs(est - ev) < 5 * np.sqrt((1 - ev**2) / n) + 1 / n

    def test_lightning_workers_equal_single(self):
        """lightning.qubit with ``max_workers=2`` gives the same results as without."""
        tapes = _mixed_batch()[:-1]
        single = qp.device("qnative.simulator", wires=2, backend="lightning.qubit")
        multi = qp.device("qnative.simulator", wires=2, backend="lightning.qubit", max_workers=2)
        with qp.Tracker(multi) as tracker:
            got = _run(multi, tapes)
        _assert_results_close(got, _run(single, tapes))
        ref = qp.device("default.qubit", wires=2)
        _assert_results_close(got, _run(ref, tapes))
        assert tracker.totals["merged_circuits"] == 0  # lightning does not broadcast natively

    @pytest.mark.parametrize(
        "observables",
        [
            pytest.param(
                [
                    qp.Hamiltonian([0.5, 1.0], [qp.Z(0), qp.X(0)]),
                    qp.Hamiltonian([2.0, 3.0], [qp.Z(0), qp.X(0)]),
                ],
                id="hamiltonian-coefficients",
            ),
            pytest.param([0.5 * qp.Z(0), 2.0 * qp.Z(0)], id="sprod-scalars"),
            pytest.param(
                [qp.Hermitian(np.diag([3.0, 1.0]), 0), qp.Hermitian(np.diag([1.0, 5.0]), 0)],
                id="hermitian-matrices",
            ),
        ],
    )
    def test_observable_parameters_varying_across_batch(self, observables):
        """Same-structure circuits whose observables differ keep their own values."""
        tapes = [
            QS([qp.RX(x, 0)], [qp.expval(obs)])
            for x, obs in zip((0.1, 0.7), observables, strict=True)
        ]
        dev = qp.device("qnative.simulator", wires=2)
        expected = _each_alone(tapes)
        _assert_results_close(dev.execute(tapes), expected)
        _assert_results_close(qp.execute(tapes, dev), expected)  # through preprocessing


# --- gradients ----------------------------------------------------------------------------------


def _ansatz(x):
    qp.RX(x[0], 0)
    qp.RY(x[1], 1)
    qp.CNOT([0, 1])
    qp.CRX(x[2], [1, 0])
    return qp.expval(qp.Z(0) @ qp.Z(1) + 0.5 * qp.X(1))


X0 = [0.4, 0.3, -0.7]


class TestGradients:
    """Derivatives through the device equal default.qubit's."""

    @pytest.mark.parametrize(
        ("diff_method", "kwargs"),
        [
            pytest.param("backprop", {}, id="backprop"),
            pytest.param("parameter-shift", {}, id="parameter-shift"),
            pytest.param("adjoint", {}, id="adjoint"),
            pytest.param("finite-diff", {"h": 1e-6}, id="finite-diff"),
            pytest.param("spsa", {"sampler_rng": 17, "num_directions": 3}, id="spsa"),
        ],
    )
    def test_autograd(self, diff_method, kwargs):
        """``qp.grad`` equals default.qubit's with the same method."""
        x = pnp.array(X0, requires_grad=True)
        grads = []
        for name in ("qnative.simulator", "default.qubit"):
            dev = qp.device(name, wires=2)
            node = qp.QNode(_ansatz, dev, diff_method=diff_method, gradient_kwargs=kwargs)
            grads.append(qp.grad(node)(x))
        np.testing.assert_allclose(grads[0], grads[1], atol=1e-10)

    @pytest.mark.parametrize("diff_method", ["backprop", "parameter-shift"])
    @pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
    def test_jax(self, diff_method, jit):
        """``jax.grad`` (and under ``jax.jit``) equals default.qubit's."""
        import jax

        grads = []
        with enable_x64(jax):  # scoped: other tests keep JAX's default precision
            x = jax.numpy.array(X0)
            for name in ("qnative.simulator", "default.qubit"):
                node = qp.QNode(_ansatz, qp.device(name, wires=2), diff_method=diff_method)
                grad = jax.grad(node)
                grads.append(np.asarray((jax.jit(grad) if jit else grad)(x)))
        assert grads[0].dtype == np.float64
        np.testing.assert_allclose(grads[0], grads[1], atol=1e-10)
        exact = qp.grad(qp.QNode(_ansatz, qp.device("default.qubit", wires=2)))(
            pnp.array(X0, requires_grad=True)
        )
        np.testing.assert_allclose(grads[0], exact, atol=1e-10)

    def test_jax_jit_parameter_shift_uses_cache(self):
        """Under ``jax.jit`` with parameter-shift, a repeated gradient is served from the cache."""
        import jax

        dev = qp.device("qnative.simulator", wires=2)
        grad = jax.jit(jax.grad(qp.QNode(_ansatz, dev, diff_method="parameter-shift")))
        with enable_x64(jax):
            x = jax.numpy.array(X0)
            g1 = grad(x)
            with qp.Tracker(dev) as tracker:
                g2 = grad(x)
        np.testing.assert_array_equal(g1, g2)
        assert tracker.totals["cache_hits"] > 0
        assert tracker.totals.get("backend_executions", 0) == 0

    def test_lightning_adjoint(self):
        """lightning.qubit's adjoint gradient equals default.qubit's."""
        x = pnp.array(X0, requires_grad=True)
        dev = qp.device("qnative.simulator", wires=2, backend="lightning.qubit")
        got = qp.grad(qp.QNode(_ansatz, dev, diff_method="adjoint"))(x)
        ref = qp.grad(qp.QNode(_ansatz, qp.device("default.qubit", wires=2)))(x)
        np.testing.assert_allclose(got, ref, atol=1e-10)

    def test_repeated_evaluations_hit_cache(self):
        """A repeated parameter-shift gradient is served from the cache."""
        dev = qp.device("qnative.simulator", wires=2)
        node = qp.QNode(_ansatz, dev, diff_method="parameter-shift")
        x = pnp.array(X0, requires_grad=True)
        with qp.Tracker(dev) as first:
            g1 = qp.grad(node)(x)
        with qp.Tracker(dev) as second:
            g2 = qp.grad(node)(x)
        np.testing.assert_array_equal(g1, g2)
        assert first.totals["cache_hits"] == 0
        assert first.totals["merged_circuits"] > 0
        n = first.totals["cache_misses"]
        assert second.totals["cache_hits"] == n > 0
        assert second.totals.get("cache_misses", 0) == 0
        assert second.totals["backend_executions"] == 0
        assert dev.cache_stats()["hits"] == n

    def test_device_diff_method_runs_one_batch(self):
        """``diff_method="device"`` with parameter-shift: default.qubit's gradient, one batch."""
        dev = qp.device("qnative.simulator", wires=2)
        node = qp.QNode(
            _ansatz, dev, diff_method="device", gradient_kwargs={"method": "parameter-shift"}
        )
        x = pnp.array(X0, requires_grad=True)
        with qp.Tracker(dev) as tracker:
            got = qp.grad(node)(x)
        ref = qp.QNode(_ansatz, qp.device("default.qubit", wires=2), diff_method="parameter-shift")
        np.testing.assert_allclose(got, qp.grad(ref)(x), atol=1e-10)
        assert tracker.totals["batches"] == 1
        assert tracker.totals["backend_executions"] == 1  # forward and shifts merged

    def test_device_diff_method_unknown_method(self):
        """An unknown ``gradient_kwargs["method"]`` names the value and the choices."""
        dev = qp.device("qnative.simulator", wires=2)
        node = qp.QNode(_ansatz, dev, diff_method="device", gradient_kwargs={"method": "nope"})
        with pytest.raises(ConfigurationError, match="'nope'") as info:
            qp.grad(node)(pnp.array(X0, requires_grad=True))
        assert "parameter-shift" in str(info.value)


# --- options and errors -------------------------------------------------------------------------


class TestFusion:
    """Same-axis rotations on a wire reach the backend as one gate; results do not change."""

    def _angle_encoded(self, batch=4):
        x = np.linspace(0.1, 1.0, batch)
        ops = [qp.RY(x, 0), qp.RY(x / 2, 1), qp.RY(0.3, 0), qp.RZ(0.2, 0), qp.RY(0.4, 1)]
        return qp.tape.QuantumScript([*ops, qp.CNOT([0, 1])], [qp.expval(qp.Z(1))])

    @pytest.mark.parametrize("fuse", [True, False])
    def test_backend_sees_fused_gates(self, fuse):
        dev = qp.device("qnative.simulator", wires=2, fuse=fuse, cache=False)
        seen = []
        inner = dev._backend.execute
        dev._backend.execute = lambda tapes, config=None: seen.extend(tapes) or inner(tapes, config)
        tape = self._angle_encoded()
        [result] = dev.execute([tape])
        # fused: RY(x) RY(0.3) on wire 0 become one; pruned: RZ on wire 0 is only a phase
        # before the readout of Z(1) (it moves through the CNOT's control)
        assert len(seen[0].operations) == (3 if fuse else 6)
        expected = qp.device("default.qubit").execute([tape])[0]
        np.testing.assert_allclose(result, expected, atol=1e-12)


class TestOptions:
    """Option validation: errors name the value and what to do."""

    @pytest.mark.parametrize(
        ("kwargs", "text"),
        [
            pytest.param({"backend": "qiskit.aer"}, "'qiskit.aer'", id="unknown-backend"),
            pytest.param({"max_workers": 0}, "max_workers", id="workers-zero"),
            pytest.param({"max_workers": -2}, "max_workers", id="workers-negative"),
            pytest.param({"max_workers": 1.5}, "max_workers", id="workers-float"),
            pytest.param({"max_workers": "2"}, "max_workers", id="workers-str"),
            pytest.param({"max_workers": True}, "max_workers", id="workers-bool"),
            pytest.param({"cache": "yes"}, "cache", id="cache-str"),
            pytest.param({"cache": 1}, "cache", id="cache-int"),
            pytest.param({"cache_size": 0}, "cache_size|max_entries", id="cache-size"),
            pytest.param({"cache_bytes": -1}, "cache_bytes|max_bytes", id="cache-bytes"),
            pytest.param({"cache_ttl": 0}, "ttl", id="cache-ttl"),
            pytest.param({"cache_finite_shots": "always"}, "always", id="cache-policy"),
            pytest.param({"seed": "abc"}, "seed", id="seed-str"),
        ],
    )
    def test_bad_option(self, kwargs, text):
        """A bad option is a DeviceConfigurationError, DeviceError and ValueError at once."""
        with pytest.raises(DeviceConfigurationError, match=text) as info:
            qp.device("qnative.simulator", wires=2, **kwargs)
        error = info.value
        assert isinstance(error, qp.exceptions.DeviceError)
        assert isinstance(error, ValueError)
        assert isinstance(error, ConfigurationError)
        assert isinstance(error, QnativeError)
        assert repr(next(iter(kwargs.values()))) in str(error)

    def test_unknown_backend_lists_choices(self):
        """The unknown-backend error lists the allowed backends."""
        with pytest.raises(DeviceConfigurationError, match=r"default\.qubit") as info:
            qp.device("qnative.simulator", wires=2, backend="nope")
        assert "lightning.qubit" in str(info.value)

    @pytest.mark.skipif(
        importlib.util.find_spec("pennylane_lightning.lightning_gpu_ops") is not None,
        reason="lightning.gpu is installed here",
    )
    def test_lightning_gpu_missing(self):
        """``backend="lightning.gpu"`` without the plugin says how to install it."""
        with pytest.raises(DeviceConfigurationError, match=r"lightning\.gpu") as info:
            qp.device("qnative.simulator", wires=2, backend="lightning.gpu")
        assert isinstance(info.value, qp.exceptions.DeviceError)
        assert isinstance(info.value, ValueError)
        assert "pip install" in str(info.value)
        assert "default.qubit" in str(info.value)

    def test_shared_cache(self):
        """A cache passed in is shared between devices."""
        cache = QuantumCircuitCache()
        d1 = qp.device("qnative.simulator", wires=1, cache=cache)
        d2 = qp.device("qnative.simulator", wires=1, cache=cache)
        tape = QS([qp.RX(0.2, 0)], [qp.expval(qp.Z(0))])
        d1.execute([tape])
        with qp.Tracker(d2) as tracker:
            d2.execute([tape])
        assert tracker.totals["cache_hits"] == 1
        assert d1.cache is d2.cache is cache

    def test_backends_do_not_share_entries(self):
        """A cache shared by two backends keys their results apart."""
        cache = QuantumCircuitCache()
        tape = QS([qp.RX(0.2, 0)], [qp.expval(qp.Z(0))])
        qp.device("qnative.simulator", wires=1, cache=cache).execute([tape])
        light = qp.device("qnative.simulator", wires=1, cache=cache, backend="lightning.qubit")
        with qp.Tracker(light) as tracker:
            light.execute([tape])
        assert tracker.totals["cache_hits"] == 0

    def test_single_tape(self):
        """A single circuit (not in a sequence) gives a single result."""
        dev = qp.device("qnative.simulator", wires=1)
        res = dev.execute(QS([qp.RX(0.3, 0)], [qp.expval(qp.Z(0))]))
        assert np.isclose(res, np.cos(0.3), atol=1e-12)

    def test_cache_ttl(self, monkeypatch):
        """``cache_ttl`` expires device results (driven by a fake clock)."""
        from pennylane_qnative.execution import cache as cache_module

        now = [0.0]
        monkeypatch.setattr(cache_module, "time", SimpleNamespace(monotonic=lambda: now[0]))
        dev = qp.device("qnative.simulator", wires=1, cache_ttl=30)
        tape = QS([qp.RX(0.3, 0)], [qp.expval(qp.Z(0))])
        dev.execute([tape])
        now[0] = 29.0
        with qp.Tracker(dev) as tracker:
            dev.execute([tape])
        assert tracker.totals["cache_hits"] == 1
        now[0] = 61.0
        with qp.Tracker(dev) as tracker:
            dev.execute([tape])
        assert tracker.totals.get("cache_hits", 0) == 0
        assert tracker.totals["backend_executions"] == 1

    def test_cache_disabled(self):
        """``cache=False``: no cache, empty stats, ``clear_cache`` is a no-op."""
        dev = qp.device("qnative.simulator", wires=1, cache=False)
        assert dev.cache is None
        assert dev.cache_stats() == {}
        dev.clear_cache()

    def test_cache_stats_and_clear(self):
        """``cache_stats`` reports hits; ``clear_cache`` empties the cache."""
        dev = qp.device("qnative.simulator", wires=1, cache_size=5)
        node = qp.QNode(lambda x: (qp.RX(x, 0), qp.expval(qp.Z(0)))[1], dev)
        node(0.1)
        node(0.1)
        stats = dev.cache_stats()
        assert (stats["hits"], stats["misses"], stats["max_entries"]) == (1, 1, 5)
        dev.clear_cache()
        assert dev.cache_stats()["entries"] == 0
        assert dev.cache_stats()["hits"] == 0

    def test_finite_shots_reuse(self):
        """With ``cache_finite_shots="reuse"`` an identical finite-shot circuit is reused."""
        dev = qp.device("qnative.simulator", wires=1, seed=3, cache_finite_shots="reuse")
        tape = QS([qp.RX(1.0, 0)], [qp.sample(wires=[0])], shots=50)
        first = dev.execute([tape])[0]
        with qp.Tracker(dev) as tracker:
            second = dev.execute([tape])[0]
        np.testing.assert_array_equal(first, second)
        assert tracker.totals["cache_hits"] == 1

    @pytest.mark.parametrize(
        ("measure", "args", "expected"),
        [
            pytest.param(
                lambda lb: qp.vn_entropy(wires=0, log_base=lb),
                (None, 2),
                (np.log(2), 1.0),
                id="vn-entropy-log-base",
            ),
            pytest.param(
                lambda split: qp.mutual_info(*split),
                (([0], [1, 2]), ([0, 1], [2])),
                (2 * np.log(2), 0.0),
                id="mutual-info-partition",
            ),
        ],
    )
    def test_measurement_options_are_not_confused(self, measure, args, expected):
        """Measurements differing only in an option are not served from each other's entry."""
        dev = qp.device("qnative.simulator", wires=3)

        @qp.qnode(dev)
        def circuit(arg):
            qp.Hadamard(0)
            qp.CNOT([0, 1])
            qp.Hadamard(2)
            return measure(arg)

        got = [float(circuit(a)) for a in args]
        np.testing.assert_allclose(got, expected, atol=1e-10)

    def test_counts_all_outcomes_not_confused_under_reuse(self):
        """Under "reuse", counts with and without ``all_outcomes`` keep their own shape."""
        dev = qp.device("qnative.simulator", wires=2, seed=1, cache_finite_shots="reuse")

        @qp.set_shots(20)
        @qp.qnode(dev)
        def circuit(all_outcomes):
            qp.X(0)
            return qp.counts(wires=[0, 1], all_outcomes=all_outcomes)

        assert set(circuit(False)) == {"10"}
        assert set(circuit(True)) == {"00", "01", "10", "11"}


class TestSeeds:
    """Reproducible sampling."""

    @staticmethod
    def _samples(seed, **kwargs):
        dev = qp.device("qnative.simulator", wires=2, seed=seed, **kwargs)
        tapes = [
            QS([qp.Hadamard(0), qp.RX(x, 1)], [qp.sample(wires=[0, 1])], shots=64)
            for x in (0.5, 1.5, 2.5)
        ]
        return [np.asarray(r) for r in _run(dev, tapes)]

    def test_same_seed_same_samples(self):
        """Two devices with the same seed give identical samples."""
        for a, b in zip(self._samples(123), self._samples(123), strict=True):
            np.testing.assert_array_equal(a, b)

    def test_different_seeds_differ(self):
        """Different seeds give different samples."""
        a, b = self._samples(123), self._samples(124)
        assert any(not np.array_equal(x, y) for x, y in zip(a, b, strict=True))

    def test_same_seed_with_workers(self):
        """Seeded lightning devices with workers are reproducible too."""
        a = self._samples(9, backend="lightning.qubit", max_workers=2)
        b = self._samples(9, backend="lightning.qubit", max_workers=2)
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)


class TestMoreBackends:
    """default.mixed for noisy simulation; lightning.kokkos where installed."""

    @staticmethod
    def _noisy(dev):
        @qp.qnode(dev)
        def circuit(p):
            qp.Hadamard(0)
            qp.CNOT([0, 1])
            qp.DepolarizingChannel(p, wires=0)
            qp.AmplitudeDamping(0.2, wires=1)
            return qp.expval(qp.Z(0) @ qp.Z(1)), qp.density_matrix(wires=[0])

        return circuit

    def test_default_mixed_equals_default_mixed(self):
        """Noise channels: values, density matrices and gradients equal default.mixed's."""
        p = pnp.array(0.3, requires_grad=True)
        ours = self._noisy(qp.device("qnative.simulator", wires=2, backend="default.mixed"))
        theirs = self._noisy(qp.device("default.mixed", wires=2))
        for a, b in zip(ours(p), theirs(p), strict=True):
            np.testing.assert_allclose(a, b, atol=1e-12)
        np.testing.assert_allclose(
            qp.grad(lambda q: ours(q)[0])(p), qp.grad(lambda q: theirs(q)[0])(p), atol=1e-10
        )

    def test_lightning_kokkos_where_installed(self):
        """lightning.kokkos runs where its plugin is installed, else says how to install it."""
        if importlib.util.find_spec("pennylane_lightning.lightning_kokkos_ops") is None:
            with pytest.raises(DeviceConfigurationError, match="pennylane-lightning-kokkos"):
                qp.device("qnative.simulator", wires=2, backend="lightning.kokkos")
            return
        dev = qp.device("qnative.simulator", wires=2, backend="lightning.kokkos")

        @qp.qnode(dev)
        def circuit(x):
            qp.RX(x, 0)
            return qp.expval(qp.Z(0))

        assert circuit(0.4) == pytest.approx(np.cos(0.4))
