"""Tests for :mod:`pennylane_qnative.execution.batching`."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qnative.execution.batching import (
    group_by_structure,
    merge_broadcast,
    mergeable,
    split_broadcast,
    split_broadcasts,
)

QS = qp.tape.QuantumScript
HYPOTHESIS = settings(max_examples=30, deadline=None)


def _dq():
    return qp.device("default.qubit")


def _tape(x, y=0.2, *, measurements=None, shots=None):
    ops = [qp.RX(x, 0), qp.RY(y, 1), qp.CNOT([0, 1])]
    return QS(ops, measurements or [qp.expval(qp.Z(0) @ qp.Z(1))], shots=shots)


class TestMergeable:
    """Which circuits may join a broadcast."""

    @pytest.mark.parametrize(
        "tape",
        [
            pytest.param(_tape(0.1), id="expval"),
            pytest.param(_tape(0.1, measurements=[qp.var(qp.X(0))]), id="var"),
            pytest.param(_tape(0.1, measurements=[qp.probs(wires=[0, 1])]), id="probs"),
            pytest.param(_tape(0.1, measurements=[qp.state()]), id="state"),
            pytest.param(_tape(0.1, measurements=[qp.density_matrix([0])]), id="dm"),
            pytest.param(
                _tape(0.1, measurements=[qp.expval(qp.Z(0)), qp.probs(wires=[1])]), id="multi"
            ),
            pytest.param(_tape(np.array([0.1, 0.2])), id="already-broadcast"),
        ],
    )
    def test_array_measurements_are_mergeable(self, tape):
        """Circuits whose results are plain arrays may be merged."""
        assert mergeable(tape)

    @pytest.mark.parametrize(
        "tape",
        [
            pytest.param(_tape(0.1, measurements=[qp.counts(wires=[0])], shots=10), id="counts"),
            pytest.param(_tape(0.1, measurements=[qp.vn_entropy(wires=[0])]), id="entropy"),
            pytest.param(
                _tape(0.1, measurements=[qp.classical_shadow(wires=[0])], shots=10), id="shadow"
            ),
            pytest.param(
                _tape(0.1, measurements=[qp.expval(qp.Z(0)), qp.counts(wires=[1])], shots=10),
                id="one-counts-among-others",
            ),
        ],
    )
    def test_other_circuits_are_not(self, tape):
        """Broadcast circuits and non-array measurements run as they are."""
        assert not mergeable(tape)

    def test_mid_circuit_statistics_are_not(self):
        """Statistics of mid-circuit measurement values are not merged."""

        def qfunc():
            m = qp.measure(0)
            return qp.expval(m)

        assert not mergeable(qp.tape.make_qscript(qfunc)())


class TestGroupByStructure:
    """Grouping indices by structure."""

    @pytest.mark.parametrize(
        ("structures", "expected"),
        [
            pytest.param([], [], id="empty"),
            pytest.param(["a", "b", None, "a", None], [[0, 3], [1], [2], [4]], id="doc"),
            pytest.param([None, None], [[0], [1]], id="nones-alone"),
            pytest.param(["a", "a", "a"], [[0, 1, 2]], id="one-group"),
        ],
    )
    def test_examples(self, structures, expected):
        """Groups by first appearance; ``None`` alone."""
        assert group_by_structure(structures) == expected

    @given(st.lists(st.one_of(st.none(), st.sampled_from("abcd")), max_size=30))
    @HYPOTHESIS
    def test_partition_properties(self, structures):
        """Groups partition the indices, keep order, and hold one structure each."""
        groups = group_by_structure(structures)
        flat = sorted(i for g in groups for i in g)
        assert flat == list(range(len(structures)))
        firsts = [g[0] for g in groups]
        assert firsts == sorted(firsts)
        for group in groups:
            assert group == sorted(group)
            assert len({structures[i] for i in group}) == 1
            if structures[group[0]] is None:
                assert len(group) == 1
        named = {s for s in structures if s is not None}
        assert len(groups) == len(named) + structures.count(None)


class TestMergeBroadcast:
    """Merging circuits of one structure into a broadcast."""

    def test_batch_size_and_shared_parameters(self):
        """Varying parameters are stacked; shared ones stay scalars."""
        merged = merge_broadcast([_tape(0.1), _tape(0.3), _tape(0.5)])
        assert merged.batch_size == 3
        np.testing.assert_array_equal(merged.data[0], [0.1, 0.3, 0.5])
        assert np.ndim(merged.data[1]) == 0

    def test_identical_circuits_raise(self):
        """Nothing to broadcast is a ValueError."""
        with pytest.raises(ValueError, match="identical"):
            merge_broadcast([_tape(0.1), _tape(0.1)])

    def test_inputs_are_not_mutated(self):
        """Merging leaves the input circuits untouched."""
        tapes = [_tape(0.1), _tape(0.3)]
        merge_broadcast(tapes)
        assert [t.data for t in tapes] == [[0.1, 0.2], [0.3, 0.2]]
        assert all(t.batch_size is None for t in tapes)

    def test_matrix_parameters(self):
        """Matrix parameters (QubitUnitary) are stacked along a new axis."""
        u1 = qp.matrix(qp.RY(0.3, 0))
        u2 = qp.matrix(qp.RX(0.7, 0))
        tapes = [QS([qp.QubitUnitary(u, 0)], [qp.expval(qp.Z(0))]) for u in (u1, u2)]
        merged = merge_broadcast(tapes)
        assert merged.batch_size == 2
        res = split_broadcast(_dq().execute([merged])[0], 2)
        expected = _dq().execute(tapes)
        np.testing.assert_allclose(res, expected, atol=1e-12)

    @given(
        xs=st.lists(st.floats(-np.pi, np.pi, allow_nan=False), min_size=2, max_size=6),
        y=st.floats(-np.pi, np.pi, allow_nan=False),
    )
    @HYPOTHESIS
    def test_merge_then_split_equals_separate(self, xs, y):
        """Executing the merge and splitting equals executing each circuit."""
        if len(set(xs)) == 1:
            xs = [*xs[:-1], xs[-1] + 0.5]
        measurements = [qp.expval(qp.Z(0)), qp.probs(wires=[0, 1]), qp.var(qp.X(1))]
        tapes = [_tape(x, y, measurements=measurements) for x in xs]
        merged = merge_broadcast(tapes)
        parts = split_broadcast(_dq().execute([merged])[0], len(tapes))
        for part, expected in zip(parts, _dq().execute(tapes), strict=True):
            assert len(part) == len(expected) == 3
            for p, e in zip(part, expected, strict=True):
                np.testing.assert_allclose(p, e, atol=1e-12)

    def test_varying_observable_coefficients(self):
        """Circuits differing in observable coefficients give each their own value."""
        tapes = [
            _tape(0.1, measurements=[qp.expval(qp.Hamiltonian([0.5, 1.0], [qp.Z(0), qp.X(0)]))]),
            _tape(0.7, measurements=[qp.expval(qp.Hamiltonian([2.0, 3.0], [qp.Z(0), qp.X(0)]))]),
        ]
        expected = _dq().execute(tapes)
        try:
            merged = merge_broadcast(tapes)
        except ValueError:
            return  # refusing to merge is a correct answer
        parts = split_broadcast(_dq().execute([merged])[0], 2)
        np.testing.assert_allclose(parts, expected, atol=1e-12)


class TestMergeWithValues:
    """Merging from the fingerprints' parameter rows equals merging from the tapes."""

    def test_same_circuit(self):
        tapes = [_tape(x, y) for x, y in ((0.1, 0.2), (0.3, 0.2), (0.5, 0.7))]
        values = np.array([t.get_parameters(trainable_only=False) for t in tapes])
        ours, theirs = merge_broadcast(tapes, values=values), merge_broadcast(tapes)
        qp.assert_equal(ours, theirs)
        np.testing.assert_allclose(*_dq().execute([ours, theirs]), atol=1e-15)


