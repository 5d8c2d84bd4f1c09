"""scikit-learn's ``test_sgd.py`` against sklosses (issue #13): its tests are collected from
this module's namespace (see ``sklearn_sgd.py`` for how they are loaded, and
``expected_failures.py`` for the tests set aside and the expected failures)."""

import pytest
import sklearn.linear_model

import sklosses

from .expected_failures import EXPECTED_FAILURES, NOT_RUN, SET_ASIDE
from .sklearn_sgd import SWAPPED, installed_test_file, load_test_namespace

PATH = installed_test_file()
if PATH is None:
    pytest.skip(
        "this scikit-learn was installed without its tests (sklearn.linear_model.tests)",
        allow_module_level=True,
    )
SKLEARN_TESTS = load_test_namespace(PATH)
globals().update({name: value for name, value in SKLEARN_TESTS.items() if name.startswith("test_")})


def test_only_sklosses_sgd_estimators_are_reachable():
    """The factories build sklosses' estimators, and no name of the loaded module leads to
    scikit-learn's (a harness testing scikit-learn itself would pass)."""
    sklearn_classes = tuple(getattr(sklearn.linear_model, name) for name in SWAPPED)
    for name in SWAPPED:
        assert isinstance(SKLEARN_TESTS[name](), getattr(sklosses, name))
        assert isinstance(SKLEARN_TESTS[f"Sparse{name}"](), getattr(sklosses, name))
    reachable = [*SKLEARN_TESTS.values(), *vars(SKLEARN_TESTS["linear_model"]).values()]
    leaks = [v for v in reachable if isinstance(v, type) and issubclass(v, sklearn_classes)]
    assert not leaks


@pytest.mark.parametrize(
    "table", [SET_ASIDE, NOT_RUN, EXPECTED_FAILURES], ids=["set_aside", "not_run", "xfail"]
)
def test_every_table_entry_names_a_test(table):
    """A test renamed or removed by scikit-learn leaves no stale entry behind."""
    for patterns in table.values():
        for pattern in patterns:
            assert pattern.partition("[")[0] in SKLEARN_TESTS, pattern
