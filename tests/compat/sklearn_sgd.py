"""scikit-learn's own ``linear_model/tests/test_sgd.py``, of the installed scikit-learn,
run with sklosses' ``SGDClassifier`` and ``SGDRegressor`` in place of scikit-learn's.

How it works: the test module's source is read from the installed scikit-learn (its tests
ship in the wheel), parsed, and executed as a new module in which the name
``linear_model`` is bound beforehand to a copy of ``sklearn.linear_model`` whose
``SGDClassifier`` and ``SGDRegressor`` are sklosses'. The one edit to the source renames
``linear_model`` in its ``from sklearn import ...`` line, so that the copy stays bound.
Everything else runs as scikit-learn wrote it: the factories (``SGDClassifier(**kwargs)``
returns ``linear_model.SGDClassifier(...)``), the sparse subclasses
(``class _SparseSGDClassifier(linear_model.SGDClassifier)``) and the parameter lists of
the tests all reach sklosses' classes through that one name, and the other estimators
(``ElasticNet``, ``SGDOneClassSVM``) stay scikit-learn's.

Why this way: swapping the classes in ``sklearn.linear_model`` itself would change every
other module of scikit-learn in the same process, and substituting text breaks silently
when scikit-learn reformats the file; an import that is no longer there raises instead
(a harness that silently tested scikit-learn would pass). The code is compiled under the
file's own path, so tracebacks show scikit-learn's lines. The collected tests are
``tests/compat/test_sklearn_sgd.py::test_...``; ``expected_failures.py`` says which are set
aside and which are expected to fail.
"""

import ast
import importlib.util
import sys
import types
from pathlib import Path

import sklearn.linear_model

import sklosses

TEST_MODULE = "sklearn.linear_model.tests.test_sgd"
SWAPPED = ("SGDClassifier", "SGDRegressor")
MODULE_NAME = "sklearn_test_sgd_with_sklosses"


def installed_test_file():
    """The path of the installed ``test_sgd.py``, or None when the wheel has no tests."""
    try:
        spec = importlib.util.find_spec(TEST_MODULE)
    except ModuleNotFoundError:  # the tests package itself is not installed
        return None
    return None if spec is None or spec.origin is None else Path(spec.origin)


def linear_model_with_sklosses():
    """A copy of ``sklearn.linear_model`` whose ``SGDClassifier`` and ``SGDRegressor`` are
    sklosses'."""
    module = types.ModuleType("sklearn.linear_model, SGD estimators from sklosses")
    attributes = vars(sklearn.linear_model).items()
    module.__dict__.update({name: value for name, value in attributes if not name.startswith("__")})
    for name in SWAPPED:
        setattr(module, name, getattr(sklosses, name))
    return module


def _rename_linear_model_import(tree):
    """Rename ``linear_model`` in ``from sklearn import ..., linear_model, ...`` so that it no
    longer rebinds the name; return how many imports were renamed."""
    renamed = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "sklearn" and not node.level:
            for alias in node.names:
                if alias.name == "linear_model" and alias.asname is None:
                    alias.asname = "_sklearn_linear_model"
                    renamed += 1
    return renamed


def load_test_namespace(path):
    """Execute scikit-learn's ``test_sgd.py`` at ``path`` with sklosses' estimators and
    return its namespace (test functions, factories, data).

    The namespace is that of a module registered in ``sys.modules``, so that the classes it
    defines (``_SparseSGDClassifier``) pickle, as the tests ask."""
    tree = ast.parse(path.read_text(), filename=str(path))
    if _rename_linear_model_import(tree) != 1:
        raise RuntimeError(
            f"{path} no longer imports linear_model with `from sklearn import ...`: "
            "teach tests/compat/sklearn_sgd.py how it now reaches the SGD estimators"
        )
    module = types.ModuleType(MODULE_NAME)
    module.__file__ = str(path)
    module.linear_model = linear_model_with_sklosses()
    sys.modules[MODULE_NAME] = module
    exec(compile(tree, str(path), "exec"), vars(module))
    return vars(module)
