"""Tests for :mod:`pennylane_qnative.training.losses`."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from pennylane import numpy as pnp

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.training.losses import (
    LOSSES,
    accuracy,
    cross_entropy,
    encode_targets,
    hinge,
    mse,
)

OUT = np.array([0.9, -0.8, 0.1])
TGT = np.array([1.0, -1.0, -1.0])


def enable_x64(jax):
    """JAX's scoped double precision (``jax.enable_x64`` from 0.8, ``jax.experimental`` before)."""
    scoped = getattr(jax, "enable_x64", None)
    if scoped is None:
        from jax.experimental import enable_x64 as scoped
    return scoped(True)


class TestEncodeTargets:
    """encode_targets maps labels into output space."""

    @pytest.mark.parametrize(
        ("y", "expected"),
        [
            pytest.param([0, 1, 1, 0], [1.0, -1.0, -1.0, 1.0], id="zero-one"),
            pytest.param([-1, 1, 1], [-1.0, 1.0, 1.0], id="plus-minus-one"),
            pytest.param([0, 0], [1.0, 1.0], id="only-zeros"),
            pytest.param([1, 1], [-1.0, -1.0], id="only-ones-as-0-1"),
        ],
    )
    def test_binary(self, y, expected):
        """0/1 labels become +1/-1 (class 0 is <Z>=+1); -1/+1 labels are kept."""
        encoded = encode_targets(np.array(y), output_dim=1, classification=True)
        np.testing.assert_array_equal(encoded, expected)
        assert encoded.dtype == float

    def test_one_hot(self):
        """Several outputs take one-hot targets in +-1 form."""
        encoded = encode_targets(np.array([2, 0, 1]), output_dim=3, classification=True)
        np.testing.assert_array_equal(
            encoded, [[-1.0, -1.0, 1.0], [1.0, -1.0, -1.0], [-1.0, 1.0, -1.0]]
        )

    def test_regression_passthrough(self):
        """Regression targets pass through unchanged, as floats."""
        y = np.array([0.25, -3.5, 7.0])
        np.testing.assert_array_equal(encode_targets(y, output_dim=1, classification=False), y)

    @pytest.mark.parametrize(
        ("y", "output_dim", "match"),
        [
            pytest.param([0, 1, 2], 1, "binary classification needs labels", id="three-binary"),
            pytest.param([0.5, 1.0], 1, "binary classification needs labels", id="fraction"),
            pytest.param([0, 3], 3, r"integers 0\.\.2", id="label-too-big"),
            pytest.param([-1, 0], 2, r"integers 0\.\.1", id="negative-label"),
            pytest.param([0.5, 1], 2, r"integers 0\.\.1", id="non-integer"),
        ],
    )
    def test_errors(self, y, output_dim, match):
        """Labels that do not fit the outputs raise a ConfigurationError."""
        with pytest.raises(ConfigurationError, match=match):
            encode_targets(np.array(y), output_dim=output_dim, classification=True)


class TestValues:
    """Loss values on hand-computed examples."""

    def test_mse(self):
        """mean of (0.1^2, 0.2^2, 1.1^2) = 0.42."""
        assert float(mse(OUT, TGT)) == pytest.approx((0.01 + 0.04 + 1.21) / 3, abs=1e-15)

    def test_hinge(self):
        """mean of max(0, 1 - t o): (0.1, 0.2, 1.1) / 3."""
        assert float(hinge(OUT, TGT)) == pytest.approx(1.4 / 3, abs=1e-15)

    def test_hinge_zero_when_margin_met(self):
        """Outputs beyond the margin cost nothing."""
        assert float(hinge(np.array([1.0, -1.0]), np.array([1.0, -1.0]))) == 0.0

    def test_cross_entropy(self):
        """P(class 1) = (1 - o)/2: -mean(log 0.95, log 0.9, log 0.45)."""
        expected = -(np.log(0.95) + np.log(0.9) + np.log(0.45)) / 3
        assert float(cross_entropy(OUT, TGT)) == pytest.approx(expected, rel=1e-12)

    def test_cross_entropy_is_finite_at_certainty(self):
        """A certain wrong answer is clipped, not infinite."""
        value = float(cross_entropy(np.array([1.0]), np.array([-1.0])))
        assert np.isfinite(value)
        assert value == pytest.approx(-np.log(1e-9), rel=1e-6)

    @pytest.mark.parametrize(
        ("outputs", "targets", "expected"),
        [
            pytest.param([0.9, -0.8, 0.1], [1.0, -1.0, -1.0], 2 / 3, id="binary"),
            pytest.param([[0.1, 0.5], [0.7, -0.2]], [[-1, 1], [-1, 1]], 0.5, id="argmax"),
        ],
    )
    def test_accuracy(self, outputs, targets, expected):
        """Binary accuracy compares signs, multi-output accuracy the arg-max."""
        assert accuracy(np.array(outputs), np.array(targets)) == pytest.approx(expected)

    def test_registry(self):
        """LOSSES maps each config spelling to its function."""
        expected = {"mse": mse, "hinge": hinge, "cross_entropy": cross_entropy}
        assert expected == LOSSES


def _central_difference(loss, outputs, targets, h=1e-6):
    """Central differences: truncation error O(h^2) ~ 1e-12, rounding O(eps / h) ~ 1e-10."""
    return np.array(
        [
            (float(loss(outputs + h * e, targets)) - float(loss(outputs - h * e, targets)))
            / (2 * h)
            for e in np.eye(len(outputs))
        ]
    )


class TestGradients:
    """Each loss is differentiable with autograd and JAX and matches finite differences.

    The points are inside the hinge margin and away from the clipping of the cross-entropy,
    so every loss is smooth there; atol=1e-7 is far above the difference scheme's error.
    """

    TARGETS = np.array([1.0, -1.0, 1.0, -1.0])
    OUTPUTS = np.array([0.3, -0.2, -0.6, 0.45])

    @pytest.mark.parametrize("name", ["mse", "hinge", "cross_entropy"])
    def test_autograd_matches_finite_differences(self, name):
        """qp.grad (autograd) of each loss equals central differences."""
        loss = LOSSES[name]
        outputs = pnp.array(self.OUTPUTS, requires_grad=True)
        grad = qp.grad(lambda o: loss(o, self.TARGETS))(outputs)
        numeric = _central_difference(loss, self.OUTPUTS, self.TARGETS)
        np.testing.assert_allclose(np.asarray(grad), numeric, rtol=0, atol=1e-7)

    @pytest.mark.parametrize("name", ["mse", "hinge", "cross_entropy"])
    def test_jax_matches_finite_differences(self, name):
        """jax.grad (float64, scoped) of each loss equals central differences."""
        jax = pytest.importorskip("jax")
        loss = LOSSES[name]
        with enable_x64(jax):
            jnp = jax.numpy
            targets = jnp.asarray(self.TARGETS)
            grad = jax.grad(lambda o: loss(o, targets))(jnp.asarray(self.OUTPUTS))
        numeric = _central_difference(loss, self.OUTPUTS, self.TARGETS)
        np.testing.assert_allclose(np.asarray(grad), numeric, rtol=0, atol=1e-7)
