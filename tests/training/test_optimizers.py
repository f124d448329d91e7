"""Tests for :mod:`pennylane_qnative.training.optimizers`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.training.optimizers import (
    AdamState,
    MomentumState,
    SgdState,
    adam,
    make_optimizer,
    momentum,
    sgd,
    state_from_dict,
    state_to_dict,
)

PARAMS = np.array([0.5, -1.0, 2.0])
G1 = np.array([0.2, -0.4, 0.0])
G2 = np.array([-0.1, 0.3, 0.5])


class TestSgd:
    """Plain gradient descent."""

    def test_update(self):
        """update = -lr * grad, and the counter advances."""
        opt = sgd(0.1)
        state = opt.init(PARAMS)
        assert state == SgdState(0)
        updates, state = opt.update(G1, state, PARAMS)
        np.testing.assert_array_equal(updates, -0.1 * G1)
        assert state.count == 1


class TestMomentum:
    """Heavy-ball momentum."""

    def test_two_steps(self):
        """v1 = g1, v2 = beta v1 + g2; update = -lr * v."""
        opt = momentum(0.1, beta=0.9)
        state = opt.init(PARAMS)
        np.testing.assert_array_equal(state.velocity, np.zeros(3))
        u1, state = opt.update(G1, state, PARAMS)
        np.testing.assert_allclose(u1, -0.1 * G1, rtol=0, atol=1e-15)
        u2, state = opt.update(G2, state, PARAMS + u1)
        expected_v2 = np.array([0.9 * 0.2 - 0.1, 0.9 * -0.4 + 0.3, 0.5])
        np.testing.assert_allclose(state.velocity, expected_v2, rtol=0, atol=1e-15)
        np.testing.assert_allclose(u2, -0.1 * expected_v2, rtol=0, atol=1e-15)
        assert state.count == 2


class TestAdam:
    """Adam with bias correction."""

    def test_first_step_is_lr_times_sign(self):
        """At step 1 bias correction gives mu_hat = g, nu_hat = g^2: update = -lr g/(|g|+eps)."""
        opt = adam(0.1)
        updates, state = opt.update(G1, opt.init(PARAMS), PARAMS)
        expected = -0.1 * G1 / (np.abs(G1) + 1e-8)
        np.testing.assert_allclose(updates, expected, rtol=1e-15, atol=0)
        assert state.count == 1
        np.testing.assert_allclose(state.mu, 0.1 * G1, rtol=1e-15)
        np.testing.assert_allclose(state.nu, 0.001 * G1**2, rtol=1e-12)

    def test_second_step_by_hand(self):
        """Step 2: mu = b1 mu1 + (1-b1) g2, corrected by 1 - b1^2 (and likewise nu)."""
        b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.05
        opt = adam(lr, b1=b1, b2=b2, eps=eps)
        _, state = opt.update(G1, opt.init(PARAMS), PARAMS)
        updates, state = opt.update(G2, state, PARAMS)
        mu = b1 * (1 - b1) * G1 + (1 - b1) * G2
        nu = b2 * (1 - b2) * G1**2 + (1 - b2) * G2**2
        expected = -lr * (mu / (1 - b1**2)) / (np.sqrt(nu / (1 - b2**2)) + eps)
        np.testing.assert_allclose(updates, expected, rtol=1e-12, atol=0)
        np.testing.assert_allclose(state.mu, mu, rtol=1e-15)
        np.testing.assert_allclose(state.nu, nu, rtol=1e-12)
        assert state.count == 2

    def test_docstring_example(self):
        """Gradient of |x|^2 from (1, -2): one step moves each coordinate by lr."""
        opt = adam(0.1)
        params = np.array([1.0, -2.0])
        updates, _ = opt.update(2 * params, opt.init(params), params)
        np.testing.assert_allclose(params + updates, [0.9, -1.9], rtol=0, atol=1e-9)

    def test_init_does_not_alias(self):
        """mu and nu are separate arrays."""
        state = adam(0.1).init(PARAMS)
        assert not np.shares_memory(state.mu, state.nu)


class TestFactory:
    """make_optimizer and learning-rate validation."""

    @pytest.mark.parametrize(
        ("name", "state_type"),
        [
            pytest.param("adam", AdamState, id="adam"),
            pytest.param("sgd", SgdState, id="sgd"),
            pytest.param("momentum", MomentumState, id="momentum"),
        ],
    )
    def test_by_name(self, name, state_type):
        """Each name builds its optimiser."""
        assert isinstance(make_optimizer(name, 0.1).init(PARAMS), state_type)

    def test_unknown_name(self):
        """An unknown name lists the known ones."""
        with pytest.raises(ConfigurationError, match="'rmsprop'") as info:
            make_optimizer("rmsprop", 0.1)
        assert "['adam', 'momentum', 'sgd']" in str(info.value)

    @pytest.mark.parametrize("factory", [adam, sgd, momentum], ids=["adam", "sgd", "momentum"])
    @pytest.mark.parametrize(
        "rate",
        [pytest.param(0, id="zero"), pytest.param(-1.0, id="neg"), pytest.param("1", id="s")],
    )
    def test_bad_learning_rate(self, factory, rate):
        """A non-positive or non-numeric learning rate is refused."""
        with pytest.raises(ConfigurationError, match="learning_rate"):
            factory(rate)


def _run(opt, steps, rng):
    params = rng.normal(size=(2, 3, 2))
    state = opt.init(params)
    for _ in range(steps):
        _, state = opt.update(rng.normal(size=params.shape), state, params)
    return state


class TestStateSerialisation:
    """state_to_dict / state_from_dict."""

    @pytest.mark.parametrize(
        "opt",
        [
            pytest.param(adam(0.1), id="adam"),
            pytest.param(sgd(0.1), id="sgd"),
            pytest.param(momentum(0.1), id="momentum"),
        ],
    )
    def test_round_trip_exact_through_json(self, opt):
        """Every array comes back bit for bit, with its shape, after a JSON round trip."""
        state = _run(opt, 3, np.random.default_rng(0))
        restored = state_from_dict(json.loads(json.dumps(state_to_dict(state))))
        assert type(restored) is type(state)
        for a, b in zip(state, restored, strict=True):
            if isinstance(a, np.ndarray):
                assert a.shape == b.shape
                assert np.array_equal(a, b)
            else:
                assert a == b
                assert type(b) is int

    def test_restored_state_continues_identically(self):
        """Updating from a restored state equals updating from the original."""
        opt, rng = adam(0.1), np.random.default_rng(1)
        state = _run(opt, 2, rng)
        grads, params = rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 3, 2))
        u1, s1 = opt.update(grads, state, params)
        u2, s2 = opt.update(grads, state_from_dict(state_to_dict(state)), params)
        assert np.array_equal(u1, u2)
        assert np.array_equal(s1.nu, s2.nu)

    @settings(max_examples=40, deadline=None)
    @given(
        hnp.arrays(
            np.float64,
            hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
            elements=st.floats(allow_nan=False, allow_infinity=False, width=64),
        ),
        st.integers(0, 10**6),
    )
    def test_round_trip_any_floats(self, mu, count):
        """Any finite float64 values survive to_dict/from_dict exactly."""
        state = AdamState(count, mu, mu[::-1].copy())
        restored = state_from_dict(json.loads(json.dumps(state_to_dict(state))))
        assert restored.count == count
        assert np.array_equal(restored.mu, mu)
        assert np.array_equal(restored.nu, mu[::-1])


class TestPureOptimizerName:
    """The (init, update) pair is ``PureOptimizer``; ``Optimizer`` is its old name."""

    def test_factories_return_pure_optimizers(self):
        """Every factory returns a ``PureOptimizer``."""
        from pennylane_qnative.training import optimizers

        for name in ("adam", "sgd", "momentum"):
            assert isinstance(optimizers.make_optimizer(name, 0.1), optimizers.PureOptimizer)

    def test_old_name_warns(self):
        """``optimizers.Optimizer`` is ``PureOptimizer``, with a DeprecationWarning."""
        from pennylane_qnative.training import optimizers

        with pytest.warns(DeprecationWarning, match="PureOptimizer"):
            assert optimizers.Optimizer is optimizers.PureOptimizer
