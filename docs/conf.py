"""Sphinx configuration of the pennylane-qnative documentation.

Build (from the repository root, with the ``docs`` or ``test`` extra installed)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

Intersphinx links to PennyLane, NumPy and Python need their ``objects.inv`` inventories. The
build never fetches them unless ``QNATIVE_DOCS_ONLINE=1`` is set, so it works (and passes
``-W``) offline; an inventory saved as ``docs/_inventories/<name>.inv`` is always used. See
``CONTRIBUTING.md``.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(ROOT / "src"))  # document this tree, not another installed copy

os.environ.setdefault("MPLBACKEND", "Agg")
# Tutorials write journals and caches here, never into the user's cache directory.
os.environ.setdefault("QNATIVE_CACHE_DIR", str(HERE / "_build" / "qnative-cache"))

from pennylane_sphinx_theme import templates_dir  # noqa: E402

import pennylane_qnative  # noqa: E402

# -- project -------------------------------------------------------------------------------

project = "pennylane-qnative"
author = "pennylane-qnative developers"
copyright = "pennylane-qnative developers; Apache License 2.0"
release = pennylane_qnative.__version__
version = release

# -- extensions ----------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx_automodapi.automodapi",
    "sphinx_automodapi.smart_resolver",
    "sphinx_gallery.gen_gallery",
    "sphinxarg.ext",
    "sphinxcontrib.mermaid",
    "myst_parser",
    "qnative_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "_inventories",
    "tutorials",  # sphinx-gallery sources; rendered into demos/
    "**/*.ipynb",
    "demos/*.py",
    "demos/*.zip",
    "demos/*.md5",
    "demos/*.codeobj.json",
]
templates_path = [templates_dir()]
suppress_warnings = [
    "myst.header",  # benchmarks.md starts at level 2 below its title
    "config.cache",  # sphinx-gallery's callables in the configuration
]

# PennyLane's Google docstring dialect
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_use_ivar = True  # "Attributes:" as fields, not second descriptions of the members
autodoc_typehints = "none"  # the docstrings carry the types, as PennyLane's do
autodoc_member_order = "bysource"
autodoc_default_options = {"show-inheritance": False}
automodapi_toctreedirnm = "api/stubs"
automodapi_writereprocessed = False
automodsumm_inherited_members = False
numpydoc_show_class_members = False

myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# -- intersphinx: offline by default -------------------------------------------------------

INVENTORIES = {
    "pennylane": "https://docs.pennylane.ai/en/stable/",
    "numpy": "https://numpy.org/doc/stable/",
    "python": "https://docs.python.org/3/",
}
ONLINE = os.environ.get("QNATIVE_DOCS_ONLINE", "").lower() in ("1", "true", "yes")


def _intersphinx() -> dict[str, tuple[str, object]]:
    mapping = {}
    for name, url in INVENTORIES.items():
        local = HERE / "_inventories" / f"{name}.inv"
        sources = [str(local)] if local.is_file() else []
        if ONLINE:
            sources.append(None)  # the inventory at the URL
        if sources:
            mapping[name] = (url, tuple(sources))
    return mapping


intersphinx_mapping = _intersphinx()
intersphinx_timeout = 10

# -- tutorials (sphinx-gallery): executed at every build, offline ---------------------------

sphinx_gallery_conf = {
    "examples_dirs": ["tutorials"],
    "gallery_dirs": ["demos"],
    "filename_pattern": r"/tutorial_",  # run every tutorial
    "ignore_pattern": r"__init__\.py",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    "remove_config_comments": True,
    "plot_gallery": "True",
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reference_url": {},
    "show_memory": False,
    "min_reported_time": 1,
}

# the tutorials' own deprecation chatter must not fail -W
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")

# -- HTML ----------------------------------------------------------------------------------

html_theme = "pennylane"
html_title = "pennylane-qnative"
html_short_title = "qnative"
html_static_path: list[str] = []
html_theme_options = {
    "navbar_name": "pennylane-qnative",
    "toc_overview": True,
    "extra_copyrights": ["pennylane-qnative developers, Apache License 2.0"],
    "google_analytics_tracking_id": "",
}
html_show_sourcelink = False
mermaid_output_format = "raw"
