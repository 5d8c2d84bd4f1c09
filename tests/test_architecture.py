"""The shape of the package (docs/architecture.md): small modules, the engine behind one
door, the loss protocol read as attributes, and no loss special-cased outside the loss
package."""

import ast
from pathlib import Path

import pytest

import sklosses
import sklosses.losses
from sklosses.losses import LOSSES, BatchLoss, Loss

PACKAGE = Path(sklosses.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))
OUTSIDE_LOSSES = [path for path in MODULES if "losses" not in path.relative_to(PACKAGE).parts]
MAX_MODULE_LINES = 400
MAX_ENGINE_LINES = 300
MAX_ENGINE_NAMES_IN_ESTIMATOR_BASE = 3


def relative(path):
    return str(path.relative_to(PACKAGE.parent))


def parse(path):
    return ast.parse(path.read_text(), filename=str(path))


def engine_imports(tree):
    """``(module, name)`` of every name imported from the engine package."""
    return [
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and "_engine" in node.module
        for alias in node.names
    ]


@pytest.mark.parametrize("path", MODULES, ids=relative)
def test_modules_are_small(path):
    limit = MAX_ENGINE_LINES if "_engine" in path.parts else MAX_MODULE_LINES
    n_lines = len(path.read_text().splitlines())
    assert n_lines <= limit, f"{relative(path)} has {n_lines} lines (limit {limit})"


def test_the_estimator_base_reaches_the_engine_through_its_door():
    """At most three names from the engine, all from the package itself (its door),
    and no estimator module reaches past the door."""
    base = parse(PACKAGE / "linear_model" / "_base.py")
    names = engine_imports(base)
    assert 0 < len(names) <= MAX_ENGINE_NAMES_IN_ESTIMATOR_BASE, names
    estimators = [*sorted((PACKAGE / "linear_model").glob("*.py")), PACKAGE / "intervals.py"]
    for path in estimators:
        for module, name in engine_imports(parse(path)):
            assert module.endswith("_engine"), f"{relative(path)} imports {name} from {module}"


def test_the_engine_imports_no_estimator():
    for path in sorted((PACKAGE / "_engine").glob("*.py")):
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not {"linear_model", "intervals", "metrics", "parallel", "cli"} & set(
                    node.module.split(".")
                ), f"{relative(path)} imports {node.module}"


PROTOCOL_ATTRIBUTES = set(Loss.__annotations__) | {
    name for name in vars(Loss) if not name.startswith("__")
}


@pytest.mark.parametrize("path", MODULES, ids=relative)
def test_protocol_attributes_are_read_directly(path):
    """Every loss is a ``Loss`` with typed defaults on the base class, so nobody needs
    ``getattr(loss, "task", default)`` (whose fallbacks used to disagree)."""
    if path.name == "_base.py" and path.parent.name == "losses":
        return
    for node in ast.walk(parse(path)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "hasattr"}
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
        ):
            assert node.args[1].value not in PROTOCOL_ATTRIBUTES, (
                f"{relative(path)}:{node.lineno} reads {node.args[1].value!r} with "
                f"{node.func.id}: read loss.{node.args[1].value} directly"
            )


CONCRETE_LOSS_NAMES = {cls.__name__ for cls in LOSSES.values()} | {
    name
    for name, value in vars(sklosses.losses).items()
    if isinstance(value, type) and issubclass(value, Loss) and value not in (Loss, BatchLoss)
}


def _called_name(node):
    function = node.func
    return function.id if isinstance(function, ast.Name) else getattr(function, "attr", None)


def _identifier(node):
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


@pytest.mark.parametrize("path", OUTSIDE_LOSSES, ids=relative)
def test_no_loss_special_cases_outside_the_loss_package(path):
    """Outside the loss package, no code compares with a loss name or tests an instance
    of a concrete loss class: what code needs to know about a loss is an attribute of
    the loss."""
    problems = []
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            named = [s.value for s in sides if isinstance(s, ast.Constant) and s.value in LOSSES]
            if named:
                problems.append(f"line {node.lineno}: compares with the loss name {named[0]!r}")
        if (
            isinstance(node, ast.Call)
            and _called_name(node) in ("isinstance", "issubclass")
            and len(node.args) == 2
        ):
            classes = node.args[1]
            members = classes.elts if isinstance(classes, ast.Tuple) else [classes]
            tested = {_identifier(member) for member in members} & CONCRETE_LOSS_NAMES
            if tested:
                problems.append(f"line {node.lineno}: {_called_name(node)} on {sorted(tested)}")
    assert not problems, f"{relative(path)}: " + "; ".join(problems)


