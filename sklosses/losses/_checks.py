"""Checks of a loss: of its parameters, and of its gradient against finite differences."""

from numbers import Real

import numpy as np
from sklearn.utils.validation import check_scalar


def _check_parameter(value, name, min_val=None, max_val=None, include_boundaries="both"):
    """``check_scalar`` that reports any invalid value (NaN too) as a ``ValueError``."""
    if isinstance(value, Real) and np.isnan(value):
        raise ValueError(f"{name} must be a number, got nan.")
    try:
        check_scalar(
            value,
            name,
            Real,
            min_val=min_val,
            max_val=max_val,
            include_boundaries=include_boundaries,
        )
    except TypeError as error:
        raise ValueError(str(error)) from None


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
        If the error exceeds ``rtol``.
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

    numeric = _finite_differences(values, raw, loss.scope)
    error = float(np.max(np.abs(analytic - numeric)) / max(1.0, float(np.max(np.abs(numeric)))))
    if error > rtol:
        raise ValueError(
            f"The gradient of {loss!r} differs from finite differences of its "
            f"loss by {error:.3g} (relative), more than rtol={rtol}."
        )
    return error
