"""Scorers of the metrics: scikit-learn scorers that see the estimator's ``classes_``
and take part in metadata routing (see "Design of the scorers" in
:mod:`sklosses.metrics`)."""

from sklearn import metrics as sk_metrics
from sklearn.utils.metadata_routing import MetadataRequest

from ..losses import restore_loss_registrations, with_loss_registrations
from ._arrays import CLASSIFICATION_TASKS, RESPONSE_METHODS, checked_loss
from ._d2 import d2_loss_score
from ._mean import mean_loss
from ._ranking import check_cutoff, ndcg_score


def _mean_loss_score_func(
    y_true, y_pred, *, loss, qid=None, sample_weight=None, labels=None, pos_label=None
):
    """:func:`mean_loss` with the ``(y_true, y_pred, **kwargs)`` order of make_scorer."""
    return mean_loss(
        loss,
        y_true,
        y_pred,
        qid=qid,
        sample_weight=sample_weight,
        labels=labels,
        pos_label=pos_label,
    )


def _ndcg_score_func(y_true, y_pred, *, qid=None, k=None, sample_weight=None, ignore_ties=False):
    """:func:`ndcg_score` in the order of make_scorer; a missing ``qid`` gets
    :func:`ndcg_score`'s explanation rather than Python's ``TypeError``."""
    return ndcg_score(
        y_true, y_pred, qid=qid, k=k, sample_weight=sample_weight, ignore_ties=ignore_ties
    )


def _d2_score_func(y_true, y_pred, *, loss, sample_weight=None, qid=None):
    """:func:`d2_loss_score` with the ``(y_true, y_pred, **kwargs)`` order of make_scorer;
    the D^2 of a regression loss does not depend on any queries ``qid``."""
    return d2_loss_score(loss, y_true, y_pred, sample_weight=sample_weight)


