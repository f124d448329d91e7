"""Sphinx extension: the parts of the site generated from the code, so they stay true.

* the API reference pages (``api/modules/*.rst``), one per public module, each name documented
  once, under the shallowest public module that exports it (``config-inited``);
* ``.. qnative-capabilities:: <device>.toml``: a device's gates, observables, measurements and
  compilation flags, read from its capability file with PennyLane's own reader;
* ``.. qnative-options:: <module>:<Class>``: every keyword of a device (or class), with its default
  (from the signature) and its meaning (from the docstring's ``Args:``);
* ``.. qnative-compat::``: the supported versions (``pyproject.toml``) and the versions the
  site was built and tested with (the build environment);
* ``.. qnative-error-tree::``: the exception hierarchy, walked from ``QnativeError``.

A public name with no documentation, an option with no description or a device keyword that
is not an ``IonQOptions`` field is reported as a Sphinx warning, which ``-W`` turns into a
failed build.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import inspect
import pkgutil
import re
import tomllib
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

PACKAGE = "pennylane_qnative"
ROOT = Path(__file__).resolve().parents[2]
DEVICES = ROOT / "src" / PACKAGE / "devices"

# Sections of the API reference, in order: (title, modules). A public module missing here is
# reported, so a new module cannot go undocumented.
API_SECTIONS: list[tuple[str, list[str]]] = [
    ("Package", [PACKAGE, f"{PACKAGE}.exceptions"]),
    (
        "Devices",
        [
            f"{PACKAGE}.devices",
            f"{PACKAGE}.devices.simulator",
            f"{PACKAGE}.devices.ionq",
            f"{PACKAGE}.devices.ionq_options",
            f"{PACKAGE}.devices.errors",
            f"{PACKAGE}.devices.caching",
            f"{PACKAGE}.devices.copying",
            f"{PACKAGE}.devices.tracking",
            f"{PACKAGE}.devices.validation",
            f"{PACKAGE}.devices.device_gradients",
            f"{PACKAGE}.devices.ionq_preprocess",
            f"{PACKAGE}.devices.ionq_ops",
            f"{PACKAGE}.devices.ionq_run",
            f"{PACKAGE}.devices.ionq_translation",
            f"{PACKAGE}.devices.ionq_results",
        ],
    ),
    (
        "Gradients",
        [
            f"{PACKAGE}.gradients",
            f"{PACKAGE}.gradients.spsa",
            f"{PACKAGE}.gradients.sampling",
            f"{PACKAGE}.gradients.richardson",
            f"{PACKAGE}.gradients.natural",
            f"{PACKAGE}.gradients.adaptive",
            f"{PACKAGE}.gradients.decorator",
            f"{PACKAGE}.gradients.registry",
            f"{PACKAGE}.gradients.methods",
        ],
    ),
    ("Templates", [f"{PACKAGE}.templates", f"{PACKAGE}.templates.hea"]),
    (
        "Training",
        [
            f"{PACKAGE}.training",
            f"{PACKAGE}.training.config",
            f"{PACKAGE}.training.model",
            f"{PACKAGE}.training.trainer",
            f"{PACKAGE}.training.tracker",
            f"{PACKAGE}.training.counting",
            f"{PACKAGE}.training.data",
            f"{PACKAGE}.training.losses",
            f"{PACKAGE}.training.optimizers",
            f"{PACKAGE}.training.checkpoint",
            f"{PACKAGE}.training.direct_step",
            f"{PACKAGE}.training.shots",
            f"{PACKAGE}.training.planning",
            f"{PACKAGE}.training.run",
            f"{PACKAGE}.training.device_setup",
            f"{PACKAGE}.training.reference",
            f"{PACKAGE}.training.search",
        ],
    ),
    (
        "Execution",
        [
            f"{PACKAGE}.execution",
            f"{PACKAGE}.execution.cache",
            f"{PACKAGE}.execution.keys",
            f"{PACKAGE}.execution.result_store",
            f"{PACKAGE}.execution.batching",
            f"{PACKAGE}.execution.rebinding",
            f"{PACKAGE}.execution.fusion",
            f"{PACKAGE}.execution.packing",
            f"{PACKAGE}.execution.job_manager",
            f"{PACKAGE}.execution.job_config",
            f"{PACKAGE}.execution.session",
            f"{PACKAGE}.execution.cluster",
            f"{PACKAGE}.execution.runner",
            f"{PACKAGE}.execution.journal",
            f"{PACKAGE}.execution.budget",
        ],
    ),
    (
        "IonQ wire layer",
        [
            f"{PACKAGE}.ionq",
            f"{PACKAGE}.ionq.client",
            f"{PACKAGE}.ionq.models",
            f"{PACKAGE}.ionq.pricing",
            f"{PACKAGE}.ionq.backends",
            f"{PACKAGE}.ionq.retry",
            f"{PACKAGE}.ionq.sessions",
            f"{PACKAGE}.ionq.urls",
            f"{PACKAGE}.ionq.deadline",
            f"{PACKAGE}.ionq.errors",
        ],
    ),
    (
        "Emulator",
        [
            f"{PACKAGE}.emulator",
            f"{PACKAGE}.emulator.server",
            f"{PACKAGE}.emulator.app",
            f"{PACKAGE}.emulator.config",
            f"{PACKAGE}.emulator.latency",
            f"{PACKAGE}.emulator.faults",
            f"{PACKAGE}.emulator.backends",
            f"{PACKAGE}.emulator.job_records",
            f"{PACKAGE}.emulator.jobs_api",
            f"{PACKAGE}.emulator.sessions_api",
            f"{PACKAGE}.emulator.sessions",
            f"{PACKAGE}.emulator.compiled",
            f"{PACKAGE}.emulator.results",
            f"{PACKAGE}.emulator.simulation",
            f"{PACKAGE}.emulator.state",
            f"{PACKAGE}.emulator.job_store",
            f"{PACKAGE}.emulator.__main__",
        ],
    ),
    (
        "Benchmark",
        [
            f"{PACKAGE}.benchmark",
            f"{PACKAGE}.benchmark.configs",
            f"{PACKAGE}.benchmark.document",
            f"{PACKAGE}.benchmark.harness",
            f"{PACKAGE}.benchmark.plots",
            f"{PACKAGE}.benchmark.report",
            f"{PACKAGE}.benchmark.runners",
            f"{PACKAGE}.benchmark.worker",
        ],
    ),
    ("Command line", [f"{PACKAGE}.cli", f"{PACKAGE}.cli_inputs"]),
]


# --- API reference ------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def public_modules() -> tuple[str, ...]:
    """Every importable module of the package whose dotted path has no private part."""
    package = importlib.import_module(PACKAGE)
    names = [PACKAGE]
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{PACKAGE}."):
        parts = info.name.split(".")[1:]
        if any(p.startswith("_") and p != "__main__" for p in parts):
            continue
        names.append(info.name)
    return tuple(sorted(names))


def exported(module: str) -> list[str]:
    """The module's ``__all__``, with every lazily resolved name loaded into its namespace."""
    mod = importlib.import_module(module)
    names = list(getattr(mod, "__all__", []))
    for name in names:
        getattr(mod, name)  # the package root resolves its names lazily
    return names


