"""PennyLane tutorial patterns, only the device line changed, compared with ``default.qubit``.

Each pattern is written as PennyLane's demos write it (``qp`` for ``qml``) and parametrised over
``default.qubit`` (the reference, which checks the pattern itself), ``qnative.simulator`` and
``qnative.ionq`` (against one local emulator; its ideal simulator returns exact probabilities,
so analytic runs match exactly). Analytic results must agree to ``ATOL``; with shots, every
estimate must lie within ``SIGMAS`` standard deviations of the exact value (the deviation
derived from the estimator's variance), with fixed seeds. Known incompatibilities are strict
``xfail`` tests naming their cause.
"""

from __future__ import annotations

import copy
import pickle

import numpy as onp
import pennylane as qp
import pytest
from pennylane import numpy as np

from pennylane_qnative.devices.tracking import TRACKER_KEYS
from pennylane_qnative.emulator import running
from pennylane_qnative.gradients import spsa_grad as qnative_spsa_grad

KEY = "tutorial-patterns-key"
REFERENCE = "default.qubit"
OURS = ("qnative.simulator", "qnative.ionq")
ALL = (REFERENCE, *OURS)
ATOL = 1e-8
SIGMAS = 5.0


# --- devices ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api_url():
    with running(api_keys=[KEY]) as url:
        yield url + "/v0.4"


@pytest.fixture
def make(api_url, tmp_path):
    """``make(name, wires=..., **kwargs)``: the device line, the only thing a pattern changes."""

    def build(name, wires=None, **kwargs):
        if name == "qnative.ionq":
            kwargs = {
                "api_url": api_url,
                "api_key": KEY,
                "journal_path": tmp_path / "journal.sqlite",
                "cache_path": tmp_path / "results.sqlite",
                **kwargs,
            }
        return qp.device(name, wires=wires, **kwargs)

    return build


@pytest.fixture(params=ALL)
def name(request):
    return request.param


@pytest.fixture(params=OURS)
def ours(request):
    return request.param


def reference(wires=None, **kwargs):
    return qp.device(REFERENCE, wires=wires, **kwargs)


