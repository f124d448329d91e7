"""Tests for :mod:`pennylane_qnative.devices.device_gradients` (``diff_method="device"``)."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from pennylane import numpy as pnp
from pennylane.devices import ExecutionConfig

from pennylane_qnative.devices.device_gradients import (
    DeviceGradients,
    split_trainable_broadcasts,
    trainable_broadcast,
)
from pennylane_qnative.exceptions import ConfigurationError


def _config(method, **options):
    return ExecutionConfig(gradient_keyword_arguments={"method": method, **options})


class TestTransform:
    """Method names are read from the gradient registry."""

    def test_resolved_once(self):
        """The same method and options give the same (stateful) object."""
        gradients = DeviceGradients(execute=None)
        assert gradients.transform(_config("spsa", c=0.1)) is gradients.transform(
            _config("spsa", c=0.1)
        )

    def test_alias_shares_the_object(self):
        """An alias and its canonical name resolve to one object."""
        gradients = DeviceGradients(execute=None)
        alias = gradients.transform(_config("parameter_shift"))
        assert alias is gradients.transform(_config("parameter-shift"))

    def test_unknown_name(self):
        """An unknown name raises the registry's error."""
        with pytest.raises(ConfigurationError, match="Unknown gradient method 'magic'"):
            DeviceGradients(execute=None).transform(_config("magic"))


class TestServedDiffMethods:
    """``diff_method="spsa"`` on our devices: PennyLane's estimator, fused into one batch."""

    @staticmethod
    def _qnode(dev, **gradient_kwargs):
        @qp.qnode(dev, diff_method="spsa", gradient_kwargs=gradient_kwargs)
        def circuit(x):
            qp.RX(x[0], 0)
            qp.RY(x[1], 1)
            qp.CNOT([0, 1])
            return qp.expval(qp.Z(1))

        return circuit

    @pytest.mark.parametrize(
        "options",
        [
            pytest.param({"h": 0.05, "sampler_rng": 3}, id="pennylane-kwargs"),
            pytest.param({"h": 0.1, "sampler_rng": 5, "num_directions": 3}, id="directions"),
            pytest.param({"h": 0.1, "sampler_rng": 1, "strategy": "forward"}, id="forward"),
        ],
    )
    def test_same_gradient_as_default_qubit_in_one_batch(self, options):
        """The same Jacobian as default.qubit's diff_method="spsa", in one batch, not two."""
        x = pnp.array([0.3, 0.5], requires_grad=True)
        ours_dev = qp.device("qnative.simulator", wires=2)
        with qp.Tracker(ours_dev) as tracker:
            ours = qp.grad(self._qnode(ours_dev, **options))(x)
        theirs = qp.grad(self._qnode(qp.device("default.qubit", wires=2), **options))(x)
        np.testing.assert_allclose(ours, theirs, atol=1e-12)
        assert tracker.totals["batches"] == 1

    def test_our_step_name_is_accepted(self):
        """``gradient_kwargs={"c": ...}`` (our name for ``h``) works with diff_method="spsa"."""
        x = pnp.array([0.3, 0.5], requires_grad=True)
        dev = qp.device("qnative.simulator", wires=2)
        ours = qp.grad(self._qnode(dev, c=0.05, rng=3))(x)
        theirs = qp.grad(self._qnode(qp.device("default.qubit", wires=2), h=0.05, sampler_rng=3))(x)
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


class TestTrainableBroadcasts:
    """Circuits whose trainable parameters are broadcast are split before differentiation."""

    @staticmethod
    def tape(x_trainable: bool) -> qp.tape.QuantumScript:
        tape = qp.tape.QuantumScript(
            [qp.RX(np.array([0.1, 0.2, 0.3]), 0), qp.RY(0.4, 0)], [qp.expval(qp.Z(0))]
        )
        tape.trainable_params = [0, 1] if x_trainable else [1]
        return tape

    @pytest.mark.parametrize(
        ("x_trainable", "split"),
        [pytest.param(True, 3, id="trainable-broadcast"), pytest.param(False, 1, id="data")],
    )
    def test_split_only_trainable_broadcasts(self, x_trainable, split):
        """Broadcast trainable parameters split into one circuit each; broadcast data not."""
        tape = self.tape(x_trainable)
        assert trainable_broadcast(tape) is x_trainable
        tapes, post = split_trainable_broadcasts(tape)
        assert len(tapes) == split
        result = post(qp.device("default.qubit").execute(tapes))
        np.testing.assert_allclose(result, np.cos([0.1, 0.2, 0.3]) * np.cos(0.4), atol=1e-12)
