"""The base class of the SGD estimators: parameters, validation, the call to the engine.

Nothing here knows a loss by name: what an estimator needs to know about a loss is
an attribute of the loss (``task``, ``scope``, ``inverse_link``, ...).
"""

import copy
from functools import cache
from numbers import Integral, Real

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator
from sklearn.utils import check_consistent_length, column_or_1d
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted, validate_data

from .._constraints import Interval, StrOptions, validate_parameter_constraints
from .._engine import TrainingConfig, train
from .._validation import check_sample_weight, random_generator
from ..losses import (
    LOSSES,
    Loss,
    restore_loss_registrations,
    validated_loss,
    with_loss_registrations,
)
from ..metrics._names import scorer_loss_name
from ..parallel import mix_states
from ._callbacks import CallbackSupportMixin, FitTask, with_callbacks
from ._drop_in import check_sklearn_rules, initial_model
from ._early_stopping import hold_out

DTYPES = [np.float64, np.float32]


class BaseSGD(CallbackSupportMixin, BaseEstimator):
    """Shared parameters, validation and training of the SGD estimators.

    A subclass declares the loss tasks it trains (``_loss_tasks``) and fills in the
    three hooks below: how targets are encoded for the loss, how class weights
    enter the sample weights, and how the engine's ``(coef, intercept)`` become the
    fitted ``coef_`` and ``intercept_``. Training itself is one call to the engine
    (:func:`sklosses._engine.train`) with a :class:`~sklosses._engine.TrainingConfig`
    built from the parameters.
    """

    _loss_tasks = ()
    """The ``task`` values of the losses this estimator trains."""

    _parameter_constraints: dict = {
        "loss": [StrOptions(LOSSES), Loss],
        "penalty": [StrOptions(set(TrainingConfig.PENALTIES) - {None}), None],
        "alpha": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), None],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "shuffle": ["boolean"],
        "verbose": ["verbose"],
        "epsilon": [Interval(Real, 0, None, closed="left"), None],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "learning_rate": [StrOptions(TrainingConfig.LEARNING_RATES)],
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, None, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "average": [Interval(Integral, 0, None, closed="neither"), "boolean", StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "scoring": [str, callable, None],
        "solver": [StrOptions(TrainingConfig.SOLVERS)],
    }
    """The accepted values of each parameter (see :mod:`sklosses._constraints`),
    checked at ``fit`` and ``partial_fit``; a subclass adds its own parameters'."""

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
    @classmethod
    @cache
    def _parameter_names(cls):
        """The constructor's parameters, read once per class (scikit-learn's
        ``get_params`` inspects the signature on every call: 5% of a small fit)."""
        return cls._get_param_names()

    def _validated_loss(self):
        return validated_loss(self.loss, self._loss_tasks, type(self).__name__)

    def _validate_params(self):
        """Check the parameters against ``_parameter_constraints`` (skipped under
        scikit-learn's ``set_config(skip_parameter_validation=True)``), then the
        relations between them; return the validated loss."""
        if not get_config()["skip_parameter_validation"]:
            params = {name: getattr(self, name) for name in self._parameter_names()}
            validate_parameter_constraints(self._parameter_constraints, params, type(self).__name__)
        # scikit-learn's rules and messages for the parameters that depend on others
        if self.penalty == "elasticnet" and self.l1_ratio is None:
            raise ValueError("l1_ratio must be set when penalty is 'elasticnet'")
        if self.learning_rate == "optimal" and self.alpha == 0:
            raise ValueError(
                "alpha must be > 0 since learning_rate is 'optimal'. alpha is used "
                "to compute the optimal learning rate."
            )
        return self._validated_loss()

    def _validate_data_for_fit(self, X, y, reset):
        return validate_data(
            self,
            X,
            y,
            reset=reset,
            accept_sparse="csr",
            dtype=DTYPES,
            y_numeric=self._loss_tasks == ("regression",),
        )

    def _validate_data_for_predict(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, accept_sparse="csr", dtype=DTYPES)

    def _linear_prediction(self, X, coef):
        """``X @ coef + intercept_`` for validated ``X`` and ``coef`` of shape
        ``(n_features, n_outputs)``.

        Dense float32 rows whose columns lie far from zero (those the training centred,
        :meth:`Preconditioner.prediction_centre`) are centred first, the same numbers
        as ``(X - c) @ coef + (intercept_ + c @ coef)``: a float32 product of values 3e5
        from zero and an intercept of -6e5 rounds each prediction by ~0.05, 7e-4 of R^2
        on data of noise 0.1 (``tests/test_numerics.py``).
        """
        state = getattr(self, "_state", None)
        dense = isinstance(X, np.ndarray) and isinstance(coef, np.ndarray)
        float32 = dense and X.dtype == np.float32 and state is not None
        centre = state.preconditioner.prediction_centre() if float32 else None
        if centre is None:
            return safe_sparse_dot(X, coef, dense_output=True) + self.intercept_
        centre = centre.astype(X.dtype)
        shift = self.intercept_ + centre.astype(np.float64) @ coef.astype(np.float64)
        return (X - centre) @ coef + shift.astype(X.dtype)

    # -- training -----------------------------------------------------------
    @with_callbacks
    def _fit(self, X, y, sample_weight, *, partial, classes=None, groups=None, init=(None, None)):
        fit_task = FitTask(self, X, y, sample_weight, groups, partial)
        loss = self._validate_params()
        # fit's coef_init and intercept_init, ``init``, replace warm_start's model (scikit-learn)
        warm_init = any(part is not None for part in init)
        continues = partial or (self.warm_start and not warm_init)
        previous = getattr(self, "_state", None) if continues else None
        first_call = not (partial and hasattr(self, "_state"))
        check_sklearn_rules(self, partial, first_call)
        # a model continued keeps its features (scikit-learn's message if they differ)
        X, y = self._validate_data_for_fit(X, y, reset=previous is None)
        if groups is not None:
            groups = column_or_1d(groups)
            check_consistent_length(X, groups)
        Y = self._encode_targets(y, classes, first_call, loss).astype(X.dtype, copy=False)
        loss.check_target(Y)
        if previous is not None:
            self._check_continuation(previous, self._n_outputs(X, Y), partial)
        sample_weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        sample_weight = self._apply_class_weight(y, sample_weight, partial)
        validation_score = None
        if self.early_stopping and not partial:
            # drawn before the generator, as scikit-learn does from a RandomState instance
            (X, Y, sample_weight, groups), validation_score = hold_out(
                self, loss, X, y, Y, sample_weight, groups
            )
        rng = random_generator(self.random_state)
        config = TrainingConfig(
            **{name: getattr(self, name) for name in TrainingConfig.field_names()}
        )
        self._loss = loss
        training = train(
            X,
            Y,
            sample_weight,
            loss,
            config,
            rng=rng,
            previous=previous,
            partial=partial,
            validation_score=validation_score,
            groups=groups,
            start_model=None if (partial and previous is not None) else self._start_model(X),
            on_epoch=fit_task.on_epoch,
            warm_model=initial_model(*init, X.shape[1], Y.shape[1]) if warm_init else None,
        )
        self._state = training.state
        self.alpha_ = training.state.alpha
        self._store_fitted_attributes((training.coef, training.intercept), training.n_iter, partial)
        if not partial:
            self.objective_ = training.objective
            self.optimality_ = training.optimality
            self.n_full_batch_iter_ = training.n_full_batch_iter
        fit_task.end(training)
        return self

    def _check_continuation(self, previous, n_outputs, partial):
        """Refuse to continue a model with another number of outputs than these data and
        parameters need (the classes, the quantiles or the components changed)."""
        fitted = previous.coef.shape[1]
        if fitted != n_outputs:
            how = "partial_fit continues" if partial else "fit with warm_start=True starts from"
            raise ValueError(
                f"{how} the fitted model, which has {fitted} output(s), but these data and "
                f"parameters need {n_outputs} (the classes, quantiles or components changed); "
                "call fit with warm_start=False to start afresh."
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

    # -- hooks of the subclasses ----------------------------------------------
    def _encode_targets(self, y, classes, first_call, loss):
        """The targets ``Y`` of shape ``(n_samples, n_outputs)`` in the loss's encoding
        (regression values, 0/1 indicators, class probabilities); sets ``classes_``
        on the first call of a classifier."""
        raise NotImplementedError

    def _n_outputs(self, X, Y):
        """The number of outputs of the model for these data: the targets' columns (a
        metric's embedding has its own)."""
        return Y.shape[1]

    def _start_model(self, X):
        """The ``(coef, intercept)`` a fresh run starts from, or None: zero coefficients
        and the best constant (a model whose outputs are not the targets' columns,
        such as a metric's embedding, gives its own)."""
        return None

    def _apply_class_weight(self, y, sample_weight, partial):
        """The sample weights with any class weights folded in (None: all ones)."""
        return sample_weight

    def _set_coefficients(self, coef, intercept):
        """Set ``coef_`` and ``intercept_`` from the engine's ``coef`` of shape
        ``(n_features, n_outputs)`` and ``intercept`` of shape ``(n_outputs,)``."""
        raise NotImplementedError

    # -- parameter mixing ------------------------------------------------------
    def mix(self, models, weights):
        """The parameter mix of ``models``, copies of this estimator each trained
        by ``partial_fit`` on its own share of the data.

        Used by :func:`sklosses.parallel.fit_parameter_mixing` once per round: the
        mixed iterate is the weighted mean of the models' iterates and the mixed
        Polyak average the average over all their steps
        (:func:`sklosses.parallel.mix_states`).

        Parameters
        ----------
        models : sequence of estimators
            Copies of this estimator (unfitted, or as it is now) after one
            ``partial_fit`` each.
        weights : sequence of float
            The share of the data each model saw (e.g. its rows).

        Returns
        -------
        mixed : estimator
            A new fitted estimator; ``n_iter_`` counts the rounds mixed so far.
        """
        heaviest = models[int(np.argmax(weights))]
        mixed = copy.copy(heaviest)
        start = getattr(self, "_state", None)
        mixed._state = mix_states(start, [model._state for model in models], weights)
        rounds = 1 if start is None else self.n_iter_ + 1
        mixed._store_fitted_attributes(mixed._state.model(), rounds, partial=True)
        return mixed

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
        return self._fit(X, y, sample_weight, partial=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -- pickling: a loss name registered at run time travels with the estimator --
    def __getstate__(self):
        state = super().__getstate__()
        # the loss names it holds: its loss (MultiQuantileRegressor has none: it builds
        # its loss from quantiles) and that of a scorer name given as early-stopping scoring
        names = [state.get("loss"), scorer_loss_name(state.get("scoring"))]
        return with_loss_registrations(state, names)

    def __setstate__(self, state):
        super().__setstate__(restore_loss_registrations(state))