def owners(modules: list[str]) -> dict[str, dict[int, str]]:
    """For each module, the ids of the objects it documents (the shallowest exporter wins)."""
    best: dict[tuple[str, int], str] = {}
    for module in sorted(modules, key=lambda m: (m.count("."), m)):
        mod = importlib.import_module(module)
        for name in exported(module):
            best.setdefault((name, id(getattr(mod, name))), module)
    table: dict[str, dict[int, str]] = {m: {} for m in modules}
    for (name, ident), module in best.items():
        table[module][ident] = name
    return table


def _module_page(module: str, own: dict[int, str]) -> str:
    mod = importlib.import_module(module)
    names = exported(module)
    skip = [n for n in names if id(getattr(mod, n)) not in own]
    lines = [
        f".. automodapi:: {module}",
        "    :include-all-objects:",
        "    :no-inheritance-diagram:",
    ]
    if skip:
        lines.append(f"    :skip: {', '.join(skip)}")
    if skip:
        where = ", ".join(f"``{name}``" for name in skip)
        lines += ["", f"Also exported by this module (documented where first exported): {where}."]
    return "\n".join(lines) + "\n"


def write_api_pages(app: Any, config: Any = None) -> None:
    """Write ``api/modules/<module>.rst`` and ``api/modules.inc`` (config-inited)."""
    modules = public_modules()
    listed = [m for _, group in API_SECTIONS for m in group]
    for module in sorted(set(modules) - set(listed)):
        logger.warning("API reference: public module %s is in no section of API_SECTIONS", module)
    for module in sorted(set(listed) - set(modules)):
        logger.warning("API reference: %s is listed in API_SECTIONS but does not exist", module)
    listed = [m for m in listed if m in modules]
    table = owners(listed)
    out = Path(app.srcdir) / "api" / "modules"
    out.mkdir(parents=True, exist_ok=True)
    index = [
        ".. This file is generated by docs/_ext/qnative_docs.py; do not edit.",
        "",
    ]
    for stale in out.glob("*.rst"):
        if stale.stem not in listed:
            stale.unlink()
    # automodapi never rewrites a page it finds, so a local build would keep the pages (and
    # member lists) of names that changed since: they are written afresh every build
    for stale in (out.parent / "stubs").glob("*.rst"):
        stale.unlink()
    for title, group in API_SECTIONS:
        group = [m for m in group if m in modules]
        index += [title, "-" * len(title), "", ".. toctree::", "    :maxdepth: 1", ""]
        index += [f"    modules/{m}" for m in group]
        index.append("")
    _write_if_changed(out.parent / "modules.inc", "\n".join(index))
    for module in listed:
        _write_if_changed(out / f"{module}.rst", _module_page(module, table[module]))