class TestSplitBroadcast:
    """Splitting broadcast results."""

    def test_scalars(self):
        """A vector of expectation values splits into scalars."""
        parts = split_broadcast(np.array([0.1, 0.2, 0.3]), 3)
        assert parts == [0.1, 0.2, 0.3]
        assert all(np.ndim(p) == 0 for p in parts)

    def test_arrays_are_copies(self):
        """Split arrays are independent of the broadcast result."""
        result = np.arange(6.0).reshape(3, 2)
        parts = split_broadcast(result, 3)
        parts[0][0] = 99
        assert result[0, 0] == 0
        np.testing.assert_array_equal(parts[2], [4.0, 5.0])

    def test_nested_tuples(self):
        """Shot vectors and several measurements split level by level."""
        result = ((np.array([1.0, 2.0]), np.array([[0.1, 0.9], [0.2, 0.8]])), (np.array([3, 4]),))
        parts = split_broadcast(result, 2)
        assert len(parts) == 2
        assert parts[1][0][0] == 2.0
        np.testing.assert_array_equal(parts[1][0][1], [0.2, 0.8])
        assert parts[0][1][0] == 3
        assert isinstance(parts[0], tuple)
        assert isinstance(parts[0][0], tuple)

    def test_wrong_batch_axis_raises(self):
        """A result without the expected leading axis is refused."""
        with pytest.raises(ValueError, match="leading batch axis of 3"):
            split_broadcast(np.zeros((2, 4)), 3)

    def test_shot_vector_from_device(self):
        """A real broadcast result with a shot vector splits per circuit and per shot copy."""
        tapes = [
            _tape(x, measurements=[qp.expval(qp.Z(0)), qp.probs(wires=[0])], shots=(100, 200))
            for x in (0.0, np.pi)
        ]
        merged = merge_broadcast(tapes)
        res = qp.device("default.qubit", seed=3).execute([merged])[0]
        parts = split_broadcast(res, 2)
        assert len(parts) == 2
        for part, sign in zip(parts, (1.0, -1.0), strict=True):
            assert len(part) == 2  # two shot copies
            for copy in part:
                assert copy[0] == sign  # deterministic outcomes
                np.testing.assert_array_equal(copy[1], [1.0, 0.0] if sign > 0 else [0.0, 1.0])


