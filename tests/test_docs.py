"""The documentation's promises that a test can check without building it.

* Every public name has its entry in the API reference (``docs/api.rst``), so a new
  public name without documentation fails here, not only in the docs build.
* Every numpydoc section header of a public docstring stands after a blank line: without
  one, numpydoc reads ``Attributes`` or ``Examples`` as one more parameter, silently (the
  docs build shows no warning, the API page shows the section as a parameter).
"""

import importlib
import inspect
import re
from pathlib import Path

import pytest

API_REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "api.rst"

# modules whose __all__ is their public API
WITH_ALL = ["sklosses", "sklosses.losses", "sklosses.metrics", "sklosses.plot"]
# modules without __all__: their public names are the classes and functions they define
WITHOUT_ALL = ["sklosses.intervals", "sklosses.parallel"]

SECTIONS = (
    "Parameters|Returns|Yields|Receives|Other Parameters|Raises|Warns|Warnings|See Also|"
    "Notes|References|Examples|Attributes|Methods"
)
# a section header (its title over a dashed underline) right after a non-blank line
HEADER_WITHOUT_BLANK_LINE = re.compile(rf"\S[ \t]*\n[ \t]*({SECTIONS})[ \t]*\n[ \t]*-{{3,}}")


def _defined_here(module):
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == module.__name__
    ]


def public_names():
    """``(module, name)`` of every public name of the package."""
    names = []
    for module_name in WITH_ALL:
        module = importlib.import_module(module_name)
        names += [(module_name, name) for name in module.__all__]
    for module_name in WITHOUT_ALL:
        module = importlib.import_module(module_name)
        names += [(module_name, name) for name in _defined_here(module)]
    return names


def public_objects():
    """``(qualified name, object)`` of every public class and function, and of the
    public methods and properties the package's classes define."""
    objects = []
    for module_name, name in public_names():
        value = getattr(importlib.import_module(module_name), name)
        if not (inspect.isclass(value) or inspect.isfunction(value)):
            continue
        objects.append((f"{module_name}.{name}", value))
        if inspect.isclass(value):
            for member, attribute in vars(value).items():
                if member.startswith("_") or not (
                    inspect.isfunction(attribute) or isinstance(attribute, property)
                ):
                    continue
                objects.append((f"{module_name}.{name}.{member}", attribute))
    return objects


def test_public_names_are_found():
    names = dict.fromkeys(public_names())
    assert ("sklosses.intervals", "MultiQuantileRegressor") in names
    assert ("sklosses.parallel", "fit_parameter_mixing") in names


@pytest.mark.parametrize(
    ("module", "name"),
    [pytest.param(module, name, id=f"{module}.{name}") for module, name in public_names()],
)
def test_api_reference_lists_every_public_name(module, name):
    reference = API_REFERENCE.read_text(encoding="utf-8")
    qualified = f"{module}.{name}"
    assert re.search(rf"(?<![\w.]){re.escape(qualified)}(?![\w])", reference), (
        f"{qualified} is public but missing from docs/api.rst: add it to an autosummary "
        "list (or a data directive) there"
    )


@pytest.mark.parametrize(
    ("name", "obj"), [pytest.param(name, obj, id=name) for name, obj in public_objects()]
)
def test_docstring_section_headers_follow_a_blank_line(name, obj):
    doc = obj.__doc__ or ""
    found = HEADER_WITHOUT_BLANK_LINE.search(doc)
    assert found is None, (
        f"the {found[1]!r} section of {name}'s docstring needs a blank line before it"
    )
