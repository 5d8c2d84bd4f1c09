"""Loss functions for linear models, one small class each, and their registry.

Every loss is an instance of :class:`Loss` and follows one vectorised protocol,
on 2-D arrays ``(n_rows, n_outputs)`` with arguments in the order of
``sklearn.metrics`` -- ``(y_true, raw_prediction)``:

* ``loss(y_true, raw_prediction)`` returns the unweighted loss values and
  ``gradient(y_true, raw_prediction)`` their derivatives in the raw
  predictions, shaped like ``raw_prediction``;
* ``scope`` says what one value depends on: ``"element"`` -- one value per
  sample and output column, from its own ``(y, raw)`` (every loss of
  ``_regression``, ``_quantile`` and ``_binary``); ``"sample"`` -- one value
  per sample coupling its columns, of shape ``(..., 1)`` (``_multiclass``);
  ``"batch"`` -- one statistic of all the rows given (:class:`BatchLoss`);
* the attributes ``task``, ``smoothness``, ``convex``, ``link``,
  ``inverse_link``, ``hessian`` and ``differentiable`` are declared, typed
  and given defaults once, on :class:`Loss` (its docstring describes them);
  callers read them directly;
* ``kinks(y_true)`` gives the raw predictions where the loss or its gradient
  is not differentiable; ``check_target(y_true)`` raises ``ValueError`` for
  targets outside the loss's domain (e.g. negative counts);
  ``initial_raw_prediction(y_true, sample_weight)`` returns None (search for
  the constant minimising the mean loss) or the constant raw prediction per
  output that training starts from; ``proximal(y_true, raw_prediction,
  step)`` is ``argmin_z loss(y, z) + (z - raw)**2 / (2 step)`` of a convex
  loss (a closed form for the piecewise-linear losses, bisection otherwise).

The engine and the metrics weight losses through two framework methods,
implemented once on :class:`Loss` for every scope, with ``sample_weight`` of
shape ``(n_rows,)`` or None:

* ``weighted_sums(y_true, raw_prediction, sample_weight)``: ``sum_i s_i
  loss(y_i, raw_i)``, one sum per column of the loss's values;
* ``weighted_gradient(y_true, raw_prediction, sample_weight)``: ``s_i
  gradient(y_i, raw_i)``, the gradient of those sums.

A full pass asks for both at once (``weighted_sums_and_gradient``), which calls
``loss_gradient(y_true, raw_prediction)``: by default ``loss`` then ``gradient``,
overridden by a loss whose two share their work.

A batch-level loss (:class:`BatchLoss`, e.g. :class:`DiceLoss`) implements
``batch_loss`` and ``batch_gradient`` instead -- the value of the loss on a set
of rows, with their weights, and its gradient -- and the framework methods
weight that value by the total weight.

Binary losses take ``y_true`` in {0, 1}. Losses are textbook-scaled: the mean
of the squared loss is the MSE (no factor 1/2), of the log loss the binary
cross-entropy, and so on. A loss never sees ``X``, coefficients, the step size
or averaging. Losses are scikit-learn parameter objects, so ``clone``,
``get_params(deep=True)`` and ``GridSearchCV(..., {"loss__quantile": ...})``
work on estimators that hold them.

To add a loss: write one class (a subclass of :class:`Loss`, or of
:class:`BatchLoss` for a batch statistic) and register it, in :data:`LOSSES`
(``_registry.py``) or at run time with :func:`register_loss`; the estimators,
the metrics and scorers, skops trust, the plots and the registry-parametrised
tests then take it. Check an analytic gradient with :func:`check_gradient`.
A name registered at run time travels with the estimators and scorers that hold
it: their pickles carry its registration (:func:`with_loss_registrations`), and
unpickling registers it (:func:`restore_loss_registrations`), so they work in
joblib's worker processes and after loading in a fresh process.

Losses add and scale: ``0.7 * HuberLoss() + 0.3 * QuantileLoss(0.9)`` is a loss
(:class:`CompositeLoss`; :class:`BatchCompositeLoss` for a sum with a batch-level
term) whose attributes compose from its terms' and whose terms' parameters are set as
``huberloss__delta``.
"""

from ._base import Loss
from ._batch import BatchLoss, DiceLoss
from ._binary import (
    ExponentialLoss,
    HingeLoss,
    LogLoss,
    ModifiedHuberLoss,
    PerceptronLoss,
    SquaredHingeLoss,
)
from ._checks import check_gradient
from ._composite import BatchCompositeLoss, CompositeLoss
from ._constant import best_constant
from ._focal import FocalLoss
from ._lambdarank import LambdaRankLoss
from ._metric import TripletLoss
from ._multiclass import MultinomialLogLoss, SoftmaxFocalLoss
from ._quantile import ExpectileLoss, MultiQuantileLoss, QuantileLoss
from ._ranking import (
    ListwiseSoftmaxLoss,
    PairwiseHingeLoss,
    PairwiseLogisticLoss,
    PairwiseLoss,
    RankingLoss,
)
from ._registry import (
    LOSSES,
    get_loss,
    register_loss,
    restore_loss_registrations,
    run_time_registration,
    validated_loss,
    with_loss_registrations,
)
from ._regression import (
    AbsoluteLoss,
    EpsilonInsensitiveLoss,
    HuberLoss,
    LogCoshLoss,
    PoissonLoss,
    SquaredEpsilonInsensitiveLoss,
    SquaredLoss,
)
from ._smoothing import MoreauEnvelope

__all__ = [
    "LOSSES",
    "AbsoluteLoss",
    "BatchCompositeLoss",
    "BatchLoss",
    "CompositeLoss",
    "DiceLoss",
    "LambdaRankLoss",
    "ListwiseSoftmaxLoss",
    "PairwiseHingeLoss",
    "PairwiseLogisticLoss",
    "PairwiseLoss",
    "RankingLoss",
    "EpsilonInsensitiveLoss",
    "ExpectileLoss",
    "ExponentialLoss",
    "FocalLoss",
    "HingeLoss",
    "HuberLoss",
    "LogCoshLoss",
    "LogLoss",
    "Loss",
    "MoreauEnvelope",
    "ModifiedHuberLoss",
    "MultiQuantileLoss",
    "MultinomialLogLoss",
    "PerceptronLoss",
    "PoissonLoss",
    "QuantileLoss",
    "SoftmaxFocalLoss",
    "SquaredEpsilonInsensitiveLoss",
    "SquaredHingeLoss",
    "SquaredLoss",
    "TripletLoss",
    "check_gradient",
    "best_constant",
    "get_loss",
    "validated_loss",
    "register_loss",
    "restore_loss_registrations",
    "run_time_registration",
    "with_loss_registrations",
]