def assert_same(actual, expected, atol=ATOL):
    """Equal structure (tuples, lists, dicts) and values to ``atol``."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict)
        assert set(actual) == set(expected)
        for key in expected:
            assert_same(actual[key], expected[key], atol)
    elif isinstance(expected, tuple | list):
        assert isinstance(actual, tuple | list), type(actual)
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert_same(a, e, atol)
    else:
        a, e = qp.math.unwrap(actual), qp.math.unwrap(expected)
        assert onp.shape(a) == onp.shape(e)
        onp.testing.assert_allclose(onp.asarray(a, float), onp.asarray(e, float), atol=atol)


def within_sigmas(estimate, exact, sigma):
    """``|estimate - exact| <= SIGMAS * sigma`` (plus rounding) elementwise."""
    estimate, exact, sigma = (
        onp.asarray(qp.math.unwrap(v), float) for v in (estimate, exact, sigma)
    )
    assert onp.all(onp.abs(estimate - exact) <= SIGMAS * sigma + 1e-12), (estimate, exact, sigma)


# --- 1. variational classifier (demo tutorial_variational_classifier) ---------------------------


def _parity_data():
    X = np.array([[int(b) for b in f"{i:04b}"] for i in range(16)], requires_grad=False)
    Y = np.array([1.0 if sum(x) % 2 else -1.0 for x in X], requires_grad=False)
    return X, Y


def variational_classifier_run(dev, steps=3):
    def layer(layer_weights):
        for wire in range(4):
            qp.Rot(*layer_weights[wire], wires=wire)
        for wires in ([0, 1], [1, 2], [2, 3], [3, 0]):
            qp.CNOT(wires)

    def state_preparation(x):
        qp.BasisState(x, wires=[0, 1, 2, 3])

    @qp.qnode(dev)
    def circuit(weights, x):
        state_preparation(x)
        for layer_weights in weights:
            layer(layer_weights)
        return qp.expval(qp.PauliZ(0))

    def variational_classifier(weights, bias, x):
        return circuit(weights, x) + bias

    def square_loss(labels, predictions):
        return np.mean((labels - qp.math.stack(predictions)) ** 2)

    def cost(weights, bias, X, Y):
        predictions = [variational_classifier(weights, bias, x) for x in X]
        return square_loss(Y, predictions)

    X, Y = _parity_data()
    np.random.seed(0)
    num_qubits, num_layers = 4, 2
    weights = 0.01 * np.random.randn(num_layers, num_qubits, 3, requires_grad=True)
    bias = np.array(0.0, requires_grad=True)
    opt = qp.NesterovMomentumOptimizer(0.5)
    batch_size = 5
    for _ in range(steps):
        batch_index = np.random.randint(0, len(X), (batch_size,))
        weights, bias = opt.step(cost, weights, bias, X=X[batch_index], Y=Y[batch_index])
    return weights, bias, cost(weights, bias, X, Y)


class TestVariationalClassifier:
    def test_same_parameters_after_steps(self, make, name):
        """Nesterov momentum on the parity classifier: the same weights, bias and cost."""
        expected = variational_classifier_run(reference(wires=4))
        assert_same(variational_classifier_run(make(name, wires=4)), expected)

    def test_strongly_entangling_classifier(self, make, name):
        """``AngleEmbedding`` + ``StronglyEntanglingLayers``, a few Nesterov steps."""

        def run(dev):
            @qp.qnode(dev)
            def circuit(weights, x):
                qp.AngleEmbedding(x, wires=range(3))
                qp.StronglyEntanglingLayers(weights, wires=range(3))
                return qp.expval(qp.PauliZ(0))

            X = np.array([[0.1, 0.2, 0.3], [0.4, -0.5, 0.6], [-0.7, 0.8, 0.9]], requires_grad=False)
            Y = np.array([1.0, -1.0, 1.0], requires_grad=False)

            def cost(weights):
                return np.mean((Y - qp.math.stack([circuit(weights, x) for x in X])) ** 2)

            shape = qp.StronglyEntanglingLayers.shape(n_layers=2, n_wires=3)
            weights = np.array(onp.random.default_rng(1).normal(size=shape), requires_grad=True)
            opt = qp.NesterovMomentumOptimizer(0.1)
            for _ in range(2):
                weights, loss = opt.step_and_cost(cost, weights)
            return weights, loss

        assert_same(run(make(name, wires=3)), run(reference(wires=3)))


# --- 2. VQE (demo tutorial_vqe) ----------------------------------------------------------------

H2_COEFFS = [
    -0.04207898, 0.17771287, 0.17771287, -0.24274281, -0.24274281, 0.17059738, 0.04475014,
    -0.04475014, -0.04475014, 0.04475014, 0.12293305, 0.16768319, 0.16768319, 0.12293305,
    0.17627641,
]  # fmt: skip


def h2_observables():
    X, Y, Z, Id = qp.PauliX, qp.PauliY, qp.PauliZ, qp.Identity
    return [
        Id(0), Z(0), Z(1), Z(2), Z(3), Z(0) @ Z(1),
        Y(0) @ X(1) @ X(2) @ Y(3), Y(0) @ Y(1) @ X(2) @ X(3),
        X(0) @ X(1) @ Y(2) @ Y(3), X(0) @ Y(1) @ Y(2) @ X(3),
        Z(0) @ Z(2), Z(0) @ Z(3), Z(1) @ Z(2), Z(1) @ Z(3), Z(2) @ Z(3),
    ]  # fmt: skip


def vqe_run(dev, hamiltonian, diff_method, steps=4):
    hf = np.array([1, 1, 0, 0])

    @qp.qnode(dev, diff_method=diff_method)
    def circuit(param):
        qp.BasisState(hf, wires=range(4))
        qp.DoubleExcitation(param, wires=[0, 1, 2, 3])
        return qp.expval(hamiltonian)

    opt = qp.GradientDescentOptimizer(stepsize=0.4)
    theta = np.array(0.0, requires_grad=True)
    energies = []
    for _ in range(steps):
        theta, energy = opt.step_and_cost(circuit, theta)
        energies.append(energy)
    return theta, energies


class TestVQE:
    @pytest.mark.parametrize("diff_method", ["best", "parameter-shift"])
    @pytest.mark.parametrize("build", ["Hamiltonian", "dot"])
    def test_same_energies(self, make, name, diff_method, build):
        """``qp.Hamiltonian`` or ``qp.dot`` of Pauli terms, gradient descent: same energies."""
        if build == "Hamiltonian":
            H = qp.Hamiltonian(H2_COEFFS, h2_observables())
        else:
            H = qp.dot(H2_COEFFS, h2_observables())
        expected = vqe_run(reference(wires=4), H, diff_method)
        assert_same(vqe_run(make(name, wires=4), H, diff_method), expected)
        assert expected[1][-1] < -1.13  # the pattern converges towards the H2 ground state


# --- 3. optimisers ------------------------------------------------------------------------------


def _ansatz_qnode(dev, **qnode_kwargs):
    @qp.qnode(dev, **qnode_kwargs)
    def circuit(params):
        qp.RX(params[0], wires=0)
        qp.RY(params[1], wires=1)
        qp.CNOT(wires=[0, 1])
        qp.RY(params[2], wires=0)
        qp.RX(params[3], wires=1)
        return qp.expval(qp.PauliZ(0) @ qp.PauliX(1) + 0.5 * qp.PauliY(1))

    return circuit


OPTIMIZERS = {
    "GradientDescent": lambda: qp.GradientDescentOptimizer(0.2),
    "Momentum": lambda: qp.MomentumOptimizer(0.2, momentum=0.8),
    "Nesterov": lambda: qp.NesterovMomentumOptimizer(0.2),
    "Adagrad": lambda: qp.AdagradOptimizer(0.2),
    "RMSProp": lambda: qp.RMSPropOptimizer(0.2),
    "Adam": lambda: qp.AdamOptimizer(0.1),
    "QNG": lambda: qp.QNGOptimizer(0.1, approx="block-diag"),
    "QNG-diag": lambda: qp.QNGOptimizer(0.1, approx="diag", lam=1e-3),
    "SPSA": lambda: qp.SPSAOptimizer(maxiter=10),
}


class TestOptimizers:
    @pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
    def test_same_parameters(self, make, name, optimizer):
        """Three steps of each optimiser give default.qubit's parameters (SPSA: the same
        global ``np.random`` seed, from which PennyLane's optimiser draws its directions)."""

        def run(dev):
            circuit = _ansatz_qnode(dev)
            opt = OPTIMIZERS[optimizer]()
            params = np.array([0.1, 0.2, 0.3, 0.4], requires_grad=True)
            np.random.seed(42)
            costs = []
            for _ in range(3):
                params, cost = opt.step_and_cost(circuit, params)
                costs.append(cost)
            return params, costs

        assert_same(run(make(name, wires=2)), run(reference(wires=2)))

    def test_metric_tensor_block_diag(self, make, name):
        """``qp.metric_tensor(approx="block-diag")`` as the QNG optimiser evaluates it."""

        def run(dev):
            @qp.qnode(dev)
            def circuit(params):
                qp.RX(params[0], wires=0)
                qp.RY(params[1], wires=1)
                qp.CNOT(wires=[0, 1])
                qp.RZ(params[2], wires=0)
                qp.RY(params[3], wires=1)
                return qp.expval(qp.PauliZ(0))

            params = np.array([0.3, 0.7, 0.2, 0.5], requires_grad=True)
            return qp.metric_tensor(circuit, approx="block-diag")(params)

        assert_same(run(make(name, wires=2)), run(reference(wires=2)))

    def test_rotosolve(self, make, name):
        """``RotosolveOptimizer`` reconstructs the cost from a few evaluations: same result."""

        def run(dev):
            circuit = _ansatz_qnode(dev)
            opt = qp.RotosolveOptimizer()
            params = np.array([0.1, 0.2, 0.3, 0.4], requires_grad=True)
            params, cost = opt.step_and_cost(circuit, params, nums_frequency={"params": {
                (i,): 1 for i in range(4)}})  # fmt: skip
            return params, cost

        assert_same(run(make(name, wires=2)), run(reference(wires=2)))

    def test_shot_adaptive(self, make, name):
        """``ShotAdaptiveOptimizer`` (Rosalin): its single-shot gradient estimate is within 5
        sigma of the exact gradient (the sigma from its own sample variance), then it steps."""
        H = qp.Hamiltonian([1.0, 0.5], [qp.PauliZ(0) @ qp.PauliX(1), qp.PauliY(1)])

        def build(dev):
            @qp.set_shots(shots=100)
            @qp.qnode(dev)
            def cost(params):
                qp.RX(params[0], wires=0)
                qp.RY(params[1], wires=1)
                qp.CNOT(wires=[0, 1])
                return qp.expval(H)

            return cost

        params = np.array([0.4, 0.9], requires_grad=True)
        exact = qp.grad(qp.set_shots(build(reference(wires=2)), shots=None))(params)
        np.random.seed(7)
        opt = qp.ShotAdaptiveOptimizer(min_shots=50)
        cost = build(make(name, wires=2, seed=5))
        opt.s = [np.zeros_like(params, dtype=np.int64) + opt.min_shots]
        opt.trainable_args, opt.max_shots = {0}, opt.min_shots
        (grad,), (variance,) = opt.compute_grad(cost, (params,), {})
        within_sigmas(grad, exact, onp.sqrt(variance / opt.min_shots))
        new = opt.step(cost, params)
        assert onp.shape(new) == onp.shape(params)
        assert opt.total_shots_used == 2 * 2 * 50


