"""Tests for :mod:`pennylane_qnative.training.data` (``ArrayLoader``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qnative.exceptions import ConfigurationError
from pennylane_qnative.training.data import ArrayLoader

X = np.arange(22.0).reshape(11, 2)
Y = np.arange(11)


class TestOrder:
    """Per-epoch orders are reproducible and differ between epochs."""

    def test_same_seed_and_epoch_same_order(self):
        """Two loaders with one seed give one order per epoch."""
        a = ArrayLoader(X, Y, batch_size=3, seed=5)
        b = ArrayLoader(X, Y, batch_size=3, seed=5)
        for epoch in range(3):
            assert np.array_equal(a.order(epoch), b.order(epoch))
        assert np.array_equal(a.order(2), a.order(2))

    def test_orders_differ_across_epochs(self):
        """Epochs 0..4 are shuffled differently."""
        loader = ArrayLoader(X, Y, batch_size=3, seed=5)
        orders = {tuple(loader.order(e)) for e in range(5)}
        assert len(orders) == 5

    def test_seeds_differ(self):
        """Another seed gives another order."""
        a = ArrayLoader(X, Y, batch_size=3, seed=5)
        b = ArrayLoader(X, Y, batch_size=3, seed=6)
        assert not np.array_equal(a.order(0), b.order(0))

    def test_no_shuffle(self):
        """shuffle=False keeps the data order in every epoch."""
        loader = ArrayLoader(X, Y, batch_size=4, seed=5, shuffle=False)
        assert np.array_equal(loader.order(3), np.arange(11))

    def test_seed_none_drawn_once(self):
        """Without a seed, one is drawn at construction and kept."""
        loader = ArrayLoader(X, Y, batch_size=4)
        assert isinstance(loader.seed, int)
        assert np.array_equal(loader.order(1), loader.order(1))

    def test_iter_is_epoch_zero(self):
        """Iterating the loader gives epoch 0."""
        loader = ArrayLoader(X, Y, batch_size=4, seed=1)
        for (xa, ya), (xb, yb) in zip(loader, loader.epoch(0), strict=True):
            assert np.array_equal(xa, xb)
            assert np.array_equal(ya, yb)


class TestBatches:
    """Batches cover every sample exactly once per epoch."""

    @settings(max_examples=40, deadline=None)
    @given(
        n=st.integers(1, 30),
        batch_size=st.integers(1, 12),
        seed=st.integers(0, 2**32 - 1),
        epoch=st.integers(0, 50),
    )
    def test_cover_every_sample_once(self, n, batch_size, seed, epoch):
        """The batches of an epoch partition the samples; X and y rows stay paired."""
        x = np.arange(n, dtype=float)[:, None] * np.ones((1, 3))
        loader = ArrayLoader(x, np.arange(n), batch_size=batch_size, seed=seed)
        batches = list(loader.epoch(epoch))
        assert len(batches) == len(loader) == -(-n // batch_size)
        assert all(len(b[1]) == batch_size for b in batches[:-1])
        assert 1 <= len(batches[-1][1]) <= batch_size
        seen = np.concatenate([b[1] for b in batches])
        assert sorted(seen.tolist()) == list(range(n))
        for bx, by in batches:
            assert np.array_equal(bx[:, 0], by)
        assert np.array_equal(seen, loader.order(epoch))

    @pytest.mark.parametrize(
        ("n", "batch_size", "expected"),
        [
            pytest.param(10, 5, 2, id="exact"),
            pytest.param(11, 5, 3, id="remainder"),
            pytest.param(3, 10, 1, id="one-small"),
        ],
    )
    def test_len(self, n, batch_size, expected):
        """len() is the number of batches (the last may be smaller)."""
        assert len(ArrayLoader(np.zeros((n, 2)), np.zeros(n), batch_size=batch_size)) == expected


class TestErrors:
    """Invalid inputs raise ConfigurationError."""

    @pytest.mark.parametrize(
        ("x", "y", "batch_size", "match"),
        [
            pytest.param(np.zeros((3, 2)), np.zeros(4), 2, "same, non-zero", id="mismatch"),
            pytest.param(np.zeros((0, 2)), np.zeros(0), 2, "same, non-zero", id="empty"),
            pytest.param(np.zeros((3, 2)), np.zeros(3), 0, "batch_size", id="zero-batch"),
            pytest.param(np.zeros((3, 2)), np.zeros(3), 2.0, "batch_size", id="float-batch"),
        ],
    )
    def test_errors(self, x, y, batch_size, match):
        """Mismatched or empty data and bad batch sizes are refused."""
        with pytest.raises(ConfigurationError, match=match):
            ArrayLoader(x, y, batch_size=batch_size, seed=0)
