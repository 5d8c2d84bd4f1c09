"""Input checks shared by the estimators and the metrics."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import check_array, check_random_state


def check_sample_weight(
    sample_weight, n_samples, dtype=np.float64, *, positive_sum=False, name="sample_weight"
):
    """Sample weights as a finite, non-negative array of shape (n_samples,).

    ``None`` stays ``None`` and a number is repeated ``n_samples`` times.
    ``positive_sum=True`` also refuses weights that sum to zero. ``name`` is what
    the messages call the weights (``"class_weight"`` for the weights of classes).
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, Real):
        sample_weight = np.full(n_samples, sample_weight)
    sample_weight = check_array(sample_weight, ensure_2d=False, dtype=dtype, input_name=name)
    if sample_weight.shape != (n_samples,):
        raise ValueError(f"{name} has shape {sample_weight.shape}, expected ({n_samples},).")
    if (sample_weight < 0).any():
        raise ValueError(f"{name} must be non-negative.")
    if positive_sum and not sample_weight.sum() > 0:
        raise ValueError("sample_weight sums to zero: the weighted mean is undefined.")
    return sample_weight


def check_probability_rows(Y, name="Soft labels"):
    """Refuse a matrix of class probabilities (soft labels) whose rows are not distributions.

    Each row must be non-negative and sum to 1 (to within ``1e-6``, what a CSV
    or a float32 computation keeps of it).

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_classes)
        The class probabilities.
    name : str, default="Soft labels"
        What the error message calls them.
    """
    if (Y < 0).any() or not np.allclose(Y.sum(axis=1), 1, atol=1e-6):
        raise ValueError(f"{name} must be non-negative rows that sum to 1.")


def random_generator(random_state):
    """The numpy ``Generator`` of scikit-learn's ``random_state``.

    An int seeds the generator directly (seeding a ``RandomState`` first costs more
    than a whole fit on a small data set); None or a ``RandomState`` gives a seed drawn
    from it, so ``np.random.seed`` still makes ``random_state=None`` reproducible, as in
    scikit-learn.

    Parameters
    ----------
    random_state : int, RandomState or None

    Returns
    -------
    numpy.random.Generator
    """
    if isinstance(random_state, Integral):
        return np.random.default_rng(int(random_state))
    return np.random.default_rng(check_random_state(random_state).randint(np.iinfo(np.int32).max))
