"""A metric and a scikit-learn scorer for every registered loss.

Everything here is driven by the registry :data:`sklosses.losses.LOSSES` and
by the attributes of a loss (``task``, ``inverse_link``, ``link``), never by
a loss's name or class, so a newly registered loss automatically gets a
metric, a scorer and a scorer name.

* :func:`mean_loss` -- the weighted mean per-sample loss, i.e. the data term
  of the objective the estimators minimise (for a batch-level loss such as
  soft Dice, its weighted value on the whole set);
* :func:`d2_loss_score` -- the fraction of that loss explained relative to
  the best constant prediction (regression losses);
* :func:`make_loss_scorer`, :func:`make_d2_scorer` -- scikit-learn scorers;
* :func:`get_scorer`, :func:`get_scorer_names` -- scorer names for every
  registered loss, falling back to scikit-learn's own names.

Scorer names
------------
A registry name ``name`` gets the scorer name ``"neg_mean_" + name``, plus a
trailing ``"_loss"`` unless ``name`` already ends in ``"_loss"`` or
``"_error"`` (:func:`get_scorer_names` lists them), for example:

=================  ===========================  ==============================
registry name      scorer name                  value (minus ...)
=================  ===========================  ==============================
``squared_error``  ``neg_mean_squared_error``   MSE (same name and value as
                                                scikit-learn's scorer)
``absolute_error`` ``neg_mean_absolute_error``  MAE (same name and value as
                                                scikit-learn's scorer)
``quantile``       ``neg_mean_quantile_loss``   mean pinball loss, q = 0.5
``log_loss``       ``neg_mean_log_loss``        mean (one-vs-rest) binary
                                                cross-entropy of the logits
``poisson``        ``neg_mean_poisson_loss``    mean Poisson deviance
``multinomial_     ``neg_mean_multinomial_      softmax cross-entropy
log_loss``         log_loss``
=================  ===========================  ==============================

Every other registered loss (``huber``, ``hinge``, ``focal``, ``log_cosh``,
``epsilon_insensitive``, ``squared_epsilon_insensitive``, ``expectile``,
``squared_hinge``, ``modified_huber``, ``exponential``, ``softmax_focal``,
``dice``) follows the same rule, and so does a loss added with
:func:`sklosses.losses.register_loss`. ``"neg_kl_divergence"`` scores
:func:`kl_divergence` of ``predict_proba`` against soft labels.

A name shared with scikit-learn is only acceptable when both scorers compute
the same value (the tests check it). ``neg_mean_log_loss`` deliberately
differs from scikit-learn's ``neg_log_loss``: on multiclass problems it is
the one-vs-rest binary cross-entropy the estimator trains, not the
multinomial log loss of ``predict_proba``.

Design of the scorers
---------------------
A classification scorer must know the estimator's ``classes_``: a test fold
that lacks a class still gets ``(n_samples, n_classes)`` decision values,
whose columns can only be matched to classes through ``classes_``. A scorer
made by :func:`sklearn.metrics.make_scorer` never sees the estimator, and
teaching it to do so means subclassing scikit-learn's private ``_Scorer``.
Instead, :func:`make_loss_scorer` returns a thin public-API-only wrapper:

* it holds a scorer made by :func:`sklearn.metrics.make_scorer` (with the
  right ``response_method`` and ``greater_is_better=False``), and at call
  time, for a binary-task loss, makes the same scorer with
  ``labels=estimator.classes_`` added; so the response method, ``pos_label``
  handling and argument checks are scikit-learn's own;
* ``set_score_request`` and ``get_metadata_routing`` delegate to the held
  scorer (the latter re-issued as a public ``MetadataRequest`` that names
  the wrapper in routing errors), so metadata routing of ``sample_weight``
  (or of any other argument of :func:`mean_loss`) behaves exactly as for
  scikit-learn's scorers;
* ``_accept_sample_weight()`` answers the duck-typed question that
  scikit-learn (<= 1.9) asks a scorer before forwarding ``sample_weight``
  without metadata routing (e.g. ``GridSearchCV.fit(X, y, sample_weight=w)``).

The wrapper works wherever a scorer callable is accepted (``scoring=`` of
``cross_val_score``, ``cross_validate``, ``GridSearchCV`` single and
multi-metric, :func:`sklearn.metrics.check_scoring`). Two differences from
scikit-learn's private scorer class remain: in multi-metric scoring the
estimator's ``decision_function``/``predict`` is not cached across our
scorers, and ``sklearn.callback.ScoringMonitor`` only recognises a single
scorer of its own class (pass it ``{"name": scorer}`` instead).
"""

