"""The small array helpers the loss modules share: kink stacks, column sums, weight
columns, the capped exponential and the softplus."""

import numpy as np


def _kinks(*points):
    """Kink positions stacked on a new last axis, as floats."""
    return np.stack(np.broadcast_arrays(*(np.asarray(p, dtype=float) for p in points)), axis=-1)


def _column_sums(values):
    """Sums over the rows, one per column (the last axis; all of a 1-D array): shape
    ``(n_columns,)``."""
    columns = values.shape[-1] if values.ndim > 1 else 1
    return values.reshape(-1, columns).sum(axis=0)


def _weight_column(sample_weight, raw_prediction):
    """``sample_weight`` of shape ``(n_rows,)`` shaped to multiply values or gradients
    of ``raw_prediction``'s rows: ``(n_rows, 1)``, unchanged for a 1-D prediction."""
    if raw_prediction.ndim < 2:
        return np.asarray(sample_weight)
    return np.reshape(sample_weight, raw_prediction.shape[:-1] + (1,))


def _exp_cap(exponent):
    """Where :func:`_capped_exp` turns linear: 0.7 times the log of the largest
    float of the dtype (496.9 in float64, 62.1 in float32), as a Python float."""
    dtype = np.result_type(np.asarray(exponent), np.float16)  # float32 stays float32
    return 0.7 * float(np.log(np.finfo(dtype).max))


def _capped_exp(exponent):
    """``exp(exponent)``, continued linearly (same value and slope) beyond :func:`_exp_cap`.

    Convex, continuously differentiable, and finite without warnings for any
    exponent below 1e11 (float32) or 1e90 (float64). The cap is still large
    enough that a diverging SGD iterate overflows: a gradient of ``exp(cap)``
    sends raw predictions to that size, whose loss exceeds ``exp(2 cap)``, which
    is not a finite float; the engine then retries with a smaller step. Its
    derivative is ``exp(min(exponent, cap))``.
    """
    cap = _exp_cap(exponent)
    return np.exp(np.minimum(exponent, cap)) * (1 + np.maximum(exponent - cap, 0))


def _softplus(x):
    """``log(1 + exp(x))`` without overflow."""
    return np.logaddexp(0, x)
