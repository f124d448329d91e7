r"""
From pennylane-ionq to qnative.ionq in one line
===============================================

``qnative.ionq`` takes the keywords of pennylane-ionq's devices. This tutorial runs one
variational circuit on both, against the local IonQ emulator, and compares what a gradient
costs: jobs, circuits and the price the same jobs would have on a QPU.

Everything runs offline: :func:`pennylane_qnative.emulator.running` starts an
IonQ-compatible HTTP server on a free loopback port.
"""

import pathlib
import tempfile

import pennylane as qp
from pennylane import numpy as pnp
from pennylane_ionq.api_client import APIClient

from pennylane_qnative.emulator import running
from pennylane_qnative.ionq.pricing import GateCounts, estimate_cost

######################################################################
# The circuit
# -----------
#
# Four qubits, two layers of rotations and CNOTs, 8 trainable parameters, 1,000 shots.

N = 4


def circuit(w):
    for layer in range(2):
        for i in range(N):
            qp.RY(w[layer, i], i)
        for i in range(N - 1):
            qp.CNOT([i, i + 1])
    return qp.expval(qp.Z(N - 1))


w = pnp.array(pnp.linspace(0.1, 0.8, 2 * N).reshape(2, N), requires_grad=True)
scratch = pathlib.Path(tempfile.mkdtemp())  # the journal of qnative.ionq goes here

######################################################################
# Both devices on the emulator
# ----------------------------
#
# pennylane-ionq reads its service URL from a class attribute, so we point it at the
# emulator; ``qnative.ionq`` takes ``api_url=`` (or ``IONQ_API_URL``). The emulator accepts any
# API key. The one line that changes is the device name; ``diff_method="device"`` is what
# makes ``qnative.ionq`` send a whole step as one job.

server = running()
url = server.__enter__()
APIClient.BASE_URL = f"{url}/v0.4"

before = qp.device("ionq.simulator", wires=N, api_key="any-key")
after = qp.device(
    "qnative.ionq", wires=N, api_key="any-key", api_url=f"{url}/v0.4",
    journal_path=scratch / "journal.sqlite", cache=False,
)  # fmt: skip

runs = {
    "ionq.simulator, parameter shift": qp.QNode(circuit, before, diff_method="parameter-shift"),
    "qnative.ionq, parameter shift": qp.QNode(
        circuit, after, diff_method="device", gradient_kwargs={"method": "parameter-shift"}
    ),
    "qnative.ionq, SPSA": qp.QNode(
        circuit,
        after,
        diff_method="device",
        gradient_kwargs={"method": "spsa", "schedule": "spall", "seed": 0},
    ),
}

######################################################################
# One gradient each
# -----------------
#
# The emulator lists the jobs it received (``GET /v0.4/jobs``, like IonQ's service), each with
# its number of circuits; the tracker of ``qnative.ionq`` reports the same from the client
# side (``jobs``, ``circuits``, ``shots``, costs).

import httpx  # noqa: E402


def jobs_on_the_server():
    """Top-level jobs the emulator has received: id -> circuits."""
    page = httpx.get(f"{url}/v0.4/jobs", headers={"Authorization": "apiKey any-key"}).json()
    return {j["id"]: j["stats"]["circuits"] for j in page["jobs"] if not j["parent_job_id"]}


results = {}
for name, qnode in runs.items():
    qnode = qp.set_shots(qnode, 1000)
    seen = jobs_on_the_server()
    grad = qp.grad(qnode)(w)
    new = [n for job, n in jobs_on_the_server().items() if job not in seen]
    results[name] = (new, grad)

server.__exit__(None, None, None)

######################################################################
# What the same jobs would cost on ``qpu.aria-1`` at the default rate card: each job pays at
# least the job minimum, then per gate-shot (8 one-qubit and 3 two-qubit gates a circuit).

gates = GateCounts(one_qubit=8, two_qubit=3)
print(f"{'device, gradient':34s} {'jobs':>4s} {'circuits':>8s} {'QPU cost':>9s}")
for name, (jobs, _) in results.items():
    cost = sum(
        estimate_cost(backend="qpu.aria-1", shots=1000, gate_counts=[gates] * n) for n in jobs
    )
    print(f"{name:34s} {len(jobs):4d} {sum(jobs):8d} {cost:9.2f}")

######################################################################
# pennylane-ionq sends the forward circuit and the shifted circuits as separate jobs: two
# queue waits, two job minimums. ``qnative.ionq`` with ``diff_method="device"`` sends them as
# one job, and with SPSA that job holds 3 circuits whatever the number of parameters.
#
# The two parameter-shift gradients agree within shot noise. SPSA's is a one-direction
# estimate: every entry has the same magnitude, and only its average over steps is the
# gradient (the *Train a classifier with 48x fewer circuits* tutorial trains with it):

for name, (_, grad) in results.items():
    print(f"{name:34s}", pnp.round(grad.ravel()[:4], 2))

######################################################################
# On IonQ's service
# -----------------
#
# Drop ``api_url`` and put your key in ``IONQ_API_KEY``; ``target="qpu.aria-1"`` runs on
# hardware, and ``budget_usd=`` refuses any batch that would take the total past the budget,
# before it is submitted:
#
# .. code-block:: python
#
#     dev = qp.device("qnative.ionq", wires=4, target="qpu.aria-1", budget_usd=50)
#
# The *Migration* guide "From pennylane-ionq" lists every keyword.
