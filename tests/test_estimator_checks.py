"""scikit-learn's estimator contract over every (estimator, loss) pair."""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklosses import SGDClassifier, SGDRanker, SGDRegressor, TripletMetricLearner
from sklosses.losses import LOSSES, QuantileLoss

# Generic checks assume a mean regressor; the pinball loss at the median is the
# one pinball variant that fits them (QuantileLoss(0.9) predicts the 90th percentile).
_LOSS_INSTANCES = [QuantileLoss(0.5) if cls is QuantileLoss else cls() for cls in LOSSES.values()]


ESTIMATOR_FOR_TASK = {
    "regression": SGDRegressor,
    "binary": SGDClassifier,
    "multiclass": SGDClassifier,
    "ranking": SGDRanker,
    "metric": TripletMetricLearner,
}


def _takes_signs(loss):
    try:
        loss.check_target(np.array([[-1.0], [1.0]]))
    except ValueError:
        return False
    return True


def _estimators():
    for loss in _LOSS_INSTANCES:
        yield ESTIMATOR_FOR_TASK[loss.task](loss=loss, random_state=0)
        if loss.task == "regression" and _takes_signs(loss):
            # the classifier fits a regression loss to targets -1 and +1, as scikit-learn
            yield SGDClassifier(loss=loss, random_state=0)


_EXPECTED_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data": (
        "A weight of 2 and a repeated row give the same objective. The full-batch phase "
        "reaches its minimiser to tol (1e-3 asks ~1e-5 of the objective), which passes "
        "the check's coefficient tolerance for most losses but not all (L-BFGS for the "
        "focal and coupled multiclass losses; Huber and squared epsilon-insensitive "
        "land within ~1e-6, not 1e-7); SGD alone sees different batches."
    ),
    "check_sample_weight_equivalence_on_sparse_data": ("Same as on dense data."),
}
_TIED_MARGINS = (
    "The exact minimiser of a kinked classification loss (hinge) puts samples exactly on "
    "the margin of several one-vs-rest columns: their scores tie at -1, and the argmax "
    "between tied scores follows the last bit of the matrix product, which BLAS computes "
    "differently on a subset of rows."
)


def _expected_failures(estimator):
    if estimator.loss.scope != "batch":
        if estimator.loss.task == "binary" and not estimator.loss.differentiable:
            return {**_EXPECTED_FAILURES, "check_methods_subset_invariance": _TIED_MARGINS}
        return _EXPECTED_FAILURES
    if estimator.loss.task == "metric":
        reason = (
            "A triplet weighs the product of its rows' weights, and a repeated row forms "
            "triplets with its own copies (at distance 0): a weight of 2 is not a repeated "
            "row for a loss over the triplets of a batch."
        )
        return {check: reason for check in _EXPECTED_FAILURES}
    # a batch-level loss (soft Dice) is not a sum over samples
    extra = (
        " For a batch-level loss, a repeated row also changes the batch statistic of "
        "every batch it is in."
    )
    return {check: reason + extra for check, reason in _EXPECTED_FAILURES.items()}


@parametrize_with_checks(list(_estimators()), expected_failed_checks=_expected_failures)
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", list(_estimators()), ids=repr)
def test_losses_are_nested_parameters(estimator):
    params = estimator.get_params(deep=True)
    assert params["loss"] is estimator.loss
    assert any(key.startswith("loss__") for key in params) or not estimator.loss.get_params()


def test_regressor_declares_positive_targets_exactly_for_losses_refusing_negatives():
    """The ``positive_only`` tag (which makes the generic checks use positive targets)
    follows the loss's ``check_target``, not its name."""
    tagged = [
        type(est.loss).__name__
        for est in _estimators()
        if est.__sklearn_tags__().target_tags.positive_only
    ]
    assert tagged == ["PoissonLoss"]
    with pytest.raises(ValueError, match="non-negative"):
        SGDRegressor(loss="poisson").fit(np.ones((4, 1)), [1.0, 2.0, -1.0, 0.0])
