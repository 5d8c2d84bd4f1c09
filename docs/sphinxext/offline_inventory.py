"""Intersphinx inventories of Python, numpy, scipy and scikit-learn, written offline.

intersphinx normally downloads each project's ``objects.inv``; the machines that build
these docs (CI included) have no network. This extension writes the inventories
instead, from the versions installed in the build environment: every public class and
function of the modules listed below, at the address the project's own API pages give
it (its "generated" page, one per object), and Python's builtins.
Links then point at the projects' online documentation, and a name the installed
version does not have stays plain text, as an unresolved intersphinx reference does.
"""

import builtins
import importlib
import inspect
import zlib
from pathlib import Path

PROJECTS = {
    "python": {"url": "https://docs.python.org/3/"},  # its builtins: _python_entries
    "numpy": {
        "url": "https://numpy.org/doc/stable/",
        "modules": ("numpy", "numpy.linalg"),
        "page": "reference/generated/{name}.html",
    },
    "scipy": {
        "url": "https://docs.scipy.org/doc/scipy/",
        "modules": (
            "scipy.linalg",
            "scipy.optimize",
            "scipy.sparse",
            "scipy.special",
            "scipy.stats",
        ),
        "page": "reference/generated/{name}.html",
    },
    "sklearn": {
        "url": "https://scikit-learn.org/stable/",
        "modules": "sklearn",  # sklearn.__all__ names its public modules
        "page": "modules/generated/{name}.html",
    },
}

# builtins documented on library/functions.html; the other builtin types are on stdtypes
_FUNCTION_PAGE_TYPES = {"bool", "complex", "float", "int", "object", "type"}


def _python_entries():
    """``(name, role, uri)`` of Python's builtin functions, types, exceptions and None."""
    entries = [("None", "py:data", "library/constants.html#None")]
    for name, obj in vars(builtins).items():
        if name.startswith("_"):
            continue
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            entries.append((name, "py:exception", f"library/exceptions.html#{name}"))
        elif inspect.isclass(obj):
            page = "functions" if name in _FUNCTION_PAGE_TYPES else "stdtypes"
            entries.append((name, "py:class", f"library/{page}.html#{name}"))
        elif inspect.isbuiltin(obj):
            entries.append((name, "py:function", f"library/functions.html#{name}"))
    return entries


def _public_modules(spec):
    """The module names of a ``modules`` entry: a tuple, or a package naming them in ``__all__``."""
    if not isinstance(spec, str):
        return list(spec)
    names = importlib.import_module(spec).__all__
    return [spec] + [f"{spec}.{name}" for name in names if _is_module(f"{spec}.{name}")]


def _is_module(name):
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def _api_entries(project):
    """``(name, role, uri)`` of every public class, function and method of the modules."""
    entries = []
    for module_name in _public_modules(project["modules"]):
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            try:
                obj = getattr(module, name, None)
            except ImportError:  # e.g. sklearn's experimental estimators, not enabled
                continue
            full = f"{module_name}.{name}"
            page = project["page"].format(name=full)
            if _is_numpy_scalar_type(obj):  # numpy documents them together, on one page
                page = "reference/arrays.scalars.html"
            if inspect.isclass(obj):
                entries.append((full, "py:class", f"{page}#{full}"))
                for member, value in vars(obj).items():
                    if not member.startswith("_") and callable(value):
                        entries.append((f"{full}.{member}", "py:method", f"{page}#{full}.{member}"))
            elif callable(obj):
                entries.append((full, "py:function", f"{page}#{full}"))
    return entries


def _is_numpy_scalar_type(obj):
    numpy = importlib.import_module("numpy")
    return inspect.isclass(obj) and issubclass(obj, numpy.generic)


def _write_inventory(path, project_name, version, entries):
    """Write ``entries`` in Sphinx's inventory format, version 2."""
    lines = "".join(f"{name} {role} 1 {uri} -\n" for name, role, uri in sorted(set(entries)))
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project_name}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    path.write_bytes(header.encode() + zlib.compress(lines.encode()))


def _add_inventories(app, config):
    """Write the inventories under the doctree directory and map them for intersphinx."""
    directory = Path(app.doctreedir) / "inventories"
    directory.mkdir(parents=True, exist_ok=True)
    for key, project in PROJECTS.items():
        if key == "python":
            entries, version = _python_entries(), "3"
        else:
            top = importlib.import_module(key)
            entries, version = _api_entries(project), top.__version__
        path = directory / f"{key}.inv"
        _write_inventory(path, key, version, entries)
        config.intersphinx_mapping[key] = (project["url"], str(path))


def setup(app):
    # before intersphinx checks and normalises intersphinx_mapping (priority 800)
    app.connect("config-inited", _add_inventories, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
