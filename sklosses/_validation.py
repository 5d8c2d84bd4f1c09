"""Input checks shared by the estimators and the metrics."""

from numbers import Real

import numpy as np
from sklearn.utils.validation import check_array


def check_sample_weight(sample_weight, n_samples, dtype=np.float64, *, positive_sum=False):
    """Sample weights as a finite, non-negative array of shape (n_samples,).

    ``None`` stays ``None`` and a number is repeated ``n_samples`` times.
    ``positive_sum=True`` also refuses weights that sum to zero.
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, Real):
        sample_weight = np.full(n_samples, sample_weight)
    sample_weight = check_array(
        sample_weight, ensure_2d=False, dtype=dtype, input_name="sample_weight"
    )
    if sample_weight.shape != (n_samples,):
        raise ValueError(f"sample_weight has shape {sample_weight.shape}, expected ({n_samples},).")
    if (sample_weight < 0).any():
        raise ValueError("sample_weight must be non-negative.")
    if positive_sum and not sample_weight.sum() > 0:
        raise ValueError("sample_weight sums to zero: the weighted mean is undefined.")
    return sample_weight
