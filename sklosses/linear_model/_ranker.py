"""``SGDRanker``: a linear scoring model for ranking, over any ranking loss."""

import numpy as np

from ._base import BaseSGD


class SGDRanker(BaseSGD):
    """Linear ranking (learning to rank) trained by mini-batch SGD over a ranking loss.

    Scores ``f(x) = x w`` order the rows of each query (group). Minimises
    ``L(w) + alpha R(w)`` with ``L`` the ranking loss over the queries (for the
    pairwise losses, the sum over the pairs of rows of a query with different
    relevance of ``phi(f_i - f_j)``, divided by the number of rows; see
    :mod:`sklosses.losses`). Every mini-batch holds whole queries.

    Parameters
    ----------
    loss : str or Loss, default='pairwise_hinge'
        A ranking loss: ``'pairwise_hinge'`` (RankSVM), ``'pairwise_logistic'``
        (RankNet), ``'listwise_softmax'`` (ListNet top one), or an instance,
        e.g. ``PairwiseHingeLoss(max_pairs_per_group=1000)``.
    penalty : {'l2', 'l1', 'elasticnet', None}, default='l2'
        ``R(w) = (1 - r)/2 ||w||^2 + r ||w||_1`` with r = 0, 1 or ``l1_ratio``.
    alpha : float or 'auto', default=1e-4
        Regularisation strength; ``'auto'`` is 1e-4 for a ranking loss. With
        the pairwise hinge, the minimiser is RankSVM's (``LinearSVC`` on the
        pairwise differences) with ``C = 1 / (alpha * n_samples)``.
    l1_ratio : float, default=0.15
        The L1 share r of the elastic-net penalty.
    fit_intercept : bool, default=False
        A constant added to every score changes no ranking: the intercept
        stays at 0 unless set (the parameter is kept for a uniform API).
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
    >>> from sklosses import SGDRanker
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3))
    >>> qid = np.repeat(np.arange(30), 10)
    >>> y = (X @ [2.0, -1.0, 0.5] > 0).astype(float) + (X @ [2.0, -1.0, 0.5] > 1)
    >>> ranker = SGDRanker(random_state=0).fit(X, y, qid=qid)
    >>> bool(ranker.score(X, y, qid=qid) > 0.95)
    True
    """

    _loss_tasks = ("ranking",)
    __metadata_request__fit = {"qid": True}
    __metadata_request__partial_fit = {"qid": True}
    __metadata_request__score = {"qid": True}

    def __init__(
        self,
        loss="pairwise_hinge",
        *,
        penalty="l2",
        alpha=1e-4,
        l1_ratio=0.15,
        fit_intercept=False,
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
        self.loss = loss
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

    def _set_coefficients(self, coef, intercept):
        self.coef_ = coef[:, 0].copy()
        self.intercept_ = intercept.copy()

    def fit(self, X, y, qid=None, sample_weight=None):
        """Fit the scores to the relevances within each query.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Graded relevance (higher is more relevant), compared only within a
            query.
        qid : array-like of shape (n_samples,), default=None
            The query (group) of each row, in any order of the rows; None: all
            rows form one query.
        sample_weight : array-like of shape (n_samples,), default=None
            A pair of rows weighs the product of their weights.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, partial=False, groups=qid)

    def partial_fit(self, X, y, qid=None, sample_weight=None):
        """One epoch of SGD on ``(X, y)`` (whole queries), continuing from the last call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        qid : array-like of shape (n_samples,), default=None
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, partial=True, groups=qid)

    def predict(self, X):
        """Scores ``x w + b``: higher ranks first within a query.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        X = self._validate_data_for_predict(X)
        return self._linear_prediction(X, self.coef_.reshape(-1, 1)).ravel()

    def score(self, X, y, qid=None, sample_weight=None):
        """Mean NDCG over the queries (:func:`sklosses.metrics.ndcg_score`).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Graded relevance.
        qid : array-like of shape (n_samples,), default=None
            The query of each row; None: one query.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        float
        """
        from ..metrics import ndcg_score

        qid = np.zeros(len(y)) if qid is None else qid
        return ndcg_score(y, self.predict(X), qid=qid, sample_weight=sample_weight)
