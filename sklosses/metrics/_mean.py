"""The mean loss and the Kullback-Leibler divergence of soft labels."""

import numpy as np
from sklearn.utils import check_array

from .._validation import check_probability_rows, check_sample_weight
from ._arrays import checked_loss, loss_arrays, query_codes, soft_label_arrays


def weighted_mean_loss(loss, targets, raw, sample_weight, groups=None):
    r"""Weighted mean over the rows of ``loss``, averaged over its columns of values.

    A loss of scope ``"element"`` or ``"sample"`` gives one value per row and
    column: the row's values are averaged over the columns, then the rows with
    the weights, :math:`\sum_i s_i \bar\ell_i / \sum_i s_i`. A batch-level loss
    (scope ``"batch"``) has no per-row values: its ``weighted_sums`` are ``S``
    times its value on the whole set (``S = sum s``), one per column, so their
    mean over the columns divided by ``S`` is the mean of the columns' values.

    Parameters
    ----------
    loss : Loss
    targets, raw : ndarray of shape (n_samples, n_columns)
    sample_weight : ndarray of shape (n_samples,) or None
        Non-negative, with a positive sum.
    groups : ndarray of shape (n_samples,) or None
        The group (query) of each row, passed to a batch-level loss (a loss that
        ``needs_groups`` sums over the pairs or lists within each group; None is
        one group); per-row values do not depend on it.

    Returns
    -------
    float
    """
    if loss.scope == "batch":
        sums = loss.weighted_sums(targets, raw, sample_weight, groups)
        sums = np.asarray(sums, dtype=np.float64)
        total = len(targets) if sample_weight is None else sample_weight.sum()
        return float(sums.mean() / total)
    values = np.asarray(loss.loss(targets, raw), dtype=np.float64)
    return float(np.average(values.mean(axis=1), weights=sample_weight))


def mean_loss(loss, y_true, y_pred, *, qid=None, sample_weight=None, labels=None, pos_label=None):
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
    * **ranking** (a loss comparing the rows of a query, ``needs_groups``):
      ``y_true`` holds graded relevances, ``y_pred`` the scores (the ranker's
      ``predict``) and ``qid`` the query of each row, in any row order. The
      value is the loss's weighted sum over the queries divided by
      :math:`S = \sum_i s_i`; for a pairwise loss with pair loss :math:`\phi`,

      .. math::

          \mathrm{mean\_loss} = \frac{1}{S} \sum_q
          \sum_{i, j \in q,\ y_i > y_j} s_i s_j \, \phi(f_i - f_j),

      computed from the pairs within queries only (the work grows with their
      number, not with the square of the number of rows). Without ``qid`` all
      rows are one query, as for the loss itself.

    A batch-level loss (``scope == "batch"``, e.g. soft Dice) is a statistic
    of the whole set rather than a mean: its value is its weighted value on
    the whole set (for one-vs-rest columns, the mean of the columns' values).

    Parameters
    ----------
    loss : str or Loss
        A registry name (see ``sklosses.losses.LOSSES``) or a loss instance,
        e.g. ``QuantileLoss(quantile=0.9)``.
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets; for classification losses, class labels of any type.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_columns)
        Predictions (regression), raw decision values (classification) or
        scores (ranking).
    qid : array-like of shape (n_samples,), default=None
        The query (group) of each row, for a loss that compares the rows of a
        query (``needs_groups``); None: all rows are one query. Checked for its
        length, and ignored by the other losses, whose mean does not depend on
        any grouping of the rows.
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
    loss = checked_loss(loss)
    targets, raw, sample_weight = loss_arrays(
        loss, y_true, y_pred, labels, pos_label, sample_weight
    )
    groups = None if qid is None else query_codes(qid, len(targets), "mean_loss")[0]
    return weighted_mean_loss(loss, targets, raw, sample_weight, groups)


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
    y_pred : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities (``predict_proba``): non-negative rows that sum
        to 1 (to within ``1e-6``). For two classes, a 1-D ``y_pred`` is the
        probability of the second class, as in :func:`sklearn.metrics.log_loss`.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights with a positive sum.
    eps : float, default=1e-15
        Smallest predicted probability: smaller ones are clipped to it, so
        that a zero probability of a possible class costs a finite amount.

    Returns
    -------
    float

    Examples
    --------
    >>> from sklosses.metrics import kl_divergence
    >>> round(kl_divergence([[1.0, 0.0]], [[0.5, 0.5]]), 6)
    0.693147
    """
    y_pred = check_array(y_pred, ensure_2d=False, dtype=np.float64, input_name="y_pred")
    if y_pred.ndim == 1:
        y_pred = np.column_stack([1 - y_pred, y_pred])
    y_true, y_pred = soft_label_arrays(y_true, y_pred)
    check_probability_rows(y_pred, "Predicted probabilities y_pred")
    probability = np.clip(y_pred, eps, 1)
    terms = np.where(
        y_true > 0, y_true * np.log(np.where(y_true > 0, y_true, 1) / probability), 0.0
    )
    per_sample = terms.sum(axis=1)
    sample_weight = check_sample_weight(sample_weight, len(per_sample), positive_sum=True)
    return float(np.average(per_sample, weights=sample_weight))
