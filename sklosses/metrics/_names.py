"""Scorer names: one per registered loss, derived from the registry when asked, so
losses registered at run time get theirs; scikit-learn's names as the fallback."""

import inspect

from sklearn import metrics as sk_metrics

from ..losses import LOSSES
from ._mean import kl_divergence
from ._scorers import make_loss_scorer, make_ndcg_scorer

_KL_SCORER_NAME = "neg_kl_divergence"
_NDCG_SCORER_NAME = "ndcg"  # and "ndcg@k" for any k >= 1


def _ndcg_scorer(scoring):
    """The scorer of ``"ndcg"`` or ``"ndcg@k"``, or None for any other name."""
    name, at, cutoff = scoring.partition("@")
    if name != _NDCG_SCORER_NAME:
        return None
    if not at:
        return make_ndcg_scorer()
    if not (cutoff.isdigit() and int(cutoff) >= 1):  # isdigit: no sign, no spaces
        raise ValueError(f"Unknown scoring {scoring!r}: write ndcg@k with an integer k >= 1.")
    return make_ndcg_scorer(k=int(cutoff))


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


def scorer_loss_name(scoring):
    """The registry name of the loss a scorer name of :func:`get_scorer_names` scores.

    Parameters
    ----------
    scoring : object
        A scorer name, or anything a ``scoring`` parameter may hold.

    Returns
    -------
    str or None
        The loss name, or None for anything else (another scorer name, a scorer
        object, a callable, None).
    """
    return _scorer_registry().get(scoring) if isinstance(scoring, str) else None


def get_scorer_names():
    """The scorer names of the registered losses, sorted.

    ``"neg_mean_" + name``, plus ``"_loss"`` unless the registry name ends in
    ``"_loss"`` or ``"_error"``, for every name of
    :data:`sklosses.losses.LOSSES` at the time of the call; ``"neg_kl_divergence"``;
    and ``"ndcg"``, the mean NDCG over queries (:func:`ndcg_score`), of which
    ``"ndcg@k"`` (NDCG@k, e.g. ``"ndcg@10"``) works for any integer ``k >= 1``
    without being listed. :func:`get_scorer` also accepts every name of
    :func:`sklearn.metrics.get_scorer_names`.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from sklosses.metrics import get_scorer_names
    >>> "neg_mean_huber_loss" in get_scorer_names()
    True
    """
    return sorted([*_scorer_registry(), _KL_SCORER_NAME, _NDCG_SCORER_NAME])


def get_scorer(scoring):
    """A scorer from its name: one of ours, else one of scikit-learn's.

    Parameters
    ----------
    scoring : str or callable
        A name of :func:`get_scorer_names` (a registered loss, e.g.
        ``"neg_mean_huber_loss"``), ``"ndcg@k"`` for an integer ``k >= 1``
        (NDCG@k, through :func:`make_ndcg_scorer`), a name of
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
    ndcg = _ndcg_scorer(scoring)
    if ndcg is not None:
        return ndcg
    if scoring == _KL_SCORER_NAME:
        return sk_metrics.make_scorer(
            kl_divergence, greater_is_better=False, response_method="predict_proba"
        )
    if scoring in sk_metrics.get_scorer_names():
        return sk_metrics.get_scorer(scoring)
    raise ValueError(
        f"Unknown scoring {scoring!r}. The sklosses scorers are: {', '.join(sorted(ours))}, "
        "ndcg and ndcg@k; every scikit-learn scorer name (sklearn.metrics.get_scorer_names()) "
        "is also accepted."
    )


def single_scorer(estimator, scoring):
    """The scorer of a single metric, called with weights and queries only if it takes them.

    ``scoring`` is anything ``GridSearchCV(scoring=...)`` accepts for a single
    metric: a name of :func:`get_scorer` (sklosses' or scikit-learn's), a scorer
    object, or a plain callable ``(estimator, X, y)`` (checked by
    :func:`sklearn.metrics.check_scoring`, which refuses a metric function such
    as ``r2_score``). The returned function passes ``sample_weight`` to a
    scorer with that parameter or ``**kwargs`` (scikit-learn's and sklosses'
    scorers), and ``qid`` to one that names it (sklosses' scorers;
    scikit-learn's take other keywords only as routed metadata); a callable
    without them scores the rows unweighted, all as one query.

    Parameters
    ----------
    estimator : estimator
        The estimator to be scored (for the checks of ``check_scoring``).
    scoring : str or callable
        A single metric.

    Returns
    -------
    callable
        ``score(estimator, X, y, *, sample_weight=None, qid=None)``.

    Raises
    ------
    ValueError
        For a dict, list, tuple or set of metrics (multi-metric scoring), or a
        name neither sklosses nor scikit-learn knows.
    """
    if isinstance(scoring, (dict, list, tuple, set)):
        raise ValueError(
            "scoring must be a single metric here (a name, a scorer or a callable "
            f"(estimator, X, y)), not the {type(scoring).__name__} of several metrics "
            f"{scoring!r} that GridSearchCV accepts for multi-metric evaluation."
        )
    if callable(scoring):
        scorer = sk_metrics.check_scoring(estimator, scoring)
    else:
        scorer = get_scorer(scoring)
    try:
        parameters = inspect.signature(scorer).parameters
    except (TypeError, ValueError):  # a callable without a signature (a builtin) takes none
        parameters = {}
    takes_weight = "sample_weight" in parameters or any(
        parameter.kind is parameter.VAR_KEYWORD for parameter in parameters.values()
    )
    takes_qid = "qid" in parameters

    def score(estimator, X, y, *, sample_weight=None, qid=None):
        metadata = {"sample_weight": sample_weight if takes_weight else None}
        metadata["qid"] = qid if takes_qid else None
        given = {name: value for name, value in metadata.items() if value is not None}
        return scorer(estimator, X, y, **given)

    return score
