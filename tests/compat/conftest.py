"""What scikit-learn's own test set-up gives ``test_sgd.py`` (a fixture, a marker), and the
tables of ``expected_failures.py`` applied to its tests: the tests set aside are deselected,
the slow ones skipped and the expected failures marked ``xfail``, each with its reason."""

from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from .expected_failures import EXPECTED_FAILURES, NOT_RUN, SET_ASIDE

COMPAT_TESTS = Path(__file__).with_name("test_sklearn_sgd.py")


def pytest_configure(config):
    # test_sgd.py marks a test with scikit-learn's own marker
    config.addinivalue_line("markers", "no_check_spmatrix: scikit-learn's marker, unused here")


@pytest.fixture
def global_random_seed():
    """scikit-learn's fixture, at its default seed (42, when SKLEARN_TESTS_GLOBAL_RANDOM_SEED
    is not set)."""
    return 42


def _reason(item, table):
    """The reason of the first entry of ``table`` (reason -> patterns) matching ``item``.

    A pattern is a test's name, which matches all its parametrisations, or a name with
    parameter ids in brackets (``test_warm_start[optimal-*]``), ``*`` and ``?`` allowed in
    the ids."""
    for reason, patterns in table.items():
        for pattern in patterns:
            name, _, ids = pattern.partition("[")
            if name == item.originalname and (
                not ids or fnmatchcase(item.callspec.id, ids.removesuffix("]"))
            ):
                return reason
    return None


def pytest_collection_modifyitems(config, items):
    set_aside = {item for item in items if item.path == COMPAT_TESTS and _reason(item, SET_ASIDE)}
    if set_aside:
        config.hook.pytest_deselected(items=list(set_aside))
        items[:] = [item for item in items if item not in set_aside]
    for item in items:
        if item.path != COMPAT_TESTS:
            continue
        if reason := _reason(item, NOT_RUN):
            item.add_marker(pytest.mark.skip(reason=reason))
        elif reason := _reason(item, EXPECTED_FAILURES):
            item.add_marker(pytest.mark.xfail(strict=False, reason=reason))
