"""Device-independent execution machinery: caches, batch planning, jobs, journal, budget.

Nothing here knows about a particular device; devices in :mod:`pennylane_qnative.devices`
compose these pieces.
"""
