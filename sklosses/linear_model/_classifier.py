"""``SGDClassifier``: linear classification over any binary or multiclass loss."""

import numpy as np
import sklearn.linear_model
from sklearn.base import ClassifierMixin
from sklearn.utils import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from .._constraints import StrOptions
from .._validation import check_probability_rows, check_sample_weight
from ._base import DTYPES, BaseSGD
from ._drop_in import DropInMixin, SklearnLossFunctions
from ._probability import ProbabilityMixin
from ._soft_labels import SoftLabelScoreMixin


class SGDClassifier(SoftLabelScoreMixin, ClassifierMixin, ProbabilityMixin, DropInMixin, BaseSGD):
    """Linear classifier trained by mini-batch SGD over any binary loss.

    Binary problems train one output; multiclass problems train one output per
    class (one-vs-rest), all in the same pass over the data. A regression loss
    (scikit-learn's ``'squared_error'``, ``'huber'``, ...) fits the classes as the
    targets -1 and +1, as scikit-learn does, with no ``predict_proba``.

    Parameters
    ----------
    loss : str or Loss, default='hinge'
        A registry name or a loss instance, e.g. ``FocalLoss(gamma=2.0)``: a
        binary or multiclass loss, or a regression loss.
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
    n_jobs : int or None, default=None
        Accepted for scikit-learn's API, with nothing to parallelise: where
        scikit-learn fits the one-vs-rest classes in parallel jobs, sklosses
        trains them all in the same vectorised pass over the data (one matrix
        product per mini-batch, threaded by BLAS).
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
    class_weight : dict, 'balanced' or None, default=None
        Multiplies each sample's weight by the weight of its class.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
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
    >>> from sklearn.datasets import load_iris
    >>> from sklosses import SGDClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SGDClassifier(loss="log_loss", random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:1]).shape
    (1, 3)
    """

    loss_functions = SklearnLossFunctions(sklearn.linear_model.SGDClassifier)
    _loss_tasks = ("binary", "multiclass", "regression")
    _parameter_constraints: dict = {
        **BaseSGD._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

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
        epsilon=None,
        n_jobs=None,
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
        self.epsilon = epsilon
        self.n_jobs = n_jobs

    def _validate_data_for_fit(self, X, y, reset):
        if not self._is_soft_target(y):
            return super()._validate_data_for_fit(X, y, reset)
        return validate_data(
            self,
            X,
            y,
            reset=reset,
            accept_sparse="csr",
            dtype=DTYPES,
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
        multiclass loss, or the given probability rows (soft labels); -1/+1 in
        place of 0/1 for a regression loss, as scikit-learn."""
        if self._is_soft_target(y):
            return self._encode_soft_targets(y, classes, first_call, loss)
        check_classification_targets(y)
        labels = np.unique(y)
        self._check_classes(classes, first_call, labels if classes is None else classes)
        unknown = np.setdiff1d(labels, self.classes_)
        if len(unknown):
            raise ValueError(
                f"y contains labels {unknown.tolist()} not in classes {self.classes_.tolist()}."
            )
        codes = np.searchsorted(self.classes_, y)  # every label is among the sorted classes_
        if len(self.classes_) == 2 and loss.task != "multiclass":
            indicators = codes.reshape(-1, 1).astype(np.float64)
        else:
            indicators = np.eye(len(self.classes_))[codes]
        return 2 * indicators - 1 if loss.task == "regression" else indicators

    def _check_classes(self, classes, first_call, labels):
        """Set ``classes_`` on the first call; later calls must not change them."""
        if not first_call:
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(  # scikit-learn's words
                    f"`classes={classes!r}` is not the same as on last call to partial_fit, "
                    f"was: {self.classes_!r}"
                )
            return
        self.classes_ = np.unique(labels)
        if len(self.classes_) < 2:
            raise ValueError(
                f"The classifier needs samples of at least 2 classes; got only one "
                f"class: {self.classes_[0]!r}."
            )

    def _encode_soft_targets(self, y, classes, first_call, loss):
        if loss.task != "multiclass" or loss.inverse_link is None:
            raise ValueError(
                f"A matrix of class probabilities (soft labels) needs a probabilistic "
                f"multiclass loss such as 'multinomial_log_loss'; got {loss!r}."
            )
        if self.class_weight is not None:
            raise ValueError("class_weight is not supported with soft labels; use sample_weight.")
        Y = np.asarray(y, dtype=np.float64)
        check_probability_rows(Y)
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
            raise ValueError(  # scikit-learn's words: it needs the counts of all the data
                "class_weight 'balanced' is not supported for partial_fit. In order to use "
                "'balanced' weights, use compute_class_weight('balanced', classes=classes, "
                "y=y). In place of y you can use a large enough sample of the full training "
                "set target to properly estimate the class frequency distributions. Pass the "
                "resulting weights as the class_weight parameter."
            )
        weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        # the checks of a sample weight: a class weight multiplies its samples' weights
        weights = check_sample_weight(weights, len(self.classes_), name="class_weight")
        per_sample = weights[np.searchsorted(self.classes_, y)]
        return per_sample if sample_weight is None else sample_weight * per_sample

    def _set_coefficients(self, coef, intercept):
        """One row per class; a single row for two classes (for a multiclass
        loss, the difference of the two rows, as ``LogisticRegression`` does)."""
        if coef.shape[1] == 2 and len(self.classes_) == 2:
            coef, intercept = coef[:, 1:] - coef[:, :1], intercept[1:] - intercept[:1]
        self.coef_ = coef.T.copy()
        self.intercept_ = intercept.copy()

    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit the model by mini-batch SGD.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            float32 input is trained in float32; CSR input stays sparse.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Labels of any type, or a matrix of class probabilities (soft
            labels, rows summing to 1) for a probabilistic multiclass loss;
            ``classes_`` is then ``arange(n_classes)``.
        coef_init : ndarray of shape (n_classes, n_features), default=None
            The coefficients to start from (scikit-learn's warm start), in place of
            zeros, or of the previous model under ``warm_start=True``; of shape
            ``(n_features,)`` or ``(1, n_features)`` for two classes.
        intercept_init : ndarray of shape (n_classes,), default=None
            The intercepts to start from, in place of the best constant; a float or
            of shape ``(1,)`` for two classes. When one of ``coef_init`` and
            ``intercept_init`` is given, the other starts at zero, as in scikit-learn.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, partial=False, init=(coef_init, intercept_init))

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of SGD on ``(X, y)``, continuing from the previous call.

        ``classes`` (all labels that will ever be seen) is required on the
        first call, except with soft labels (one column per class).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
        classes : array-like of shape (n_classes,), default=None
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        # with early_stopping set, _fit refuses the call before asking for the classes
        # (scikit-learn's order), after validating the parameters
        missing = classes is None and not (self.early_stopping or self._is_soft_target(y))
        if not hasattr(self, "_state") and missing:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, partial=True, classes=classes)

    def decision_function(self, X):
        """Raw predictions ``x w + b``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) for two classes, else (n_samples, n_classes)
        """
        X = self._validate_data_for_predict(X)
        scores = self._linear_prediction(X, self.coef_.T)
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """The class of the largest raw prediction (of a positive one for two classes).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        scores = self.decision_function(X)
        indices = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[indices]
