"""Tests of ``pennylane_qnative.gradients.registry`` (the table of methods and ``resolve``)."""

from __future__ import annotations

from functools import partial

import pennylane as qp
import pytest

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients import registry, spsa_grad
from pennylane_qnative.gradients.registry import (
    BoundGradient,
    accepted_names,
    aliases,
    bind,
    canonical,
    method_names,
    register,
    resolve,
)


@pytest.fixture
def scratch_table(monkeypatch):
    """A copy of the table, so registrations in a test do not outlive it."""
    monkeypatch.setattr(registry, "_TABLE", dict(registry._TABLE))


class TestRegister:
    """Adding methods to the table."""

    @pytest.mark.usefixtures("scratch_table")
    def test_new_method_resolves(self):
        """A registered name and its alias resolve; both are listed."""
        register("shifted", partial(bind, qp.gradients.param_shift), aliases=("shift",))
        assert "shifted" in method_names()
        assert aliases()["shift"] == "shifted"
        assert {"shifted", "shift"} <= set(accepted_names())
        assert resolve("shift").base is resolve("shifted").base is qp.gradients.param_shift

    @pytest.mark.parametrize(
        ("name", "alias"),
        [
            pytest.param("spsa", "x", id="name-taken"),
            pytest.param("other", "parameter-shift", id="alias-takes-a-name"),
            pytest.param("other", "parameter_shift", id="alias-taken"),
        ],
    )
    def test_taken_spelling_refused(self, name, alias):
        """A spelling already used by another method is refused, and nothing is added."""
        before = accepted_names()
        with pytest.raises(ConfigurationError, match="already registered"):
            register(name, partial(bind, spsa_grad), aliases=(alias,))
        assert accepted_names() == before


class TestLookups:
    """Canonical names, aliases and errors."""

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            pytest.param("parameter_shift", "parameter-shift", id="alias"),
            pytest.param("parameter-shift", "parameter-shift", id="canonical"),
            pytest.param("finite_diff", "finite-diff", id="finite-diff-alias"),
        ],
    )
    def test_canonical(self, name, expected):
        """Aliases map to their canonical name; canonical names to themselves."""
        assert canonical(name) == expected

    @pytest.mark.parametrize("name", ["magic", "Parameter-Shift", "", 42, None])
    def test_unknown(self, name):
        """Unknown names raise the error ``resolve`` raises, listing the methods."""
        with pytest.raises(ConfigurationError, match="Unknown gradient method") as error:
            canonical(name)
        assert str(list(method_names())) in str(error.value)

    def test_bind_refuses_unknown_options(self):
        """``bind`` names the options the transform accepts."""
        with pytest.raises(ConfigurationError, match="its options are"):
            bind(spsa_grad, levels=3)
        assert isinstance(bind(spsa_grad, c=0.1), BoundGradient)
