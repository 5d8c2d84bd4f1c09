"""sklosses: scikit-learn linear models trained by mini-batch SGD over pluggable losses.

``TRUSTED_TYPES`` lists the types to pass as ``trusted=`` to ``skops.io.load``/``loads``
for a fitted sklosses estimator: ``skops.io.loads(data, trusted=sklosses.TRUSTED_TYPES)``.
It is computed from the loss registry each time it is read, so it covers every
registered loss, including one registered at run time with
:func:`sklosses.losses.register_loss`; a loss instance that is not registered must be
added to it by the user.
"""

from .linear_model import SGDClassifier, SGDRanker, SGDRegressor, TripletMetricLearner

__version__ = "0.1.0"


def _trusted_types():
    """The qualified names of every type a fitted sklosses estimator may hold, for
    ``trusted=`` of ``skops.io.load``/``loads``: the estimators, every loss in the
    registry when this is called (losses registered at run time with
    :func:`~sklosses.losses.register_loss` included), the multi-quantile and generic
    pairwise losses, the composite losses and the engine's state."""
    from ._engine import SGDState
    from ._engine._preconditioner import Preconditioner
    from .intervals import MultiQuantileRegressor
    from .losses import LOSSES, BatchCompositeLoss, CompositeLoss, MultiQuantileLoss, PairwiseLoss

    types = [SGDClassifier, SGDRegressor, SGDRanker, TripletMetricLearner, MultiQuantileRegressor]
    types += [MultiQuantileLoss, PairwiseLoss, CompositeLoss, BatchCompositeLoss]
    types += [SGDState, Preconditioner, *LOSSES.values()]
    return sorted({f"{cls.__module__}.{cls.__qualname__}" for cls in types})


def __getattr__(name):
    """``TRUSTED_TYPES``, computed from the registry when it is read."""
    if name == "TRUSTED_TYPES":
        return _trusted_types()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), "TRUSTED_TYPES"])


__all__ = [
    "TRUSTED_TYPES",
    "SGDClassifier",
    "SGDRanker",
    "SGDRegressor",
    "TripletMetricLearner",
    "__version__",
]