# --- split_broadcasts against PennyLane's broadcast_expand ------------------------------------

_MEASUREMENTS = {
    "expval": lambda: qp.expval(qp.Z(0)),
    "expval-zz": lambda: qp.expval(qp.Z(0) @ qp.Z(1)),
    "var": lambda: qp.var(qp.X(1)),
    "probs": lambda: qp.probs(wires=[0, 1]),
    "probs-1": lambda: qp.probs(wires=[1]),
    "sample": lambda: qp.sample(wires=[0]),
}
_SHOTS = [None, 50, (10, 20), ((5, 2), 7)]


def _broadcast_tape(values, names, shots):
    """RX, RY, CNOT, Rot; a parameter given as an array is broadcast."""
    ops = [
        qp.RX(values[0], 0),
        qp.RY(values[1], 1),
        qp.CNOT([0, 1]),
        qp.Rot(values[2], values[3], values[4], 1),
    ]
    return QS(ops, [_MEASUREMENTS[n]() for n in names], shots=shots)


@st.composite
def _tapes(draw):
    """A batch of one to three tapes: broadcast or plain, one or several measurements."""
    tapes = []
    for _ in range(draw(st.integers(1, 3))):
        shots = draw(st.sampled_from(_SHOTS))
        allowed = [n for n in _MEASUREMENTS if shots is not None or n != "sample"]
        names = draw(st.lists(st.sampled_from(allowed), min_size=1, max_size=3, unique=True))
        size = draw(st.sampled_from([None, 1, 2, 3]))
        values = []
        for _ in range(5):
            angle = st.floats(-np.pi, np.pi, allow_nan=False)
            broadcast = size is not None and draw(st.booleans())
            values.append(np.array(draw(st.lists(angle, min_size=size, max_size=size)))
                          if broadcast else draw(angle))  # fmt: skip
        if size is not None and not any(np.ndim(v) for v in values):
            values[0] = np.full(size, 0.3)
        tapes.append(_broadcast_tape(values, names, shots))
    return tapes


def _same_ops(a, b):
    assert len(a.operations) == len(b.operations)
    for x, y in zip(a.operations, b.operations, strict=True):
        assert type(x) is type(y)
        assert x.wires == y.wires
        for p, q in zip(x.data, y.data, strict=True):
            assert qp.math.allclose(p, q, atol=0, rtol=0)
            assert np.shape(p) == np.shape(q)


def _same_result(a, b):
    """Same nesting (tuples where PennyLane has tuples), shapes and values."""
    if isinstance(b, tuple):
        assert isinstance(a, tuple)
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same_result(x, y)
        return
    assert np.shape(a) == np.shape(b)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


class TestSplitBroadcasts:
    """split_broadcasts is qp.transforms.broadcast_expand, tapes and postprocessing."""

    def _compare(self, tapes, seed=0):
        ours, stack = split_broadcasts(tapes)
        theirs, expand = qp.transforms.broadcast_expand(tapes)
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            _same_ops(a, b)
            assert a.measurements == b.measurements
            assert a.shots == b.shots
            assert a.trainable_params == b.trainable_params
        results = qp.device("default.qubit", seed=seed).execute(theirs)
        mine, pennylanes = stack(results), expand(results)
        assert len(mine) == len(pennylanes) == len(tapes)
        for a, b in zip(mine, pennylanes, strict=True):
            _same_result(a, b)

    @HYPOTHESIS
    @given(tapes=_tapes(), seed=st.integers(0, 2**16))
    def test_random_batches(self, tapes, seed):
        """Random broadcast and plain tapes, measurements and shot vectors."""
        self._compare(tapes, seed)

    @pytest.mark.parametrize("shots", [pytest.param(s, id=str(s)) for s in _SHOTS])
    @pytest.mark.parametrize(
        "names",
        [
            pytest.param(["expval"], id="one"),
            pytest.param(["expval", "probs"], id="expval-probs"),
            pytest.param(["var", "probs-1", "expval-zz"], id="three"),
        ],
    )
    @pytest.mark.parametrize("size", [pytest.param(None, id="plain"), 1, 3])
    def test_table(self, shots, names, size):
        """Each shot vector, measurement set and batch size, next to a plain tape."""
        broadcast = np.linspace(0.1, 0.9, size) if size else 0.4
        values = [broadcast, 0.2, broadcast, -0.5, 1.1]
        plain = _broadcast_tape([0.3, 0.1, 0.2, 0.4, 0.5], ["expval"], shots)
        self._compare([_broadcast_tape(values, names, shots), plain])

    def test_plain_tapes_are_kept(self):
        """A batch without broadcasts is returned as it is."""
        tapes = [_tape(0.1), _tape(0.2, measurements=[qp.probs(wires=[0])])]
        ours, stack = split_broadcasts(tapes)
        assert all(a is b for a, b in zip(ours, tapes, strict=True))
        assert stack(["r0", "r1"]) == ["r0", "r1"]
