"""Tests for pennylane_qnative.devices.ionq_preprocess: the circuits preprocessing hands to
``execute`` are the ones billed, so ``qp.specs(level="device")`` counts what IonQ bills.

The billed counts are read back from the real emulator over loopback HTTP (the job's
``stats.gate_counts``, computed by the server from the JSON it received) and priced with the
rate card.
"""

from __future__ import annotations

import httpx
import numpy as np
import pennylane as qp
import pytest

from pennylane_qnative.devices.ionq_ops import GPI2, MS, NativeZZ
from pennylane_qnative.devices.ionq_preprocess import compile_native, drop_no_ops
from pennylane_qnative.emulator import running
from pennylane_qnative.ionq.pricing import GateCounts, estimate_cost

KEY = "preprocess-key"
SHOTS = 200


@pytest.fixture(scope="module")
def url():
    with running(profile="instant", seed=7, api_keys=[KEY]) as root:
        yield root


@pytest.fixture
def make(url, tmp_path):
    def factory(**kwargs):
        return qp.device(
            "qnative.ionq",
            wires=3,
            api_url=url + "/v0.4",
            api_key=KEY,
            journal_path=tmp_path / "journal.sqlite",
            cache=False,
            **kwargs,
        )

    return factory


def qnode(dev):
    """Gates outside both gate sets, no-ops, and a measurement that needs a basis change."""

    @qp.set_shots(SHOTS)
    @qp.qnode(dev)
    def circuit(x):
        qp.Hadamard(0)
        qp.Identity(2)
        qp.Rot(*x, wires=1)
        qp.CRX(x[0], [0, 2])
        qp.Toffoli([0, 1, 2])
        qp.Barrier()
        qp.GlobalPhase(0.3)
        return qp.expval(qp.X(0) @ qp.Y(1)), qp.probs(wires=[2])

    return circuit


X = np.array([0.1, 0.2, 0.3])
TARGETS = [
    pytest.param("qis", "qpu.aria-1", {"Hadamard", "RZ", "RY", "RX", "CNOT", "T"}, id="qis"),
    pytest.param("native", "qpu.aria-1", {"GPI2", "MS"}, id="native-ms"),
    pytest.param("native", "qpu.forte-1", {"GPI2", "NativeZZ"}, id="native-zz"),
]


def billed(url: str, job_ids: list[str]) -> GateCounts:
    """The gate counts the emulator recorded for these jobs."""
    total = GateCounts()
    for job_id in job_ids:
        job = httpx.get(
            f"{url}/v0.4/jobs/{job_id}", headers={"Authorization": f"apiKey {KEY}"}
        ).json()
        counts = job["stats"]["gate_counts"]
        total += GateCounts(one_qubit=counts["1q"], two_qubit=counts["2q"])
    return total