import warnings

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn import metrics as sk_metrics
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.utils import check_array, check_consistent_length, column_or_1d
from sklearn.utils.metadata_routing import MetadataRequest
from sklearn.utils.multiclass import check_classification_targets

from ._validation import check_sample_weight
from .losses import LOSSES, batch_weight, get_loss

__all__ = [
    "d2_loss_score",
    "kl_divergence",
    "get_scorer",
    "get_scorer_names",
    "make_d2_scorer",
    "make_loss_scorer",
    "mean_loss",
]

_RESPONSE_METHODS = {
    "regression": "predict",
    "binary": "decision_function",
    "multiclass": "decision_function",
}
"""Estimator method whose output a scorer of a loss of each task evaluates."""


# -- inputs ------------------------------------------------------------------
def _checked_loss(loss):
    """A validated loss instance from a registry name or an instance."""
    loss = get_loss(loss)
    validate = getattr(loss, "validate", None)
    if validate is not None:
        validate()
    task = _task(loss)
    if task not in _RESPONSE_METHODS:
        raise ValueError(
            f"{loss!r} has task {task!r}; sklosses.metrics supports the tasks "
            f"{sorted(_RESPONSE_METHODS)}."
        )
    return loss


def _task(loss):
    return getattr(loss, "task", "regression")


def _raw_prediction(loss, y_pred):
    """Map regression predictions back to the raw predictions the loss takes.

    An estimator predicts ``inverse_link(raw)``; a loss with an inverse link
    must therefore also carry its ``link`` (the inverse of ``inverse_link``).
    """
    if getattr(loss, "inverse_link", None) is None:
        return y_pred
    link = getattr(loss, "link", None)
    if link is None:
        raise ValueError(
            f"{loss!r} has an inverse_link but no link attribute: mean_loss needs the "
            "link to map predictions back to the raw predictions the loss takes."
        )
    with np.errstate(divide="ignore", invalid="ignore"):  # checked by the caller
        return link(y_pred)


def _regression_arrays(loss, y_true, y_pred):
    """``y_true`` and raw predictions as float arrays of shape (n_samples, n_outputs)."""
    y_true = check_array(y_true, ensure_2d=False, dtype=np.float64, input_name="y_true")
    y_pred = check_array(y_pred, ensure_2d=False, dtype=np.float64, input_name="y_pred")
    check_consistent_length(y_true, y_pred)
    y_true = y_true.reshape(len(y_true), -1)
    y_pred = y_pred.reshape(len(y_pred), -1)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred have different numbers of outputs: {y_true.shape[1]} "
            f"and {y_pred.shape[1]}."
        )
    return y_true, _raw_prediction(loss, y_pred)


def _class_list(labels):
    labels = column_or_1d(np.asarray(labels))
    if len(labels) < 2:
        raise ValueError(f"labels must list at least 2 classes, got {labels.tolist()}.")
    if len(np.unique(labels)) != len(labels):
        raise ValueError(f"labels contains duplicates: {labels.tolist()}.")
    return labels.tolist()


