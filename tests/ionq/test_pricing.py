"""Tests of the rate card and the cost estimator (pennylane_qnative.ionq.pricing)."""

from __future__ import annotations

import math
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.ionq.pricing import (
    DEFAULT_RATE_CARD,
    GateCounts,
    RateCard,
    count_gates,
    estimate_cost,
    estimate_payload_cost,
    payload_gate_counts,
)


class TestRateCard:
    """The rate card's defaults and validation."""

    def test_defaults_match_contract(self):
        """Defaults are the contract's Azure AQT figures."""
        card = RateCard()
        assert card.cost_1q_gate_shot == 0.000220
        assert card.cost_2q_gate_shot == 0.000975
        assert card.job_cost_minimum == 12.4166
        assert card.job_cost_minimum_error_mitigation == 97.50
        assert card.currency == "usd"

    @pytest.mark.parametrize(
        "field",
        [
            pytest.param("cost_1q_gate_shot", id="1q"),
            pytest.param("cost_2q_gate_shot", id="2q"),
            pytest.param("job_cost_minimum", id="minimum"),
            pytest.param("job_cost_minimum_error_mitigation", id="minimum-em"),
        ],
    )
    @pytest.mark.parametrize("value", [-1.0, math.inf, math.nan])
    def test_rejects_bad_prices(self, field, value):
        """Negative or non-finite prices raise ConfigurationError naming the field."""
        with pytest.raises(ConfigurationError, match=field):
            RateCard(**{field: value})

    @pytest.mark.parametrize(
        ("backend", "free"),
        [
            pytest.param("simulator", True, id="simulator"),
            pytest.param("qpu.aria-1", False, id="aria"),
            pytest.param("qpu.forte-1", False, id="forte"),
        ],
    )
    def test_is_free(self, backend, free):
        """Only simulators are free."""
        assert DEFAULT_RATE_CARD.is_free(backend) is free

    def test_frozen(self):
        """A rate card cannot be mutated."""
        with pytest.raises(AttributeError):
            DEFAULT_RATE_CARD.job_cost_minimum = 0  # type: ignore[misc]

    def test_importable_without_pennylane(self):
        """The wire layer's pricing module does not import PennyLane."""
        assert "pennylane_qnative.ionq.pricing" in sys.modules
        module = sys.modules["pennylane_qnative.ionq.pricing"]
        assert "pennylane" not in vars(module)


class TestCountGates:
    """Billable gate counts of IonQ JSON circuits."""

    @pytest.mark.parametrize(
        ("circuit", "expected"),
        [
            pytest.param([], GateCounts(), id="empty"),
            pytest.param([{"gate": "h", "target": 0}], GateCounts(one_qubit=1), id="h"),
            pytest.param([{"gate": "h", "targets": [0]}], GateCounts(one_qubit=1), id="targets"),
            pytest.param(
                [{"gate": "cnot", "control": 0, "target": 1}], GateCounts(two_qubit=1), id="cnot"
            ),
            pytest.param(
                [{"gate": "x", "controls": [1], "targets": [0]}], GateCounts(two_qubit=1), id="cx"
            ),
            pytest.param(
                [{"gate": "ms", "targets": [0, 1], "phases": [0, 0]}],
                GateCounts(two_qubit=1),
                id="ms",
            ),
            pytest.param(
                [{"gate": "x", "controls": [0, 1, 2], "target": 3}],
                GateCounts(two_qubit=12),
                id="c3x-azure-rule",
            ),
            pytest.param(
                [{"gate": "pauliexp", "targets": [0, 1, 2], "terms": ["XXZ", "ZZI"]}],
                GateCounts(one_qubit=2, two_qubit=8),
                id="pauliexp",
            ),
            pytest.param([{"gate": "nop", "target": 0}], GateCounts(), id="nop-free"),
        ],
    )
    def test_counts(self, circuit, expected):
        """Each gate kind is counted as documented."""
        assert count_gates(circuit) == expected

    def test_as_api(self):
        """Counts render as the API's gate_counts object."""
        assert GateCounts(one_qubit=3, two_qubit=2).as_api() == {"1q": 3, "2q": 2}


