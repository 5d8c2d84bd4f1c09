"""``SGDRegressor`` and ``SGDClassifier``: scikit-learn estimators over any loss.

Both share :class:`_BaseSGD`, which validates the input, encodes the targets
for the loss, builds the engine's pieces (:mod:`sklosses._sgd`) and stores the
fitted attributes. Nothing here knows a loss by name: what an estimator needs
to know about a loss is an attribute of the loss (``task``, ``smoothness``,
``inverse_link``).
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state, compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_is_fitted,
    check_scalar,
    validate_data,
)

from ._full_batch import minimise_full_batch, sgd_epochs_before
from ._preconditioning import (
    Preconditioner,
    automatic_step_size,
    best_constant,
    loss_curvature,
)
from ._sgd import (
    LEARNING_RATES,
    PENALTIES,
    DivergenceError,
    Penalty,
    Schedule,
    SGDState,
    Stopping,
    constant_objective,
    objective_of_model,
    run_sgd,
    sparse_average,
)
from ._validation import check_sample_weight
from .losses import batch_weight, get_loss

_DTYPES = [np.float64, np.float32]
SOLVERS = ("auto", "sgd")
DEFAULT_ALPHA = 1e-4


def _resolve_batch_size(batch_size, n_samples):
    """``"auto"``: about 100 steps per epoch, with 16 to 4096 rows per batch."""
    if batch_size == "auto":
        batch_size = int(np.clip(n_samples // 100, 16, 4096))
    return max(1, min(batch_size, n_samples))


def _refuses_negative_targets(loss):
    """Whether the loss's ``check_target`` refuses a negative target (tags never raise)."""
    try:
        loss = get_loss(loss)
    except ValueError:
        return False
    if not hasattr(loss, "check_target"):
        return False
    try:
        loss.check_target(np.array([[-1.0]]))
    except ValueError:
        return True
    return False