def _binary_arrays(y_true, y_pred, labels, pos_label):
    """One-vs-rest 0/1 targets and raw decision values, both (n_samples, n_columns).

    See :func:`mean_loss` for the rules that map labels to columns.
    """
    y_true = column_or_1d(y_true)
    y_pred = check_array(y_pred, ensure_2d=False, dtype=np.float64, input_name="y_pred")
    check_consistent_length(y_true, y_pred)
    check_classification_targets(y_true)
    if y_pred.ndim == 2 and y_pred.shape[1] == 1:
        y_pred = y_pred.ravel()
    present, inverse = np.unique(y_true, return_inverse=True)
    present = present.tolist()  # Python scalars: ``==`` and hashing of any label type
    classes = present if labels is None else _class_list(labels)
    if labels is not None:
        unknown = [label for label in present if label not in classes]
        if unknown:
            raise ValueError(f"y_true contains labels {unknown} that are not in labels={classes}.")

    if y_pred.ndim == 1:
        if pos_label is not None:
            if (labels is not None or len(present) > 1) and pos_label not in classes:
                raise ValueError(f"pos_label={pos_label!r} is not one of the classes {classes}.")
        elif len(classes) == 1:
            raise ValueError(
                f"y_true contains a single class ({classes[0]!r}), so it is ambiguous which "
                "class the 1-D decision values score: pass labels= (e.g. the estimator's "
                "classes_) or pos_label=."
            )
        if len(classes) > 2:
            raise ValueError(
                f"y_pred is 1-D (binary decision values) but there are {len(classes)} classes "
                f"{classes}; pass the (n_samples, n_classes) decision values."
            )
        positive = classes[1] if pos_label is None else pos_label
        is_positive = np.array([label == positive for label in present], dtype=np.float64)
        return is_positive[inverse].reshape(-1, 1), y_pred.reshape(-1, 1)

    if pos_label is not None:
        raise ValueError(
            "pos_label only applies to 1-D (binary) decision values; y_pred has shape "
            f"{y_pred.shape}."
        )
    if y_pred.shape[1] != len(classes):
        hint = (
            "pass labels= (e.g. the estimator's classes_) to give every column its class"
            if labels is None
            else "labels must list one class per column"
        )
        raise ValueError(
            f"y_pred has {y_pred.shape[1]} columns but there are {len(classes)} classes "
            f"{classes}: {hint}."
        )
    column = {label: k for k, label in enumerate(classes)}
    codes = np.array([column[label] for label in present])[inverse]
    targets = (codes[:, None] == np.arange(len(classes))).astype(np.float64)
    return targets, y_pred


def _per_sample_loss(loss, y_true, y_pred, labels, pos_label, sample_weight):
    """Per-sample loss (averaged over outputs or one-vs-rest columns), shape (n,), and
    the checked sample weights. A batch-level loss gets the weights for its sums."""
    task = _task(loss)
    if task == "regression":
        if labels is not None or pos_label is not None:
            raise ValueError("labels and pos_label only apply to classification losses.")
        targets, raw = _regression_arrays(loss, y_true, y_pred)
        if hasattr(loss, "check_target"):
            loss.check_target(targets)
        if not np.isfinite(raw).all():
            raise ValueError(
                f"y_pred is outside the range of the predictions of {loss!r} "
                "(its link maps some values to non-finite raw predictions)."
            )
    elif task == "multiclass" and np.ndim(y_true) == 2:
        targets, raw = _soft_label_arrays(y_true, y_pred)
    else:
        targets, raw = _binary_arrays(y_true, y_pred, labels, pos_label)
        if task == "multiclass" and raw.shape[1] == 1:
            # binary decision values f = f_1 - f_0 of a multiclass loss: scores (0, f)
            targets = np.hstack([1 - targets, targets])
            raw = np.hstack([np.zeros_like(raw), raw])
    check_consistent_length(targets, sample_weight)
    sample_weight = check_sample_weight(sample_weight, len(targets), positive_sum=True)
    weight = None if sample_weight is None else sample_weight[:, None]
    values = np.asarray(loss.loss(targets, raw, **batch_weight(loss, weight)), dtype=np.float64)
    return values.mean(axis=1), sample_weight


