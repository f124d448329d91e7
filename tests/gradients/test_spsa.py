"""Tests of ``pennylane_qnative.gradients.spsa``."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from pennylane import numpy as pnp

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients import (
    SPSA,
    HadamardSampler,
    Schedule,
    SPSAGains,
    rademacher_sampler,
    spsa_grad,
)

from .conftest import ansatz, exact_jacobian, make_tape


def one_param_qnode(dev, diff_method, **kwargs):
    """A QNode whose only tape parameter is x**2 (classical processing inside)."""

    @qp.qnode(dev, diff_method=diff_method, **kwargs)
    def circuit(x):
        qp.RX(x**2, 0)
        return qp.expval(qp.Z(0))

    return circuit


def d_one_param(x):
    return -2 * x * np.sin(x**2)


class TestSpsaGradTapes:
    """Circuit counts and output structure of ``spsa_grad`` on tapes."""

    @pytest.mark.parametrize(
        ("strategy", "order", "num_directions", "expected"),
        [
            pytest.param("center", 2, 1, 2, id="center-1"),
            pytest.param("center", 2, 3, 6, id="center-3"),
            pytest.param("forward", 1, 1, 2, id="forward-1"),
            pytest.param("forward", 1, 4, 5, id="forward-4"),
            pytest.param("forward", 2, 1, 3, id="forward-order-2"),
            pytest.param("backward", 2, 4, 9, id="backward-order-2"),
        ],
    )
    def test_number_of_tapes(self, weights, strategy, order, num_directions, expected):
        """The number of tapes is independent of the number of parameters."""
        tapes, _ = spsa_grad(
            make_tape(weights),
            strategy=strategy,
            approx_order=order,
            num_directions=num_directions,
            rng=0,
        )
        assert len(tapes) == expected

    def test_single_parameter_is_central_difference(self, dev):
        """With one parameter the estimate is a deterministic central difference."""
        tape = qp.tape.QuantumScript([qp.RX(pnp.array(0.4), 0)], [qp.expval(qp.Z(0))])
        tapes, fn = spsa_grad(tape, c=1e-4, rng=1)
        assert np.isclose(fn(qp.execute(tapes, dev)), -np.sin(0.4), atol=1e-7)

    def test_argnum_zeroes_other_parameters(self, dev, weights):
        """Parameters outside ``argnum`` are neither perturbed nor differentiated."""
        tape = make_tape(weights)
        tapes, fn = spsa_grad(tape, argnum=[0, 2], rng=3)
        jac = np.array(fn(qp.execute(tapes, dev)))
        assert jac.shape == (12,)
        assert np.count_nonzero(jac) == 2
        assert jac[0] != 0
        assert jac[2] != 0

    def test_multiple_measurements_and_probs(self, dev, weights):
        """Several measurements nest outside the parameter axis, probs keep their shape."""
        tape = make_tape(weights, measurements=[qp.expval(qp.Z(0)), qp.probs(wires=[0, 1])])
        tapes, fn = spsa_grad(tape, rng=3)
        jac = fn(qp.execute(tapes, dev))
        assert len(jac) == 2
        assert len(jac[0]) == 12
        assert np.shape(jac[1][0]) == (4,)

    def test_shot_vector(self, dev, weights):
        """A shot vector gives one Jacobian per shot setting."""
        tape = make_tape(weights, shots=(100, 200, 300))
        tapes, fn = spsa_grad(tape, rng=3)
        jac = fn(qp.execute(tapes, dev))
        assert len(jac) == 3
        assert all(len(j) == 12 for j in jac)

    def test_per_parameter_steps(self, dev):
        """An array ``c`` sets one step per parameter (PennyLane's spsa_grad rejects it)."""
        tape = qp.tape.QuantumScript(
            [qp.RX(pnp.array(0.4), 0), qp.RY(pnp.array(0.2), 0)], [qp.expval(qp.Z(0))]
        )
        tapes, _ = spsa_grad(tape, c=[0.1, 0.01], rng=0)
        shift = np.array(tapes[0].get_parameters()) - np.array([0.4, 0.2])
        assert np.allclose(np.abs(shift), [0.1, 0.01])

    def test_same_seed_same_directions(self, weights):
        """An int ``rng`` is deterministic; a Generator keeps advancing."""
        tape = make_tape(weights)
        first = spsa_grad(tape, rng=5)[0][0].get_parameters()
        assert np.allclose(first, spsa_grad(tape, rng=5)[0][0].get_parameters())
        gen = np.random.default_rng(5)
        a = spsa_grad(tape, rng=gen)[0][0].get_parameters()
        b = spsa_grad(tape, rng=gen)[0][0].get_parameters()
        assert not np.allclose(a, b)


class TestSpsaGradValidation:
    """Bad options are refused before anything runs."""

    @pytest.mark.parametrize(
        "options",
        [
            pytest.param({"c": 0.0}, id="zero-c"),
            pytest.param({"c": [0.1, 0.2]}, id="wrong-length-c"),
            pytest.param({"num_directions": 0}, id="no-direction"),
            pytest.param({"strategy": "sideways"}, id="strategy"),
            pytest.param({"rng": "seed"}, id="rng"),
            pytest.param({"sampler_rng": "seed"}, id="sampler_rng"),
            pytest.param({"h": 0.1, "c": 0.1}, id="h-and-c"),
            pytest.param({"approx_order": 0}, id="approx-order"),
            pytest.param({"strategy": "center", "approx_order": 1}, id="odd-center"),
            pytest.param(
                {"sampler": lambda idx, n, rep, rng: np.zeros(n + 1)}, id="sampler-length"
            ),
        ],
    )
    def test_refused(self, weights, options):
        """Each bad option raises ConfigurationError (also a ValueError)."""
        with pytest.raises(ConfigurationError):
            spsa_grad(make_tape(weights), **options)

    def test_trainable_broadcast_refused(self):
        """Broadcasting a trainable parameter is refused as in PennyLane."""
        tape = qp.tape.QuantumScript([qp.RX(pnp.array([0.1, 0.2]), 0)], [qp.expval(qp.Z(0))])
        with pytest.raises(NotImplementedError):
            spsa_grad(tape)


class TestSpsaStatistics:
    """The estimator is unbiased: the mean of many estimates matches the exact gradient."""

    def test_mean_of_2000_estimates(self, dev):
        """The mean of 2,000 estimates is within 4 standard errors of the exact gradient."""
        weights = pnp.array(np.random.default_rng(0).uniform(0, np.pi, 8), requires_grad=True)
        tape = make_tape(weights, wires=2, measurements=[qp.expval(qp.Z(0) @ qp.X(1))])
        rng = np.random.default_rng(2026)
        batches = [spsa_grad(tape, c=1e-3, rng=rng) for _ in range(2000)]
        results = qp.execute([t for tapes, _ in batches for t in tapes], dev)
        estimates = np.array([fn(results[2 * i : 2 * i + 2]) for i, (_, fn) in enumerate(batches)])
        exact = exact_jacobian(tape, dev)
        # bias O(c^2) ~ 1e-6 is negligible next to the standard error (~1e-2)
        std_error = estimates.std(axis=0, ddof=1) / np.sqrt(len(estimates))
        mean = estimates.mean(axis=0)
        assert np.all(np.abs(mean - exact) < 4 * std_error)
        # the test has power: a sign error on any sizeable component would be detected
        sizeable = np.abs(exact) > 0.05
        assert sizeable.sum() >= 4
        assert np.all(np.abs(mean + exact)[sizeable] > 4 * std_error[sizeable])


class TestSpsaBroadcasting:
    """A data-broadcast tape is perturbed once for the whole batch."""

    def test_32_parameters_batch_10_costs_2_tapes(self):
        """32 parameters, batch of 10 inputs: the batch-loss gradient runs 2 circuits."""
        dev = qp.device("default.qubit")
        data = np.random.default_rng(1).uniform(0, np.pi, (10, 4))

        @qp.qnode(dev)
        def model(w):
            for i in range(4):
                qp.RX(data[:, i], i)
            ansatz(w, wires=4)
            return qp.expval(qp.Z(0))

        w = pnp.array(np.random.default_rng(2).uniform(0, 1, 32), requires_grad=True)
        with qp.Tracker(dev) as tracker:
            jac = spsa_grad(model, rng=0)(w)
        assert tracker.totals["simulations"] == 2  # two broadcast tapes
        assert tracker.totals["executions"] == 20  # ... of 10 circuits each
        assert np.shape(jac) == (10, 32)
        # one direction shared by the batch: every row is a multiple of the same sign pattern
        signs = np.sign(jac)
        assert np.all((signs == signs[0]) | (signs == -signs[0]))


class TestSpsaInterfaces:
    """``spsa_grad`` and ``SPSA`` as ``diff_method`` through every interface."""

    @pytest.mark.parametrize(
        "method", [pytest.param(spsa_grad, id="spsa_grad"), pytest.param("SPSA", id="SPSA")]
    )
    def test_autograd(self, dev, method):
        """qp.grad through classical processing inside the QNode."""
        method = SPSA(schedule="spall", c=1e-4, seed=0) if method == "SPSA" else method
        kwargs = {"gradient_kwargs": {"c": 1e-4}} if method is spsa_grad else {}
        circuit = one_param_qnode(dev, method, **kwargs)
        x = pnp.array(0.7, requires_grad=True)
        assert np.isclose(qp.grad(circuit)(x), d_one_param(0.7), atol=1e-6)

    def test_jax_grad_and_jit(self, dev):
        """jax.grad and jax.jit(jax.grad) both work and each advances SPSA once."""
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)
        spsa = SPSA(schedule="spall", c=1e-4, seed=0)
        circuit = one_param_qnode(dev, spsa, interface="jax")
        x = jax.numpy.array(0.7)
        assert np.isclose(jax.grad(circuit)(x), d_one_param(0.7), atol=1e-6)
        assert np.isclose(jax.jit(jax.grad(circuit))(x), d_one_param(0.7), atol=1e-6)
        assert spsa.k == 2

    def test_torch(self, dev):
        """torch backward through the QNode."""
        torch = pytest.importorskip("torch")
        circuit = one_param_qnode(dev, spsa_grad, gradient_kwargs={"c": 1e-4})
        x = torch.tensor(0.7, requires_grad=True, dtype=torch.float64)
        circuit(x).backward()
        assert np.isclose(x.grad.item(), d_one_param(0.7), atol=1e-6)

    def test_applied_to_qnode_with_argnum(self, dev):
        """Applied to a QNode, ``argnum`` selects QNode arguments as in PennyLane."""

        @qp.qnode(dev)
        def circuit(x, y):
            qp.RX(x, 0)
            qp.RY(y, 0)
            return qp.expval(qp.Z(0))

        x, y = pnp.array(0.3, requires_grad=True), pnp.array(0.5, requires_grad=True)
        jac = spsa_grad(circuit, argnum=[1], c=1e-4, rng=0)(x, y)
        assert jac[0] == 0
        assert np.isclose(jac[1], -np.cos(0.3) * np.sin(0.5), atol=1e-6)


