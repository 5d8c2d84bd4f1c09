"""Checks of a loss's gradient against finite differences (its parameters are checked by
``Loss.validate`` against their declared constraints)."""

import numpy as np


def _moves(scope, shape):
    """Boolean masks of the raw predictions moved together in a finite difference: each
    masked entry changes only its own value of a loss of this scope."""
    if scope == "sample":  # rows are separate: move one column of every row at once
        for k in range(shape[-1]):
            yield np.broadcast_to(np.arange(shape[-1]) == k, shape)
        return
    for index in np.ndindex(shape):  # a batch statistic: one raw prediction at a time
        move = np.zeros(shape, dtype=bool)
        move[index] = True
        yield move


def _finite_differences(values, raw, scope):
    """Central differences ``(values(raw + h) - values(raw - h)) / 2h`` with ``h =
    eps**(1/3) max(1, |raw|)``: the derivative of each value in its raw predictions.

    ``values`` returns values of a loss of ``scope``, which broadcast against ``raw``.
    Scope ``"element"`` moves every entry at once; the others one group of
    :func:`_moves` at a time.
    """
    step = np.cbrt(np.finfo(raw.dtype).eps) * np.maximum(1, np.abs(raw))
    if scope == "element":
        return (values(raw + step) - values(raw - step)) / (2 * step)
    derivative = np.empty_like(raw)
    for move in _moves(scope, raw.shape):
        shift = np.where(move, step, 0)
        change = np.broadcast_to(values(raw + shift) - values(raw - shift), raw.shape)
        derivative[move] = change[move] / (2 * step[move])
    return derivative


def check_gradient(loss, y_true, raw_prediction, *, sample_weight=None, rtol=1e-4):
    """Compare a loss's analytic gradient with central finite differences of its values.

    For scopes ``"element"`` and ``"sample"``, ``gradient`` against differences
    of ``loss``; for a batch-level loss, ``weighted_gradient`` against
    differences of ``weighted_sums`` (the batch value times the total weight),
    one raw prediction at a time.

    Parameters
    ----------
    loss : Loss
        The loss to check.
    y_true, raw_prediction : ndarray
        Points at which to compare (float64 gives the most precise check).
    sample_weight : ndarray of shape (n_rows,), default=None
        Weights, used by batch-level losses only.
    rtol : float, default=1e-4
        Largest accepted ``max |g - g_fd| / max(1, max |g_fd|)``.

    Returns
    -------
    float
        That relative error.

    Raises
    ------
    ValueError
        If the error exceeds ``rtol``, or a loss of scope ``"element"`` gives values
        not shaped like the raw predictions (a coupled loss, such as a softmax,
        must declare scope ``"sample"``).
    """
    raw = np.asarray(raw_prediction, dtype=np.float64)
    if loss.scope == "batch":
        analytic = loss.weighted_gradient(y_true, raw, sample_weight)

        def values(moved):
            return loss.weighted_sums(y_true, moved, sample_weight)
    else:
        analytic = loss.gradient(y_true, raw)

        def values(moved):
            return loss.loss(y_true, moved)

        # An element-scope difference moves every entry at once, which is right only if
        # each value depends on its own entry: a loss whose rows' values couple the
        # columns (a softmax) must say so, or every check of it would fail.
        if loss.scope == "element" and np.shape(values(raw)) != raw.shape:
            raise ValueError(
                f"{loss!r} has scope 'element' (one value per raw prediction) but its loss "
                f"returns values of shape {np.shape(values(raw))} for raw predictions of "
                f"shape {raw.shape}: a loss coupling the columns of a row declares "
                "scope = 'sample' (one value per row, of shape (n_rows, 1))."
            )

    numeric = _finite_differences(values, raw, loss.scope)
    error = float(np.max(np.abs(analytic - numeric)) / max(1.0, float(np.max(np.abs(numeric)))))
    if error > rtol:
        raise ValueError(
            f"The gradient of {loss!r} differs from finite differences of its "
            f"loss by {error:.3g} (relative), more than rtol={rtol}."
        )
    return error
