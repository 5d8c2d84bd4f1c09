"""A metric and a scikit-learn scorer for every registered loss.

Everything here is driven by the registry :data:`sklosses.losses.LOSSES` and
by the attributes of a loss (``task``, ``scope``, ``link``, ``inverse_link``),
never by a loss's name or class, so a newly registered loss automatically gets
a metric, a scorer and a scorer name.

* :func:`mean_loss` -- the weighted mean per-sample loss, i.e. the data term
  of the objective the estimators minimise (for a batch-level loss such as
  soft Dice, its weighted value on the whole set);
* :func:`d2_loss_score` -- the fraction of that loss explained relative to
  the best constant prediction (regression losses);
* :func:`kl_divergence` -- of predicted from target class probabilities
  (soft labels);
* :func:`ndcg_score` -- NDCG@k of a ranker's scores, averaged over queries
  (``qid``), each query's value that of :func:`sklearn.metrics.ndcg_score`;
* :func:`make_loss_scorer`, :func:`make_d2_scorer`, :func:`make_ndcg_scorer`
  -- scikit-learn scorers;
* :func:`get_scorer`, :func:`get_scorer_names` -- scorer names for every
  registered loss, falling back to scikit-learn's own names.

The metric maths lives in ``_arrays.py`` (targets and raw predictions for each
task, query ids), ``_mean.py``, ``_d2.py`` and ``_ranking.py`` (NDCG); the
scorers and their metadata routing in ``_scorers.py``; the scorer names in
``_names.py``.

Scorer names
------------
A registry name ``name`` gets the scorer name ``"neg_mean_" + name``, plus a
trailing ``"_loss"`` unless ``name`` already ends in ``"_loss"`` or
``"_error"``: ``"squared_error"`` gives ``"neg_mean_squared_error"`` and
``"huber"`` gives ``"neg_mean_huber_loss"``. The rule is applied to the
registry when a name is asked for, so a loss added with
:func:`sklosses.losses.register_loss` gets its scorer name at once;
:func:`get_scorer_names` lists the names of the registry as it is.
Each scorer returns minus :func:`mean_loss` of its loss with default
parameters. ``"neg_kl_divergence"`` scores :func:`kl_divergence` of
``predict_proba`` against soft labels. ``"ndcg"`` scores :func:`ndcg_score` of
``predict``, and ``"ndcg@k"`` NDCG@k for any integer ``k >= 1``.

Ranking and metadata routing
----------------------------
A ranking metric needs the query of each row, ``qid``. The scorers of NDCG and of
the losses that compare the rows of a query (``needs_groups``, e.g. the pairwise
losses) request ``qid`` through scikit-learn's metadata routing by default
(``set_score_request(qid=False)`` turns it off), so with
``sklearn.set_config(enable_metadata_routing=True)``::

    GridSearchCV(ranker, grid, cv=GroupKFold(), scoring=get_scorer("ndcg@10")).fit(
        X, y, qid=qid, groups=qid)

fits each candidate with its training queries and scores the test fold's
queries. A scorer also takes ``qid=`` when called directly. Without routing
scikit-learn passes ``qid`` only to ``fit``, and an NDCG scorer raises an error
saying so; a loss scorer without ``qid`` scores all rows as one query, like
:func:`mean_loss`.

A name shared with scikit-learn is only acceptable when both scorers compute
the same value (the tests check it): ``neg_mean_squared_error`` and
``neg_mean_absolute_error`` are scikit-learn's names and values.
``neg_mean_log_loss`` deliberately differs from scikit-learn's
``neg_log_loss``: on multiclass problems it is the one-vs-rest binary
cross-entropy the estimator trains, not the multinomial log loss of
``predict_proba``.

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
  time, for a classification loss, makes the same scorer with
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

from ._d2 import d2_loss_score
from ._mean import kl_divergence, mean_loss
from ._names import get_scorer, get_scorer_names
from ._ranking import ndcg_score
from ._scorers import make_d2_scorer, make_loss_scorer, make_ndcg_scorer

__all__ = [
    "d2_loss_score",
    "kl_divergence",
    "get_scorer",
    "get_scorer_names",
    "make_d2_scorer",
    "make_loss_scorer",
    "make_ndcg_scorer",
    "mean_loss",
    "ndcg_score",
]
