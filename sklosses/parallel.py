"""Data-parallel training on Dask by iterative parameter mixing.

:func:`fit_parameter_mixing` trains one sklosses estimator on data spread over
the blocks of a Dask collection. Each *round* is one distributed epoch:

1. every block gets a copy of the current model and runs one epoch of
   mini-batch SGD on its own rows (``partial_fit``), all blocks in parallel on
   the workers that hold them;
2. the driver mixes the copies into one model (the estimators' ``mix`` method,
   with :func:`mix_states`): the iterate is the mean of the block iterates
   weighted by the rows each block holds, the Polyak average is the average over
   every step of every block.

That is iterative parameter mixing (McDonald, Hall and Mann, 2010; Zinkevich
et al., 2010): unlike ``dask_ml.wrappers.Incremental``, which visits the blocks
one after the other on one worker, all blocks train at the same time, and only
the model (``n_features x n_outputs`` numbers) travels between rounds. Rounds
stop like epochs of ``fit``: after ``max_iter`` rounds or when the mixed
training objective has not improved by ``tol`` for ``n_iter_no_change`` rounds
(the estimator's own parameters).

One model is trained per block: use about as many blocks as worker threads
(``X.rechunk`` / ``repartition``). Blocks of very different sizes are fine (the
mixing weights follow the rows), blocks of a few rows are not (each block sizes
its own steps from its rows).

Needs the ``dask`` extra (``pip install sklosses[dask]``). Works with any Dask
scheduler: on a ``distributed`` cluster when a ``Client`` is active, else on
local threads.
"""

import copy
import time
import warnings

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning

from ._engine import SGDState, TrainingConfig


