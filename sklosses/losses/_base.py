"""The loss protocol: the base class :class:`Loss`, its attributes and framework methods."""

import warnings
from collections.abc import Callable
from typing import Literal

import numpy as np
from sklearn.base import BaseEstimator

from .._constraints import validate_parameter_constraints
from ._arrays import _column_sums, _weight_column
from ._checks import _finite_differences


class Loss(BaseEstimator):
    """Base class of all losses: the protocol's attributes with their defaults.

    A subclass defines :meth:`loss` and :meth:`gradient` (or, for a
    batch-level loss, subclasses :class:`~sklosses.losses.BatchLoss`) and
    overrides the attributes that differ from the defaults below. Callers read
    the attributes directly; they exist on every loss.

    Attributes
    ----------
    task : {"regression", "binary", "multiclass", "ranking", "metric"}, default="regression"
        The targets the loss takes: real values, labels in {0, 1} (applied
        one-vs-rest to multiclass problems by the estimators), one-hot rows
        (or class probabilities) of a loss that couples the classes, or graded
        relevances compared within groups (queries), or class labels whose rows'
        embeddings (the raw predictions, any number of columns) a metric loss
        compares.
    scope : {"element", "sample", "batch"}, default="element"
        What one value of the loss depends on. ``"element"``: one value per
        sample and output column, from its own ``(y, raw)`` only.
        ``"sample"``: one value per sample coupling its output columns, of
        shape ``(..., 1)`` (multinomial losses). ``"batch"``: one statistic of
        all the rows it is given, per output column
        (:class:`~sklosses.losses.BatchLoss`).
    smoothness : float or None, default=None
        A Lipschitz constant of the gradient in the raw prediction, or None
        when there is no global one; the engine's automatic step size uses it.
    convex : bool, default=True
        Whether the loss is convex in the raw prediction. The proximal
        operator and the Moreau envelope of the full-batch phase assume it.
    link, inverse_link : callable or None, default=None
        ``inverse_link`` maps raw predictions to probabilities (binary and
        multiclass losses) or to means (regression losses with a non-identity
        link). A regression loss with an ``inverse_link`` also has its inverse
        ``link``: metrics map ``predict`` output back to raw predictions with it.
    hessian : callable or None, default=None
        ``hessian(y_true, raw_prediction)``, the second derivative of an element-scope loss
        in the raw prediction, when its curvature is far below its ``smoothness`` over most
        residuals (Huber, log-cosh): the automatic step size then uses the mean curvature at
        the start of training instead of the worst case.
    coupled_hessian : callable or None, default=None
        For a sample-scope loss, ``(y_true, raw) -> (n_rows, n_outputs, n_outputs)``
        second derivatives of each row's value (softmax: ``diag(p) - p p^T``).
    quadratic : bool, default=False
        Whether the ``hessian`` is one constant (the squared error): on few features ``fit``
        then goes straight to one Newton step, the minimiser, with no SGD epochs before it.
    differentiable : bool
        Whether the gradient is continuous; by default, whether there is a ``smoothness``
        (the Poisson and exponential losses are differentiable without a global bound).
        ``fit`` minimises a non-differentiable loss through :meth:`smoothed` stand-ins.
    needs_groups : bool, default=False
        Whether the loss compares rows of the same group (query) with each other
        (ranking losses): the engine then builds batches of whole groups and
        passes each row's group to :meth:`weighted_sums` and
        :meth:`weighted_gradient`. Such a loss is a sum over the groups, so its
        value on all the data is the sum of its values on batches of whole groups.
    fixed_objective : bool, default=True
        Whether the value is one fixed function of the raw predictions. False for a
        loss that re-weights or re-selects its terms from the current predictions
        (LambdaRank's NDCG weights, triplets mined by distance): its gradient is
        still the gradient of the current value, so SGD trains it, but ``fit``
        has no full-batch phase for it (there is no fixed objective to minimise).
    sklearn_epsilon_parameter : str or None, default=None
        The parameter that scikit-learn's estimator parameter ``epsilon`` sets (None:
        none): ``SGDRegressor(loss="huber", epsilon=0.5)`` trains ``HuberLoss(delta=0.5)``.
    _parameter_constraints : dict, default={}
        The constraints of the constructor parameters (see :mod:`sklosses._constraints`).
    """

    _parameter_constraints: dict = {}
    task: Literal["regression", "binary", "multiclass", "ranking", "metric"] = "regression"
    scope: Literal["element", "sample", "batch"] = "element"
    smoothness: float | None = None
    convex: bool = True
    link: Callable | None = None
    inverse_link: Callable | None = None
    hessian: Callable | None = None
    coupled_hessian: Callable | None = None
    quadratic: bool = False
    needs_groups: bool = False
    fixed_objective: bool = True
    sklearn_epsilon_parameter: str | None = None

    def loss(self, y_true, raw_prediction):
        """Loss values: shaped like ``raw_prediction`` (scope ``"element"``) or
        ``(..., 1)`` (scope ``"sample"``), in its dtype.

        Parameters
        ----------
        y_true : ndarray of shape (n_rows, n_outputs)
            The targets, in the loss's domain (see :meth:`check_target`); 0/1 labels
            for a binary loss, one-hot rows or class probabilities for a multiclass one.
        raw_prediction : ndarray of shape (n_rows, n_outputs)
            The raw predictions (decision values, before any inverse link).

        Returns
        -------
        ndarray of shape (n_rows, n_outputs) or (n_rows, 1)
            The unweighted values: one per element (scope ``"element"``) or one per
            row (scope ``"sample"``).
        """
        raise NotImplementedError

    def gradient(self, y_true, raw_prediction):
        """Derivative of each value of the loss in each raw prediction, shaped like
        ``raw_prediction``.

        This default, for a loss that defines only :meth:`loss`, takes central
        finite differences, ``(loss(raw + h) - loss(raw - h)) / 2h`` with ``h =
        eps**(1/3) max(1, |raw|)``: two extra loss evaluations per step (per
        output column for scope ``"sample"``) and about 1e-10 relative error in
        float64. It warns, since an analytic gradient is faster (check one with
        :func:`check_gradient`).

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
            As for :meth:`loss`.

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
            In the dtype of ``raw_prediction``.
        """
        warnings.warn(
            f"{type(self).__name__} defines no gradient(): using central finite differences "
            "of its loss, which is slower. Define gradient() (and check it with "
            "sklosses.losses.check_gradient) for speed.",
            UserWarning,
            stacklevel=2,
        )
        raw = np.asarray(raw_prediction)
        return _finite_differences(lambda moved: self.loss(y_true, moved), raw, self.scope)

    def loss_gradient(self, y_true, raw_prediction):
        """``(loss(y_true, raw_prediction), gradient(y_true, raw_prediction))`` in one call.

        This default makes the two calls; a loss whose two share work (the softmax's
        exponentials) overrides it: every pass of training pays that work once.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
            As for :meth:`loss`.

        Returns
        -------
        values, gradient : ndarray
            As :meth:`loss` and :meth:`gradient` return them.
        """
        return self.loss(y_true, raw_prediction), self.gradient(y_true, raw_prediction)

    def weighted_sums_and_gradient(self, y_true, raw_prediction, sample_weight=None, groups=None):
        """``(weighted_sums(...), weighted_gradient(...))``, from one :meth:`loss_gradient`.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
        sample_weight : ndarray of shape (n_rows,), default=None
        groups : ndarray of shape (n_rows,), default=None
            As for :meth:`weighted_sums`.

        Returns
        -------
        sums : ndarray of shape (n_columns,)
        gradient : ndarray of shape (n_rows, n_outputs)
        """
        values, gradient = self.loss_gradient(y_true, raw_prediction)
        if sample_weight is not None:
            weight = _weight_column(sample_weight, raw_prediction)
            values *= weight  # in place: in the dtype of the values
            gradient *= weight
        return _column_sums(values), gradient

    def weighted_sums(self, y_true, raw_prediction, sample_weight=None, groups=None):
        r"""Weighted sums of the loss values over the rows, one per column of values.

        .. math:: \Sigma_k = \sum_i s_i \, \ell_{ik}

        with ``s`` the sample weights (all ones for None) and ``l`` the values of
        :meth:`loss`: ``n_outputs`` sums for scope ``"element"``, one for scope
        ``"sample"``. The values keep the dtype of ``raw_prediction``.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
        sample_weight : ndarray of shape (n_rows,), default=None
        groups : ndarray of shape (n_rows,), default=None
            The group (query) of each row, for a loss that ``needs_groups``;
            ignored by per-sample losses.

        Returns
        -------
        ndarray of shape (n_columns,)
        """
        values = self.loss(y_true, raw_prediction)
        if sample_weight is not None:
            values *= _weight_column(sample_weight, raw_prediction)
        return _column_sums(values)

    def weighted_gradient(self, y_true, raw_prediction, sample_weight=None, groups=None):
        r"""Gradient of the weighted sums in the raw predictions: ``s_i * gradient_ik``.

        .. math:: \partial \Big(\sum_k \Sigma_k\Big) / \partial r_{ik} = s_i \, g_{ik}

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
        sample_weight : ndarray of shape (n_rows,), default=None
            The weights ``s``; None weighs every row 1.
        groups : ndarray of shape (n_rows,), default=None
            The group (query) of each row, for a loss that ``needs_groups``;
            ignored by per-sample losses.

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
            In the dtype of ``raw_prediction``.
        """
        gradient = self.gradient(y_true, raw_prediction)
        if sample_weight is not None:
            gradient *= _weight_column(sample_weight, raw_prediction)
        return gradient

    def kinks(self, y_true):
        """Raw predictions at which the loss or its gradient is not differentiable.

        Parameters
        ----------
        y_true : array-like of shape (n_rows,) or (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape ``y_true.shape + (n_kinks,)``
            The kinks for each target; ``n_kinks`` is 0 (this default) for a
            loss whose gradient is differentiable everywhere.
        """
        return np.empty(np.shape(y_true) + (0,))

    def validate(self):
        """Check the parameters against ``_parameter_constraints`` where the loss is used
        (``validated_loss``: ``fit``, the metrics), not in the constructor, as scikit-learn
        does; a loss with more to check overrides this and calls it first.

        Returns
        -------
        self
        """
        if self._parameter_constraints:  # a user's loss without a table may take *args
            validate_parameter_constraints(
                self._parameter_constraints, self.get_params(deep=False), type(self).__name__
            )
        return self

    def surrogate(self):
        """A loss with a fixed objective whose minimiser is a good start for this one, or
        None (this default).

        ``fit`` minimises it in a full-batch phase before its SGD epochs when this
        loss has no ``fixed_objective`` (LambdaRank starts from RankNet's optimum,
        whose ranking gives its NDCG weights a meaning).

        Returns
        -------
        Loss or None
        """
        return None

    def initial_raw_prediction(self, y_true, sample_weight=None):
        """The constant raw prediction per output that training starts from, or None.

        None (this default) lets training search for the constant that minimises the
        weighted mean loss. A loss whose minimising constant is a poor start returns its own.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples, n_outputs)
            The training targets.
        sample_weight : ndarray of shape (n_samples,), default=None
            Their weights; None weighs every sample 1.

        Returns
        -------
        ndarray of shape (n_outputs,) or None
        """
        return None

    def check_target(self, y_true):
        """Raise ``ValueError`` if ``y_true`` is outside the loss's domain (this default
        accepts any target).

        Parameters
        ----------
        y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets, encoded for the loss (0/1 labels for a binary loss).
        """

    @property
    def differentiable(self):
        """Whether the gradient is continuous; by default, whether there is a ``smoothness``."""
        return self.smoothness is not None

    def proximal(self, y_true, raw_prediction, step):
        """``argmin_z loss(y, z) + (z - raw)**2 / (2 step)``, elementwise.

        This default, for a convex element-scope loss, bisects on the optimality
        condition ``step * gradient(y, z) + z - raw = 0``, whose left side grows
        with ``z``. The root lies between ``raw`` and ``raw - step * gradient(y,
        raw)`` (the gradient is monotone), and 60 halvings of that bracket reach
        the precision of float64.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
            As for :meth:`loss`.
        step : float
            The step, > 0: the weight of the loss against the distance to
            ``raw_prediction``.

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
            The proximal point ``z`` of each raw prediction, in float64.
        """
        raw = np.asarray(raw_prediction, dtype=np.float64)
        end = raw - step * self.gradient(y_true, raw)
        low, high = np.minimum(raw, end), np.maximum(raw, end)
        for _ in range(60):
            middle = 0.5 * (low + high)
            above = step * self.gradient(y_true, middle) + middle - raw > 0
            high = np.where(above, middle, high)
            low = np.where(above, low, middle)
        return 0.5 * (low + high)

    def smoothed(self, width):
        """A differentiable stand-in for this loss, within ``width`` of it.

        The full-batch phase minimises a non-differentiable loss through
        ``smoothed(width)`` with ``width`` driven down (continuation). This
        default, for a convex element-scope loss, is the Moreau envelope
        :class:`~sklosses.losses.MoreauEnvelope` of width ``width``; a loss of
        another scope overrides it or has none.

        Parameters
        ----------
        width : float
            The smoothing width, > 0: the stand-in's gradient is
            ``1 / width``-Lipschitz.

        Returns
        -------
        Loss
        """
        if self.scope != "element" or not self.convex:
            raise TypeError(f"{type(self).__name__} has no smoothed stand-in.")
        from ._smoothing import MoreauEnvelope

        return MoreauEnvelope(self, width)

    # Composition: ``0.7 * HuberLoss() + 0.3 * QuantileLoss(0.9)`` and ``sum([...])`` are
    # losses (sklosses.losses._operators, imported on use: it builds on this module).
    def __add__(self, other):
        from ._operators import add

        return add(self, other)

    def __radd__(self, other):
        from ._operators import add

        return add(other, self)

    def __mul__(self, weight):
        from ._operators import scale

        return scale(self, weight)

    __rmul__ = __mul__

    def __truediv__(self, divisor):
        from ._operators import divide

        return divide(self, divisor)

    def __sklearn_is_fitted__(self):  # losses are stateless parameter objects
        return True
