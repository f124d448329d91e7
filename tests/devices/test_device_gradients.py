"""Tests for :mod:`pennylane_qnative.devices.device_gradients` (``diff_method="device"``)."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from pennylane import numpy as pnp
from pennylane.devices import ExecutionConfig

from pennylane_qnative.cli import GRADIENTS
from pennylane_qnative.devices.device_gradients import (
    DeviceGradients,
    split_trainable_broadcasts,
    trainable_broadcast,
)
from pennylane_qnative.emulator import running
from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients.registry import canonical, resolve
from pennylane_qnative.training.config import TrainingConfig


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


class TestOneMeaningPerName:
    """A gradient method's name means the same estimator at every entry point."""

    @staticmethod
    def _qnode(dev, **gradient_kwargs):
        @qp.qnode(dev, diff_method="spsa", gradient_kwargs=gradient_kwargs)
        def circuit(x):
            qp.RX(x[0], 0)
            qp.RY(x[1], 1)
            qp.CNOT([0, 1])
            return qp.expval(qp.Z(1))

        return circuit

    @pytest.fixture(params=["qnative.simulator", "qnative.ionq"])
    def ours(self, request, tmp_path):
        if request.param == "qnative.simulator":
            yield qp.device("qnative.simulator", wires=2)
            return
        with running(api_keys=["one-meaning"]) as url:
            yield qp.device(
                "qnative.ionq", wires=2, api_url=url + "/v0.4", api_key="one-meaning",
                cache=False, journal_path=tmp_path / "journal.sqlite",
            )  # fmt: skip

    @pytest.mark.parametrize(
        "options",
        [
            pytest.param({"h": 0.1, "sampler_rng": 3}, id="pennylane-names"),
            pytest.param({"c": 0.1, "rng": 3}, id="our-names"),
        ],
    )
    def test_spsa_is_pennylanes_estimator_on_both_devices(self, ours, options):
        """diff_method="spsa": default.qubit's Jacobian for the same step and seed, with
        PennyLane's option names or ours (``c``, ``rng``), on both devices."""
        x = pnp.array([0.3, 0.5], requires_grad=True)
        theirs = qp.grad(self._qnode(qp.device("default.qubit"), h=0.1, sampler_rng=3))(x)
        np.testing.assert_allclose(qp.grad(self._qnode(ours, **options))(x), theirs, atol=1e-12)

    def test_unknown_spsa_option_is_refused_on_both_devices(self, ours):
        """An option spsa_grad does not take: our ConfigurationError, listing its options."""
        x = pnp.array([0.3, 0.5], requires_grad=True)
        with pytest.raises(ConfigurationError, match=r"does not accept \['bogus'\].*'h'"):
            qp.grad(self._qnode(ours, bogus=1))(x)

    @pytest.mark.parametrize(
        ("spellings", "name"),
        [
            pytest.param(("parameter-shift", "parameter_shift"), "parameter-shift", id="ps"),
            pytest.param(("finite-diff", "finite_diff"), "finite-diff", id="fd"),
        ],
    )
    def test_spellings_resolve_to_one_method(self, spellings, name):
        """PennyLane's spelling and ours name one method in the registry, the decorator and
        the device's gradient_kwargs["method"]."""
        assert {canonical(s) for s in spellings} == {name}
        bases = {resolve(s).base for s in spellings}
        assert len(bases) == 1
        for spelling in spellings:
            config = ExecutionConfig(
                gradient_method="device", gradient_keyword_arguments={"method": spelling}
            )
            assert DeviceGradients(None).transform(config).base in bases

    def test_trainer_and_cli_take_both_spellings(self):
        """TrainingConfig and ``qnative train --gradient`` accept PennyLane's spelling."""
        a = TrainingConfig(gradient_method="parameter-shift").gradient_method
        assert a is TrainingConfig(gradient_method="parameter_shift").gradient_method
        assert {"parameter-shift", "parameter_shift"} <= set(GRADIENTS)
        assert canonical(a) == "parameter-shift"
