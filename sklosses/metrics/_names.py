"""Scorer names: one per registered loss, derived from the registry when asked, so
losses registered at run time get theirs; scikit-learn's names as the fallback."""

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