class _BaseSGD(BaseEstimator):
    """Shared parameters, validation and training loop of the SGD estimators."""

    _loss_tasks = ()

    def __init__(
        self,
        *,
        penalty,
        alpha,
        l1_ratio,
        fit_intercept,
        max_iter,
        tol,
        shuffle,
        verbose,
        random_state,
        learning_rate,
        eta0,
        power_t,
        early_stopping,
        validation_fraction,
        n_iter_no_change,
        warm_start,
        average,
        batch_size,
        scoring,
        solver,
    ):
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.average = average
        self.batch_size = batch_size
        self.scoring = scoring
        self.solver = solver

    # -- validation ---------------------------------------------------------
    def _validated_loss(self):
        loss = get_loss(self.loss)
        if hasattr(loss, "validate"):
            loss.validate()
        task = getattr(loss, "task", "regression")
        if task not in self._loss_tasks:
            raise ValueError(
                f"{type(self).__name__} needs a loss for the task(s) {self._loss_tasks}; "
                f"{type(loss).__name__} is a {task!r} loss."
            )
        return loss

    def _validate_params(self):
        if self.penalty not in PENALTIES:
            raise ValueError(f"penalty must be one of {PENALTIES}, got {self.penalty!r}.")
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}.")
        if self.learning_rate not in LEARNING_RATES:
            raise ValueError(
                f"learning_rate must be one of {LEARNING_RATES}, got {self.learning_rate!r}."
            )
        if self.alpha != "auto":
            check_scalar(self.alpha, "alpha", Real, min_val=0)
        check_scalar(self.l1_ratio, "l1_ratio", Real, min_val=0, max_val=1)
        check_scalar(self.max_iter, "max_iter", Integral, min_val=1)
        if self.tol is not None:
            check_scalar(self.tol, "tol", Real)
        check_scalar(self.eta0, "eta0", Real, min_val=0, include_boundaries="neither")
        check_scalar(self.power_t, "power_t", Real)
        check_scalar(
            self.validation_fraction,
            "validation_fraction",
            Real,
            min_val=0,
            max_val=1,
            include_boundaries="neither",
        )
        check_scalar(self.n_iter_no_change, "n_iter_no_change", Integral, min_val=1)
        if self.batch_size != "auto":
            check_scalar(self.batch_size, "batch_size", Integral, min_val=1)
        if not (
            self.average in ("auto", True, False)
            or (isinstance(self.average, Integral) and self.average >= 0)
        ):
            raise ValueError(
                f"average must be 'auto', a bool or a non-negative int, got {self.average!r}."
            )
        return self._validated_loss()

    def _validate_data_for_fit(self, X, y, reset):
        return validate_data(
            self,
            X,
            y,
            reset=reset,
            accept_sparse="csr",
            dtype=_DTYPES,
            y_numeric=self._loss_tasks == ("regression",),
        )

    def _validate_data_for_predict(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, accept_sparse="csr", dtype=_DTYPES)

    # -- training -----------------------------------------------------------
    def _penalty(self):
        return Penalty(self.penalty, self.alpha_, self.l1_ratio)

    def _engine_pieces(self):
        schedule = Schedule(self.learning_rate, self.eta0, self.power_t)
        stopping = Stopping(self.max_iter, self.tol, self.n_iter_no_change)
        return self._penalty(), schedule, stopping

    def _resolve_alpha(self, loss, Y, sample_weight, constant_objective):
        """The penalty strength ``alpha_``: ``alpha`` when given; for ``"auto"``,
        ``DEFAULT_ALPHA`` scaled so that the penalty weighs as much against every loss
        as scikit-learn's default weighs against the squared loss.

        The squared loss grows with the square of the target's scale, like the L2
        penalty of coefficients in target units; the absolute, pinball, Huber and
        epsilon-insensitive losses grow only linearly, so a fixed ``alpha`` is
        negligible for a target in units and dominant for one in dollars. For a
        regression loss without a link (its raw prediction in target units),
        ``alpha_ = DEFAULT_ALPHA * L0 / var(y)``, with ``L0`` the mean loss of the
        best constant: exactly ``DEFAULT_ALPHA`` for the squared loss, and the same
        relative weight at any scale of the target for the others. Classifiers and
        losses with a link (Poisson: coefficients on the log scale) use
        ``DEFAULT_ALPHA``.
        """
        if self.alpha != "auto":
            return float(self.alpha)
        if loss.task != "regression" or loss.link is not None:
            return DEFAULT_ALPHA
        mean = np.average(Y, axis=0, weights=sample_weight)
        variance = float(np.mean(np.average((Y - mean) ** 2, axis=0, weights=sample_weight)))
        if not (variance > 0 and constant_objective > 0):
            return DEFAULT_ALPHA
        return DEFAULT_ALPHA * constant_objective / variance

    def _initial_state(self, X, Y, sample_weight, loss, batch_size, rng):
        """Zero coefficients and the best constant intercept (or the previous model
        with ``warm_start``), with the penalty strength ``alpha_``, the
        preconditioner and the step size of the schedule."""
        n_outputs = Y.shape[1]
        intercept = np.zeros(n_outputs)
        if self.fit_intercept:
            intercept = best_constant(Y, sample_weight, loss, rng=rng)
        start_objective = constant_objective(Y, sample_weight, loss, intercept)
        self.alpha_ = self._resolve_alpha(loss, Y, sample_weight, start_objective)
        penalty = self._penalty()
        eta, preconditioner = self.eta0, Preconditioner.identity(X.shape[1])
        curvature = loss_curvature(loss, Y, sample_weight, intercept, rng=rng)
        if self.learning_rate == "auto":
            preconditioner = Preconditioner.from_data(X, self.fit_intercept, rng)
            eta = automatic_step_size(
                X,
                sample_weight,
                curvature,
                penalty,
                batch_size,
                preconditioner,
                self.fit_intercept,
                rng,
            )
        state = SGDState.zeros(X.shape[1], n_outputs, X.dtype, eta, preconditioner)
        state.intercept[...] = intercept
        state.curvature = curvature
        state.start_objective = start_objective
        previous = getattr(self, "_state", None)
        if self.warm_start and previous is not None:
            state.start_from(*previous.model())
        return state

    def _adapt_to_chunk(self, X, sample_weight, penalty, batch_size, rng):
        """``partial_fit`` under ``"auto"``: merge the chunk into the column
        statistics and size the step for this chunk (a first chunk of a few rows
        says little about the rest of a stream)."""
        state = self._state
        state.change_preconditioner(state.preconditioner.updated(X, self.fit_intercept, rng))
        state.eta = automatic_step_size(
            X,
            sample_weight,
            state.curvature,
            penalty,
            batch_size,
            state.preconditioner,
            self.fit_intercept,
            rng,
        )

    def _average_start(self, n_samples):
        """``t`` from which steps are averaged: after one epoch under ``"auto"``;
        ``True`` from the start, an int ``k > 0`` after ``k`` samples, ``False``/0 never."""
        if isinstance(self.average, str):
            return n_samples + 1 if self.learning_rate == "auto" else None
        if isinstance(self.average, (bool, np.bool_)):
            return 1 if self.average else None
        return int(self.average) if self.average > 0 else None

    def _validation_split(self, y, rng_seed):
        """Indices held out for early stopping (stratified for class labels)."""
        splitter_class = ShuffleSplit
        if self._loss_tasks != ("regression",) and y.ndim == 1:
            _, counts = np.unique(y, return_counts=True)
            if counts.min() >= 2:
                splitter_class = StratifiedShuffleSplit
        splitter = splitter_class(
            n_splits=1, test_size=self.validation_fraction, random_state=rng_seed
        )
        train, validation = next(splitter.split(np.zeros((len(y), 1)), y))
        if len(validation) == 0 or len(train) == 0:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} leaves an empty training "
                f"or validation set with {len(y)} samples."
            )
        return validation

    def _fit(self, X, y, sample_weight, *, partial, classes=None):
        loss = self._validate_params()
        first_call = not (partial and hasattr(self, "_state"))
        X, y = self._validate_data_for_fit(X, y, reset=first_call)
        Y = self._encode_targets(y, classes, first_call, loss).astype(X.dtype, copy=False)
        if hasattr(loss, "check_target"):
            loss.check_target(Y)
        sample_weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        sample_weight = self._apply_class_weight(y, sample_weight, partial)
        random_state = check_random_state(self.random_state)
        rng = np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))

        validation_score = None
        if self.early_stopping and not partial:
            validation = self._validation_split(y, rng.integers(2**31))
            if sample_weight is None:
                sample_weight = np.ones(X.shape[0], dtype=X.dtype)
            else:
                sample_weight = sample_weight.copy()
            validation_weight = sample_weight[validation].copy()
            sample_weight[validation] = 0
            validation_score = self._make_validation_score(
                loss, X[validation], y[validation], Y[validation], validation_weight
            )
        if sample_weight is not None:
            total = sample_weight.sum()
            if not total > 0:
                raise ValueError("sample_weight sums to zero: there is nothing to train on.")
            sample_weight = sample_weight * (X.shape[0] / total)

        batch_size = _resolve_batch_size(self.batch_size, X.shape[0])
        self._loss = loss
        if first_call:
            self._state = self._initial_state(X, Y, sample_weight, loss, batch_size, rng)
        penalty, schedule, stopping = self._engine_pieces()
        if not first_call and self.learning_rate == "auto":
            self._adapt_to_chunk(X, sample_weight, penalty, batch_size, rng)
        full_batch = not partial and self._finishes_with_full_batch(loss)
        max_epochs = 1 if partial else None
        if full_batch:
            max_epochs = sgd_epochs_before(*X.shape)
        n_epochs = run_sgd(
            X,
            Y,
            sample_weight,
            loss,
            penalty,
            schedule,
            stopping,
            self._state,
            batch_size=batch_size,
            fit_intercept=self.fit_intercept,
            shuffle=self.shuffle,
            rng=rng,
            average_start=self._average_start(X.shape[0]),
            max_epochs=max_epochs,
            validation_score=validation_score,
            verbose=self.verbose,
        )
        if full_batch:
            self._finish_with_full_batch(X, Y, sample_weight, loss, penalty, n_epochs)
            return self
        model = self._state.model()
        if penalty.l1 and self._state.n_averaged:
            model = sparse_average(
                X,
                Y,
                sample_weight,
                loss,
                penalty,
                self._state,
                batch_size=batch_size,
                fit_intercept=self.fit_intercept,
            )
        self._store_fitted_attributes(model, n_epochs, partial)
        if partial:
            return self
        self.n_full_batch_iter_ = 0
        self.optimality_ = None
        self.objective_ = objective_of_model(
            X, Y, sample_weight, loss, penalty, model, batch_size=batch_size
        )
        self._check_not_worse_than_start()
        if self.tol is not None and n_epochs == self.max_iter:
            warnings.warn(
                f"Maximum number of iterations ({self.max_iter}) reached before the "
                "stopping criterion; consider increasing max_iter.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    def _finishes_with_full_batch(self, loss):
        """Whether ``fit`` ends with the full-batch phase: ``solver='auto'`` with the
        automatic step, a tolerance and no early stopping, for a loss that is a mean of
        per-sample values and differentiable, or convex with a proximal operator."""
        return (
            self.solver == "auto"
            and self.learning_rate == "auto"
            and self.tol is not None
            and not self.early_stopping
            and loss.per_sample
        )

    def _finish_with_full_batch(self, X, Y, sample_weight, loss, penalty, n_epochs):
        """L-BFGS on all the data from the averaged SGD iterate, to the optimum within
        ``tol`` (:mod:`sklosses._full_batch`)."""
        state = self._state
        state.adopt_average()
        result = minimise_full_batch(
            X,
            Y,
            sample_weight,
            loss,
            penalty,
            state,
            fit_intercept=self.fit_intercept,
            tol=self.tol,
            max_iter=self.max_iter,
        )
        if self.verbose:
            print(
                f"-- Full batch: {result.n_iter} iterations, objective "
                f"{result.objective:.8g}, optimality {result.optimality:.3g}",
                flush=True,
            )
        state.loss_curve.append(result.objective)
        self._store_fitted_attributes(state.model(), n_epochs + result.n_iter, partial=False)
        self.n_full_batch_iter_ = result.n_iter
        self.optimality_ = result.optimality
        self.objective_ = result.objective
        if not result.converged:
            warnings.warn(
                f"The full-batch phase stopped before reaching tol={self.tol} "
                f"(optimality {result.optimality:.3g}, smoothing gap "
                f"{result.smoothing_gap:.3g} after {result.n_iter} iterations); increase "
                "max_iter, or scale the features if they span many orders of magnitude.",
                ConvergenceWarning,
                stacklevel=4,
            )

    def _check_not_worse_than_start(self):
        """A model whose objective exceeds that of the constant it started from is
        garbage: an error for the fixed schedules, whose step the user chose."""
        start = self._state.start_objective
        if start is None or self.objective_ <= start * (1 + 1e-12) + 1e-12:
            return
        message = (
            f"Training ended with an objective of {self.objective_:.6g}, worse than the "
            f"{start:.6g} of the constant model it started from"
        )
        if self.learning_rate != "auto":
            raise DivergenceError(
                f"{message}: the step is too long with learning_rate={self.learning_rate!r} "
                f"and eta0={self.eta0}. Lower eta0, scale the features (e.g. StandardScaler) "
                "or use learning_rate='auto'."
            )
        warnings.warn(
            f"{message}; use solver='auto' and tol > 0.", ConvergenceWarning, stacklevel=4
        )

    def _store_fitted_attributes(self, model, n_epochs, partial):
        state = self._state
        self._set_coefficients(*model)
        self.n_iter_ = n_epochs
        self.t_ = state.t
        self.loss_curve_ = list(state.loss_curve)
        if self.early_stopping and not partial:
            self.validation_scores_ = list(state.validation_scores)
            self.best_validation_score_ = max(self.validation_scores_)

    def _make_validation_score(self, loss, X_val, y_val, Y_val, weight_val):
        """Callable ``(coef, intercept) -> score`` for early stopping.

        ``scoring=None`` scores minus the weighted mean training loss on the
        validation rows; otherwise the named or given sklearn scorer.
        """
        if self.scoring is None:

            def score(coef, intercept):
                raw = X_val @ coef + intercept
                per_sample = loss.loss(Y_val, raw, **batch_weight(loss, weight_val[:, None])).mean(
                    axis=1
                )
                return -float(np.average(per_sample, weights=weight_val))

            return score

        from .metrics import get_scorer

        scorer = get_scorer(self.scoring) if isinstance(self.scoring, str) else self.scoring

        def score(coef, intercept):
            self._set_coefficients(coef, intercept)
            return float(scorer(self, X_val, y_val, sample_weight=weight_val))

        return score

    def fit(self, X, y, sample_weight=None):
        """Fit the model by mini-batch SGD.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            float32 input is trained in float32; CSR input stays sparse.
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        if not self.warm_start and hasattr(self, "_state"):
            del self._state
        return self._fit(X, y, sample_weight, partial=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


_COMMON_PARAMETERS_DOC = """
    penalty : {'l2', 'l1', 'elasticnet', None}, default='l2'
        ``R(w) = (1 - r)/2 ||w||^2 + r ||w||_1`` with r = 0, 1 or ``l1_ratio``.
    alpha : float or 'auto'
        Regularisation strength, as in scikit-learn. ``'auto'`` (the default of
        the regressors; the classifier's default is 1e-4) is 1e-4 for the
        squared loss, classifiers and losses with a link, and for the other
        regression losses 1e-4 times the ratio of the best constant's mean loss
        to the variance of the target, so that the penalty weighs the same at any
        scale of the target (the fitted value is ``alpha_``).
    l1_ratio : float, default=0.15
        The L1 share r of the elastic-net penalty.
    fit_intercept : bool, default=True
    max_iter : int, default=1000
        Maximum number of epochs; also the most Newton or L-BFGS iterations of
        each stage of the full-batch phase (``solver='auto'``).
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
        Hold out ``validation_fraction`` of the data and stop on its score.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
    warm_start : bool, default=False
        Start ``fit`` from the previous solution.
    average : 'auto', bool or int, default='auto'
        Average the SGD iterates (Polyak-Ruppert). ``int``: start after that many
        samples; ``'auto'``: after the first epoch with ``learning_rate='auto'``,
        off otherwise.
    batch_size : int or 'auto', default='auto'
        Rows per mini-batch; ``'auto'`` is n_samples / 100, clipped to [16, 4096].
    scoring : str, callable or None, default=None
        Validation score for early stopping; None is minus the training loss.
    solver : {'auto', 'sgd'}, default='auto'
        ``'auto'``: mini-batch SGD epochs, then, in ``fit`` with
        ``learning_rate='auto'``, a ``tol`` and no early stopping, a full-batch
        phase on all the data that reaches the minimiser of the objective:
        Newton steps on few features, L-BFGS otherwise, through the Moreau
        envelope of a non-differentiable loss. ``'sgd'``: SGD epochs only, as
        scikit-learn. ``partial_fit`` is always one epoch of SGD.
"""

_COMMON_ATTRIBUTES_DOC = """
    coef_, intercept_ : ndarray
        The fitted (averaged, when averaging) coefficients.
    n_iter_ : int
        Epochs of SGD run, plus the iterations of the full-batch phase.
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
"""


class SGDRegressor(RegressorMixin, _BaseSGD):
    __doc__ = f"""Linear regression trained by mini-batch SGD over any regression loss.

    Minimises ``sum_i s_i loss(y_i, x_i w + b) / sum_i s_i + alpha R(w)``.

    Parameters
    ----------
    loss : str or Loss, default='squared_error'
        A registry name (``sklosses.losses.LOSSES``) or a loss instance, e.g.
        ``QuantileLoss(quantile=0.9)``.
    {_COMMON_PARAMETERS_DOC}
    Attributes
    ----------
    {_COMMON_ATTRIBUTES_DOC}
    Examples
    --------
    >>> import numpy as np
    >>> from sklosses import SGDRegressor
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> y = X @ [1.0, -2.0, 0.5] + 3
    >>> SGDRegressor(random_state=0).fit(X, y).coef_.round(1)
    array([ 1. , -2. ,  0.5])
    """

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

    def __sklearn_tags__(self):
        """Declares ``positive_only`` targets when the loss refuses negative ones (Poisson)."""
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = _refuses_negative_targets(self.loss)
        return tags

    def _apply_class_weight(self, y, sample_weight, partial):
        return sample_weight

    def _set_coefficients(self, coef, intercept):
        self.coef_ = coef[:, 0].copy()
        self.intercept_ = intercept.copy()

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch of SGD on ``(X, y)``, continuing from the previous call."""
        return self._fit(X, y, sample_weight, partial=True)

    def predict(self, X):
        """Predictions ``x w + b`` (through the loss's inverse link if it has one)."""
        X = self._validate_data_for_predict(X)
        raw = X @ self.coef_ + self.intercept_[0]
        link = getattr(self._loss, "inverse_link", None)
        return raw if link is None else link(raw)


class SGDClassifier(ClassifierMixin, _BaseSGD):
    __doc__ = f"""Linear classifier trained by mini-batch SGD over any binary loss.

    Binary problems train one output; multiclass problems train one output per
    class (one-vs-rest), all in the same pass over the data.

    Parameters
    ----------
    loss : str or Loss, default='hinge'
        A registry name or a binary loss instance, e.g. ``FocalLoss(gamma=2.0)``.
    {_COMMON_PARAMETERS_DOC}
    class_weight : dict, 'balanced' or None, default=None
        Multiplies each sample's weight by the weight of its class.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    {_COMMON_ATTRIBUTES_DOC}
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklosses import SGDClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SGDClassifier(loss="log_loss", random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:1]).shape
    (1, 3)
    """

    _loss_tasks = ("binary", "multiclass")

    def __init__(
        self,
        loss="hinge",
        *,
        penalty="l2",
        alpha=1e-4,
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
        class_weight=None,
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
        self.class_weight = class_weight

    def _validate_data_for_fit(self, X, y, reset):
        if not self._is_soft_target(y):
            return super()._validate_data_for_fit(X, y, reset)
        return validate_data(
            self,
            X,
            y,
            reset=reset,
            accept_sparse="csr",
            dtype=_DTYPES,
            multi_output=True,
            y_numeric=True,
        )

    @staticmethod
    def _is_soft_target(y):
        """A 2-D array of at least two columns is a matrix of class probabilities."""
        shape = np.asarray(y).shape
        return len(shape) == 2 and shape[1] >= 2

    def _encode_targets(self, y, classes, first_call, loss):
        """Targets for the loss: 0/1 for a binary loss (one column per class
        one-vs-rest, a single column for two classes), one-hot rows for a
        multiclass loss, or the given probability rows (soft labels)."""
        if self._is_soft_target(y):
            return self._encode_soft_targets(y, classes, first_call, loss)
        check_classification_targets(y)
        self._check_classes(classes, first_call, np.unique(y) if classes is None else classes)
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if len(unknown):
            raise ValueError(
                f"y contains labels {unknown.tolist()} not in classes {self.classes_.tolist()}."
            )
        codes = LabelEncoder().fit(self.classes_).transform(y)
        if len(self.classes_) == 2 and loss.task == "binary":
            return codes.reshape(-1, 1).astype(np.float64)
        return np.eye(len(self.classes_))[codes]

    def _check_classes(self, classes, first_call, labels):
        """Set ``classes_`` on the first call; later calls must not change them."""
        if not first_call:
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(
                    f"classes={np.unique(classes).tolist()} is not the same as on the first "
                    f"call to partial_fit, {self.classes_.tolist()}."
                )
            return
        self.classes_ = np.unique(labels)
        if len(self.classes_) < 2:
            raise ValueError(
                f"The classifier needs samples of at least 2 classes; got only one "
                f"class: {self.classes_[0]!r}."
            )

    def _encode_soft_targets(self, y, classes, first_call, loss):
        if loss.task != "multiclass" or getattr(loss, "inverse_link", None) is None:
            raise ValueError(
                f"A matrix of class probabilities (soft labels) needs a probabilistic "
                f"multiclass loss such as 'multinomial_log_loss'; got {loss!r}."
            )
        if self.class_weight is not None:
            raise ValueError("class_weight is not supported with soft labels; use sample_weight.")
        Y = np.asarray(y, dtype=np.float64)
        if (Y < 0).any() or not np.allclose(Y.sum(axis=1), 1, atol=1e-6):
            raise ValueError("Soft labels must be non-negative rows that sum to 1.")
        labels = np.arange(Y.shape[1]) if classes is None else classes
        if len(labels) != Y.shape[1]:
            raise ValueError(
                f"classes has {len(labels)} entries for {Y.shape[1]} probability columns."
            )
        self._check_classes(classes, first_call, labels)
        return Y

    def _apply_class_weight(self, y, sample_weight, partial):
        if self.class_weight is None:
            return sample_weight
        if self.class_weight == "balanced" and partial:
            raise ValueError(
                "class_weight='balanced' needs the class counts of the whole data, which "
                "partial_fit does not see; pass a dict of weights, e.g. computed with "
                "sklearn.utils.compute_class_weight('balanced', classes=..., y=...)."
            )
        weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        per_sample = weights[np.searchsorted(self.classes_, y)]
        return per_sample if sample_weight is None else sample_weight * per_sample

    def _set_coefficients(self, coef, intercept):
        """One row per class; a single row for two classes (for a multiclass
        loss, the difference of the two rows, as ``LogisticRegression`` does)."""
        if coef.shape[1] == 2 and len(self.classes_) == 2:
            coef, intercept = coef[:, 1:] - coef[:, :1], intercept[1:] - intercept[:1]
        self.coef_ = coef.T.copy()
        self.intercept_ = intercept.copy()

    def fit(self, X, y, sample_weight=None):
        """Fit the model by mini-batch SGD.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            float32 input is trained in float32; CSR input stays sparse.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Labels of any type, or a matrix of class probabilities (soft
            labels, rows summing to 1) for a probabilistic multiclass loss;
            ``classes_`` is then ``arange(n_classes)``.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        return super().fit(X, y, sample_weight)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of SGD on ``(X, y)``, continuing from the previous call.

        ``classes`` (all labels that will ever be seen) is required on the
        first call, except with soft labels (one column per class).
        """
        if not hasattr(self, "_state") and classes is None and not self._is_soft_target(y):
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, partial=True, classes=classes)

    def decision_function(self, X):
        """Raw predictions ``x w + b``: shape (n,) for binary, (n, n_classes) otherwise."""
        X = self._validate_data_for_predict(X)
        scores = X @ self.coef_.T + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        scores = self.decision_function(X)
        indices = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[indices]

    def _has_probability(self):
        """The loss parameter has a probability link, and so has the loss the
        model was fitted with (if fitted)."""
        losses = [get_loss(self.loss)] + ([self._loss] if hasattr(self, "_loss") else [])
        return all(getattr(loss, "inverse_link", None) is not None for loss in losses)

    @available_if(_has_probability)
    def predict_proba(self, X):
        """Class probabilities from the loss's inverse link.

        Binary loss: ``[1 - p, p]``, and for more classes the one-vs-rest
        probabilities normalised to sum to one, as scikit-learn does. Multiclass
        loss: its inverse link (softmax) of the class scores.
        """
        decision = self.decision_function(X)
        if decision.ndim == 1 and self._loss.task == "multiclass":
            decision = np.column_stack([np.zeros_like(decision), decision])
        probability = self._loss.inverse_link(decision)
        if probability.ndim == 1:
            return np.column_stack([1 - probability, probability])
        total = probability.sum(axis=1, keepdims=True)
        uniform = np.full_like(probability, 1 / probability.shape[1])
        return np.divide(probability, total, out=uniform, where=total > 0)

    @available_if(_has_probability)
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))