def _write_if_changed(path: Path, text: str) -> None:
    """Write only when the text changed, so incremental builds stay incremental."""
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


# --- shared helpers -----------------------------------------------------------------------


class _RstDirective(SphinxDirective):
    """A directive that emits generated reStructuredText."""

    def render(self, text: str) -> list[nodes.Node]:
        container = nodes.container()
        source = self.get_source_info()[0]
        self.state.nested_parse(StringList(text.splitlines(), source=source), 0, container)
        return container.children


def _table(header: list[str], rows: list[list[str]], widths: str | None = None) -> str:
    lines = [".. list-table::", "    :header-rows: 1"]
    if widths:
        lines.append(f"    :widths: {widths}")
    lines.append("")
    for row in [header, *rows]:
        for i, cell in enumerate(row):
            cell = cell.replace("\n", " ") or " "
            lines.append(f"    {'*' if i == 0 else ' '} - {cell}")
    return "\n".join(lines) + "\n"


# --- capabilities ---------------------------------------------------------------------------


class Capabilities(_RstDirective):
    """``.. qnative-capabilities:: simulator.toml``: the capability file as tables."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        from pennylane.devices.capabilities import DeviceCapabilities

        path = DEVICES / self.arguments[0]
        self.env.note_dependency(str(path))
        caps = DeviceCapabilities.from_toml_file(str(path))
        raw = tomllib.loads(path.read_text())
        gates = raw["operators"]["gates"]
        text = [f"Generated from ``src/{PACKAGE}/devices/{path.name}``.", ""]
        text += ["**Gates**", ""]
        text.append(
            _table(
                ["operation", "properties"],
                [
                    [f":class:`~pennylane.{name}`", ", ".join(gates[name].get("properties", []))]
                    for name in sorted(caps.operations)
                ],
                "30 70",
            )
        )
        text += ["**Observables**", ""]
        text.append(
            _table(
                ["observable", "properties"],
                [
                    [f"``{name}``", ", ".join(p for p in _props(caps.observables[name]))]
                    for name in sorted(caps.observables)
                ],
                "30 70",
            )
        )
        text += ["**Measurements**", ""]
        rows = []
        for mp, conditions in sorted(caps.measurement_processes.items()):
            when = ", ".join(sorted(c.name.lower() for c in conditions)) or "always"
            rows.append([f"``{mp}``", when])
        text.append(_table(["measurement process", "available"], rows, "30 70"))
        text += ["**Compilation**", ""]
        flags = [
            ["mid-circuit measurement methods", ", ".join(caps.supported_mcm_methods) or "none"],
            ["non-commuting observables in one circuit", _yes(caps.non_commuting_observables)],
            ["initial state preparation", _yes(caps.initial_state_prep)],
            ["dynamic qubit management", _yes(caps.dynamic_qubit_management)],
            ["qjit (Catalyst) compatible", _yes(caps.qjit_compatible)],
        ]
        text.append(_table(["capability", "value"], flags, "50 50"))
        return self.render("\n".join(text))


def _props(op: Any) -> list[str]:
    props = []
    for attr, label in (
        ("invertible", "invertible"),
        ("controllable", "controllable"),
        ("differentiable", "differentiable"),
    ):
        if getattr(op, attr, False):
            props.append(label)
    return props


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


# --- device options -------------------------------------------------------------------------

_ARG = re.compile(r"^(?P<name>\w+)\s*(\((?P<type>[^)]*)\))?\s*:\s*(?P<desc>.*)$")


def google_args(doc: str) -> dict[str, tuple[str, str]]:
    """The ``Args:`` section of a Google-style docstring: ``name -> (type, description)``."""
    lines = inspect.cleandoc(doc or "").splitlines()
    args: dict[str, tuple[str, str]] = {}
    inside, indent, current = False, None, None
    for line in lines:
        if line.strip() == "Args:":
            inside = True
            continue
        if not inside:
            continue
        if line.strip() and not line.startswith(" "):
            break  # the next section
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        indent = depth if indent is None else indent
        match = _ARG.match(line.strip())
        if depth == indent and match:
            current = match["name"]
            args[current] = (match["type"] or "", match["desc"])
        elif current is not None:
            kind, desc = args[current]
            args[current] = (kind, f"{desc} {line.strip()}")
    return args


class DeviceOptions(_RstDirective):
    """``.. qnative-options:: pennylane_qnative.devices.ionq:IonQDevice``: keyword table."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        module, _, name = self.arguments[0].partition(":")
        cls = getattr(importlib.import_module(module), name)
        self.env.note_dependency(inspect.getsourcefile(cls))
        described = google_args(cls.__doc__)
        rows = []
        for param in list(inspect.signature(cls.__init__).parameters.values())[1:]:
            kind, desc = described.get(param.name, ("", ""))
            if not desc:
                logger.warning("%s: keyword %r has no description in Args:", name, param.name)
            default = _default(param)
            rows.append([f"``{param.name}``", f"*{kind}*" if kind else "", default, desc])
        if name == "IonQDevice":
            _check_ionq_options(cls)
        return self.render(_table(["keyword", "type", "default", "meaning"], rows, "18 17 15 50"))