# --- 4. QAOA (demo tutorial_qaoa_intro) -----------------------------------------------------------


def qaoa_run(dev, steps=2):
    nx = pytest.importorskip("networkx")
    from pennylane import qaoa

    edges = [(0, 1), (1, 2), (2, 0), (2, 3)]
    graph = nx.Graph(edges)
    cost_h, mixer_h = qaoa.maxcut(graph)
    wires = range(4)

    def qaoa_layer(gamma, alpha):
        qaoa.cost_layer(gamma, cost_h)
        qaoa.mixer_layer(alpha, mixer_h)

    def circuit(params, **kwargs):
        for w in wires:
            qp.Hadamard(wires=w)
        qp.layer(qaoa_layer, 2, params[0], params[1])

    @qp.qnode(dev)
    def cost_function(params):
        circuit(params)
        return qp.expval(cost_h)

    @qp.qnode(dev)
    def probability_circuit(gamma, alpha):
        circuit([gamma, alpha])
        return qp.probs(wires=wires)

    optimizer = qp.GradientDescentOptimizer()
    params = np.array([[0.5, 0.5], [0.5, 0.5]], requires_grad=True)
    costs = [cost_function(params)]
    for _ in range(steps):
        params = optimizer.step(cost_function, params)
        costs.append(cost_function(params))
    return params, costs, probability_circuit(params[0], params[1])


class TestQAOA:
    def test_maxcut(self, make, name):
        """``qaoa.maxcut`` cost and mixer layers: same expectation, steps and probabilities."""
        assert_same(qaoa_run(make(name, wires=4)), qaoa_run(reference(wires=4)))


# --- 5. idioms ------------------------------------------------------------------------------------


def _bell_qnode(dev, shots=None, **qnode_kwargs):
    @qp.set_shots(shots=shots)
    @qp.qnode(dev, **qnode_kwargs)
    def circuit(x):
        qp.RY(x, wires=0)
        qp.CNOT(wires=[0, 1])
        return qp.expval(qp.PauliZ(1)), qp.probs(wires=[0, 1])

    return circuit


class TestCopying:
    @pytest.mark.parametrize(
        "how",
        [copy.copy, copy.deepcopy, lambda d: pickle.loads(pickle.dumps(d))],
        ids=["copy", "deepcopy", "pickle"],
    )
    def test_copied_device_runs(self, make, name, how):
        """A copied or unpickled device runs and agrees with the original."""
        dev = make(name, wires=2)
        expected = _bell_qnode(dev)(0.4)
        twin = how(dev)
        assert type(twin) is type(dev)
        assert twin.wires == dev.wires
        assert_same(_bell_qnode(twin)(0.4), expected)

    def test_deepcopy_qnode(self, make, name):
        """``copy.deepcopy(qnode)`` runs, and differentiates, like the original."""
        circuit = _bell_qnode(make(name, wires=2))
        x = np.array(0.3, requires_grad=True)
        twin = copy.deepcopy(circuit)
        assert_same(twin(x), circuit(x))
        first = lambda x: circuit(x)[0]  # noqa: E731
        second = lambda x: twin(x)[0]  # noqa: E731
        assert_same(qp.grad(second)(x), qp.grad(first)(x))

    def test_keep_the_best_model(self, make, name):
        """The everyday training loop: ``best = copy.deepcopy(...)`` of the parameters and the
        model (a QNode, its device included); the kept model evaluates the best cost."""

        def run(dev):
            circuit = _ansatz_qnode(dev)
            opt = qp.AdamOptimizer(0.3)
            params = np.array([0.1, 0.2, 0.3, 0.4], requires_grad=True)
            best_cost, best_params, best_model = np.inf, None, None
            for _ in range(3):
                new_params, cost = opt.step_and_cost(circuit, params)  # the cost at params
                if cost < best_cost:
                    best_cost, best_params = cost, copy.deepcopy(params)
                    best_model = copy.deepcopy(circuit)
                params = new_params
            return best_cost, best_params, best_model(best_params)

        ours = run(make(name, wires=2))
        assert_same(ours, run(reference(wires=2)))
        assert_same(ours[2], ours[0])

    def test_deepcopy_torch_model(self, make, name):
        """``copy.deepcopy`` of a torch model holding a ``TorchLayer``: the copy predicts alike."""
        torch = pytest.importorskip("torch")

        @qp.qnode(make(name, wires=2))
        def qnode(inputs, weights):
            qp.AngleEmbedding(inputs, wires=range(2))
            qp.BasicEntanglerLayers(weights, wires=range(2))
            return [qp.expval(qp.PauliZ(i)) for i in range(2)]

        torch.manual_seed(0)
        model = torch.nn.Sequential(qp.qnn.TorchLayer(qnode, {"weights": (1, 2)}))
        x = torch.tensor([[0.1, 0.2], [0.3, 0.4]])
        twin = copy.deepcopy(model)
        torch.testing.assert_close(twin(x), model(x))


