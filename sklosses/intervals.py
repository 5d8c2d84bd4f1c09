"""Prediction intervals: several quantiles trained together, never crossing."""

import numpy as np
from sklearn.base import RegressorMixin

from .linear_model import _COMMON_ATTRIBUTES_DOC, _COMMON_PARAMETERS_DOC, _BaseSGD
from .losses import MultiQuantileLoss


class MultiQuantileRegressor(RegressorMixin, _BaseSGD):
    __doc__ = f"""Linear quantile regression for several quantiles at once, by mini-batch SGD.

    One engine run trains one output per quantile under
    :class:`~sklosses.losses.MultiQuantileLoss` (the pinball loss of quantile
    ``q_k`` on output ``k``), so the data is read once per epoch for all
    quantiles. Predictions never cross: each row of :meth:`predict` is sorted
    (the rearrangement of Chernozhukov, Fernandez-Val and Galichon, 2010,
    which can only move each quantile prediction closer to the truth).

    Parameters
    ----------
    quantiles : sequence of float in (0, 1), default=(0.05, 0.5, 0.95)
        Increasing quantile levels.
    {_COMMON_PARAMETERS_DOC}
    Attributes
    ----------
    coef_ : ndarray of shape (n_quantiles, n_features)
    intercept_ : ndarray of shape (n_quantiles,)
    {_COMMON_ATTRIBUTES_DOC}
    Examples
    --------
    >>> import numpy as np
    >>> from sklosses.intervals import MultiQuantileRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2000, 2))
    >>> y = X @ [1.0, 2.0] + rng.normal(size=2000)
    >>> model = MultiQuantileRegressor(quantiles=(0.05, 0.95), random_state=0).fit(X, y)
    >>> low, high = model.predict(X).T
    >>> bool(0.85 < np.mean((low <= y) & (y <= high)) < 0.95)
    True
    """

    _loss_tasks = ("regression",)

    def __init__(
        self,
        quantiles=(0.05, 0.5, 0.95),
        *,
        penalty="l2",
        alpha="auto",
        l1_ratio=0.15,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-3,
        shuffle=True,
        verbose=0,
        random_state=None,
        learning_rate="auto",
        eta0=0.01,
        power_t=0.25,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        warm_start=False,
        average="auto",
        batch_size="auto",
        scoring=None,
        solver="auto",
    ):
        self.quantiles = quantiles
        super().__init__(
            penalty=penalty,
            alpha=alpha,
            l1_ratio=l1_ratio,
            fit_intercept=fit_intercept,
            max_iter=max_iter,
            tol=tol,
            shuffle=shuffle,
            verbose=verbose,
            random_state=random_state,
            learning_rate=learning_rate,
            eta0=eta0,
            power_t=power_t,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            warm_start=warm_start,
            average=average,
            batch_size=batch_size,
            scoring=scoring,
            solver=solver,
        )

    def _validated_loss(self):
        return MultiQuantileLoss(quantiles=self.quantiles).validate()

    def _encode_targets(self, y, classes, first_call, loss):
        """The target repeated once per quantile."""
        y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
        return np.repeat(y, len(loss.quantiles), axis=1)

    def _apply_class_weight(self, y, sample_weight, partial):
        return sample_weight

    def _set_coefficients(self, coef, intercept):
        self.coef_ = coef.T.copy()
        self.intercept_ = intercept.copy()

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch of SGD on ``(X, y)``, continuing from the previous call."""
        return self._fit(X, y, sample_weight, partial=True)

    def predict(self, X):
        """Quantile predictions, shape (n_samples, n_quantiles), sorted along each row."""
        X = self._validate_data_for_predict(X)
        return np.sort(X @ self.coef_.T + self.intercept_, axis=1)

    def score(self, X, y, sample_weight=None):
        """Minus the mean pinball loss over the quantiles (greater is better)."""
        raw = self.predict(X)
        targets = np.repeat(np.asarray(y, dtype=np.float64).reshape(-1, 1), raw.shape[1], axis=1)
        per_sample = self._loss.loss(targets, raw).mean(axis=1)
        return -float(np.average(per_sample, weights=sample_weight))
