"""An operation that kills the process simulating it, once: a worker lost mid-batch.

Shipped to Dask workers with ``client.upload_file`` (so restarted workers get it too). The first
simulation of :class:`KillOnce` creates its flag file atomically and exits the process; every
later one (the retried task) acts as the identity.
"""

from __future__ import annotations

import os

import numpy as np
import pennylane as qp


class KillOnce(qp.operation.Operation):
    """Identity on one wire that exits the simulating process if ``flag`` does not exist yet."""

    num_wires = 1
    num_params = 0

    def __init__(self, wires, flag: str):
        super().__init__(wires=wires)
        self.hyperparameters["flag"] = flag

    @staticmethod
    def compute_matrix(flag: str):
        try:
            os.close(os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return np.eye(2)
        os._exit(1)