class TestSPSAObject:
    """The stateful ``SPSA``: schedules, counter, checkpoints, calibration."""

    def test_schedules(self):
        """c_k and a_k follow the spec's formulas with the spec's defaults."""
        gains = SPSAGains()
        assert (gains.c, gains.gamma, gains.a, gains.alpha) == (0.1, 0.101, 0.01, 0.602)
        assert np.isclose(gains.perturbation(4), 0.1 / 5**0.101)
        assert np.isclose(SPSAGains(A=2.0).learning_rate(4), 0.01 / 7**0.602)

    def test_counter_advances_once_per_evaluation(self, dev, weights):
        """k advances once per evaluation of a batch of tapes, not once per tape."""
        spsa = SPSA(schedule="spall", seed=0)
        tapes_in = [make_tape(weights), make_tape(weights * 2), make_tape(weights * 3)]
        tapes, fn = spsa(tapes_in)
        assert spsa.k == 0
        fn(qp.execute(tapes, dev))
        assert spsa.k == 1
        # every tape of the evaluation used c_0
        shift = np.abs(np.array(tapes[0].get_parameters()) - np.array(weights))
        assert np.allclose(shift, 0.1)
        tapes, fn = spsa(make_tape(weights))
        shift = np.abs(np.array(tapes[0].get_parameters()) - np.array(weights))
        assert np.allclose(shift, 0.1 / 2**0.101)

    def test_counter_through_training_steps(self, dev):
        """Three optimiser steps on a QNode make k == 3."""
        spsa = SPSA(schedule="spall", seed=0)
        circuit = one_param_qnode(dev, spsa)
        opt = qp.GradientDescentOptimizer(0.1)
        x = pnp.array(0.5, requires_grad=True)
        for _ in range(3):
            x = opt.step(circuit, x)
        assert spsa.k == 3

    def test_scale_by_gain(self, dev):
        """With scale_by_gain the Jacobian is multiplied by a_k."""
        spsa = SPSA(schedule="spall", c=1e-4, a=0.5, scale_by_gain=True, seed=0)
        circuit = one_param_qnode(dev, spsa)
        g = qp.grad(circuit)(pnp.array(0.7, requires_grad=True))
        assert np.isclose(g, 0.5 * d_one_param(0.7), atol=1e-6)

    def test_state_dict_round_trip(self, dev, weights):
        """A restored object draws the same directions and has the same gains and k."""
        spsa = SPSA(schedule="spall", seed=3, a=0.2)
        for _ in range(2):
            tapes, fn = spsa(make_tape(weights))
            fn(qp.execute(tapes, dev))
        state = spsa.state_dict()
        clone = SPSA(schedule="spall", seed=99)
        clone.load_state_dict(state)
        assert clone.k == 2
        assert clone.gains == spsa.gains
        a, b = spsa(make_tape(weights))[0][0], clone(make_tape(weights))[0][0]
        assert np.allclose(a.get_parameters(), b.get_parameters())

    def test_default_directions_are_hadamard_cycles(self, weights):
        """By default each object draws its own Hadamard cycles: over 16 evaluations of 12
        parameters (order 16) the directions D satisfy sum D D^T = 16 I exactly; spsa_grad and
        rademacher_sampler stay independent draws."""

        def directions(spsa):  # k stays 0 (nothing executed): every step is c_0 = 0.1
            pairs = [spsa(make_tape(weights))[0] for _ in range(16)]
            return (
                np.array([np.subtract(p.get_parameters(), m.get_parameters()) for p, m in pairs])
                / 0.2
            )

        spsa = SPSA(schedule="spall", seed=0)
        assert spsa.sampler is not SPSA(schedule="spall", seed=0).sampler
        d = directions(spsa)
        assert np.allclose(np.abs(d), 1.0)
        assert np.allclose(d.T @ d, 16 * np.eye(12))
        d = directions(SPSA(schedule="spall", seed=0, sampler=rademacher_sampler))
        assert not np.allclose(d.T @ d, 16 * np.eye(12))

    def test_load_incomplete_state_refused(self):
        """A partial state dict is refused with the missing keys."""
        with pytest.raises(ConfigurationError, match="missing"):
            SPSA().load_state_dict({"k": 1})

    def test_calibrate_sets_first_step(self, dev):
        """After calibration a_0 * |g| is the target magnitude (one-parameter case)."""
        circuit = one_param_qnode(dev, "parameter-shift")
        spsa = SPSA(schedule="spall", c=1e-3, A=5.0, seed=0)
        a = spsa.calibrate(lambda x: circuit(x[0]), np.array([0.7]), target_magnitude=0.3)
        assert np.isclose(spsa.gains.a, a)
        assert np.isclose(spsa.a_k * abs(d_one_param(0.7)), 0.3, rtol=1e-4)
        assert spsa.k == 0

    @pytest.mark.parametrize(
        "options",
        [
            pytest.param({"c": -1.0}, id="negative-c"),
            pytest.param({"schedule": "spall", "a": 0.0}, id="zero-a"),
            pytest.param({"schedule": "spall", "alpha": float("nan")}, id="nan-alpha"),
            pytest.param({"approx_order": 3}, id="odd-center-order"),
            pytest.param({"schedule": "linear"}, id="schedule"),
            pytest.param({"num_directions": 0}, id="directions"),
            pytest.param({"strategy": "sideways"}, id="strategy"),
        ],
    )
    def test_bad_options(self, options):
        """Invalid gains are refused at construction."""
        with pytest.raises(ConfigurationError):
            SPSA(**options)

    def test_is_a_pennylane_transform(self):
        """QNodes accept only Transform objects as custom diff_method."""
        assert isinstance(SPSA(), qp.transforms.core.Transform)
        assert rademacher_sampler([0, 2], 3, rng=np.random.default_rng(0))[1] == 0


