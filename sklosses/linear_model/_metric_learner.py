"""``TripletMetricLearner``: a linear metric learned by mini-batch SGD on a metric loss."""

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.multiclass import check_classification_targets

from .._constraints import Interval
from ._base import BaseSGD

START_SAMPLE_ROWS = 10000
"""Rows (at most) the starting map is computed from."""


def _standardising_start(X, n_components, rng):
    """``coef`` of shape ``(n_features, n_components)`` embedding standardised features:
    the identity on the standardised features (``n_components = n_features``), else their
    first ``n_components`` principal directions. Constant columns are left unscaled."""
    rows = np.arange(X.shape[0])
    if len(rows) > START_SAMPLE_ROWS:
        rows = np.sort(rng.choice(len(rows), START_SAMPLE_ROWS, replace=False))
    sample = X[rows]
    sample = sample.toarray() if sp.issparse(sample) else np.asarray(sample, dtype=np.float64)
    deviation = sample.std(axis=0)
    inverse_scale = 1 / np.where(
        deviation > 1e-12 * (1 + np.abs(sample.mean(axis=0))), deviation, 1
    )
    n_features = X.shape[1]
    if n_components == n_features:
        return np.diag(inverse_scale)
    standardised = (sample - sample.mean(axis=0)) * inverse_scale
    _, _, directions = np.linalg.svd(standardised, full_matrices=False)
    start = np.zeros((n_features, n_components))
    found = min(n_components, len(directions))
    start[:, :found] = inverse_scale[:, None] * directions[:found].T
    return start