class _LossScorer:
    """Scorer of a loss: a :func:`sklearn.metrics.make_scorer` scorer that sees ``classes_``.

    See "Design of the scorers" in :mod:`sklosses.metrics`. Made by
    :func:`make_loss_scorer` and :func:`make_d2_scorer`.

    Parameters
    ----------
    maker_name : str
        Name of the public function that made the scorer, for its repr.
    loss : str, Loss or None
        The loss, as the user gave it (a name stays a name in the repr); None for
        a ranking metric that is not a loss (NDCG), which scores ``predict``.
    score_func : callable
        ``score_func(y_true, y_pred, *, loss, **kwargs)``, without ``loss`` when
        ``loss`` is None.
    greater_is_better : bool
        False for a loss (the scorer returns minus its value).
    kwargs : dict
        Fixed keyword arguments of ``score_func``.
    """

    def __init__(self, maker_name, loss, score_func, greater_is_better, kwargs):
        self._maker_name = maker_name
        self._loss = loss
        self._score_func = score_func
        self._greater_is_better = greater_is_better
        self._kwargs = kwargs
        checked = None if loss is None else checked_loss(loss)
        task = "ranking" if checked is None else checked.task
        self._response_method = RESPONSE_METHODS[task]
        self._needs_labels = task in CLASSIFICATION_TASKS and "labels" not in kwargs
        # A metric comparing the rows of a query means nothing without the queries, so
        # its scorer asks for them unless told otherwise, as scikit-learn's group
        # splitters ask for ``groups``; any other loss's value does not depend on them,
        # so its scorer declines them and can sit beside an NDCG scorer in a search.
        needs_groups = checked is None or checked.needs_groups
        self._default_requests = {"qid": needs_groups}
        self._scorer = self._make_scorer()

    def _make_scorer(self, **extra_kwargs):
        loss = {} if self._loss is None else {"loss": self._loss}
        return sk_metrics.make_scorer(
            self._score_func,
            response_method=self._response_method,
            greater_is_better=self._greater_is_better,
            **loss,
            **self._kwargs,
            **extra_kwargs,
        )

    def __call__(self, estimator, X, y_true, sample_weight=None, qid=None, **kwargs):
        """Score ``estimator`` on ``(X, y_true)``; greater is better.

        Parameters
        ----------
        estimator : fitted estimator
            Classification losses use its ``decision_function`` and, when
            the scorer was made without ``labels``, its ``classes_``;
            regression losses use its ``predict``.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        y_true : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights with a positive sum.
        qid : array-like of shape (n_samples,), default=None
            The query of each row, for NDCG and the losses that compare the rows
            of a query; routed as metadata by scikit-learn's tools, or given here
            directly (also without metadata routing).
        **kwargs
            Other arguments of the metric, routed as metadata (only with
            ``sklearn.set_config(enable_metadata_routing=True)``).

        Returns
        -------
        float
        """
        fixed = {}
        # estimators of any library may lack classes_; the scorer then scores y_true's classes
        classes = getattr(estimator, "classes_", None)
        if self._needs_labels and classes is not None and "labels" not in kwargs:
            fixed["labels"] = classes
        if qid is not None:
            # fixed like labels rather than passed as metadata: scikit-learn's scorer
            # refuses metadata without routing, and a direct call needs the queries too
            fixed["qid"] = qid
        scorer = self._make_scorer(**fixed) if fixed else self._scorer
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        return scorer(estimator, X, y_true, **kwargs)

    def set_score_request(self, **kwargs):
        """Request metadata (e.g. ``sample_weight=True``) for scoring.

        Same as a :func:`sklearn.metrics.make_scorer` scorer's method: needs
        ``sklearn.set_config(enable_metadata_routing=True)``. Unless told
        otherwise, the scorers of NDCG and of the losses that compare the rows of
        a query (``needs_groups``) request ``qid``; the other scorers, whose value
        does not depend on the queries, decline it (``qid=False``).

        Parameters
        ----------
        **kwargs
            ``param=True``, ``False``, ``None`` or an alias, per metadata name.

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
        requests = dict(self._scorer.get_metadata_routing().score.requests)
        for param, default in self._default_requests.items():
            if requests.get(param) is None:  # neither requested nor refused by the user
                requests[param] = default
        for param, alias in requests.items():
            if param != "loss":  # a fixed argument of the score function, not metadata
                request.score.add_request(param=param, alias=alias)
        return request

    def _accept_sample_weight(self):
        # Asked by scikit-learn before forwarding sample_weight without metadata routing.
        return True

    def __getstate__(self):
        # a loss name registered at run time travels with the scorer (to joblib's workers)
        return with_loss_registrations(self.__dict__, [self._loss])

    def __setstate__(self, state):
        self.__dict__.update(restore_loss_registrations(state))

    def __repr__(self):
        arguments = [] if self._loss is None else [repr(self._loss)]
        arguments += [f"{key}={value!r}" for key, value in self._kwargs.items()]
        return f"{self._maker_name}({', '.join(arguments)})"


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
    if checked_loss(loss).task != "regression":
        raise ValueError(f"make_d2_scorer needs a regression loss, got {loss!r}.")
    return _LossScorer("make_d2_scorer", loss, _d2_score_func, True, {})


def make_ndcg_scorer(*, k=None, ignore_ties=False):
    """Make a scikit-learn scorer of :func:`ndcg_score` (greater is better).

    The scorer scores the estimator's ``predict`` (a ranker's scores) with
    ``ndcg_score(y_true, scores, qid=qid, k=k, sample_weight=...)``. It requests
    ``qid`` through metadata routing by default, so with
    ``sklearn.set_config(enable_metadata_routing=True)``,
    ``GridSearchCV(ranker, grid, cv=GroupKFold(), scoring=make_ndcg_scorer(k=10))
    .fit(X, y, qid=qid, groups=qid)`` scores each test fold's queries; it also
    takes ``qid=`` when called directly. ``get_scorer("ndcg@10")`` is
    ``make_ndcg_scorer(k=10)``.

    Parameters
    ----------
    k : int, default=None
        NDCG@k: only the ``k`` best-scored rows of each query count; None: all.
    ignore_ties : bool, default=False
        As in :func:`ndcg_score`.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y_true, sample_weight=None, qid=None)``.

    Examples
    --------
    >>> from sklosses.metrics import make_ndcg_scorer
    >>> make_ndcg_scorer(k=10)
    make_ndcg_scorer(k=10)
    """
    check_cutoff(k)  # now, rather than when the first fold is scored
    kwargs = {} if k is None else {"k": k}
    if ignore_ties:
        kwargs["ignore_ties"] = True
    return _LossScorer("make_ndcg_scorer", None, _ndcg_score_func, True, kwargs)