def fit_parameter_mixing(estimator, X, y, *, sample_weight=None, classes=None):
    """Fit ``estimator`` on Dask data, all blocks in parallel, by parameter mixing.

    Parameters
    ----------
    estimator : SGDRegressor or SGDClassifier
        An unfitted sklosses estimator; its ``max_iter``, ``tol`` and
        ``n_iter_no_change`` bound the number of rounds. It is not modified.
    X : dask array of shape (n_samples, n_features) or dask DataFrame
        Blocks of rows (``X.chunks[0]`` or the partitions); a dask array is
        re-chunked to one block of columns.
    y : dask array, dask Series/DataFrame or array-like
        Targets, split into blocks of rows like ``X`` (dask arrays are
        re-chunked to ``X``'s row blocks; dask frames must have ``X``'s
        number of partitions). An array in memory (e.g. numpy) is split
        into the row blocks of a dask array ``X``.
    sample_weight : dask array, dask Series or array-like, optional
        Split like ``y``.
    classes : array-like, optional
        The class labels of a classifier; found with one pass over ``y`` when
        not given (hard labels). That pass also counts the classes, so
        ``class_weight="balanced"`` (which ``partial_fit`` alone cannot do)
        works: the returned model holds the weights
        ``n_samples / (n_classes * count)`` as a dict.

    Returns
    -------
    fitted : estimator
        A fitted clone of ``estimator`` (the mixed model); ``n_iter_`` is the
        number of rounds and ``loss_curve_`` the mixed training objective of
        each round.

    Examples
    --------
    >>> import dask.array as da
    >>> from sklosses import SGDRegressor
    >>> from sklosses.parallel import fit_parameter_mixing
    >>> X = da.random.default_rng(0).normal(size=(4000, 3), chunks=(1000, 3))
    >>> y = X @ da.from_array([1.0, -2.0, 0.5]) + 3
    >>> model = fit_parameter_mixing(SGDRegressor(random_state=0), X, y)
    >>> model.coef_.round(2), model.intercept_.round(2)
    (array([ 1. , -2. ,  0.5]), array([3.]))
    """
    import dask

    if getattr(estimator, "early_stopping", False):
        raise ValueError(
            "fit_parameter_mixing does not hold out a validation set: set "
            "early_stopping=False (rounds stop on the training objective, see tol)."
        )
    X, y, sample_weight = dask.persist(*_aligned(X, y, sample_weight))
    blocks = list(
        zip(*(_row_blocks(part, _n_blocks(X)) for part in (X, y, sample_weight)), strict=True)
    )
    model = clone(estimator)
    balanced = isinstance(getattr(estimator, "class_weight", None), str) and (
        estimator.class_weight == "balanced"
    )
    if is_classifier(estimator) and y.ndim == 1 and (classes is None or balanced):
        labels, counts = _label_counts([y_block for _, y_block, _ in blocks])
        classes = labels if classes is None else classes
        if balanced:
            model.set_params(
                class_weight=dict(
                    zip(labels.tolist(), counts.sum() / (len(labels) * counts), strict=True)
                )
            )

    workers = _holders(X, [X_block for X_block, _, _ in blocks])
    stopping = TrainingConfig(
        max_iter=estimator.max_iter, tol=estimator.tol, n_iter_no_change=estimator.n_iter_no_change
    ).stopping()
    start_time = time.perf_counter()
    for rounds in range(1, estimator.max_iter + 1):
        tasks = []
        for (X_block, y_block, weight_block), worker in zip(blocks, workers, strict=True):
            with dask.annotate(**worker):
                tasks.append(
                    dask.delayed(_train_on_block, pure=False)(
                        model, X_block, y_block, weight_block, classes
                    )
                )
        trained = dask.compute(*tasks)
        copies, weights = zip(*trained, strict=True)
        model = model.mix(copies, weights)
        if estimator.verbose:
            print(
                f"-- Round {rounds}: objective {model.loss_curve_[-1]:.6g} over "
                f"{len(blocks)} blocks, elapsed {time.perf_counter() - start_time:.2f} s",
                flush=True,
            )
        if stopping.stalled(-model.loss_curve_[-1]):
            return model
    if estimator.tol is not None:
        warnings.warn(
            f"Maximum number of rounds (max_iter={estimator.max_iter}) reached "
            "before the stopping criterion; consider increasing max_iter.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return model


def _label_counts(y_blocks):
    """The labels of all blocks and their counts (one pass over ``y``)."""
    import dask

    per_block = dask.compute(
        *(dask.delayed(np.unique)(y_block, return_counts=True) for y_block in y_blocks)
    )
    labels = np.unique(np.concatenate([block_labels for block_labels, _ in per_block]))
    counts = np.zeros(len(labels))
    for block_labels, block_counts in per_block:
        counts[np.searchsorted(labels, block_labels)] += block_counts
    return labels, counts


def _holders(X, X_blocks):
    """Per block of the persisted ``X``, the annotation that keeps its training on
    the worker holding it.

    On a ``distributed`` cluster the scheduler otherwise moves tasks, and so
    whole blocks, between workers now and then (two blocks even swapped
    workers in one round): a transfer that costs several epochs. The
    restriction is loose (``allow_other_workers``), so a block whose worker
    is lost still trains where Dask recomputes it. Empty annotations without
    a cluster.
    """
    try:
        from distributed import get_client, wait

        client = get_client()
    except (ImportError, ValueError):
        return [{}] * len(X_blocks)
    wait(X)
    holders = client.who_has()
    return [
        {"workers": list(holders[block.key]), "allow_other_workers": True}
        if holders.get(block.key)
        else {}
        for block in X_blocks
    ]


def _train_on_block(model, X, y, sample_weight, classes):
    """One epoch on one block from a copy of ``model``; the copy and the block's weight."""
    model = copy.deepcopy(model)
    fit_params = {} if classes is None else {"classes": classes}
    model.partial_fit(X, y, sample_weight=sample_weight, **fit_params)
    weight = len(y) if sample_weight is None else float(np.sum(sample_weight))
    return model, weight


def _aligned(X, y, sample_weight):
    """``X`` as one block of columns and ``y``/``sample_weight`` in its row blocks."""
    import dask.array as da

    if not hasattr(X, "to_delayed"):
        raise TypeError(
            f"fit_parameter_mixing trains on Dask collections (dask array or DataFrame); "
            f"got {type(X).__name__}. For data in memory call estimator.fit."
        )
    y, sample_weight = (
        _in_blocks_of(X, part, name) for part, name in ((y, "y"), (sample_weight, "sample_weight"))
    )
    if isinstance(X, da.Array):
        X = X.rechunk({1: -1}) if X.ndim == 2 else X
        y, sample_weight = (
            part.rechunk((X.chunks[0],) + ((-1,) if part.ndim == 2 else ()))
            if isinstance(part, da.Array)
            else part
            for part in (y, sample_weight)
        )
        X, y, sample_weight = (
            part.map_blocks(_item_aligned, dtype=part.dtype) if isinstance(part, da.Array) else part
            for part in (X, y, sample_weight)
        )
    for name, part in (("y", y), ("sample_weight", sample_weight)):
        if part is not None and _n_blocks(part) != _n_blocks(X):
            raise ValueError(
                f"{name} has {_n_blocks(part)} blocks of rows and X has {_n_blocks(X)}: "
                "split them alike (same chunks or partitions)."
            )
    return X, y, sample_weight


def _in_blocks_of(X, part, name):
    """``part`` (``y`` or ``sample_weight``), an array in memory made a dask array in the
    row blocks of the dask array ``X``; a Dask collection or None as it is."""
    import dask.array as da

    if part is None or hasattr(part, "to_delayed"):
        return part
    if not isinstance(X, da.Array):
        raise TypeError(
            f"{name} must be a Dask collection split like X, a dask DataFrame, whose "
            f"partitions give the rows; got {type(part).__name__}. Take it from the same "
            "DataFrame (e.g. a column of it) or pass X as a dask array."
        )
    part = np.asarray(part)
    if np.isnan(X.shape[0]):
        raise ValueError(
            f"{name} is in memory but X's blocks have unknown sizes: call "
            "X.compute_chunk_sizes() first, or pass a dask array split like X."
        )
    if len(part) != X.shape[0]:
        raise ValueError(f"{name} has {len(part)} rows and X has {X.shape[0]}.")
    return da.from_array(part, chunks=(X.chunks[0],) + (-1,) * (part.ndim - 1))


def _item_aligned(block):
    """``block``, or an aligned copy of it if its address is not a multiple of its
    item size.

    Blocks sent from the client arrive as views of a message buffer at any
    address, and a BLAS product on such an unaligned array runs ~6x slower:
    those are copied once (blocks made on the workers are already aligned and
    are not). Labels of object dtype stay as they are.
    """
    if block.dtype.hasobject or block.flags.aligned:
        return block
    return block.copy()


def _n_blocks(collection):
    return getattr(collection, "npartitions", None) or collection.numblocks[0]


def _row_blocks(collection, n_blocks):
    """One delayed object per block of rows (``None`` for every block of ``None``)."""
    if collection is None:
        return [None] * n_blocks
    blocks = collection.to_delayed()
    return blocks.ravel().tolist() if isinstance(blocks, np.ndarray) else list(blocks)


def mix_states(start, states, weights):
    """One state from ``states`` trained in parallel from ``start`` (parameter mixing).

    Each state ran SGD on its own share of the data from the common ``start``
    (or from scratch when ``start`` is None). In the coordinates of the model
    (``coef``, ``intercept``), whatever each state's preconditioner:

    * iterate: the mean of the iterates, weighted by ``weights`` (the share of
      the data each state saw) -- McDonald et al. (2010), *Distributed
      training strategies for the structured perceptron*;
    * Polyak average: the average over every averaged step of every state.
      State ``k`` averaged ``n_k = N + m_k`` steps into ``A_k``, ``N`` and
      ``A`` those of ``start``, so the average over all steps is
      ``(sum_k n_k A_k - (K - 1) N A) / (sum_k n_k - (K - 1) N)``;
    * ``t``: the samples seen by all states; ``epochs_seen``: one more round;
      ``loss_curve``: the weighted mean of the states' last objectives;
      ``eta``: the smallest; ``curvature``: the weighted mean; ``alpha``: that of
      any state (they share it).

    The mixed state keeps the preconditioner of the state of largest weight
    (any preconditioner represents the same model).

    Parameters
    ----------
    start : SGDState or None
        The state every one of ``states`` started from; None when they started
        from scratch.
    states : sequence of SGDState
        The trained states, with coefficients of the same shape and dtype.
    weights : array-like of shape (len(states),)
        Non-negative, with a positive sum (normalised here): the share of the data
        each state saw.

    Returns
    -------
    SGDState
        A new state; ``start`` and ``states`` are not modified.
    """
    weights = np.asarray(weights, dtype=float) / np.sum(weights)
    main = states[int(np.argmax(weights))]
    models = [state.preconditioner.coefficients(state.coef, state.intercept) for state in states]
    coef = sum(w * model[0] for w, model in zip(weights, models, strict=True))
    intercept = sum(w * model[1] for w, model in zip(weights, models, strict=True))
    mixed = SGDState.zeros(
        *main.coef.shape,
        main.coef.dtype,
        eta=min(state.eta for state in states),
        preconditioner=main.preconditioner,
    )
    mixed.start_from(coef, intercept)
    mixed.curvature = float(np.dot(weights, [state.curvature for state in states]))
    mixed.alpha = main.alpha
    start_t, start_averaged = (1.0, 0) if start is None else (start.t, start.n_averaged)
    mixed.t = start_t + sum(state.t - start_t for state in states)
    mixed.epochs_seen = max(state.epochs_seen for state in states)
    mixed.loss_curve = ([] if start is None else list(start.loss_curve)) + [
        float(np.dot(weights, [state.loss_curve[-1] for state in states]))
    ]
    n_averaged = sum(state.n_averaged for state in states) - (len(states) - 1) * start_averaged
    if n_averaged > 0:
        averaged = [(state.n_averaged, *state.model()) for state in states if state.n_averaged]
        if start_averaged:
            averaged.append((-(len(states) - 1) * start_averaged, *start.model()))
        average_coef = sum(count * coef for count, coef, _ in averaged) / n_averaged
        average_intercept = sum(count * intercept for count, _, intercept in averaged)
        mixed.average_coef, mixed.average_intercept = (
            part.astype(main.coef.dtype)
            for part in main.preconditioner.parameters(average_coef, average_intercept / n_averaged)
        )
        mixed.n_averaged = n_averaged
    return mixed
