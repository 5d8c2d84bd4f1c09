"""Input checks of the metrics: the loss, and ``(y_true, y_pred)`` turned into the 2-D
targets and raw predictions the loss takes, for each task.

Every array returned here has shape ``(n_samples, n_columns)``: the outputs of a
regression loss (the relevances of a ranking loss), the one-vs-rest columns of a
binary loss, the classes of a multiclass loss; for a metric loss, the class codes in
one column and the embedding's coordinates.
"""

import numpy as np
from sklearn.utils import check_array, check_consistent_length, column_or_1d
from sklearn.utils.multiclass import check_classification_targets

from .._validation import check_probability_rows, check_sample_weight
from ..losses import validated_loss

RESPONSE_METHODS = {
    "regression": "predict",
    "binary": "decision_function",
    "multiclass": "decision_function",
    "ranking": "predict",  # a ranker's scores
    "metric": ("transform",),  # a metric learner's embedding (make_scorer takes the
    # other methods by name only)
}
"""Estimator method whose output a metric of a loss of each task evaluates."""

CLASSIFICATION_TASKS = ("binary", "multiclass")
"""Tasks whose metrics match decision-value columns to class labels."""


def checked_loss(loss):
    """A validated loss instance of a task the metrics support.

    Parameters
    ----------
    loss : str or Loss
        A registry name or a loss instance.

    Returns
    -------
    Loss
    """
    return validated_loss(loss, RESPONSE_METHODS, "sklosses.metrics")


def raw_prediction(loss, y_pred):
    """Map regression predictions back to the raw predictions the loss takes.

    An estimator predicts ``inverse_link(raw)``; a loss with an inverse link
    must therefore also carry its ``link`` (the inverse of ``inverse_link``).
    Values the link cannot map come back non-finite, for the caller to refuse.
    """
    if loss.inverse_link is None:
        return y_pred
    if loss.link is None:
        raise ValueError(
            f"{loss!r} has an inverse_link but no link attribute: mean_loss needs the "
            "link to map predictions back to the raw predictions the loss takes."
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        return loss.link(y_pred)


def query_codes(qid, n_rows, user):
    """The query of each row as integer codes ``0..n_queries-1``, and ``n_queries``.

    Parameters
    ----------
    qid : array-like of shape (n_rows,)
        Query ids of any sortable type, in any row order.
    n_rows : int
        The number of rows of ``y_true``.
    user : str
        The function that needs the queries, named in the error messages.

    Returns
    -------
    codes : ndarray of int of shape (n_rows,)
    n_queries : int
    """
    if qid is None:
        raise ValueError(
            f"{user} needs qid, the query of each row. A scorer gets it through metadata "
            "routing: sklearn.set_config(enable_metadata_routing=True), then pass qid= to "
            "fit (e.g. GridSearchCV(...).fit(X, y, qid=qid, groups=qid)), or pass it to "
            "the scorer directly."
        )
    qid = np.asarray(qid)
    if qid.ndim != 1 or len(qid) != n_rows:
        raise ValueError(
            f"qid must give the query of each of the {n_rows} rows of y_true; "
            f"it has shape {qid.shape}."
        )
    if qid.dtype.kind in "fc" and not np.isfinite(qid).all():
        raise ValueError("qid contains NaN or infinity.")
    queries, codes = np.unique(qid, return_inverse=True)
    return codes.reshape(-1), len(queries)


def regression_arrays(loss, y_true, y_pred):
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
    return y_true, raw_prediction(loss, y_pred)


def metric_arrays(y_true, y_pred):
    """Class labels as float codes of shape (n_samples, 1), and the embeddings
    ``y_pred`` of shape (n_samples, n_components)."""
    y_true = column_or_1d(np.asarray(y_true))
    check_classification_targets(y_true)
    y_pred = check_array(y_pred, ensure_2d=False, dtype=np.float64, input_name="y_pred")
    check_consistent_length(y_true, y_pred)
    codes = np.unique(y_true, return_inverse=True)[1].reshape(-1, 1)
    return codes.astype(np.float64), y_pred.reshape(len(y_pred), -1)


def _class_list(labels):
    labels = column_or_1d(np.asarray(labels))
    if len(labels) < 2:
        raise ValueError(f"labels must list at least 2 classes, got {labels.tolist()}.")
    if len(np.unique(labels)) != len(labels):
        raise ValueError(f"labels contains duplicates: {labels.tolist()}.")
    return labels.tolist()


def _positive_column(present, inverse, classes, labels, pos_label):
    """0/1 targets of the positive class scored by 1-D decision values, shape (n, 1)."""
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
    return is_positive[inverse].reshape(-1, 1)


def binary_arrays(y_true, y_pred, labels, pos_label):
    """One-vs-rest 0/1 targets and raw decision values, both (n_samples, n_columns).

    See :func:`~sklosses.metrics.mean_loss` for the rules that map labels to columns.
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
        targets = _positive_column(present, inverse, classes, labels, pos_label)
        return targets, y_pred.reshape(-1, 1)

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


def soft_label_arrays(y_true, y_pred):
    """Class-probability targets (soft labels) and decision values, both (n, K).

    For two classes, 1-D ``y_pred`` is the difference ``f_1 - f_0`` and becomes
    the columns ``(0, f)``.
    """
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
    check_probability_rows(y_true, "Soft labels y_true")
    return y_true, y_pred


def loss_arrays(loss, y_true, y_pred, labels, pos_label, sample_weight):
    """The targets and raw predictions ``loss`` takes, and the checked sample weights.

    Parameters
    ----------
    loss : Loss
        A loss checked by :func:`checked_loss`.
    y_true, y_pred, labels, pos_label, sample_weight
        As in :func:`~sklosses.metrics.mean_loss`.

    Returns
    -------
    targets, raw : ndarray of shape (n_samples, n_columns)
    sample_weight : ndarray of shape (n_samples,) or None
    """
    if loss.task == "metric":  # class labels, and the embedding of each row
        if labels is not None or pos_label is not None:
            raise ValueError("labels and pos_label only apply to classification losses.")
        targets, raw = metric_arrays(y_true, y_pred)
    elif loss.task not in CLASSIFICATION_TASKS:  # regression values, ranking relevances
        if labels is not None or pos_label is not None:
            raise ValueError("labels and pos_label only apply to classification losses.")
        targets, raw = regression_arrays(loss, y_true, y_pred)
        loss.check_target(targets)
        if not np.isfinite(raw).all():
            raise ValueError(
                f"y_pred is outside the range of the predictions of {loss!r} "
                "(its link maps some values to non-finite raw predictions)."
            )
    elif loss.task == "multiclass" and np.ndim(y_true) == 2:
        targets, raw = soft_label_arrays(y_true, y_pred)
    else:
        targets, raw = binary_arrays(y_true, y_pred, labels, pos_label)
        if loss.task == "multiclass" and raw.shape[1] == 1:
            # binary decision values f = f_1 - f_0 of a multiclass loss: scores (0, f)
            targets = np.hstack([1 - targets, targets])
            raw = np.hstack([np.zeros_like(raw), raw])
    check_consistent_length(targets, sample_weight)
    sample_weight = check_sample_weight(sample_weight, len(targets), positive_sum=True)
    return targets, raw, sample_weight