class TestTracker:
    def _record(self, dev, shots):
        circuit = _bell_qnode(dev, shots=shots, diff_method="parameter-shift")

        @qp.set_shots(shots=shots)
        @qp.qnode(dev, diff_method="parameter-shift")
        def energy(x):
            qp.RY(x, wires=0)
            qp.CNOT(wires=[0, 1])
            return qp.expval(qp.PauliZ(0) @ qp.PauliZ(1))

        with qp.Tracker(dev) as tracker:
            circuit(np.array([0.1, 0.2], requires_grad=False))  # a broadcast of 2
            x = np.array(0.4, requires_grad=True)
            vector = isinstance(shots, tuple)
            qp.jacobian(lambda x: qp.math.stack(energy(x)) if vector else energy(x))(x)
        return tracker

    @pytest.mark.parametrize("shots", [None, 100, (50, (20, 2))], ids=["exact", "shots", "vector"])
    def test_keys_and_totals(self, make, name, shots):
        """default.qubit's keys, history and totals (of PennyLane's keys), ours documented."""
        theirs = self._record(reference(wires=2), shots)
        options = {"cache": False} if name in OURS else {}
        tracker = self._record(make(name, wires=2, **options), shots)
        hardware = {"simulations"} if name == "qnative.ionq" else set()  # a device, not a simulator
        assert set(theirs.totals) - hardware <= set(tracker.totals)
        assert set(theirs.history) - hardware <= set(tracker.history)
        assert set(tracker.totals) <= set(theirs.totals) | set(TRACKER_KEYS)
        for key in ("batches", "executions", "shots", "simulations"):
            if key in theirs.totals and key not in hardware:
                assert tracker.totals[key] == theirs.totals[key], key
        assert len(tracker.history["results"]) == len(theirs.history["results"])
        assert len(tracker.history["resources"]) == len(theirs.history["resources"])
        assert tracker.history["resources"][0] == theirs.history["resources"][0]

    @pytest.mark.parametrize("second", [qp.PauliZ, qp.PauliX], ids=["commuting", "non-commuting"])
    def test_results_of_a_hamiltonian(self, make, name, second):
        """``tracker.history["results"]`` (and ``totals["results"]``) hold the QNode's energy
        of a Hamiltonian, as on default.qubit and lightning.qubit (the tracker demo's idiom),
        though qnative.ionq runs one circuit per measured basis."""

        def record(dev):
            @qp.qnode(dev)
            def energy(x):
                qp.RY(x, wires=0)
                qp.CNOT(wires=[0, 1])
                return qp.expval(qp.PauliZ(0) @ qp.PauliZ(1) + 0.5 * second(1))

            with qp.Tracker(dev) as tracker:
                energy(0.4)
                energy(0.7)
            totals = tracker.totals
            return totals["executions"], totals.get("results"), tracker.history["results"]

        assert_same(record(make(name, wires=2)), record(reference(wires=2)))

    def test_cache_hit_is_still_an_execution(self, make, ours):
        """A repeated circuit served by the cache counts default.qubit's executions (and
        shots), its hits in ``cache_hits``."""

        def record(dev, shots):
            circuit = _bell_qnode(dev, shots=shots)
            circuit(0.3)
            with qp.Tracker(dev) as tracker:
                circuit(0.3)
            return tracker.totals

        for shots in (None, 50):
            theirs = record(reference(wires=2), shots)
            totals = record(make(ours, wires=2, cache_finite_shots="reuse"), shots)
            assert totals["cache_hits"] >= 1
            for key in ("batches", "executions", "shots"):
                assert totals.get(key) == theirs.get(key), (shots, key)


# --- shot semantics ---------------------------------------------------------------------------


def _sample_qnode(dev, shots=30):
    @qp.set_shots(shots=shots)
    @qp.qnode(dev)
    def circuit(x):
        qp.RX(x, wires=0)
        qp.Hadamard(wires=1)
        return qp.sample(wires=[0, 1])

    return circuit