class TestPennyLaneDropIn:
    """``spsa_grad`` takes ``qp.gradients.spsa_grad``'s arguments with the same meaning."""

    CASES = [
        pytest.param({}, id="defaults"),
        pytest.param({"num_directions": 3}, id="directions"),
        pytest.param({"strategy": "forward"}, id="forward"),
        pytest.param({"strategy": "backward", "approx_order": 1}, id="backward-1"),
        pytest.param({"strategy": "center", "approx_order": 4}, id="center-4"),
        pytest.param({"n": 2, "approx_order": 2}, id="second-derivative"),
        pytest.param({"argnum": [0, 3]}, id="argnum"),
        pytest.param({"validate_params": False}, id="no-validation"),
    ]

    @pytest.mark.parametrize("options", CASES)
    def test_same_tapes_and_jacobian(self, dev, weights, options):
        """Same options, same seed: the same circuits and the same Jacobian as PennyLane's."""
        tape = make_tape(weights)
        ours, our_fn = spsa_grad(tape, h=0.05, sampler_rng=42, **options)
        theirs, their_fn = qp.gradients.spsa_grad(tape, h=0.05, sampler_rng=42, **options)
        assert len(ours) == len(theirs)
        np.testing.assert_allclose(
            sorted(t.get_parameters() for t in ours),
            sorted(t.get_parameters() for t in theirs),
            atol=1e-12,
        )
        np.testing.assert_allclose(
            our_fn(qp.execute(ours, dev)), their_fn(qp.execute(theirs, dev)), atol=1e-10
        )

    def test_positional_arguments(self, dev, weights):
        """PennyLane's positional order: (tape, argnum, h, approx_order, n, strategy, ...)."""
        tape = make_tape(weights)
        ours, our_fn = spsa_grad(tape, None, 0.05, 2, 1, "center", None, True, 2)
        theirs, their_fn = qp.gradients.spsa_grad(tape, None, 0.05, 2, 1, "center", None, True, 2)
        assert len(ours) == len(theirs) == 4
        assert our_fn(qp.execute(ours, dev)) != ()  # runs
        assert their_fn(qp.execute(theirs, dev)) != ()

    def test_f0_saves_the_unshifted_circuit(self, dev, weights):
        """``f0`` (the tape's own result) replaces the unshifted circuit of a forward rule."""
        tape = make_tape(weights)
        f0 = qp.execute([tape], dev)[0]
        with_f0, fn = spsa_grad(tape, h=0.05, strategy="forward", f0=f0, sampler_rng=1)
        without, fn_plain = spsa_grad(tape, h=0.05, strategy="forward", sampler_rng=1)
        assert len(with_f0) == len(without) - 1
        np.testing.assert_allclose(
            fn(qp.execute(with_f0, dev)), fn_plain(qp.execute(without, dev)), atol=1e-12
        )

    def test_as_diff_method_with_pennylane_kwargs(self, dev):
        """``gradient_kwargs`` in PennyLane's spelling work with ``diff_method=spsa_grad``."""
        kwargs = {"h": 1e-4, "sampler_rng": 3, "num_directions": 2}
        ours = one_param_qnode(dev, spsa_grad, gradient_kwargs=kwargs)
        x = pnp.array(0.7, requires_grad=True)
        assert np.isclose(qp.grad(ours)(x), d_one_param(0.7), atol=1e-6)


