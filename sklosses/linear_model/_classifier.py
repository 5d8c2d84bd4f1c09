"""``SGDClassifier``: linear classification over any binary or multiclass loss."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from .._validation import check_probability_rows
from ..losses import get_loss
from ._base import DTYPES, BaseSGD


class SGDClassifier(ClassifierMixin, BaseSGD):
    """Linear classifier trained by mini-batch SGD over any binary loss.

    Binary problems train one output; multiclass problems train one output per
    class (one-vs-rest), all in the same pass over the data.

    Parameters
    ----------
    loss : str or Loss, default='hinge'
        A registry name or a binary loss instance, e.g. ``FocalLoss(gamma=2.0)``.
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
    class_weight : dict, 'balanced' or None, default=None
        Multiplies each sample's weight by the weight of its class.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
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
        if not hasattr(self, "_state") and classes is None and not self._is_soft_target(y):
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
        scores = X @ self.coef_.T + self.intercept_
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

    def _has_probability(self):
        """The loss parameter has a probability link, and so has the loss the
        model was fitted with (if fitted)."""
        losses = [get_loss(self.loss)] + ([self._loss] if hasattr(self, "_loss") else [])
        return all(loss.inverse_link is not None for loss in losses)

    @available_if(_has_probability)
    def predict_proba(self, X):
        """Class probabilities from the loss's inverse link.

        Binary loss: ``[1 - p, p]``, and for more classes the one-vs-rest
        probabilities normalised to sum to one, as scikit-learn does. Multiclass
        loss: its inverse link (softmax) of the class scores.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
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
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))
