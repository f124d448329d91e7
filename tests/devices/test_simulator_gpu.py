"""GPU backends of ``qnative.simulator``: ``lightning.gpu`` and JAX on GPU for default.qubit.

Without a GPU these tests skip (with the reason) except the ones about the error message.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pennylane as qp
import pytest

from pennylane_qnative.devices.errors import DeviceConfigurationError

QS = qp.tape.QuantumScript
HAS_LIGHTNING_GPU = importlib.util.find_spec("pennylane_lightning.lightning_gpu_ops") is not None


def _jax_gpus() -> list:
    if importlib.util.find_spec("jax") is None:
        return []
    import jax

    try:
        return jax.devices("gpu")
    except RuntimeError:  # no GPU backend in this jaxlib
        return []


def _lightning_gpu_usable() -> bool:
    if not HAS_LIGHTNING_GPU:
        return False
    try:
        qp.device("lightning.gpu", wires=1)
    except Exception:
        return False
    return True


def _tapes(n_wires=6, n=4):
    rng = np.random.default_rng(0)
    tapes = []
    for _ in range(n):
        ops = [qp.RY(a, w) for w, a in enumerate(rng.uniform(0, np.pi, n_wires))]
        ops += [qp.CNOT([w, w + 1]) for w in range(n_wires - 1)]
        tapes.append(QS(ops, [qp.expval(qp.Z(n_wires - 1)), qp.probs(wires=[0, 1])]))
    return tapes


class TestLightningGpu:
    """``backend="lightning.gpu"``."""

    @pytest.mark.skipif(HAS_LIGHTNING_GPU, reason="pennylane-lightning-gpu is installed here")
    def test_missing_plugin_says_what_to_do(self):
        """Without the plugin: what is missing, how to install it, and the CPU alternative."""
        with pytest.raises(DeviceConfigurationError, match="plugin is not installed") as info:
            qp.device("qnative.simulator", wires=2, backend="lightning.gpu")
        message = str(info.value)
        assert "pip install pennylane-lightning-gpu" in message
        assert "backend='lightning.qubit'" in message

    @pytest.mark.skipif(not _lightning_gpu_usable(), reason="needs lightning.gpu and a GPU")
    def test_equals_default_qubit(self):
        """lightning.gpu results equal default.qubit's."""
        tapes = _tapes()
        got = qp.device("qnative.simulator", wires=6, backend="lightning.gpu").execute(tapes)
        expected = qp.device("default.qubit", wires=6).execute(tapes)
        for g, e in zip(got, expected, strict=True):
            for a, b in zip(g, e, strict=True):
                np.testing.assert_allclose(a, b, atol=1e-10)


class TestJaxGpu:
    """default.qubit with the JAX interface runs where JAX puts arrays: the GPU if present."""

    @pytest.mark.skipif(not _jax_gpus(), reason="needs JAX with a GPU (jax.devices('gpu'))")
    def test_jax_results_on_gpu(self):
        """A jitted JAX QNode on qnative.simulator computes on the GPU and is correct."""
        import jax

        dev = qp.device("qnative.simulator", wires=2)

        @jax.jit
        @qp.qnode(dev, interface="jax", diff_method="backprop")
        def circuit(x):
            qp.RX(x, 0)
            qp.CNOT([0, 1])
            return qp.expval(qp.Z(1))

        x = jax.device_put(jax.numpy.array(0.4), _jax_gpus()[0])
        value = circuit(x)
        assert next(iter(value.devices())).platform == "gpu"
        np.testing.assert_allclose(value, np.cos(0.4), atol=1e-6)