def _soft_label_arrays(y_true, y_pred):
    """Class-probability targets (soft labels) and decision values, both (n, K)."""
    y_true = check_array(y_true, dtype=np.float64, input_name="y_true")
    y_pred = check_array(y_pred, ensure_2d=False, dtype=np.float64, input_name="y_pred")
    check_consistent_length(y_true, y_pred)
    if y_pred.ndim == 1 and y_true.shape[1] == 2:
        y_pred = np.column_stack([np.zeros_like(y_pred), y_pred])
    if y_pred.shape != y_true.shape:
        raise ValueError(
            f"y_true (class probabilities) has shape {y_true.shape} but y_pred "
            f"has shape {y_pred.shape}."
        )
    if (y_true < 0).any() or not np.allclose(y_true.sum(axis=1), 1, atol=1e-6):
        raise ValueError("Soft labels y_true must be non-negative rows that sum to 1.")
    return y_true, y_pred


# -- metrics -------------------------------------------------------------------
def mean_loss(loss, y_true, y_pred, *, sample_weight=None, labels=None, pos_label=None):
    r"""Weighted mean of a loss: the data term of the estimators' objective.

    .. math::

        \mathrm{mean\_loss} = \frac{\sum_i s_i \, \ell_i}{\sum_i s_i},

    where ``s`` are the sample weights (all ones by default) and the
    per-sample loss :math:`\ell_i` depends on the loss's ``task``:

    * **regression**: :math:`\ell_i = \mathrm{loss}(y_i, \hat y_i)`, averaged
      over the outputs of a 2-D target. ``y_pred`` holds the estimator's
      predictions (``predict``); for a loss with an ``inverse_link`` they are
      mapped back to raw predictions with the loss's ``link``.
    * **binary** (classification): ``y_pred`` holds **raw decision values**,
      the output of the estimator's ``decision_function``:

      - shape (n_samples,) for a binary problem: the score :math:`f_i` of the
        positive class, which is ``pos_label`` if given, else the second of
        the two classes (the greater label, as in ``classes_``);
        :math:`\ell_i = \mathrm{loss}(1[y_i = \mathrm{positive}], f_i)`;
      - shape (n_samples, n_classes) for a multiclass problem: column k
        scores class ``classes[k]`` and the loss is the one-vs-rest loss
        averaged over the columns,
        :math:`\ell_i = \frac{1}{K}\sum_{k=1}^{K}
        \mathrm{loss}(1[y_i = c_k], f_{ik})`,
        which is what ``SGDClassifier`` minimises on multiclass data.

      The classes are ``labels`` (in column order) if given, else
      ``np.unique(y_true)``. Pass ``labels`` (the estimator's ``classes_``)
      whenever ``y_true`` may lack a class, e.g. on a cross-validation fold.
    * **multiclass** (a loss coupling the classes, e.g. softmax
      cross-entropy): ``y_pred`` holds the decision values as above, one
      column per class, or for two classes the 1-D difference ``f_1 - f_0``
      (the scores are then ``(0, f)``); :math:`\ell_i` is the loss of the row.
      ``y_true`` may also be a matrix of class probabilities (soft labels).

    A batch-level loss (``per_sample = False``, e.g. soft Dice) is a
    statistic of the whole set rather than a mean: it gets the weights for
    its own sums, and :math:`\ell_i` is its value, the same for every sample
    (for one-vs-rest columns, the mean of the columns' values).

    Parameters
    ----------
    loss : str or Loss
        A registry name (see ``sklosses.losses.LOSSES``) or a loss instance,
        e.g. ``QuantileLoss(quantile=0.9)``.
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets; for classification losses, class labels of any type.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_columns)
        Predictions (regression) or raw decision values (classification).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights with a positive sum.
    labels : array-like of shape (n_classes,), default=None
        Classification only: all the classes, in the order of the columns of
        ``y_pred``. Required when ``y_true`` lacks a class that has a column.
    pos_label : int, float, bool or str, default=None
        Classification with 1-D ``y_pred`` only: the class scored by
        ``y_pred``. Without it, a ``y_true`` holding a single class needs
        ``labels``.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For invalid loss parameters, inconsistent lengths, non-finite values,
        negative weights, or labels that cannot be matched to the columns of
        ``y_pred``.

    Examples
    --------
    >>> from sklosses.metrics import mean_loss
    >>> mean_loss("squared_error", [1.0, 2.0], [0.0, 4.0])
    2.5
    >>> mean_loss("hinge", ["no", "yes"], [-2.0, 0.5])
    0.25
    >>> mean_loss("hinge", ["a", "c"], [[1, -1, -1], [-1, 0.5, 1]], labels=["a", "b", "c"])
    0.25
    """
    loss = _checked_loss(loss)
    per_sample, sample_weight = _per_sample_loss(
        loss, y_true, y_pred, labels, pos_label, sample_weight
    )
    return float(np.average(per_sample, weights=sample_weight))


