"""Exact minimisers of the sklosses objective, and the standardised test problems:
the accuracy references of tests and benchmarks.

``mean_i loss(y_i, x_i w + b) + alpha/2 ||w||^2`` solved to high precision:
closed form for the squared loss, ``LogisticRegression`` for the log loss,
``QuantileRegressor`` (HiGHS) for pinball/absolute (unpenalised: the L2 term
with alpha=1e-4 moves the test loss by far less than the tolerances used),
and L-BFGS on a smoothed objective otherwise (hinge is smoothed with a
quadratic over a width driven down to 1e-6, warm-started).
"""

import numpy as np
from scipy.optimize import minimize
from sklearn.linear_model import LogisticRegression, QuantileRegressor
from sklearn.preprocessing import StandardScaler

from sklosses.losses import AbsoluteLoss, HingeLoss, LogLoss, QuantileLoss, SquaredLoss


def _lbfgs(loss_and_gradient, n_features, start=None):
    start = np.zeros(n_features + 1) if start is None else start
    result = minimize(
        loss_and_gradient,
        start,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 20000, "maxcor": 30, "gtol": 1e-11, "ftol": 1e-15},
    )
    return result.x[:-1], result.x[-1]


def _smooth_objective(loss_values, loss_gradient, X, y, alpha):
    n = X.shape[0]

    def objective(params):
        w, b = params[:-1], params[-1]
        raw = X @ w + b
        g = loss_gradient(y, raw) / n
        value = loss_values(y, raw).mean() + 0.5 * alpha * w @ w
        return value, np.append(X.T @ g + alpha * w, g.sum())

    return objective


def exact_solution(loss, X, y, alpha=1e-4):
    """(coef, intercept) minimising the objective for ``loss`` (y in {0,1} for binary)."""
    n, d = X.shape
    if type(loss) is SquaredLoss:
        Xc, yc = X - X.mean(0), y - y.mean()
        w = np.linalg.solve(2 * Xc.T @ Xc / n + alpha * np.eye(d), 2 * Xc.T @ yc / n)
        return w, y.mean() - X.mean(0) @ w
    if type(loss) in (AbsoluteLoss, QuantileLoss):
        q = getattr(loss, "quantile", 0.5)
        model = QuantileRegressor(quantile=q, alpha=0.0, solver="highs").fit(X, y)
        return model.coef_, model.intercept_
    if type(loss) is LogLoss:
        model = LogisticRegression(C=1 / (n * alpha), tol=1e-12, max_iter=10000).fit(X, y)
        return model.coef_.ravel(), model.intercept_[0]
    if type(loss) is HingeLoss:
        start = None
        t = 2 * y - 1
        for width in [1.0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6]:

            def values(y_, raw, width=width):
                margin = 1 - t * raw
                return np.where(
                    margin > width,
                    margin - width / 2,
                    np.where(margin > 0, margin**2 / (2 * width), 0),
                )

            def gradient(y_, raw, width=width):
                margin = 1 - t * raw
                return -t * np.clip(margin / width, 0, 1)

            w, b = _lbfgs(_smooth_objective(values, gradient, X, y, alpha), d, start)
            start = np.append(w, b)
        return w, b
    w, b = _lbfgs(_smooth_objective(loss.loss, loss.gradient, X, y, alpha), d)
    return w, b


def standardised_problem(n_samples, n_features, task, seed, intercept=0.5):
    """Correlated standardised features; train and test halves of ``n_samples`` rows.

    ``"regression"``: linear signal plus Student-t(3) noise; ``"binary"``: logistic
    labels, ``intercept`` setting the class balance; ``"counts"``: Poisson counts with
    log-mean ``1 + 0.7 x w / std(x w)``. Returns ``X, y, X_test, y_test``.
    """
    rng = np.random.default_rng(seed)
    mixing = 0.3 * rng.normal(size=(n_features, n_features)) + np.eye(n_features)
    X = StandardScaler().fit_transform(rng.standard_normal((2 * n_samples, n_features)) @ mixing)
    coef = rng.normal(size=n_features)
    if task == "regression":
        y = X @ coef + 2 + rng.standard_t(3, size=2 * n_samples)
    elif task == "counts":
        signal = X @ coef
        y = rng.poisson(np.exp(1 + 0.7 * signal / signal.std())).astype(float)
    else:
        logits = X @ coef * 2 / np.sqrt(n_features) + intercept
        y = (logits + rng.logistic(size=2 * n_samples) > 0).astype(np.float64)
    return X[:n_samples], y[:n_samples], X[n_samples:], y[n_samples:]
