"""Sphinx configuration of the sklosses documentation.

Build: ``python -m sphinx -W -b html docs docs/_build/html`` (needs the ``docs`` extra).
The example gallery runs every script of ``examples/``; the API pages are generated from
the docstrings.
"""

import sys
from pathlib import Path

import numpy as np

import sklosses

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "sphinxext"))

project = "sklosses"
author = "the sklosses developers"
copyright = "the sklosses developers"
version = release = sklosses.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
    "myst_parser",
    "sphinx_design",
    "offline_inventory",
]

exclude_patterns = ["_build", "figures"]
templates_path = ["_templates"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
default_role = "literal"  # `name` renders as code, as in the README
# literal blocks without a language (docstring formulas, docs/architecture.md's layer map)
# are not Python
highlight_language = "none"

# -- API reference: autosummary pages from the numpydoc docstrings
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"  # the numpydoc sections give the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -- intersphinx: inventories written offline from the installed packages
# (sphinxext/offline_inventory.py fills this mapping)
intersphinx_mapping = {}

# -- example gallery
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # every example runs and shows its output and figures (the Dask one starts a local
    # cluster of two worker processes: ~20 s of the build's ~70 s here)
    "filename_pattern": r"\.py$",
    "reset_argv": "gallery_config.figure_beside_copy",
    "within_subsection_order": "gallery_config.ExampleOrder",
    "doc_module": ("sklosses",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sklosses": None},
    "min_reported_time": 1,
    "download_all_examples": False,
}

# -- figures drawn at build time by ``.. plot::`` (the loss catalogue)
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 150)]

# -- HTML
html_theme = "pydata_sphinx_theme"
html_title = f"sklosses {release}"
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "header_links_before_dropdown": 7,
    "show_toc_level": 2,
    "secondary_sidebar_items": {"**": ["page-toc"], "index": []},
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "getting_started": [], "benchmarks": [], "changelog": []}


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Leave out the members a class takes unchanged from another library.

    ``get_params``, ``set_params``, ``score``, the ``set_*_request`` methods of metadata
    routing, ... are scikit-learn's, documented there with links into its own user guide;
    a loss's ``inverse_link = staticmethod(expit)`` is scipy's. The API pages document
    what sklosses defines.
    """
    module = getattr(obj, "__module__", None)
    if isinstance(module, str) and module.split(".")[0] != "sklosses":
        return True
    if isinstance(obj, np.ufunc):  # numpy's and scipy's ufuncs have no __module__
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
