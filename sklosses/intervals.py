"""Prediction intervals: several quantiles trained together, never crossing."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils import column_or_1d

from .linear_model._base import BaseSGD
from .losses import MultiQuantileLoss
from .metrics import mean_loss


class MultiQuantileRegressor(RegressorMixin, BaseSGD):
    """Linear quantile regression for several quantiles at once, by mini-batch SGD.

    One engine run trains one output per quantile under
    :class:`~sklosses.losses.MultiQuantileLoss` (the pinball loss of quantile
    ``q_k`` on output ``k``), so the data is read once per epoch for all
    quantiles. Predictions never cross: each row of :meth:`predict` is sorted
    (the rearrangement of Chernozhukov, Fernandez-Val and Galichon, 2010,
    which can only move each quantile prediction closer to the truth).

    Parameters
    ----------
    quantiles : sequence of float in (0, 1), default=(0.05, 0.5, 0.95)
        Increasing quantile levels.
    penalty : {'l2', 'l1', 'elasticnet', None}, default='l2'
        ``R(w) = (1 - r)/2 ||w||^2 + r ||w||_1`` with r = 0, 1 or ``l1_ratio``.
    alpha : float or 'auto'
        Regularisation strength, as in scikit-learn. ``'auto'`` (the default of
        the regressors; the classifier's default is 1e-4) is 1e-4 for
        classifiers and losses with a link, and for the regression losses 1e-4
        times the ratio of the starting constant's mean loss (the best constant,
        zero without an intercept) to the variance of the target, so that the
        penalty weighs the same at any scale of the target: 1e-4 for the squared
        loss with an intercept (the fitted value is ``alpha_``).
    l1_ratio : float, default=0.15
        The L1 share r of the elastic-net penalty.
    fit_intercept : bool, default=True
    max_iter : int, default=1000
        Most passes over the data, SGD epochs plus full-batch iterations (``n_iter_``);
        below 3 or with ``tol=None``, as many SGD epochs, as in scikit-learn.
    tol : float or None, default=1e-3
        The relative accuracy asked of the training objective. With
        ``solver='auto'``, ``fit`` ends with a full-batch phase that stops when
        its estimate of the objective's relative excess over the minimum falls
        below ``tol / 100`` (half the Newton decrement on up to 99 features,
        else a normalised gradient below ``tol / 1000`` or an L-BFGS iteration
        that gains less than ``1e-6 tol``); for a non-differentiable loss it
        also stops when the samples at the kinks give the exact minimiser, or
        when the smoothed loss lies within ``tol / 10`` of it. The SGD epochs
        before it, and all of them with ``solver='sgd'``, stop when the
        objective (or validation score) has not improved by ``tol`` (relative
        to the best value when that exceeds 1 in magnitude) for
        ``n_iter_no_change`` epochs. None: run ``max_iter`` epochs of SGD and
        no full-batch phase.
    shuffle : bool, default=True
        Shuffle the order of the contiguous mini-batches every epoch (rows are
        read in place; ``X`` is never copied).
    verbose : int, default=0
        ``>0`` prints one line per epoch.
    random_state : int, RandomState or None, default=None
    learning_rate : {'auto', 'constant', 'invscaling', 'adaptive'}, default='auto'
        ``'auto'`` needs no tuning: the step is ``1 / L`` with ``L`` the
        expected smoothness of a mini-batch gradient, from the loss's smoothness
        and the data's second moments; it decays as ``1/sqrt(epoch)`` for
        non-smooth losses. Other schedules follow scikit-learn, for steps on
        the batch-mean gradient.
    eta0 : float, default=0.01
        Initial step size of the other schedules.
    power_t : float, default=0.25
        Exponent of ``'invscaling'``.
    early_stopping : bool, default=False
        Hold out scikit-learn's split of ``validation_fraction``; train on a copy of the rest.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
    warm_start : bool, default=False
        Start ``fit`` from the previous solution.
    average : 'auto', bool or int, default='auto'
        Average the SGD iterates (Polyak-Ruppert). ``int``: start after that many
        samples; ``'auto'``: after the first epoch with ``learning_rate='auto'``,
        off otherwise.
    batch_size : int or 'auto', default='auto'
        Rows per mini-batch; ``'auto'``: n_samples / 100 in [16, 4096], n_samples / 16 below 256.
    scoring : str, callable or None, default=None
        Validation score for early stopping; None is minus the training loss.
    solver : {'auto', 'sgd'}, default='auto'
        ``'auto'``: mini-batch SGD epochs, then, in ``fit`` with
        ``learning_rate='auto'``, a ``tol`` and no early stopping, a full-batch
        phase on all the data that reaches the minimiser of the objective:
        Newton steps on few features, L-BFGS otherwise, through the Moreau
        envelope of a non-differentiable loss. ``'sgd'``: SGD epochs only, as
        scikit-learn. ``partial_fit`` is always one epoch of SGD.

    Attributes
    ----------
    coef_ : ndarray of shape (n_quantiles, n_features)
    intercept_ : ndarray of shape (n_quantiles,)
    coef_, intercept_ : ndarray
        The fitted (averaged, when averaging) coefficients.
    n_iter_ : int
        Passes over the data: SGD epochs plus full-batch iterations, at most ``max_iter``.
    t_ : float
        Samples seen plus one.
    loss_curve_ : list of float
        Training objective (data term plus penalty) per epoch, measured along the way;
        after a full-batch phase, its final objective is the last entry.
    objective_ : float
        Training objective of the fitted model (``fit`` only).
    alpha_ : float
        The penalty strength used (``alpha``, or what ``'auto'`` resolved to).
    n_full_batch_iter_ : int
        Newton or L-BFGS iterations of the full-batch phase (0 without one).
    optimality_ : float or None
        Largest component of the normalised gradient of the objective (of its
        smoothed version for a non-differentiable loss; 0 when the exact
        minimiser of a piecewise-linear loss was found) at the end of the
        full-batch phase; None without one.
    validation_scores_, best_validation_score_
        Per-epoch validation scores (with ``early_stopping=True``).
    n_features_in_, feature_names_in_

    Examples
    --------
    >>> import numpy as np
    >>> from sklosses.intervals import MultiQuantileRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2000, 2))
    >>> y = X @ [1.0, 2.0] + rng.normal(size=2000)
    >>> model = MultiQuantileRegressor(quantiles=(0.05, 0.95), random_state=0).fit(X, y)
    >>> low, high = model.predict(X).T
    >>> bool(0.85 < np.mean((low <= y) & (y <= high)) < 0.95)
    True
    """

    _loss_tasks = ("regression",)
    _parameter_constraints: dict = {
        **BaseSGD._parameter_constraints,
        "quantiles": MultiQuantileLoss._parameter_constraints["quantiles"],
    }

    def __init__(
        self,
        quantiles=(0.05, 0.5, 0.95),
        *,
        penalty="l2",
        alpha="auto",
        l1_ratio=0.15,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-3,
        shuffle=True,
        verbose=0,
        random_state=None,
        learning_rate="auto",
        eta0=0.01,
        power_t=0.25,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        warm_start=False,
        average="auto",
        batch_size="auto",
        scoring=None,
        solver="auto",
    ):
        self.quantiles = quantiles
        super().__init__(
            penalty=penalty,
            alpha=alpha,
            l1_ratio=l1_ratio,
            fit_intercept=fit_intercept,
            max_iter=max_iter,
            tol=tol,
            shuffle=shuffle,
            verbose=verbose,
            random_state=random_state,
            learning_rate=learning_rate,
            eta0=eta0,
            power_t=power_t,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            warm_start=warm_start,
            average=average,
            batch_size=batch_size,
            scoring=scoring,
            solver=solver,
        )

    def _validated_loss(self):
        return MultiQuantileLoss(quantiles=self.quantiles).validate()

    def _encode_targets(self, y, classes, first_call, loss):
        """The target repeated once per quantile."""
        y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
        return np.repeat(y, len(loss.quantiles), axis=1)

    def _apply_class_weight(self, y, sample_weight, partial):
        return sample_weight

    def _set_coefficients(self, coef, intercept):
        self.coef_ = coef.T.copy()
        self.intercept_ = intercept.copy()

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch of SGD on ``(X, y)``, continuing from the previous call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, partial=True)

    def predict(self, X):
        """Quantile predictions, sorted along each row (they never cross).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_quantiles)
        """
        X = self._validate_data_for_predict(X)
        return np.sort(self._linear_prediction(X, self.coef_.T), axis=1)

    def score(self, X, y, sample_weight=None):
        """Minus the mean pinball loss over the quantiles (greater is better).

        Inputs are checked as scikit-learn's ``score`` checks them: ``y`` and
        ``sample_weight`` must have a row per row of ``X``, ``y`` be finite and
        the weights non-negative with a positive sum, or a ``ValueError`` says
        which is not.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        float
        """
        raw = self.predict(X)
        # the checks of mean_loss, as r2_score checks the score of scikit-learn's regressors
        targets = np.repeat(column_or_1d(y)[:, None], raw.shape[1], axis=1)
        return -mean_loss(self._loss, targets, raw, sample_weight=sample_weight)