class TestShotSemantics:
    def test_repeated_calls_draw_new_samples(self, make, name):
        """Finite shots: two identical calls give different samples (as default.qubit does)."""
        circuit = _sample_qnode(make(name, wires=2, seed=3))
        first, second = circuit(1.2), circuit(1.2)
        assert first.shape == second.shape == (30, 2)
        assert not onp.array_equal(first, second)

    def test_same_seed_same_samples(self, make, name):
        """Two devices with the same ``seed`` draw the same samples (reproducible runs)."""
        first = _sample_qnode(make(name, wires=2, seed=9))(0.8)
        options = {"cache": False} if name in OURS else {}
        second = _sample_qnode(make(name, wires=2, seed=9, **options))(0.8)
        onp.testing.assert_array_equal(first, second)

    def test_ionq_ideal_simulator_resamples(self, make):
        """On IonQ's ideal simulator (exact probabilities, sampled locally) a repeat draws new
        samples from the device's stream, in the same number of jobs either way."""
        for policy in ("reuse", "skip"):
            dev = make("qnative.ionq", wires=2, seed=3, cache_finite_shots=policy)
            circuit = _sample_qnode(dev)
            assert not onp.array_equal(circuit(1.2), circuit(1.2))

    def test_ionq_skip_makes_a_new_job_per_call(self, make):
        """A sampling backend (noisy simulator), ``cache_finite_shots="skip"``: every
        finite-shot call is a new job."""
        dev = make("qnative.ionq", wires=2, seed=3, noise_model="aria-1", cache_finite_shots="skip")
        circuit = _sample_qnode(dev)
        with qp.Tracker(dev) as tracker:
            circuit(1.2)
            circuit(1.2)
        assert tracker.totals["jobs_created"] == 2

    def test_ionq_default_makes_a_new_job_per_call(self, make):
        """By default (PennyLane's semantics) every finite-shot call on a sampling backend is
        a new job."""
        dev = make("qnative.ionq", wires=2, seed=3, noise_model="aria-1")
        circuit = _sample_qnode(dev)
        with qp.Tracker(dev) as tracker:
            circuit(1.2)
            circuit(1.2)
        assert tracker.totals["jobs_created"] == 2

    def test_shot_vector(self, make, name):
        """``qp.set_shots(shots=[100, (50, 2)])``: default.qubit's structure, each estimate
        within 5 sigma of the exact value."""
        dev = make(name, wires=2, seed=11)

        @qp.set_shots(shots=[100, (50, 2)])
        @qp.qnode(dev)
        def circuit(x):
            qp.RX(x, wires=0)
            qp.CNOT(wires=[0, 1])
            return qp.expval(qp.PauliZ(1)), qp.probs(wires=[0]), qp.counts(wires=0)

        result = circuit(1.1)
        assert isinstance(result, tuple)
        assert len(result) == 3
        z, p1 = onp.cos(1.1), (1 - onp.cos(1.1)) / 2
        for (expval, probs, counts), n in zip(result, (100, 50, 50), strict=True):
            within_sigmas(expval, z, onp.sqrt((1 - z**2) / n))
            within_sigmas(probs, [1 - p1, p1], onp.sqrt(p1 * (1 - p1) / n))
            assert set(counts) <= {"0", "1"}
            assert sum(counts.values()) == n
            within_sigmas(counts.get("1", 0), n * p1, onp.sqrt(n * p1 * (1 - p1)))


HERMITIAN = onp.array([[1.0, 2.0 - 1.0j], [2.0 + 1.0j, -1.0]])


def _measurements_qnode(dev, shots):
    @qp.set_shots(shots=shots)
    @qp.qnode(dev)
    def circuit(x):
        qp.RX(x, wires=0)
        qp.RY(0.7, wires=1)
        qp.CNOT(wires=[0, 1])
        return (
            qp.expval(qp.Hermitian(HERMITIAN, wires=0)),
            qp.var(qp.PauliZ(1)),
            qp.probs(wires=[0, 1]),
            qp.expval(qp.PauliX(0) @ qp.PauliZ(1)),
        )

    return circuit


class TestMeasurements:
    def test_analytic(self, make, name):
        """expval of ``qp.Hermitian``, ``qp.var``, ``qp.probs``, a product: exact."""
        expected = _measurements_qnode(reference(wires=2), None)(0.9)
        assert_same(_measurements_qnode(make(name, wires=2), None)(0.9), expected)

    def test_with_shots(self, make, name):
        """The same with 2000 shots: within 5 sigma of the exact values."""
        n, x = 2000, 0.9
        herm, var_z, probs, xz = _measurements_qnode(reference(wires=2), None)(x)

        @qp.qnode(reference(wires=2))
        def variances(x):
            qp.RX(x, wires=0)
            qp.RY(0.7, wires=1)
            qp.CNOT(wires=[0, 1])
            return qp.var(qp.Hermitian(HERMITIAN, wires=0)), qp.var(qp.PauliX(0) @ qp.PauliZ(1))

        var_herm, var_xz = variances(x)
        z1 = onp.sqrt(1 - var_z)  # |<Z1>|
        result = _measurements_qnode(make(name, wires=2, seed=13), n)(x)
        within_sigmas(result[0], herm, onp.sqrt(var_herm / n))
        within_sigmas(result[1], var_z, 2 * z1 * onp.sqrt((1 - z1**2) / n) + 2 / n)
        within_sigmas(result[2], probs, onp.sqrt(probs * (1 - probs) / n))
        within_sigmas(result[3], xz, onp.sqrt(var_xz / n))

    def test_sample_and_counts(self, make, name):
        """``qp.sample`` of an observable and ``qp.counts``: shapes, keys and frequencies."""
        n = 400
        dev = make(name, wires=2, seed=17)

        @qp.set_shots(shots=n)
        @qp.qnode(dev)
        def circuit(x):
            qp.RX(x, wires=0)
            qp.CNOT(wires=[0, 1])
            return qp.sample(qp.PauliZ(1)), qp.counts(wires=[0, 1]), qp.counts(qp.PauliZ(0))

        samples, counts, counts_z = circuit(1.3)
        p1 = (1 - onp.cos(1.3)) / 2
        assert samples.shape == (n,)
        assert set(onp.unique(samples)) <= {-1, 1}
        within_sigmas(onp.mean(samples == -1), p1, onp.sqrt(p1 * (1 - p1) / n))
        assert set(counts) <= {"00", "11"}
        assert sum(counts.values()) == n
        assert set(counts_z) <= {-1, 1}
        assert sum(counts_z.values()) == n
        within_sigmas(counts.get("11", 0), n * p1, onp.sqrt(n * p1 * (1 - p1)))

    def test_broadcasting(self, make, name):
        """Parameter broadcasting over a batch: the same results and gradient."""

        def run(dev):
            @qp.qnode(dev, diff_method="parameter-shift")
            def circuit(x, w):
                qp.RX(x, wires=0)
                qp.RY(w, wires=1)
                qp.CNOT(wires=[0, 1])
                return qp.expval(qp.PauliZ(1)), qp.probs(wires=[0])

            x = np.array([0.1, 0.5, 0.9], requires_grad=False)
            w = np.array(0.3, requires_grad=True)
            jac = qp.jacobian(lambda w: circuit(x, w)[0])(w)
            return circuit(x, w), jac

        assert_same(run(make(name, wires=2)), run(reference(wires=2)))

    def test_broadcasting_with_shots(self, make, name):
        """A broadcast with shots: default.qubit's shapes, each estimate within 5 sigma."""
        n = 500
        dev = make(name, wires=1, seed=19)

        @qp.set_shots(shots=n)
        @qp.qnode(dev)
        def circuit(x):
            qp.RX(x, wires=0)
            return qp.expval(qp.PauliZ(0)), qp.sample(wires=0)

        x = onp.array([0.2, 1.0, 2.5])
        expval, samples = circuit(x)
        assert onp.shape(expval) == (3,)
        assert onp.shape(samples) == (3, n, 1)
        within_sigmas(expval, onp.cos(x), onp.sqrt((1 - onp.cos(x) ** 2) / n))


