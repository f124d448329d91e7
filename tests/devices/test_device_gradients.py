"""Tests for :mod:`pennylane_qnative.devices.device_gradients` (``diff_method="device"``)."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from pennylane import numpy as pnp
from pennylane.devices import ExecutionConfig

from pennylane_qnative.cli import GRADIENTS, build_parser
from pennylane_qnative.devices.device_gradients import (
    DeviceGradients,
    split_trainable_broadcasts,
    trainable_broadcast,
)
from pennylane_qnative.emulator import running
from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients import SPSA, Schedule, gradient
from pennylane_qnative.gradients.registry import BoundGradient, canonical, resolve
from pennylane_qnative.training import QuantumTrainer
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


def _method_of(transform):
    """What a resolved gradient is: the SPSA class, or a bound transform's base."""
    if isinstance(transform, SPSA):
        return SPSA
    return transform.base if isinstance(transform, BoundGradient) else transform


def _circuit(x):
    qp.RX(x[0], 0)
    qp.RY(x[1], 1)
    qp.CNOT([0, 1])
    return qp.expval(qp.Z(1))


# spelling -> the method every entry point must give (PennyLane's spellings first)
SPELLINGS = [
    pytest.param("spsa", SPSA, id="spsa"),
    pytest.param("parameter-shift", qp.gradients.param_shift, id="parameter-shift"),
    pytest.param("parameter_shift", qp.gradients.param_shift, id="parameter_shift"),
    pytest.param("finite-diff", qp.gradients.finite_diff, id="finite-diff"),
    pytest.param("finite_diff", qp.gradients.finite_diff, id="finite_diff"),
]


@pytest.fixture(scope="module")
def ionq(tmp_path_factory):
    """qnative.ionq against the emulator."""
    with running(api_keys=["k"]) as url:
        yield qp.device(
            "qnative.ionq", wires=2, api_url=url + "/v0.4", api_key="k", cache=False,
            journal_path=tmp_path_factory.mktemp("ionq") / "j.sqlite",
        )  # fmt: skip


class TestEveryEntryPoint:
    """Each spelling names one method at every entry point: resolve, the decorator, the
    device's gradient_kwargs["method"], diff_method on both devices, TrainingConfig, the CLI."""

    @pytest.mark.parametrize(("spelling", "method"), SPELLINGS)
    def test_library_entry_points(self, spelling, method):
        """resolve, the decorator and diff_method="device" with gradient_kwargs["method"]."""
        assert _method_of(resolve(spelling)) is method
        decorated = gradient(spelling)(qp.QNode(_circuit, qp.device("default.qubit")))
        assert _method_of(decorated.diff_method) is method
        config = ExecutionConfig(
            gradient_method="device", gradient_keyword_arguments={"method": spelling}
        )
        assert _method_of(DeviceGradients(None).transform(config)) is method

    @pytest.mark.parametrize(
        ("spelling", "method"), [s for s in SPELLINGS if "_" not in s.values[0]]
    )
    def test_diff_method_on_both_devices(self, ionq, spelling, method):
        """diff_method=<PennyLane's string> on qnative.simulator (served in the device) and
        qnative.ionq (run on the user's circuit): the same method (diff_method takes
        PennyLane's spellings only)."""
        x = pnp.array([0.3, 0.5], requires_grad=True)
        for dev in (qp.device("qnative.simulator", wires=2), ionq):
            qnode = qp.QNode(_circuit, dev, diff_method=spelling)
            config = qp.workflow.construct_execution_config(qnode)(x)
            if config.gradient_method == "device":
                resolved = DeviceGradients(None).transform(config)
            else:
                resolved = config.gradient_method
            assert _method_of(resolved) is method, dev.name

    @pytest.mark.parametrize(("spelling", "method"), SPELLINGS[:3])
    def test_trainer_and_cli(self, spelling, method):
        """TrainingConfig.gradient_method and ``qnative train --gradient``: the same method,
        with the trainer's options (Spall's schedule for "spsa")."""
        args = build_parser().parse_args(["train", "--gradient", spelling])
        for name in (spelling, args.gradient):
            config = TrainingConfig(n_qubits=2, circuit_depth=1, gradient_method=name, seed=0)
            trained = QuantumTrainer(config, progress=False).gradient
            assert _method_of(trained) is method
        if method is SPSA:
            assert trained.schedule is Schedule.SPALL

    @pytest.mark.parametrize("spelling", ["finite-diff", "finite_diff"])
    def test_trainer_and_cli_refuse_finite_differences(self, spelling):
        """The trainer offers no finite differences, in either spelling (nor the CLI)."""
        assert spelling not in GRADIENTS
        with pytest.raises(ConfigurationError, match="gradient_method"):
            TrainingConfig(gradient_method=spelling)

    def test_spsa_options_mean_the_same_under_both_spellings(self):
        """diff_method="spsa" with gradient_kwargs={"c": 0.2, ...} is gradient_kwargs={"method":
        "spsa", "c": 0.2, ...}: one object on the device, one Jacobian, PennyLane's h=0.2."""
        x = pnp.array([0.3, 0.5], requires_grad=True)
        dev = qp.device("qnative.simulator", wires=2)
        served = qp.QNode(_circuit, dev, diff_method="spsa", gradient_kwargs={"c": 0.2, "rng": 3})
        named = qp.QNode(
            _circuit, dev, diff_method="device",
            gradient_kwargs={"method": "spsa", "c": 0.2, "rng": 3},
        )  # fmt: skip
        configs = [qp.workflow.construct_execution_config(q)(x) for q in (served, named)]
        gradients = DeviceGradients(None)
        spsa = gradients.transform(configs[0])
        assert spsa is gradients.transform(configs[1])
        assert (spsa.schedule, spsa.c_k) == (Schedule.CONSTANT, 0.2)
        theirs = qp.QNode(
            _circuit, qp.device("default.qubit"), diff_method="spsa",
            gradient_kwargs={"h": 0.2, "sampler_rng": 3},
        )  # fmt: skip
        expected = qp.grad(theirs)(x)
        np.testing.assert_allclose(qp.grad(served)(x), expected, atol=1e-12)
        np.testing.assert_allclose(qp.grad(named)(x), expected, atol=1e-12)

    def test_spall_schedule_through_diff_method(self, ionq):
        """diff_method="spsa" with schedule="spall": Spall's SPSA, kept by the device across
        steps (the same gradients as one SPSA object on default.qubit), on both devices."""
        kwargs = {"schedule": "spall", "c": 0.2, "seed": 0}
        x = pnp.array([0.3, 0.5], requires_grad=True)
        reference = qp.QNode(_circuit, qp.device("default.qubit"), diff_method=SPSA(**kwargs))
        served = qp.QNode(
            _circuit, qp.device("qnative.simulator", wires=2), diff_method="spsa",
            gradient_kwargs=kwargs,
        )  # fmt: skip
        for _ in range(3):
            np.testing.assert_allclose(qp.grad(served)(x), qp.grad(reference)(x), atol=1e-12)
        on_ionq = qp.set_shots(
            qp.QNode(_circuit, ionq, diff_method="spsa", gradient_kwargs=kwargs), 100
        )
        for _ in range(2):
            qp.grad(on_ionq)(x)
        spsa = qp.workflow.construct_execution_config(on_ionq)(x).gradient_method
        assert spsa.schedule is Schedule.SPALL
        assert spsa.k == 2
