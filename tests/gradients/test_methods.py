"""Tests of ``pennylane_qnative.gradients.methods`` (the built-in table of gradient methods)."""

from __future__ import annotations

import pennylane as qp
import pytest

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.gradients import METHODS, resolve
from pennylane_qnative.gradients._common import StatefulTransform
from pennylane_qnative.gradients.registry import (
    accepted_names,
    aliases,
    canonical,
    is_stateful,
    method_names,
)
from pennylane_qnative.training.config import GradientMethod

from .conftest import make_tape

BUILT_IN = (
    "spsa",
    "spsa-grad",
    "richardson",
    "natural",
    "adaptive",
    "parameter-shift",
    "finite-diff",
)


class TestNames:
    """The table lists exactly the names ``resolve`` accepts."""

    def test_methods_is_the_table(self):
        """METHODS is derived from the table, in the documented order."""
        assert METHODS == method_names() == BUILT_IN

    @pytest.mark.parametrize("name", accepted_names())
    def test_every_listed_name_resolves(self, name):
        """Each canonical name and alias gives a Transform."""
        assert isinstance(resolve(name), qp.transforms.core.Transform)

    @pytest.mark.parametrize(
        "name", ["Spsa", "parameter shift", "param_shift", "spsa_grad", "natural-gradient"]
    )
    def test_unlisted_names_refused(self, name):
        """A spelling that is not listed is refused."""
        assert name not in accepted_names()
        with pytest.raises(ConfigurationError, match="Unknown gradient method"):
            resolve(name)

    @pytest.mark.parametrize("name", BUILT_IN)
    def test_stateful_flag(self, name):
        """``is_stateful`` says whether the resolved object carries state."""
        assert is_stateful(name) == isinstance(resolve(name), StatefulTransform)


class TestAliases:
    """Other spellings resolve to the same transform."""

    @pytest.mark.parametrize(("alias", "name"), list(aliases().items()))
    def test_same_transform(self, weights, alias, name):
        """An alias binds the same base transform and gives the same tapes."""
        by_alias, by_name = resolve(alias), resolve(name)
        assert by_alias.base is by_name.base
        assert by_alias.options == by_name.options
        tape = make_tape(weights)
        assert len(by_alias(tape)[0]) == len(by_name(tape)[0])

    @pytest.mark.parametrize("method", list(GradientMethod))
    def test_trainer_spellings_registered(self, method):
        """Every ``TrainingConfig.gradient_method`` value is a registered name or alias."""
        assert canonical(method) in METHODS