class TestMidCircuitMeasurements:
    def _qnode(self, dev, shots=None):
        @qp.set_shots(shots=shots)
        @qp.qnode(dev)
        def circuit(x):
            qp.RX(x, wires=0)
            m = qp.measure(0)
            qp.cond(m, qp.PauliX)(wires=1)
            return qp.expval(qp.PauliZ(1)), qp.probs(wires=[0, 1])

        return circuit

    @pytest.mark.parametrize("wires", [None, 3])
    def test_analytic(self, make, name, wires):
        """``qp.measure`` + ``qp.cond`` (default mcm method): exact."""
        expected = self._qnode(reference(wires=wires))(0.7)
        assert_same(self._qnode(make(name, wires=wires))(0.7), expected)

    def test_with_shots(self, make, name):
        """With shots (default.qubit: one-shot; qnative.ionq: deferred): within 5 sigma."""
        n = 1000
        z, probs = self._qnode(reference(wires=3))(0.7)
        result_z, result_probs = self._qnode(make(name, wires=3, seed=23), shots=n)(0.7)
        within_sigmas(result_z, z, onp.sqrt((1 - z**2) / n))
        within_sigmas(result_probs, probs, onp.sqrt(probs * (1 - probs) / n))

    def test_statistics_of_the_measurement(self, make, name):
        """``qp.expval(m)`` of a mid-circuit measurement, with shots, on the circuit's wires."""
        n = 1000
        dev = make(name, wires=3, seed=29)

        @qp.set_shots(shots=n)
        @qp.qnode(dev)
        def circuit(x):
            qp.RX(x, wires=0)
            m = qp.measure(0)
            qp.cond(m, qp.PauliX)(wires=1)
            return qp.expval(m), qp.expval(qp.PauliZ(1))

        p1 = (1 - onp.cos(0.7)) / 2
        m, z = circuit(0.7)
        within_sigmas(m, p1, onp.sqrt(p1 * (1 - p1) / n))
        within_sigmas(z, 1 - 2 * p1, onp.sqrt(4 * p1 * (1 - p1) / n))

    def test_too_few_wires_is_a_wire_error(self, make, name, request):
        """Analytic with ``wires=2``: deferring the measurement needs a third wire, and
        default.qubit says so with a ``WireError``."""
        with pytest.raises(qp.exceptions.WireError):
            self._qnode(make(name, wires=2))(0.7)


# --- gradient transforms ---------------------------------------------------------------------


def _grad_qnode(dev, **qnode_kwargs):
    @qp.qnode(dev, **qnode_kwargs)
    def circuit(params):
        qp.RX(params[0], wires=0)
        qp.RY(params[1], wires=1)
        qp.CNOT(wires=[0, 1])
        qp.RZ(params[2], wires=1)
        qp.RX(params[2], wires=0)
        return qp.expval(qp.PauliZ(0) @ qp.PauliY(1)), qp.probs(wires=[1])

    return circuit


PARAMS = np.array([0.3, -0.6, 1.1], requires_grad=True)

DIFF_METHODS = {
    "parameter-shift": ("parameter-shift", {}),
    "param_shift-shifts": (qp.gradients.param_shift, {"shifts": [(0.3,)] * 4}),  # 4 tape params
    "finite-diff": ("finite-diff", {"h": 1e-4, "approx_order": 2, "strategy": "center"}),
    "finite_diff-forward": (qp.gradients.finite_diff, {"h": 1e-6, "strategy": "forward"}),
    "spsa": ("spsa", {"h": 0.05, "sampler_rng": 3}),
    "spsa-options": (
        "spsa",
        {"h": 0.05, "sampler_rng": 3, "num_directions": 3, "strategy": "backward"},
    ),
    "spsa_grad": (
        qp.gradients.spsa_grad,
        {"h": 0.1, "sampler_rng": 5, "approx_order": 1, "strategy": "forward"},
    ),
}


def _jacobian(dev, diff_method, gradient_kwargs):
    circuit = _grad_qnode(dev, diff_method=diff_method, gradient_kwargs=gradient_kwargs)
    return qp.jacobian(lambda p: qp.math.hstack(circuit(p)))(PARAMS)