def _default(param: inspect.Parameter) -> str:
    import enum

    value = param.default
    if value is inspect.Parameter.empty:
        return "required" if param.name != "wires" else "``None``"
    if isinstance(value, enum.Enum):
        value = value.value
    if param.name == "rate_card":
        return "``DEFAULT_RATE_CARD``"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 10_000:
        return f"``{value:_}``"
    return f"``{value!r}``"


# device keywords whose IonQOptions field has another name
_IONQ_RENAMED = {"cache_finite_shots": "shots_policy"}


def _check_ionq_options(cls: type) -> None:
    """Every keyword of ``qnative.ionq`` is an ``IonQOptions`` field with the same default."""
    import dataclasses

    from pennylane_qnative.devices.ionq_options import IonQOptions

    fields = {f.name: f for f in dataclasses.fields(IonQOptions)}
    params = list(inspect.signature(cls.__init__).parameters.values())[3:]  # after wires, shots
    for param in params:
        field = fields.pop(_IONQ_RENAMED.get(param.name, param.name), None)
        if field is None:
            logger.warning("qnative.ionq keyword %r is not an IonQOptions field", param.name)
    for left in fields:
        logger.warning("IonQOptions field %r is not a keyword of qnative.ionq", left)


# --- versions -------------------------------------------------------------------------------

_COMPAT = [
    ("Python", None, None),
    ("PennyLane", "pennylane", "pennylane"),
    ("PennyLane-Lightning", "pennylane-lightning", "pennylane_lightning"),
    ("pennylane-ionq", "pennylane-ionq", "pennylane-ionq"),
    ("NumPy", "numpy", "numpy"),
    ("JAX (extra ``jax``)", "jax", "jax"),
    ("PyTorch (extra ``torch``)", "torch", "torch"),
]


def _requirements() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs: dict[str, str] = {}
    extras = [req for group in meta["optional-dependencies"].values() for req in group]
    for spec in [*meta["dependencies"], *extras]:
        match = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
        name, rest = match[1].lower().replace("_", "-"), match[2].strip()
        if rest and name not in reqs:
            reqs[name] = rest
    reqs["python"] = meta["requires-python"]
    return reqs


class Compat(_RstDirective):
    """``.. qnative-compat::``: supported and tested versions."""

    def run(self) -> list[nodes.Node]:
        import platform

        self.env.note_dependency(str(ROOT / "pyproject.toml"))
        reqs = _requirements()
        rows = []
        for label, req, dist in _COMPAT:
            if req is None:
                rows.append([label, f"``{reqs['python']}``", platform.python_version()])
                continue
            try:
                tested = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                tested = "not installed"
            rows.append([label, f"``{reqs.get(req, 'any')}``", tested])
        return self.render(_table(["component", "required", "tested with"], rows, "35 30 35"))


# --- IonQ backends -------------------------------------------------------------------------