def kl_divergence(y_true, y_pred, *, sample_weight=None, eps=1e-15):
    r"""Mean Kullback-Leibler divergence of predicted from target class probabilities.

    .. math::

        \mathrm{KL} = \frac{\sum_i s_i \sum_k y_{ik} \log(y_{ik} / p_{ik})}
                          {\sum_i s_i}, \qquad 0 \log 0 = 0,

    with ``p`` clipped to ``[eps, 1]``. It equals the soft-label
    cross-entropy (``mean_loss("multinomial_log_loss", ...)`` on decision
    values) minus the entropy of the targets, which does not depend on the
    model: training on soft labels minimises it.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_classes)
        Target probabilities (rows summing to 1).
    y_pred : array-like of shape (n_samples, n_classes)
        Predicted probabilities (``predict_proba``).
    sample_weight : array-like of shape (n_samples,), default=None
    eps : float, default=1e-15

    Returns
    -------
    float

    Examples
    --------
    >>> from sklosses.metrics import kl_divergence
    >>> round(kl_divergence([[1.0, 0.0]], [[0.5, 0.5]]), 6)
    0.693147
    """
    y_true, y_pred = _soft_label_arrays(y_true, y_pred)
    probability = np.clip(y_pred, eps, 1)
    terms = np.where(
        y_true > 0, y_true * np.log(np.where(y_true > 0, y_true, 1) / probability), 0.0
    )
    per_sample = terms.sum(axis=1)
    sample_weight = check_sample_weight(sample_weight, len(per_sample), positive_sum=True)
    return float(np.average(per_sample, weights=sample_weight))


def _best_constant_loss(loss, y_true, sample_weight):
    """Minimum over constants ``c`` of the weighted mean of ``loss(y_true, c)`` (1-D).

    The minimiser of a regression loss over constants is a location statistic
    of ``y_true`` (mean, median, quantile, Huber's M-estimate, ...), so it lies
    in ``[min(y_true), max(y_true)]``: a bounded Brent search finds it. The
    losses whose kinks sit at the data (absolute, pinball) attain their minimum
    at a data point, so the data points next to Brent's answer are tried too,
    which makes the result exact for them.
    """

    def objective(constant):
        prediction = np.full((len(y_true), 1), constant)
        values = loss.loss(y_true.reshape(-1, 1), _raw_prediction(loss, prediction))
        return float(
            np.average(np.asarray(values, dtype=np.float64).ravel(), weights=sample_weight)
        )

    low, high = float(y_true.min()), float(y_true.max())
    if low == high:
        return objective(low)
    result = minimize_scalar(
        objective, bounds=(low, high), method="bounded", options={"xatol": 1e-12 * (high - low)}
    )
    points = np.unique(y_true)
    position = np.searchsorted(points, result.x)
    neighbours = points[np.clip(np.arange(position - 2, position + 2), 0, len(points) - 1)]
    with np.errstate(all="ignore"):  # a data point may sit where the link is infinite
        values = [objective(constant) for constant in np.unique(neighbours)]
    return min([float(result.fun), *(value for value in values if np.isfinite(value))])