class TestGradientTransforms:
    @pytest.mark.parametrize("method", list(DIFF_METHODS))
    def test_diff_method_with_gradient_kwargs(self, make, name, method, request):
        """``diff_method`` a PennyLane gradient transform with its ``gradient_kwargs``: exactly
        default.qubit's Jacobian (SPSA: the same seeded directions)."""
        diff_method, kwargs = DIFF_METHODS[method]
        expected = _jacobian(reference(wires=2), diff_method, kwargs)
        assert_same(_jacobian(make(name, wires=2), diff_method, kwargs), expected)

    def test_spsa_on_qis_circuit(self, make, name):
        """``diff_method="spsa"`` where nothing is split or decomposed: default.qubit's."""

        def run(dev):
            @qp.qnode(dev, diff_method="spsa", gradient_kwargs={"h": 0.05, "sampler_rng": 3})
            def circuit(p):
                qp.RX(p[0], wires=0)
                qp.RY(p[1], wires=1)
                qp.CNOT(wires=[0, 1])
                return qp.expval(qp.PauliZ(1))

            return qp.grad(circuit)(PARAMS[:2])

        assert_same(run(make(name, wires=2)), run(reference(wires=2)))

    def test_spsa_with_decomposed_gates(self, make, name, request):
        """``diff_method="spsa"`` on ``Rot`` and ``CRX`` (decomposed for IonQ)."""

        def run(dev):
            @qp.qnode(dev, diff_method="spsa", gradient_kwargs={"h": 0.05, "sampler_rng": 3})
            def circuit(p):
                qp.Rot(p[0], p[1], p[2], wires=0)
                qp.CRX(p[1], wires=[0, 1])
                return qp.expval(qp.PauliZ(1))

            return qp.grad(circuit)(PARAMS)

        assert_same(run(make(name, wires=2)), run(reference(wires=2)))

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"h": 0.05, "sampler_rng": 3},
            {"h": 0.1, "sampler_rng": 7, "approx_order": 1, "strategy": "backward"},
            {"h": 0.1, "sampler_rng": 7, "approx_order": 1, "strategy": "forward"},
            {"h": 0.05, "sampler_rng": 11, "num_directions": 4, "approx_order": 2},
            {"h": 0.05, "sampler_rng": 1, "n": 2, "approx_order": 2},
        ],
        ids=["default", "backward", "forward", "directions", "second-order"],
    )
    def test_qnative_spsa_grad_is_a_drop_in(self, make, name, kwargs):
        """``pennylane_qnative.gradients.spsa_grad`` with PennyLane's options on our devices
        equals ``qp.gradients.spsa_grad`` on default.qubit."""
        expected = _jacobian(reference(wires=2), qp.gradients.spsa_grad, kwargs)
        assert_same(_jacobian(make(name, wires=2), qnative_spsa_grad, kwargs), expected)

    @pytest.mark.parametrize("transform", ["param_shift", "finite_diff", "spsa_grad"])
    def test_transform_applied_to_qnode(self, make, name, transform):
        """``qp.gradients.<transform>(qnode)(x)`` directly: the same Jacobian."""
        kwargs = {"spsa_grad": {"sampler_rng": 2, "h": 0.05}}.get(transform, {})

        def run(dev):
            circuit = _grad_qnode(dev)
            return getattr(qp.gradients, transform)(circuit, **kwargs)(PARAMS)

        assert_same(run(make(name, wires=2)), run(reference(wires=2)))

    def test_qp_execute_with_tapes(self, make, name):
        """``qp.execute(tapes, dev, diff_method=...)`` and a device's own ``ExecutionConfig``."""

        def run(dev):
            def cost(x):
                tape = qp.tape.QuantumScript(
                    [qp.RX(x[0], 0), qp.RY(x[1], 1), qp.CNOT([0, 1])],
                    [qp.expval(qp.PauliZ(1)), qp.var(qp.PauliX(0))],
                )
                (res,) = qp.execute([tape], dev, diff_method=qp.gradients.param_shift)
                return qp.math.stack(res)

            x = np.array([0.4, 0.8], requires_grad=True)
            config = dev.setup_execution_config(qp.devices.ExecutionConfig())
            tape = qp.tape.QuantumScript([qp.RX(0.4, 0), qp.CNOT([0, 1])], [qp.probs([0, 1])])
            tapes, post = dev.preprocess_transforms(config)([tape])
            direct = post(dev.execute(tapes, config))
            return cost(x), qp.jacobian(cost)(x), direct

        assert_same(run(make(name, wires=2)), run(reference(wires=2)))

    def test_transforms_with_options(self, make, name):
        """Circuit transforms with options stacked on a QNode run and agree."""

        def run(dev):
            @qp.transforms.split_non_commuting(grouping_strategy="wires")
            @qp.transforms.merge_rotations(atol=1e-6)
            @qp.transforms.cancel_inverses
            @qp.qnode(dev)
            def circuit(x):
                qp.RX(x, wires=0)
                qp.RX(0.2, wires=0)
                qp.Hadamard(wires=1)
                qp.Hadamard(wires=1)
                qp.CNOT(wires=[0, 1])
                return qp.expval(qp.PauliX(0)), qp.expval(qp.PauliZ(0) @ qp.PauliZ(1))

            x = np.array(0.5, requires_grad=True)
            return circuit(x), qp.jacobian(lambda x: qp.math.stack(circuit(x)))(x)

        assert_same(run(make(name, wires=2)), run(reference(wires=2)))


# --- introspection --------------------------------------------------------------------------------


class TestIntrospection:
    def test_specs_and_draw(self, make, name):
        """``qp.specs(qnode)(x)`` and ``qp.draw(qnode)(x)`` run; the user-level circuit is
        default.qubit's."""

        def run(dev):
            circuit = _grad_qnode(dev)
            specs = qp.specs(circuit, level="user")(PARAMS)
            return qp.draw(circuit)(PARAMS), specs.resources.gate_types, specs.resources.depth

        assert run(make(name, wires=2)) == run(reference(wires=2))
        assert qp.specs(_grad_qnode(make(name, wires=2)))(PARAMS) is not None


# --- interfaces ---------------------------------------------------------------------------------


class TestJax:
    @pytest.mark.parametrize("jit", [False, True], ids=["grad", "jit"])
    def test_grad_and_jit(self, make, name, jit):
        """``jax.grad`` (and under ``jax.jit``) of a QNode: default.qubit's value and gradient."""
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)

        def run(dev):
            @qp.qnode(dev, interface="jax")
            def circuit(x):
                qp.RX(x[0], wires=0)
                qp.RY(x[1], wires=1)
                qp.CNOT(wires=[0, 1])
                return qp.expval(qp.PauliZ(1))

            value_and_grad = jax.value_and_grad(circuit)
            if jit:
                value_and_grad = jax.jit(value_and_grad)
            value, grad = value_and_grad(jax.numpy.array([0.4, 0.9]))
            return onp.asarray(value), onp.asarray(grad)

        assert_same(run(make(name, wires=2)), run(reference(wires=2)))