class Backends(_RstDirective):
    """``.. qnative-backends::``: the IonQ targets the wire layer knows, and the noise models."""

    def run(self) -> list[nodes.Node]:
        from pennylane_qnative.ionq.backends import BACKENDS, NOISE_MODELS

        rows = [
            [f"``{b.name}``", str(b.qubits), f"``{b.native_entangler}``"] for b in BACKENDS.values()
        ]
        text = _table(["target", "qubits", "native entangler"], rows, "40 20 40")
        models = ", ".join(f"``{m}``" for m in sorted(NOISE_MODELS))
        text += f"\nNoise models of the ``simulator`` target (``noise_model=``): {models}.\n"
        return self.render(text)


# --- errors ---------------------------------------------------------------------------------


class ErrorTree(_RstDirective):
    """``.. qnative-error-tree::``: every public exception class below ``QnativeError``."""

    def run(self) -> list[nodes.Node]:
        for module in public_modules():
            importlib.import_module(module)
        from pennylane_qnative.exceptions import QnativeError

        lines: list[str] = []

        def walk(cls: type, depth: int) -> None:
            extra = [b for b in cls.__bases__ if not issubclass(b, QnativeError)]
            also = f" (also {', '.join(_qualname(b) for b in extra)})" if extra else ""
            summary = (inspect.getdoc(cls) or "").split("\n")[0]
            target = f"{cls.__module__}.{cls.__qualname__}"
            lines.append(f"{'    ' * depth}* :class:`~{target}`{also}: {summary}")
            lines.append("")
            for sub in sorted(cls.__subclasses__(), key=lambda c: c.__name__):
                if sub.__module__.startswith(PACKAGE) and not sub.__name__.startswith("_"):
                    walk(sub, depth + 1)

        walk(QnativeError, 0)
        return self.render("\n".join(lines))


def _qualname(cls: type) -> str:
    if cls.__module__ == "builtins":
        return f"``{cls.__name__}``"
    return f"``{cls.__module__.replace('pennylane.', 'qp.')}.{cls.__qualname__}``"


def _attribute_doc(name: str) -> list[str] | None:
    """The ``#:`` or string docstring of a module-level name, from the module defining it."""
    from sphinx.pycode import ModuleAnalyzer

    short = name.rsplit(".", 1)[-1]
    for module in public_modules():
        try:
            docs = ModuleAnalyzer.for_module(module).find_attr_docs()
        except Exception:
            continue
        if ("", short) in docs:
            return list(docs[("", short)])
    return None


def clean_docstring(app: Any, what: str, name: str, obj: Any, options: Any, lines: list) -> None:
    """Tidy docstrings autodoc did not take from our code (autodoc-process-docstring).

    * a constant re-exported by a package has its docstring in the module that defines it, and
      autodoc, not finding it in the package, shows its type's (``dict``'s, ``int``'s): the
      defining module's docstring is used instead, or none;
    * a method inherited from PennyLane's ``Device`` without its own docstring shows
      PennyLane's, whose ``:ref:`` labels exist only in PennyLane's docs: they become text.
    """
    if what in ("data", "attribute", "class") and lines:
        types = [type(obj), getattr(obj, "__origin__", None)]
        docs = [t.__doc__ for t in types if t is not None and not t.__module__.startswith(PACKAGE)]
        if any(
            isinstance(d, str) and inspect.cleandoc(d).splitlines()[:1] == lines[:1] for d in docs
        ):
            lines[:] = _attribute_doc(name) or []
            return
    for i, line in enumerate(lines):
        if ":ref:" in line:
            line = re.sub(r":ref:`([^`<]*?)\s*<[^`>]*>`", r"\1", line)
            lines[i] = re.sub(r":ref:`([^`]*)`", r"``\1``", line)


class TrackerKeys(_RstDirective):
    """``.. qnative-tracker-keys::``: every key the devices record, with its meaning."""

    def run(self) -> list[nodes.Node]:
        from pennylane_qnative.devices.tracking import TRACKER_KEYS

        rows = [[f"``{key}``", meaning] for key, meaning in TRACKER_KEYS.items()]
        return self.render(_table(["key", "meaning"], rows, widths="25 75"))


def setup(app: Any) -> dict[str, Any]:
    app.connect("autodoc-process-docstring", clean_docstring)
    app.connect("config-inited", write_api_pages)  # before Sphinx looks for documents
    app.add_directive("qnative-capabilities", Capabilities)
    app.add_directive("qnative-options", DeviceOptions)
    app.add_directive("qnative-compat", Compat)
    app.add_directive("qnative-error-tree", ErrorTree)
    app.add_directive("qnative-backends", Backends)
    app.add_directive("qnative-tracker-keys", TrackerKeys)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
