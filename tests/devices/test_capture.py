"""Program capture (``qp.capture.enable()``) on both devices, with the JAX the extras pin."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest

from pennylane_qnative.devices.errors import DeviceConfigurationError
from pennylane_qnative.emulator import running

jax = pytest.importorskip("jax")
KEY = "capture-test-key"


@pytest.fixture
def capture():
    """Program capture on for the test (skipped where this JAX cannot capture)."""
    try:
        qp.capture.enable()
    except ImportError as error:  # PennyLane names the JAX version it needs
        pytest.skip(str(error))
    yield
    qp.capture.disable()


def _bell(dev, shots=None):
    @qp.set_shots(shots=shots)
    @qp.qnode(dev)
    def circuit(x):
        qp.RX(x, 0)
        qp.CNOT([0, 1])
        return qp.expval(qp.Z(1)), qp.probs(wires=[0])

    return circuit


@pytest.mark.usefixtures("capture")
class TestCapture:
    """Captured programs run and agree with default.qubit."""

    def test_simulator_values_and_grad(self):
        """qnative.simulator evaluates the program and its jax.grad as default.qubit."""
        ours = _bell(qp.device("qnative.simulator", wires=2))
        theirs = _bell(qp.device("default.qubit", wires=2))
        np.testing.assert_allclose(ours(0.4)[0], theirs(0.4)[0], atol=1e-6)
        np.testing.assert_allclose(ours(0.4)[1], theirs(0.4)[1], atol=1e-6)

        def energy(node):
            return lambda x: node(x)[0]

        np.testing.assert_allclose(
            jax.grad(energy(ours))(0.4), jax.grad(energy(theirs))(0.4), atol=1e-6
        )

    def test_backend_without_capture_is_a_clear_error(self):
        """A backend that cannot evaluate programs says so and what to use instead."""
        dev = qp.device("qnative.simulator", wires=2, backend="lightning.qubit")
        with pytest.raises(DeviceConfigurationError, match=r"default\.qubit"):
            _bell(dev)(0.4)

    def test_ionq_runs_the_program_as_one_batch(self, tmp_path):
        """qnative.ionq turns the program into a circuit: exact on the ideal simulator."""
        with running(api_keys=[KEY]) as url:
            dev = qp.device(
                "qnative.ionq", wires=2, api_url=url + "/v0.4", api_key=KEY, cache=False,
                journal_path=tmp_path / "journal.sqlite",
            )  # fmt: skip
            with qp.Tracker(dev) as tracker:
                value, probs = _bell(dev)(0.4)
        np.testing.assert_allclose(value, np.cos(0.4), atol=1e-9)
        np.testing.assert_allclose(probs, [np.cos(0.2) ** 2, np.sin(0.2) ** 2], atol=1e-9)
        assert tracker.totals["jobs"] == 1
