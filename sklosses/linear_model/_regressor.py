"""``SGDRegressor``: linear regression over any regression loss."""

import numpy as np
import sklearn.linear_model
from sklearn.base import RegressorMixin

from ..losses import get_loss
from ._base import BaseSGD
from ._drop_in import DropInMixin, SklearnLossFunctions


def refuses_negative_targets(loss):
    """Whether the loss's ``check_target`` refuses a negative target (tags never raise)."""
    try:
        loss = get_loss(loss)
    except ValueError:
        return False
    try:
        loss.check_target(np.array([[-1.0]]))
    except ValueError:
        return True
    return False


class SGDRegressor(RegressorMixin, DropInMixin, BaseSGD):
    """Linear regression trained by mini-batch SGD over any regression loss.

    Minimises ``sum_i s_i loss(y_i, x_i w + b) / sum_i s_i + alpha R(w)``.

    Parameters
    ----------
    loss : str or Loss, default='squared_error'
        A registry name (``sklosses.losses.LOSSES``) or a loss instance, e.g.
        ``QuantileLoss(quantile=0.9)``.
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
    epsilon : float or None, default=None
        scikit-learn's parameter of the losses ``'huber'`` (the ``delta`` of
        :class:`~sklosses.losses.HuberLoss`), ``'epsilon_insensitive'`` and
        ``'squared_epsilon_insensitive'`` (their ``epsilon``): a loss given by
        name is built with it. None: the loss's own default (``delta=1.0`` for
        the Huber loss, where scikit-learn's is 0.1; 0.1 for the others). Losses
        without such a parameter ignore it, as in scikit-learn. A loss object
        keeps its parameters (``HuberLoss(delta=0.1)``): ``epsilon`` is then an
        error.
    random_state : int, RandomState or None, default=None
    learning_rate : {'auto', 'constant', 'optimal', 'invscaling', 'adaptive'}, default='auto'
        ``'auto'`` needs no tuning: the step is ``1 / L`` with ``L`` the
        expected smoothness of a mini-batch gradient, from the loss's smoothness
        and the data's second moments; it decays as ``1/sqrt(epoch)`` for
        non-smooth losses. Other schedules follow scikit-learn, for steps on
        the batch-mean gradient (``t`` counts samples): ``'optimal'`` is
        ``1 / (alpha (t0 + t - 1))``, its first step ``alpha**-0.25`` by Léon
        Bottou's heuristic.
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
    loss_functions : dict
        scikit-learn's table of its loss names that sklosses has: ``name -> (loss
        class, *args)``, ``args`` the value ``epsilon`` gives the loss's parameter, if
        any (``"huber": (HuberLoss, 1.0)`` at ``epsilon=None``, the class's value).

    Examples
    --------
    >>> import numpy as np
    >>> from sklosses import SGDRegressor
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> y = X @ [1.0, -2.0, 0.5] + 3
    >>> SGDRegressor(random_state=0).fit(X, y).coef_.round(1)
    array([ 1. , -2. ,  0.5])
    """

    loss_functions = SklearnLossFunctions(sklearn.linear_model.SGDRegressor)
    _loss_tasks = ("regression",)

    def __init__(
        self,
        loss="squared_error",
        *,
        penalty="l2",
        alpha="auto",
        l1_ratio=0.15,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-3,
        shuffle=True,
        verbose=0,
        epsilon=None,
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
        self.loss = loss
        self.epsilon = epsilon
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

    def _encode_targets(self, y, classes, first_call, loss):
        return np.asarray(y, dtype=np.float64).reshape(-1, 1)

    def __sklearn_tags__(self):
        """Declares ``positive_only`` targets when the loss refuses negative ones (Poisson)."""
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = refuses_negative_targets(self.loss)
        return tags

    def _apply_class_weight(self, y, sample_weight, partial):
        return sample_weight

    def _set_coefficients(self, coef, intercept):
        self.coef_ = coef[:, 0].copy()
        self.intercept_ = intercept.copy()

    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit the model by mini-batch SGD.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            float32 input is trained in float32; CSR input stays sparse.
        y : array-like of shape (n_samples,)
        coef_init : ndarray of shape (n_features,), default=None
            The coefficients to start from (scikit-learn's warm start), in place of
            zeros, or of the previous model under ``warm_start=True``.
        intercept_init : float or ndarray of shape (1,), default=None
            The intercept to start from, in place of the best constant. When one of
            ``coef_init`` and ``intercept_init`` is given, the other starts at zero,
            as in scikit-learn.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, partial=False, init=(coef_init, intercept_init))

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
        """Predictions ``x w + b``, through the loss's inverse link if it has one.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        X = self._validate_data_for_predict(X)
        # a column: a sparsified (1-D sparse) coef_ multiplies a sparse X only in that shape
        column = self.coef_.reshape(-1, 1)
        raw = self._linear_prediction(X, column).ravel()
        link = self._loss.inverse_link
        return raw if link is None else link(raw)
