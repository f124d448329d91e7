"""Tests of ``pennylane_qnative.gradients.decorator`` (``resolve`` and ``gradient``)."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from pennylane import numpy as pnp

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients import (
    METHODS,
    SPSA,
    AdaptiveGradient,
    BoundGradient,
    NaturalGradient,
    gradient,
    resolve,
    richardson_grad,
    spsa_grad,
)

from .conftest import make_tape


class TestResolve:
    """One dispatcher for names and objects."""

    @pytest.mark.parametrize(
        ("name", "options", "kind"),
        [
            pytest.param("spsa", {"c": 0.2}, SPSA, id="spsa"),
            pytest.param("spsa-grad", {"c": 0.2}, BoundGradient, id="spsa-grad"),
            pytest.param("richardson", {"levels": 3}, BoundGradient, id="richardson"),
            pytest.param("natural", {"metric": "diag"}, NaturalGradient, id="natural"),
            pytest.param("adaptive", {"warmup": 3}, AdaptiveGradient, id="adaptive"),
            pytest.param("parameter-shift", {}, BoundGradient, id="parameter-shift"),
            pytest.param("finite-diff", {"h": 1e-5}, BoundGradient, id="finite-diff"),
        ],
    )
    def test_names(self, dev, weights, name, options, kind):
        """Every name gives a Transform whose tapes run on a device's execute."""
        transform = resolve(name, **options)
        assert isinstance(transform, kind)
        assert isinstance(transform, qp.transforms.core.Transform)
        tape = make_tape(weights)
        tapes, post = transform(tape)
        jac = post(dev.execute(tapes))
        assert np.shape(jac) == (12,)

    def test_all_names_listed(self):
        """METHODS is the list in error messages."""
        with pytest.raises(ConfigurationError, match="richardson"):
            resolve("magic")
        assert set(METHODS) >= {"spsa", "richardson", "natural", "adaptive", "parameter-shift"}

    @pytest.mark.parametrize(
        ("method", "options"),
        [
            pytest.param("richardson", {"c": 0.1}, id="stateless-bad-option"),
            pytest.param("spsa", {"bogus": 0.1}, id="stateful-bad-option"),
            pytest.param("spsa", {"gamma": 0.2}, id="schedule-option-without-schedule"),
            pytest.param(SPSA(), {"c": 0.1}, id="options-on-stateful-object"),
            pytest.param(42, {}, id="not-a-method"),
        ],
    )
    def test_refused(self, method, options):
        """Unknown options are refused before anything runs, naming the accepted ones."""
        with pytest.raises(ConfigurationError):
            resolve(method, **options)

    def test_objects(self):
        """Objects pass through; stateless transforms with options are bound."""
        spsa = SPSA()
        assert resolve(spsa) is spsa
        assert resolve(spsa_grad) is spsa_grad
        bound = resolve(richardson_grad, levels=3)
        assert bound.options == {"levels": 3}
        assert resolve(bound, h=0.1).options == {"levels": 3, "h": 0.1}

    def test_bound_options_reach_the_transform(self, weights):
        """The bound levels decide the number of tapes; call-time argnum still works."""
        tapes, _ = resolve("richardson", levels=3)(make_tape(weights), argnum=[0])
        assert len(tapes) == 6

    def test_forward_and_gradient_in_one_execute(self, dev, weights):
        """What a device does for grad_on_execution: one execute, then split the results."""
        tape = make_tape(weights)
        spsa = resolve("spsa", schedule="spall", seed=0)
        tapes, post = spsa(tape)
        results = dev.execute([tape, *tapes])
        forward, jac = results[0], post(results[1:])
        assert np.isclose(forward, qp.execute([tape], dev)[0])
        assert np.shape(jac) == (12,)
        assert spsa.k == 1


class TestDecorator:
    """``@gradient(method, **options)`` above ``@qp.qnode``."""

    def test_swaps_method_and_keeps_state(self, dev):
        """The QNode uses the resolved SPSA; its counter advances across calls."""

        @gradient("spsa", schedule="spall", c=0.2, seed=0)
        @qp.qnode(dev, diff_method="parameter-shift", gradient_kwargs={"shifts": [(0.1,)]})
        def circuit(x):
            qp.RX(x, 0)
            return qp.expval(qp.Z(0))

        assert isinstance(circuit.diff_method, SPSA)
        x = pnp.array(0.5, requires_grad=True)
        for _ in range(2):
            qp.grad(circuit)(x)
        assert circuit.diff_method.k == 2
        assert circuit.diff_method.gains.c == 0.2

    @pytest.mark.parametrize(
        "method",
        [
            pytest.param("richardson", id="richardson"),
            pytest.param("natural", id="natural"),
            pytest.param("adaptive", id="adaptive"),
            pytest.param("parameter-shift", id="parameter-shift"),
            pytest.param(qp.gradients.param_shift, id="transform-object"),
        ],
    )
    def test_gradients_are_right(self, dev, method):
        """Deterministic methods give the exact derivative on a one-parameter circuit."""

        @gradient(method)
        @qp.qnode(dev)
        def circuit(x):
            qp.RX(x, 0)
            return qp.expval(qp.Z(0))

        g = qp.grad(circuit)(pnp.array(0.5, requires_grad=True))
        expected = -np.sin(0.5)
        if method == "natural":  # G = 1/4, lam = 0.01
            expected = expected / (0.25 + 0.01)
        assert np.isclose(g, expected, atol=1e-6 if method != "adaptive" else 0.05)

    def test_refuses_plain_function(self):
        """Placed below @qp.qnode it explains where it belongs."""
        with pytest.raises(ConfigurationError, match=r"above @qp\.qnode"):
            gradient("spsa")(lambda x: x)

    def test_torch(self, dev):
        """The decorated QNode works with torch."""
        torch = pytest.importorskip("torch")

        @gradient("richardson", levels=2)
        @qp.qnode(dev)
        def circuit(x):
            qp.RX(x, 0)
            return qp.expval(qp.Z(0))

        x = torch.tensor(0.5, requires_grad=True, dtype=torch.float64)
        circuit(x).backward()
        assert np.isclose(x.grad.item(), -np.sin(0.5), atol=1e-9)