class TestEstimateCost:
    """The cost formula max(minimum, shots * (N1 c1 + N2 c2))."""

    def test_simulator_is_free(self):
        """The simulator costs nothing whatever the circuit."""
        counts = GateCounts(one_qubit=1000, two_qubit=1000)
        assert estimate_cost(backend="simulator", shots=10**6, gate_counts=counts) == 0.0

    def test_minimum_applies(self):
        """Small jobs pay the job minimum (higher with error mitigation)."""
        counts = GateCounts(one_qubit=1)
        assert estimate_cost(backend="qpu.aria-1", shots=1, gate_counts=counts) == 12.4166
        assert (
            estimate_cost(backend="qpu.aria-1", shots=1, gate_counts=counts, error_mitigation=True)
            == 97.5
        )

    def test_variable_part(self):
        """Large jobs pay per gate-shot; the minimum applies once per job."""
        counts = [GateCounts(one_qubit=10, two_qubit=5)] * 2
        expected = 10_000 * 2 * (10 * 0.00022 + 5 * 0.000975)
        cost = estimate_cost(backend="qpu.forte-1", shots=10_000, gate_counts=counts)
        assert cost == pytest.approx(expected)

    def test_custom_card(self):
        """A custom rate card is honoured."""
        card = RateCard(cost_1q_gate_shot=1.0, cost_2q_gate_shot=2.0, job_cost_minimum=0.0)
        counts = GateCounts(one_qubit=1, two_qubit=1)
        assert estimate_cost(backend="qpu.x", shots=3, gate_counts=counts, rate_card=card) == 9.0

    @pytest.mark.parametrize("shots", [0, -5, 1.5, True, "10"])
    def test_rejects_bad_shots(self, shots):
        """Shots must be a positive integer."""
        with pytest.raises(ConfigurationError, match="shots"):
            estimate_cost(backend="qpu.aria-1", shots=shots, gate_counts=GateCounts())

    @given(
        n1=st.integers(0, 10_000),
        n2=st.integers(0, 10_000),
        shots=st.integers(1, 1_000_000),
    )
    def test_monotone_and_bounded_below(self, n1, n2, shots):
        """Cost never falls below the minimum and grows with shots."""
        counts = GateCounts(one_qubit=n1, two_qubit=n2)
        cost = estimate_cost(backend="qpu.aria-1", shots=shots, gate_counts=counts)
        assert cost >= DEFAULT_RATE_CARD.job_cost_minimum
        more = estimate_cost(backend="qpu.aria-1", shots=shots + 1, gate_counts=counts)
        assert more >= cost


class TestPayloadCost:
    """Estimating a POST /jobs body."""

    def test_multi_circuit_payload(self):
        """Every circuit of a multi-circuit job is counted, in order."""
        payload = {
            "type": "ionq.multi-circuit.v1",
            "backend": "qpu.aria-1",
            "shots": 1000,
            "input": {
                "circuits": [
                    {"circuit": [{"gate": "h", "target": 0}]},
                    {"circuit": [{"gate": "cnot", "control": 0, "target": 1}]},
                ]
            },
        }
        assert payload_gate_counts(payload) == [
            GateCounts(one_qubit=1),
            GateCounts(two_qubit=1),
        ]
        assert estimate_payload_cost(payload) == 12.4166

    def test_debiasing_raises_minimum(self):
        """settings.error_mitigation.debiasing selects the higher minimum."""
        payload = {
            "backend": "qpu.aria-1",
            "settings": {"error_mitigation": {"debiasing": True}},
            "input": {"circuit": [{"gate": "h", "target": 0}]},
        }
        assert estimate_payload_cost(payload) == 97.5

    def test_default_shots(self):
        """Missing shots default to 100, as the API does."""
        payload = {"backend": "qpu.aria-1", "input": {"circuit": [{"gate": "h", "target": 0}]}}
        card = RateCard(job_cost_minimum=0)
        assert estimate_payload_cost(payload, rate_card=card) == pytest.approx(100 * 0.00022)
