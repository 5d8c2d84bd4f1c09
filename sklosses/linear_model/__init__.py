"""The SGD estimators: ``SGDRegressor`` and ``SGDClassifier`` over any loss.

Both derive from :class:`~sklosses.linear_model._base.BaseSGD`, which validates
the parameters and the data and hands training to the engine
(:mod:`sklosses._engine`); each subclass encodes its targets for the loss and
shapes the fitted coefficients.
"""

from ._classifier import SGDClassifier
from ._metric_learner import TripletMetricLearner
from ._ranker import SGDRanker
from ._regressor import SGDRegressor

__all__ = ["SGDClassifier", "SGDRanker", "SGDRegressor", "TripletMetricLearner"]