class TripletMetricLearner(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseSGD):
    """Linear metric learning with the triplet loss, by mini-batch SGD.

    Learns a linear map ``L`` (``components_``, of shape ``(n_components,
    n_features)``, as :class:`~sklearn.neighbors.NeighborhoodComponentsAnalysis`)
    such that, in the embedding ``L x``, rows of the same class are closer than
    rows of other classes by a margin: the loss (``"triplet"``,
    :class:`~sklosses.losses.TripletLoss`) is ``max(0, margin + |L(a - p)|^2 -
    |L(a - n)|^2)`` over triplets of an anchor ``a``, a positive ``p`` of its class
    and a negative ``n`` of another class, mined inside each mini-batch from the
    labels (semi-hard by default; see the loss for the mining rules). ``transform``
    returns the embedding, for a k-nearest-neighbours classifier, e.g.
    ``make_pipeline(StandardScaler(), TripletMetricLearner(), KNeighborsClassifier())``.

    Training starts from the identity on the standardised features (so that, before
    any step, the embedding is the standardised data and k-NN on it is k-NN after a
    ``StandardScaler``); with ``n_components < n_features``, from their first
    ``n_components`` principal directions. It runs SGD epochs with the automatic step
    and iterate averaging; there is no full-batch phase (the loss is a statistic of
    each mini-batch, not a sum over the rows). The map has no intercept (a metric
    ignores translations): the engine centres the features internally, and
    ``transform`` is ``X @ components_.T``.

    Parameters
    ----------
    n_components : int or None, default=None
        Dimension of the embedding; None: ``n_features``.
    loss : str or Loss, default='triplet'
        A registered metric loss, or an instance such as
        ``TripletLoss(margin=0.5, mining="hardest")``.
    penalty : {'l2', 'l1', 'elasticnet', None}, default='l2'
        Penalty on the coefficients of ``L`` (``alpha R(L)``).
    alpha : float, default=1e-4
        Regularisation strength.
    l1_ratio : float, default=0.15
        The L1 share of the elastic-net penalty.
    max_iter : int, default=1000
        Maximum number of epochs.
    tol : float or None, default=1e-2
        Stop when the training objective (or validation score) has not improved
        by ``tol`` for ``n_iter_no_change`` epochs; None: run ``max_iter`` epochs.
        Ten times scikit-learn's SGD default: the objective of triplets mined from
        the current map moves by a few thousandths from epoch to epoch as its
        triplets change, so a smaller ``tol`` waits for a lucky run of epochs, not
        for a better map (with scikit-learn's ``tol=1e-3, n_iter_no_change=5``,
        two to three times the epochs for the same k-NN accuracy on digits, wine
        and breast cancer: ``benchmarks/metric_learning.py``). A fit that keeps
        gaining less than ``tol`` per epoch for long, such as a 2-D embedding of
        many classes, gets further with scikit-learn's setting
        (``examples/metric_learning.py``).
    shuffle : bool, default=True
        Shuffle the order of the mini-batches every epoch.
    verbose : int, default=0
        ``>0`` prints one line per epoch.
    random_state : int, RandomState or None, default=None
    learning_rate : {'auto', 'constant', 'invscaling', 'adaptive'}, default='auto'
        ``'auto'``: the step from the data's second moments, decaying as
        ``1/sqrt(epoch)`` (the triplet loss is not smooth); the others follow
        scikit-learn.
    eta0 : float, default=0.01
        Initial step size of the other schedules.
    power_t : float, default=0.25
        Exponent of ``'invscaling'``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified) and stop on its
        score.
    validation_fraction : float, default=0.1
        The share of the data held out for early stopping.
    n_iter_no_change : int, default=3
        Epochs without improvement before stopping: with ``tol`` above the
        epoch-to-epoch noise of the mined objective, three epochs without a gain
        of ``tol`` mark its plateau.
    warm_start : bool, default=False
        Start ``fit`` from the previous solution.
    average : 'auto', bool or int, default='auto'
        Average the SGD iterates (Polyak-Ruppert); ``'auto'``: after the first
        epoch with ``learning_rate='auto'``.
    batch_size : int or 'auto', default=64
        Rows per mini-batch, in which the triplets are mined: a batch should hold
        several rows of every class (raise it with many classes). Semi-hard mining
        forms every anchor-positive pair of a batch, so an epoch costs about
        ``n_samples * batch_size`` triplets: on digits, wine and breast cancer, 64
        rows train faster (more steps per epoch, fewer epochs) and as accurately
        as 512 (``benchmarks/metric_learning.py``). ``'auto'`` is n_samples / 100,
        clipped to [16, 4096].
    scoring : str, callable or None, default=None
        Validation score for early stopping; None is minus the loss.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The learned linear map ``L``.
    classes_ : ndarray
        The class labels seen (their codes are the loss's targets).
    n_iter_ : int
        Epochs of SGD run.
    t_ : float
        Samples seen plus one.
    loss_curve_ : list of float
        Training objective (loss plus penalty) per epoch.
    objective_ : float
        Training objective of the fitted map (``fit`` only).
    alpha_ : float
        The penalty strength used.
    n_features_in_, feature_names_in_

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from sklosses import TripletMetricLearner
    >>> X, y = load_wine(return_X_y=True)
    >>> TripletMetricLearner(n_components=2, random_state=0).fit_transform(X, y).shape
    (178, 2)
    """

    _loss_tasks = ("metric",)
    _parameter_constraints: dict = {
        **BaseSGD._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
    }
    fit_intercept = True  # internal centring only: the loss ignores translations
    solver = "sgd"  # no full-batch phase for a statistic of each mini-batch

    def __init__(
        self,
        n_components=None,
        *,
        loss="triplet",
        penalty="l2",
        alpha=1e-4,
        l1_ratio=0.15,
        max_iter=1000,
        tol=1e-2,
        shuffle=True,
        verbose=0,
        random_state=None,
        learning_rate="auto",
        eta0=0.01,
        power_t=0.25,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=3,
        warm_start=False,
        average="auto",
        batch_size=64,
        scoring=None,
    ):
        self.n_components = n_components
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
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

    def _n_components(self, n_features):
        if self.n_components is None:
            return n_features
        if self.n_components > n_features:
            raise ValueError(f"n_components={self.n_components} exceeds the {n_features} features.")
        return self.n_components

    def _n_outputs(self, X, Y):
        return self._n_components(X.shape[1])

    def _start_model(self, X):
        n_components = self._n_components(X.shape[1])
        rng = np.random.default_rng(0)
        return _standardising_start(X, n_components, rng), np.zeros(n_components)

    def _encode_targets(self, y, classes, first_call, loss):
        check_classification_targets(y)
        seen = np.unique(y) if classes is None else np.unique(np.asarray(classes))
        if not first_call:
            seen = np.union1d(self.classes_, seen)
        self.classes_ = seen
        return np.searchsorted(seen, y).astype(np.float64).reshape(-1, 1)

    def _set_coefficients(self, coef, intercept):
        self.components_ = np.ascontiguousarray(coef.T)

    @property
    def _n_features_out(self):
        """The embedding's dimension (for ``get_feature_names_out``)."""
        return self.components_.shape[0]

    def fit(self, X, y, sample_weight=None):
        """Learn the map ``L`` by mini-batch SGD on triplets mined from the labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            A triplet weighs the product of its rows' weights.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, partial=False)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of SGD on ``(X, y)``, continuing from the previous call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (a chunk may hold any of them, old or new).
        classes : array-like, default=None
            Labels to register on this call; optional (triplets need only compare
            labels).
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, partial=True, classes=classes)

    def transform(self, X):
        """The embedding ``X @ components_.T``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_components)
        """
        X = self._validate_data_for_predict(X)
        return np.asarray(X @ self.components_.T)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