def _parameters(tapes):
    return np.array([t.get_parameters() for t in tapes])


def options_pl(options):
    """Our option names in PennyLane's spelling (h, sampler_rng)."""
    names = {"c": "h", "rng": "sampler_rng"}
    return {names.get(k, k): v for k, v in options.items()}


class TestSchedules:
    """``SPSA`` is PennyLane's ``spsa_grad`` by default and Spall's algorithm on request."""

    @pytest.mark.parametrize("options", TestPennyLaneDropIn.CASES)
    def test_pennylane_options_give_pennylanes_jacobian(self, dev, weights, options):
        """Only spsa_grad's options: the same circuits and Jacobian as qp.gradients.spsa_grad
        for the same sampler_rng (the object's default schedule is PennyLane's)."""
        tape = make_tape(weights)
        options = dict(options)
        argnum = options.pop("argnum", None)
        spsa = SPSA(h=0.05, sampler_rng=42, **options)
        ours, our_fn = spsa(tape, argnum=argnum)
        theirs, their_fn = qp.gradients.spsa_grad(
            tape, argnum=argnum, h=0.05, sampler_rng=42, **options
        )
        np.testing.assert_allclose(_parameters(ours), _parameters(theirs), atol=1e-12)
        np.testing.assert_allclose(
            our_fn(qp.execute(ours, dev)), their_fn(qp.execute(theirs, dev)), atol=1e-10
        )
        assert spsa.k == 1
        assert spsa.schedule is Schedule.CONSTANT

    @pytest.mark.parametrize(
        "options",
        [
            pytest.param({"h": 0.1, "sampler_rng": 7}, id="pennylane-names"),
            pytest.param({"c": 0.1, "rng": 7}, id="our-names"),
        ],
    )
    def test_as_diff_method_matches_pennylane_on_default_qubit(self, options):
        """As a QNode's diff_method on default.qubit: PennyLane's diff_method="spsa"."""
        dev = qp.device("default.qubit")
        x = pnp.array([0.3, 0.4], requires_grad=True)

        def circuit(x):
            qp.RX(x[0], 0)
            qp.RY(x[1], 0)
            return qp.expval(qp.Z(0))

        ours = qp.grad(qp.qnode(dev, diff_method=SPSA(**options))(circuit))(x)
        theirs = qp.QNode(circuit, dev, diff_method="spsa", gradient_kwargs=options_pl(options))
        np.testing.assert_allclose(ours, qp.grad(theirs)(x), atol=1e-12)

    def test_defaults_are_pennylanes(self):
        """Without options: h=1e-5 at every evaluation, Rademacher directions, order 2."""
        spsa = SPSA()
        assert (spsa.c_k, spsa.sampler, spsa.approx_order) == (1e-5, rademacher_sampler, 2)
        spsa.k = 10
        assert spsa.c_k == 1e-5

    def test_int_sampler_rng_repeats_a_generator_advances(self, weights):
        """PennyLane's seeding: an int draws the same directions at every evaluation, a
        Generator advances."""
        tape = make_tape(weights)
        fixed = SPSA(h=0.1, sampler_rng=3)
        assert np.array_equal(_parameters(fixed(tape)[0]), _parameters(fixed(tape)[0]))
        moving = SPSA(h=0.1, sampler_rng=np.random.default_rng(3))
        assert not np.array_equal(_parameters(moving(tape)[0]), _parameters(moving(tape)[0]))

    @pytest.mark.parametrize(
        ("options", "words"),
        [
            pytest.param({"gamma": 0.2}, "schedule='spall'", id="gamma"),
            pytest.param({"seed": 0}, "sampler_rng=", id="seed"),
            pytest.param({"scale_by_gain": True}, "schedule='spall'", id="scale-by-gain"),
            pytest.param({"schedule": "spall", "sampler_rng": 1}, "seed=", id="stream"),
            pytest.param({"h": 0.1, "c": 0.1}, "not both", id="h-and-c"),
        ],
    )
    def test_options_of_the_other_schedule_refused(self, options, words):
        """Nothing is inferred: an option of the other schedule says what to pass instead."""
        with pytest.raises(ConfigurationError, match=words):
            SPSA(**options)

    def test_spall_defaults(self):
        """schedule="spall": c=0.1 decaying with Spall's exponents, Hadamard directions."""
        spsa = SPSA(schedule="spall", seed=0)
        assert spsa.gains == SPSAGains()
        assert isinstance(spsa.sampler, HadamardSampler)
        spsa.k = 4
        assert np.isclose(spsa.c_k, 0.1 / 5**0.101)

    # Written by the SPSA of before the two schedules (SPSA(seed=0, num_directions=2) on a
    # 3-parameter tape, 3 evaluations): its tapes and a checkpoint, which must be reproduced.
    OLD_TAPES = [
        [[0.2, 0.3, 0.2], [0.0, 0.1, 0.4], [0.2, 0.3, 0.4], [0.0, 0.1, 0.2]],
        [
            [0.193238648643683, 0.106761351356317, 0.393238648643683],
            [0.006761351356317, 0.293238648643683, 0.206761351356317],
            [0.193238648643683, 0.106761351356317, 0.206761351356317],
            [0.006761351356317, 0.293238648643683, 0.393238648643683],
        ],
        [
            [0.010502531064324, 0.289497468935676, 0.210502531064324],
            [0.189497468935676, 0.110502531064324, 0.389497468935676],
            [0.010502531064324, 0.289497468935676, 0.389497468935676],
            [0.189497468935676, 0.110502531064324, 0.210502531064324],
        ],
    ]
    OLD_STATE = {
        "k": 3,
        "gains": {"c": 0.1, "gamma": 0.101, "a": 0.01, "alpha": 0.602, "A": 0.0},
        "rng": {
            "bit_generator": "PCG64",
            "state": {
                "state": 192621658367251491052343927637849451242,
                "inc": 87136372517582989555478159403783844777,
            },
            "has_uint32": 0,
            "uinteger": 2605480817,
        },
        "sampler": {"position": 2, "order": [1, 3, 0, 2], "signs": [1.0, 1.0, 1.0]},
    }
    OLD_NEXT = [
        [0.013065543990998, 0.113065543990998, 0.213065543990998],
        [0.186934456009002, 0.286934456009002, 0.386934456009002],
        [0.013065543990998, 0.113065543990998, 0.386934456009002],
        [0.186934456009002, 0.286934456009002, 0.213065543990998],
    ]

    @staticmethod
    def small_tape():
        tape = qp.tape.QuantumScript(
            [qp.RX(0.1, 0), qp.RY(0.2, 0), qp.RZ(0.3, 0)], [qp.expval(qp.Z(0))]
        )
        tape.trainable_params = [0, 1, 2]
        return tape

    def test_spall_reproduces_the_old_object(self, dev):
        """schedule="spall" draws exactly the circuits the old SPSA(seed=0) drew."""
        spsa, tape = SPSA(schedule="spall", seed=0, num_directions=2), self.small_tape()
        for expected in self.OLD_TAPES:
            tapes, fn = spsa(tape)
            np.testing.assert_allclose(_parameters(tapes), expected, atol=1e-14)
            fn(qp.execute(tapes, dev))

    def test_old_checkpoint_loads_and_continues(self, dev):
        """A state_dict written before the two schedules loads, continues where it stopped,
        and the format is unchanged."""
        spsa = SPSA(schedule="spall", seed=99, num_directions=2)
        spsa.load_state_dict(self.OLD_STATE)
        assert spsa.k == 3
        tapes, _ = spsa(self.small_tape())
        np.testing.assert_allclose(_parameters(tapes), self.OLD_NEXT, atol=1e-14)
        assert set(spsa.state_dict()) == set(self.OLD_STATE)
        assert set(spsa.state_dict()["gains"]) == set(self.OLD_STATE["gains"])