def d2_loss_score(loss, y_true, y_pred, *, sample_weight=None):
    r""":math:`D^2`, the fraction of a regression loss explained.

    .. math::

        D^2 = 1 - \frac{\mathrm{mean\_loss}(y, \hat y)}
                       {\min_c \mathrm{mean\_loss}(y, c)},

    with the weighted means of :func:`mean_loss` and the minimum over
    constant predictions ``c`` found numerically (bounded Brent search over
    the range of ``y_true``, refined at the nearest data points). It is
    :func:`sklearn.metrics.r2_score` for ``"squared_error"``,
    :func:`sklearn.metrics.d2_absolute_error_score` for ``"absolute_error"``
    and :func:`sklearn.metrics.d2_pinball_score` for ``QuantileLoss(q)``.
    As in scikit-learn, a perfect prediction scores 1, a zero denominator
    with a non-zero numerator scores 0, fewer than two samples give NaN with
    an ``UndefinedMetricWarning``, and 2-D targets average the scores of the
    outputs.

    Regression losses only: the best constant of a classification loss is
    not defined here.

    Parameters
    ----------
    loss : str or Loss
        A registry name or a loss instance with ``task == "regression"``.
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Predictions (the estimator's ``predict``).
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    float
        At most 1; 0 for the best constant; negative for worse predictions.

    Examples
    --------
    >>> from sklosses.metrics import d2_loss_score
    >>> round(d2_loss_score("absolute_error", [1.0, 2.0, 6.0], [1.0, 2.0, 3.0]), 6)
    0.4
    """
    loss = _checked_loss(loss)
    if _task(loss) != "regression":
        raise ValueError(f"d2_loss_score needs a regression loss; {loss!r} is {_task(loss)!r}.")
    y_true_2d, raw = _regression_arrays(loss, y_true, y_pred)
    sample_weight = check_sample_weight(sample_weight, len(y_true_2d), positive_sum=True)
    if len(y_true_2d) < 2:
        warnings.warn(
            "D^2 score is not well-defined with less than two samples.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        return float("nan")
    scores = []
    for output in range(y_true_2d.shape[1]):
        column = y_true_2d[:, output]
        values = np.asarray(loss.loss(column, raw[:, output]), dtype=np.float64)
        numerator = float(np.average(values, weights=sample_weight))
        denominator = _best_constant_loss(loss, column, sample_weight)
        if numerator == 0:
            scores.append(1.0)
        elif denominator == 0:
            scores.append(0.0)
        else:
            scores.append(1 - numerator / denominator)
    return float(np.mean(scores))


# -- scorers -------------------------------------------------------------------
def _mean_loss_score_func(y_true, y_pred, *, loss, sample_weight=None, labels=None, pos_label=None):
    """:func:`mean_loss` with the ``(y_true, y_pred, **kwargs)`` order of make_scorer."""
    return mean_loss(
        loss, y_true, y_pred, sample_weight=sample_weight, labels=labels, pos_label=pos_label
    )


def _d2_score_func(y_true, y_pred, *, loss, sample_weight=None):
    """:func:`d2_loss_score` with the ``(y_true, y_pred, **kwargs)`` order of make_scorer."""
    return d2_loss_score(loss, y_true, y_pred, sample_weight=sample_weight)


class _LossScorer:
    """Scorer of a loss: a :func:`sklearn.metrics.make_scorer` scorer that sees ``classes_``.

    See "Design of the scorers" in the module docstring. Made by
    :func:`make_loss_scorer` and :func:`make_d2_scorer`.
    """

    def __init__(self, maker_name, loss, score_func, greater_is_better, kwargs):
        self._maker_name = maker_name
        self._loss = loss
        self._score_func = score_func
        self._greater_is_better = greater_is_better
        self._kwargs = kwargs
        checked = _checked_loss(loss)
        self._response_method = _RESPONSE_METHODS[_task(checked)]
        self._needs_labels = _task(checked) != "regression" and "labels" not in kwargs
        self._scorer = self._make_scorer()

    def _make_scorer(self, **extra_kwargs):
        return sk_metrics.make_scorer(
            self._score_func,
            response_method=self._response_method,
            greater_is_better=self._greater_is_better,
            loss=self._loss,
            **self._kwargs,
            **extra_kwargs,
        )

    def __call__(self, estimator, X, y_true, sample_weight=None, **kwargs):
        """Score ``estimator`` on ``(X, y_true)``; greater is better.

        Parameters
        ----------
        estimator : fitted estimator
            Classification losses use its ``decision_function`` and, when
            the scorer was made without ``labels``, its ``classes_``;
            regression losses use its ``predict``.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y_true : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
        **kwargs
            Other arguments of the metric, routed as metadata (only with
            ``sklearn.set_config(enable_metadata_routing=True)``).

        Returns
        -------
        float
        """
        scorer = self._scorer
        classes = getattr(estimator, "classes_", None)
        if self._needs_labels and classes is not None and "labels" not in kwargs:
            scorer = self._make_scorer(labels=classes)
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        return scorer(estimator, X, y_true, **kwargs)

    def set_score_request(self, **kwargs):
        """Request metadata (e.g. ``sample_weight=True``) for scoring.

        Same as a :func:`sklearn.metrics.make_scorer` scorer's method: needs
        ``sklearn.set_config(enable_metadata_routing=True)``.

        Returns
        -------
        self
        """
        self._scorer.set_score_request(**kwargs)
        return self

    def get_metadata_routing(self):
        """The metadata request of the underlying scikit-learn scorer, owned by this scorer.

        Returns
        -------
        sklearn.utils.metadata_routing.MetadataRequest
        """
        request = MetadataRequest(owner=repr(self))  # routing messages name the scorer
        for param, alias in self._scorer.get_metadata_routing().score.requests.items():
            if param != "loss":  # a fixed argument of the score function, not metadata
                request.score.add_request(param=param, alias=alias)
        return request

    def _accept_sample_weight(self):
        # Asked by scikit-learn before forwarding sample_weight without metadata routing.
        return True

    def __repr__(self):
        kwargs = "".join(f", {key}={value!r}" for key, value in self._kwargs.items())
        return f"{self._maker_name}({self._loss!r}{kwargs})"


def make_loss_scorer(loss, **kwargs):
    """Make a scikit-learn scorer of minus :func:`mean_loss`.

    The scorer calls the estimator's ``predict`` for a regression loss and its
    ``decision_function`` for a classification loss, and returns
    ``-mean_loss(loss, y_true, y_pred, sample_weight=..., **kwargs)``
    (greater is better). Unless ``labels`` is given, a classification scorer
    passes the estimator's ``classes_`` as ``labels``, so a test fold that
    lacks a class is scored correctly.

    Parameters
    ----------
    loss : str or Loss
        A registry name or a loss instance, e.g. ``QuantileLoss(quantile=0.9)``.
    **kwargs
        ``labels`` and ``pos_label``, passed to :func:`mean_loss`.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y_true, sample_weight=None)``, usable as
        ``scoring=`` anywhere in scikit-learn, with ``set_score_request`` for
        metadata routing.

    Examples
    --------
    >>> from sklosses.losses import QuantileLoss
    >>> from sklosses.metrics import make_loss_scorer
    >>> scorer = make_loss_scorer(QuantileLoss(quantile=0.9))
    >>> scorer
    make_loss_scorer(QuantileLoss(quantile=0.9))
    """
    unknown = set(kwargs) - {"labels", "pos_label"}
    if unknown:
        raise TypeError(
            f"make_loss_scorer got unexpected arguments {sorted(unknown)}; "
            "it accepts labels and pos_label."
        )
    return _LossScorer("make_loss_scorer", loss, _mean_loss_score_func, False, kwargs)


def make_d2_scorer(loss):
    """Make a scikit-learn scorer of :func:`d2_loss_score` (greater is better).

    Parameters
    ----------
    loss : str or Loss
        A registry name or a regression loss instance.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y_true, sample_weight=None)`` scoring the
        estimator's ``predict``.

    Examples
    --------
    >>> from sklosses.metrics import make_d2_scorer
    >>> make_d2_scorer("huber")
    make_d2_scorer('huber')
    """
    if _task(_checked_loss(loss)) != "regression":
        raise ValueError(f"make_d2_scorer needs a regression loss, got {loss!r}.")
    return _LossScorer("make_d2_scorer", loss, _d2_score_func, True, {})


def _scorer_name(loss_name):
    """``"neg_mean_" + loss_name``, with ``"_loss"`` appended unless already a suffix."""
    suffix = "" if loss_name.endswith(("_loss", "_error")) else "_loss"
    return f"neg_mean_{loss_name}{suffix}"


def _scorer_registry():
    """Scorer name -> registry name, for the registry as it is now."""
    registry = {}
    for loss_name in LOSSES:
        name = _scorer_name(loss_name)
        if name in registry:
            raise ValueError(
                f"The losses {registry[name]!r} and {loss_name!r} get the same scorer "
                f"name {name!r}; rename one of them in sklosses.losses.LOSSES."
            )
        registry[name] = loss_name
    return registry


def get_scorer_names():
    """The scorer names of the registered losses, sorted.

    ``"neg_mean_" + name``, plus ``"_loss"`` unless the registry name ends in
    ``"_loss"`` or ``"_error"`` (see the module docstring for the list).
    :func:`get_scorer` also accepts every name of
    :func:`sklearn.metrics.get_scorer_names`.

    Returns
    -------
    list of str
    """
    return sorted([*_scorer_registry(), "neg_kl_divergence"])


def get_scorer(scoring):
    """A scorer from its name: one of ours, else one of scikit-learn's.

    Parameters
    ----------
    scoring : str or callable
        A name of :func:`get_scorer_names` (a registered loss, e.g.
        ``"neg_mean_huber_loss"``), a name of
        :func:`sklearn.metrics.get_scorer_names` (e.g. ``"r2"``), or a
        callable, returned as is.

    Returns
    -------
    scorer : callable

    Raises
    ------
    ValueError
        For an unknown name.

    Examples
    --------
    >>> from sklosses.metrics import get_scorer
    >>> get_scorer("neg_mean_hinge_loss")
    make_loss_scorer('hinge')
    """
    if callable(scoring):
        return scoring
    if not isinstance(scoring, str):
        raise TypeError(f"scoring must be a str or a callable, got {scoring!r}.")
    ours = _scorer_registry()
    if scoring in ours:
        return make_loss_scorer(ours[scoring])
    if scoring == "neg_kl_divergence":
        return sk_metrics.make_scorer(
            kl_divergence, greater_is_better=False, response_method="predict_proba"
        )
    if scoring in sk_metrics.get_scorer_names():
        return sk_metrics.get_scorer(scoring)
    raise ValueError(
        f"Unknown scoring {scoring!r}. The sklosses scorers are: {', '.join(sorted(ours))}; "
        "every scikit-learn scorer name (sklearn.metrics.get_scorer_names()) is also accepted."
    )