class TestTorch:
    @pytest.mark.parametrize("classical_first", [False, True], ids=["qlayer-first", "demo"])
    def test_torch_layer_step(self, make, name, classical_first):
        """``qp.qnn.TorchLayer`` in a model, one SGD step on a batch: default.qubit's new
        parameters. "demo" is tutorial_qnn_module_torch's Linear -> TorchLayer -> Linear: the
        batch reaches the QNode as trainable broadcast inputs, which PennyLane's param_shift
        refuses; qnative.ionq splits them and differentiates each circuit."""
        torch = pytest.importorskip("torch")

        def run(dev):
            @qp.qnode(dev)
            def qnode(inputs, weights):
                qp.AngleEmbedding(inputs, wires=range(2))
                qp.BasicEntanglerLayers(weights, wires=range(2))
                return [qp.expval(qp.PauliZ(i)) for i in range(2)]

            torch.manual_seed(0)
            layers = [qp.qnn.TorchLayer(qnode, {"weights": (2, 2)}), torch.nn.Linear(2, 1)]
            if classical_first:
                layers.insert(0, torch.nn.Linear(2, 2))
            model = torch.nn.Sequential(*layers).double()
            opt = torch.optim.SGD(model.parameters(), lr=0.2)
            x = torch.tensor([[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]], dtype=torch.float64)
            y = torch.tensor([[1.0], [-1.0], [1.0]], dtype=torch.float64)
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            return [p.detach().numpy() for p in model.parameters()], loss.item()

        assert_same(run(make(name, wires=2)), run(reference(wires=2)))


# --- templates and operator arithmetic --------------------------------------------------------

TEMPLATES = {
    "QFT": lambda x: (qp.RX(x[0], 0), qp.RY(x[1], 1), qp.QFT(wires=range(3))),
    "GroverOperator": lambda x: (qp.RX(x[0], 0), qp.GroverOperator(wires=range(3))),
    "AmplitudeEmbedding": lambda x: qp.AmplitudeEmbedding(
        onp.arange(1, 9), wires=range(3), normalize=True
    ),
    "ctrl-adjoint": lambda x: (
        qp.Hadamard(0),
        qp.ctrl(qp.RX, control=0)(x[0], wires=1),
        qp.adjoint(qp.RY)(x[1], wires=2),
        qp.ctrl(qp.PauliX, control=[0, 1], control_values=[1, 0])(wires=2),
    ),
    "QAOAEmbedding": lambda x: qp.QAOAEmbedding(
        features=x, weights=onp.array([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]]), wires=range(3)
    ),
    "IQPEmbedding": lambda x: qp.IQPEmbedding(x, wires=range(3)),
    "RandomLayers": lambda x: qp.RandomLayers(onp.array([[0.1, 0.2, 0.3]]), wires=range(3), seed=4),
    "SimplifiedTwoDesign": lambda x: qp.SimplifiedTwoDesign(
        initial_layer_weights=x, weights=onp.full((1, 2, 2), 0.3), wires=range(3)
    ),
    "QubitUnitary": lambda x: qp.QubitUnitary(qp.matrix(qp.Rot(0.1, 0.2, 0.3, 0)), wires=1),
    "controlled-gates": lambda x: (
        qp.Hadamard(0),
        qp.PhaseShift(x[0], 0),
        qp.CZ([0, 1]),
        qp.CRZ(x[1], [1, 2]),
        qp.Toffoli([0, 1, 2]),
        qp.CSWAP([0, 1, 2]),
    ),
}


class TestTemplates:
    @pytest.mark.parametrize("template", list(TEMPLATES))
    def test_template(self, make, name, template):
        """PennyLane templates and operator transforms (decomposed for IonQ): exact."""

        def run(dev):
            @qp.qnode(dev)
            def circuit(x):
                TEMPLATES[template](x)
                return qp.probs(wires=range(3)), qp.expval(qp.PauliX(0) @ qp.PauliY(2))

            return circuit(onp.array([0.3, 0.5, 0.9]))

        assert_same(run(make(name, wires=3)), run(reference(wires=3)))

    def test_snapshots_with_a_measurement(self, make, name):
        """``qp.snapshots`` of ``qp.Snapshot(measurement=...)``: default.qubit's values."""

        def run(dev):
            @qp.qnode(dev)
            def circuit(x):
                qp.RX(x, wires=0)
                qp.Snapshot("after_rx", measurement=qp.expval(qp.PauliZ(0)))
                qp.CNOT(wires=[0, 1])
                return qp.probs(wires=[0, 1])

            return qp.snapshots(circuit)(0.3)

        assert_same(run(make(name, wires=2)), run(reference(wires=2)))


class TestOtherDiffMethods:
    def test_adjoint_on_the_simulator(self, make):
        """``diff_method="adjoint"`` on qnative.simulator: default.qubit's gradient."""

        def run(dev):
            return qp.grad(_ansatz_qnode(dev, diff_method="adjoint"))(PARAMS_4)

        assert_same(run(make("qnative.simulator", wires=2)), run(reference(wires=2)))

    def test_hadamard_gradient(self, make, name):
        """``diff_method="hadamard"`` (an auxiliary wire): default.qubit's gradient."""

        def run(dev):
            return qp.grad(_ansatz_qnode(dev, diff_method="hadamard"))(PARAMS_4)

        assert_same(run(make(name, wires=3)), run(reference(wires=3)))

    def test_argnum_and_two_arguments(self, make, name):
        """``qp.grad(..., argnums=...)`` over two trainable arguments, ``qp.jacobian``."""

        def run(dev):
            @qp.qnode(dev)
            def circuit(a, b):
                qp.RX(a, wires=0)
                qp.RY(b, wires=1)
                qp.CNOT(wires=[0, 1])
                return qp.expval(qp.PauliZ(1)), qp.expval(qp.PauliY(0))

            a, b = np.array(0.4, requires_grad=True), np.array(0.8, requires_grad=True)
            cost = lambda a, b: circuit(a, b)[0] * circuit(a, b)[1]  # noqa: E731
            return qp.grad(cost, argnums=[0, 1])(a, b), qp.jacobian(
                lambda a, b: qp.math.stack(circuit(a, b)), argnums=1
            )(a, b)

        assert_same(run(make(name, wires=2)), run(reference(wires=2)))


PARAMS_4 = np.array([0.1, 0.2, 0.3, 0.4], requires_grad=True)
