"""Compiled circuits of dry-run jobs ("compilation as a service"), as artifacts.

The emulator does not optimise circuits; it publishes each dry-run circuit in the formats it
can render *exactly*, and advertises only those in ``output.compilation.compiled_circuits``:

* ``ionq.native.v1`` (``{"qubits", "circuit"}``) for a circuit submitted in native gates;
* ``ionq.qasm3.v1`` (an OpenQASM 3 program) for a ``qis`` circuit without ``pauliexp``.

They are served as JSON (the OpenQASM program as a JSON string, as ionq-core's format catalog
types it and qiskit-ionq decodes it) at ``GET /jobs/{id}/artifacts/{artifact_id}`` and, by
short name, at ``GET /jobs/{id}/circuits/{native|qasm3}``.

**Example**

>>> from pennylane_qnative.emulator.compiled import render_artifacts
>>> bell = [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}]
>>> print(render_artifacts(bell, qubits=2, gateset="qis")["ionq.qasm3.v1"])
OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
h q[0];
ctrl(1) @ x q[0], q[1];
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from pennylane_qnative.emulator.simulation import gate_wires

__all__ = ["NATIVE", "QASM3", "SHORT_NAMES", "artifact_id", "descriptors", "render_artifacts"]

NATIVE = "ionq.native.v1"
QASM3 = "ionq.qasm3.v1"
SHORT_NAMES = {"native": NATIVE, "qasm3": QASM3}
_QASM_NAMES = {
    "x": "x", "not": "x", "cnot": "x", "y": "y", "z": "z", "h": "h", "s": "s", "si": "sdg",
    "t": "t", "ti": "tdg", "v": "sx", "vi": "inv @ sx", "swap": "swap",
    "rx": "rx", "ry": "ry", "rz": "rz", "xx": "rxx", "yy": "ryy", "zz": "rzz",
}  # fmt: skip
_ISING_DEFS = (
    "gate rxx(t) a, b { h a; h b; cx a, b; rz(t) b; cx a, b; h a; h b; }",
    "gate ryy(t) a, b { rx(pi/2) a; rx(pi/2) b; cx a, b; rz(t) b; cx a, b; rx(-pi/2) a; "
    "rx(-pi/2) b; }",
    "gate rzz(t) a, b { cx a, b; rz(t) b; cx a, b; }",
)


def _qasm3(circuit: Sequence[Mapping[str, Any]], qubits: int) -> str | None:
    lines = ["OPENQASM 3.0;", 'include "stdgates.inc";']
    if any(g["gate"] in ("xx", "yy", "zz") for g in circuit):
        lines += _ISING_DEFS
    lines.append(f"qubit[{qubits}] q;")
    for gate in circuit:
        name = _QASM_NAMES.get(gate["gate"])
        if name is None:  # pauliexp: no exact one-line rendering
            return None
        controls, targets = gate_wires(gate, qubits)
        if "rotation" in gate:
            name = f"{name}({float(gate['rotation'])!r})"
        if controls:
            name = f"ctrl({len(controls)}) @ {name}"
        operands = ", ".join(f"q[{w}]" for w in (*controls, *targets))
        lines.append(f"{name} {operands};")
    return "\n".join(lines)


def render_artifacts(
    circuit: Sequence[Mapping[str, Any]], *, qubits: int, gateset: str
) -> dict[str, Any]:
    """The compiled forms of one circuit, by format (only the exact ones)."""
    if gateset == "native":
        return {NATIVE: {"qubits": qubits, "circuit": [dict(g) for g in circuit]}}
    program = _qasm3(circuit, qubits)
    return {} if program is None else {QASM3: program}


def artifact_id(job_id: str, fmt: str) -> str:
    """The (stable) id of a job's artifact in format ``fmt``."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{job_id}/{fmt}"))


def descriptors(job_id: str, formats: Sequence[str]) -> dict[str, dict[str, str]]:
    """``output.compilation.compiled_circuits`` of a job: format -> artifact descriptor."""
    return {
        fmt: {"id": artifact_id(job_id, fmt), "format": fmt, "media_type": "application/json"}
        for fmt in formats
    }
