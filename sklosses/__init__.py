"""sklosses: scikit-learn linear models trained by mini-batch SGD over pluggable losses."""

from .linear_model import SGDClassifier, SGDRegressor

__version__ = "0.1.0"

TRUSTED_TYPES = [
    "sklosses._preconditioning.Preconditioner",
    "sklosses._sgd.SGDState",
    "sklosses.intervals.MultiQuantileRegressor",
    "sklosses.linear_model.SGDClassifier",
    "sklosses.linear_model.SGDRegressor",
    "sklosses.losses.AbsoluteLoss",
    "sklosses.losses.DiceLoss",
    "sklosses.losses.EpsilonInsensitiveLoss",
    "sklosses.losses.ExpectileLoss",
    "sklosses.losses.ExponentialLoss",
    "sklosses.losses.FocalLoss",
    "sklosses.losses.HingeLoss",
    "sklosses.losses.HuberLoss",
    "sklosses.losses.LogCoshLoss",
    "sklosses.losses.LogLoss",
    "sklosses.losses.ModifiedHuberLoss",
    "sklosses.losses.MultiQuantileLoss",
    "sklosses.losses.MultinomialLogLoss",
    "sklosses.losses.PoissonLoss",
    "sklosses.losses.QuantileLoss",
    "sklosses.losses.SoftmaxFocalLoss",
    "sklosses.losses.SquaredEpsilonInsensitiveLoss",
    "sklosses.losses.SquaredHingeLoss",
    "sklosses.losses.SquaredLoss",
]
"""Types to pass as ``trusted=`` to ``skops.io.load``/``loads`` for a fitted sklosses
estimator (any built-in loss, and the engine state it keeps):
``skops.io.loads(data, trusted=sklosses.TRUSTED_TYPES)``. A user-written loss must be
added by the user."""

__all__ = ["TRUSTED_TYPES", "SGDClassifier", "SGDRegressor", "__version__"]