ALLOWED_IMPORTS = {
    "_constraints": set(),
    "losses": {"_constraints"},
    "_validation": set(),
    "_engine": {"losses"},
    "metrics": {"losses", "_validation"},
    "parallel": {"_engine"},
    "linear_model": {"_engine", "losses", "metrics", "parallel", "_validation", "_constraints"},
    "intervals": {"linear_model", "losses", "metrics"},
    "plot": {"losses", "metrics"},
}
"""The layers of docs/architecture.md: which parts of sklosses each part may import (the
command line interface, ``cli``, may import any)."""


def _part(path):
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imported_parts(path):
    """The parts of sklosses a module imports (relative imports resolved)."""
    depth = len(path.relative_to(PACKAGE).parts) - 1
    parts = set()
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.ImportFrom) and node.level:
            target = (node.module or "").split(".")[0]
            if node.level > depth and target:
                parts.add(target)
            elif node.level > depth:
                parts.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sklosses."):
            parts.add(node.module.split(".")[1])
    return parts


@pytest.mark.parametrize("path", MODULES, ids=relative)
def test_each_part_imports_only_the_layers_below(path):
    part = _part(path)
    if part not in ALLOWED_IMPORTS:
        return
    imported = _imported_parts(path) - {part}
    assert imported <= ALLOWED_IMPORTS[part], f"{relative(path)} imports {imported}"


PUBLIC_MODULES = [
    "sklosses",
    "sklosses.losses",
    "sklosses.metrics",
    "sklosses.linear_model",
    "sklosses.intervals",
    "sklosses.parallel",
    "sklosses.plot",
    "sklosses.cli",
]
"""The public modules: their public classes and functions (``__all__`` where there is one)
and the public methods of those classes document their parameters."""


def _in_sklosses(obj, package="sklosses"):
    module = getattr(obj, "__module__", None) or ""
    return module == package or module.startswith(package + ".")


def _public_methods(cls):
    """``(name, function, takes_self)`` of the public methods of ``cls`` defined in sklosses,
    inherited ones included (properties, dunders and scikit-learn's methods are not)."""
    import inspect

    for name in dir(cls):
        if name.startswith("_"):
            continue
        method = getattr(cls, name)  # through descriptors: available_if methods too
        function = inspect.unwrap(getattr(method, "__func__", method))
        if inspect.isfunction(function) and _in_sklosses(function):
            takes_self = not isinstance(inspect.getattr_static(cls, name), staticmethod)
            yield name, function, takes_self


def _public_signatures():
    """``(qualified name, docstring, parameter names)`` of every public class, function and
    method of :data:`PUBLIC_MODULES` defined in the module or its private submodules (not
    re-exported from elsewhere). A class stands for its ``__init__``, which numpydoc
    documents in the class docstring; an ``__init__`` not defined in sklosses (that of
    ``Exception`` for ``CLIError``) takes no parameters of sklosses'. Docstrings are read
    with ``inspect.getdoc``, so a method without its own inherits that of its base."""
    import importlib
    import inspect

    seen = set()
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        names = getattr(module, "__all__", [name for name in vars(module) if name[0] != "_"])
        for obj in (getattr(module, name) for name in names):
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or obj in seen:
                continue
            if not _in_sklosses(obj, module_name):
                continue
            seen.add(obj)
            qualname = f"{obj.__module__}.{obj.__qualname__}"
            if inspect.isfunction(obj):
                yield qualname, inspect.getdoc(obj), list(inspect.signature(obj).parameters)
                continue
            init = obj.__init__
            parameters = list(inspect.signature(init).parameters)[1:] if _in_sklosses(init) else []
            yield qualname, inspect.getdoc(obj), parameters
            for name, function, takes_self in _public_methods(obj):
                parameters = list(inspect.signature(function).parameters)[takes_self:]
                yield f"{qualname}.{name}", inspect.getdoc(getattr(obj, name)), parameters


def _documented_parameters(docstring):
    """The names listed in the numpydoc ``Parameters`` section of ``docstring`` (``*`` and
    ``**`` dropped), or None when it has none."""
    import re

    section = re.search(
        r"^Parameters\n-{3,}\n(.*?)(?=^\S[^\n]*\n-{3,}$|\Z)", docstring or "", re.M | re.S
    )
    if section is None:
        return None
    return {
        name.strip().lstrip("*")
        for line in section.group(1).splitlines()
        if line and not line[0].isspace()
        for name in line.split(" : ")[0].split(",")
    }


def test_public_objects_document_their_parameters():
    """Issue 16: every public class, function and method that takes parameters lists each
    of them in a numpydoc ``Parameters`` section (a class its ``__init__``'s). New public
    names are found by walking the public modules, so they are checked as they come."""
    problems = []
    for qualname, docstring, parameters in _public_signatures():
        if not parameters:
            continue
        documented = _documented_parameters(docstring)
        if documented is None:
            problems.append(f"{qualname}: no Parameters section")
        elif missing := [name for name in parameters if name not in documented]:
            problems.append(f"{qualname}: {missing} missing from its Parameters section")
    assert not problems, "\n".join(problems)