class TestSpecsAreTheBilledCircuit:
    """``qp.specs(qnode, level="device")`` counts the gates IonQ bills, on both gate sets."""

    @pytest.mark.parametrize(("gateset", "target", "gates"), TARGETS)
    def test_gate_counts_equal_the_jobs(self, make, url, gateset, target, gates):
        """1q and 2q counts at level="device" are the job's stats and price its estimate."""
        dev = make(gateset=gateset, target=target)
        circuit = qnode(dev)
        resources = qp.specs(circuit, level="device")(X).resources
        assert set(resources.gate_types) <= gates | {"Adjoint(T)"}
        counted = GateCounts(
            one_qubit=resources.gate_sizes.get(1, 0), two_qubit=resources.gate_sizes.get(2, 0)
        )
        assert sum(resources.gate_sizes.values()) == resources.num_gates  # no 3q gates left
        with qp.Tracker(dev) as tracker:
            circuit(X)
        assert tracker.totals["jobs"] == 1
        assert billed(url, tracker.history["job_ids"][0]) == counted
        expected = estimate_cost(backend=target, shots=SHOTS, gate_counts=counted)
        assert tracker.totals["estimated_cost_usd"] == pytest.approx(expected)

    def test_tracker_resources_are_the_billed_circuit(self, make):
        """The tracker's ``resources`` are those of the compiled circuits, as specs says."""
        dev = make(gateset="native")
        circuit = qnode(dev)
        resources = qp.specs(circuit, level="device")(X).resources
        with qp.Tracker(dev) as tracker:
            circuit(X)
        assert tracker.history["resources"][0].gate_types == resources.gate_types

    def test_draw_shows_the_native_pulses(self, make):
        """``qp.draw(level="device")`` draws the GPI2 and MS pulses with their phases."""
        drawing = qp.draw(qnode(make(gateset="native")), level="device")(X)
        assert "GPI2(" in drawing
        assert "MS(" in drawing
        assert "Rot" not in drawing
        assert "Toffoli" not in drawing
        assert "RZ" not in drawing
        user = qp.draw(qnode(make(gateset="native")), level="user")(X)
        assert "Rot(" in user
        assert "GPI2" not in user

    def test_native_compilation_keeps_the_results(self, make):
        """The compiled circuit is the same job: exact probabilities equal default.qubit's."""

        def run(dev):
            @qp.qnode(dev)
            def circuit(x):
                qp.Rot(*x, wires=1)
                qp.CRX(x[0], [1, 2])
                qp.Hadamard(0)
                qp.CZ([0, 1])
                return qp.probs(wires=[0, 1, 2])

            return circuit(X)

        expected = run(qp.device("default.qubit", wires=3))
        np.testing.assert_allclose(run(make(gateset="native")), expected, atol=1e-10)

    def test_device_gradients_compile_inside_execute(self, make):
        """With diff_method="device" the device's gradient transform needs the gates: the
        native compilation runs in execute and level="device" shows the gates it compiles."""
        dev = make(gateset="native")
        circuit = qp.QNode(
            qnode(dev).func, dev, diff_method="device", gradient_kwargs={"method": "spsa"}
        )
        gate_types = qp.specs(circuit, level="device")(X).resources.gate_types
        assert "GPI2" not in gate_types
        assert "CNOT" in gate_types


class TestCompileNative:
    """compile_native: one circuit of pulses per parameter set."""

    def test_broadcast_becomes_one_circuit_per_parameter_set(self):
        """Each broadcast element gets its own phases; the results are stacked back."""
        tape = qp.tape.QuantumScript(
            [qp.RX(np.array([0.1, 0.2, 0.3]), 0), qp.CNOT([0, 1])], [qp.expval(qp.Z(1))]
        )
        tapes, post = compile_native(tape, entangler="ms")
        assert len(tapes) == 3
        assert all({op.name for op in t.operations} == {"GPI2", "MS"} for t in tapes)
        assert tapes[0].data != tapes[1].data
        dev = qp.device("default.qubit")
        np.testing.assert_allclose(post(dev.execute(tapes)), np.cos([0.1, 0.2, 0.3]))

    @pytest.mark.parametrize(("entangler", "pulse"), [("ms", MS), ("zz", NativeZZ)])
    def test_pulses_simulate_like_the_source(self, entangler, pulse):
        """The compiled pulses have the source circuit's probabilities."""
        source = qp.tape.QuantumScript(
            [qp.Rot(0.3, -0.7, 1.1, 0), qp.IsingXX(0.4, [0, 1]), qp.CNOT([1, 0])],
            [qp.probs(wires=[0, 1])],
        )
        (native,), _ = compile_native(source, entangler=entangler)
        assert {type(op) for op in native.operations} == {GPI2, pulse}
        dev = qp.device("default.qubit")
        np.testing.assert_allclose(dev.execute(native), dev.execute(source), atol=1e-10)

    def test_drop_no_ops(self):
        """Identity, GlobalPhase and Barrier are removed; nothing else."""
        tape = qp.tape.QuantumScript(
            [qp.Identity(0), qp.RX(0.1, 0), qp.Barrier(), qp.GlobalPhase(0.2)], [qp.probs()]
        )
        (kept,), _ = drop_no_ops(tape)
        assert [op.name for op in kept.operations] == ["RX"]
