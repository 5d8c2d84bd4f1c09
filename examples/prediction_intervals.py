"""
Prediction intervals: a 90% band from one multi-quantile linear model
=====================================================================

The data are heteroscedastic, ``y = 1 + 0.5 x + (0.2 + 0.3 x) * noise`` with
standard normal noise and ``x`` in [0, 10]: the spread grows linearly with
``x``, so every conditional quantile of ``y`` is a straight line in ``x`` and a
linear quantile model fits exactly. ``MultiQuantileRegressor`` trains the
0.05, 0.5 and 0.95 quantiles in one SGD run (inside a ``StandardScaler``
pipeline); the band between the 0.05 and 0.95 predictions is a 90% prediction
interval whose width follows the noise. On held-out data the script prints the
empirical coverage of the band (target 0.90) and its mean width, overall and
for the low-``x`` and high-``x`` halves, plus the fitted and true slopes. It
saves a figure of the test points, the median and the band.

Run: ``python examples/prediction_intervals.py [prediction_intervals.png]``
(needs matplotlib: ``pip install "sklosses[plot]"``)
"""

import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit('This example needs matplotlib: pip install "sklosses[plot]"')

import numpy as np
from scipy.stats import norm
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklosses.intervals import MultiQuantileRegressor

QUANTILES = (0.05, 0.5, 0.95)


def make_data(n_samples, rng):
    x = rng.uniform(0, 10, n_samples)
    y = 1 + 0.5 * x + (0.2 + 0.3 * x) * rng.standard_normal(n_samples)
    return x[:, None], y


def true_quantile(x, q):
    return 1 + 0.5 * x + (0.2 + 0.3 * x) * norm.ppf(q)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "prediction_intervals.png"
    rng = np.random.default_rng(0)
    X_train, y_train = make_data(3000, rng)
    X_test, y_test = make_data(2000, rng)

    model = make_pipeline(
        StandardScaler(), MultiQuantileRegressor(quantiles=QUANTILES, random_state=0)
    )
    model.fit(X_train, y_train)
    low, median, high = model.predict(X_test).T
    inside = (low <= y_test) & (y_test <= high)
    width = high - low

    scaler, regressor = model[0], model[-1]
    slopes = regressor.coef_[:, 0] / scaler.scale_[0]
    print("quantile  fitted slope  true slope")
    for q, slope in zip(QUANTILES, slopes, strict=True):
        print(f"{q:>8}  {slope:>12.3f}  {0.5 + 0.3 * norm.ppf(q):>10.3f}")
    print(f"\n90% interval on {len(y_test)} held-out points (target coverage 0.90):")
    print(f"{'subset':<12}{'coverage':>10}{'mean width':>12}")
    x_test = X_test[:, 0]
    for name, mask in [
        ("all", np.ones_like(inside)),
        ("x < 5", x_test < 5),
        ("x >= 5", x_test >= 5),
    ]:
        print(f"{name:<12}{inside[mask].mean():>10.3f}{width[mask].mean():>12.3f}")
    true_width = np.mean(true_quantile(x_test, 0.95) - true_quantile(x_test, 0.05))
    print(f"mean width of the true 90% interval: {true_width:.3f}")

    order = np.argsort(x_test)
    x_sorted = x_test[order]
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.scatter(
        x_test[inside],
        y_test[inside],
        s=6,
        color="0.6",
        alpha=0.6,
        label="test points inside the band",
    )
    ax.scatter(
        x_test[~inside],
        y_test[~inside],
        s=10,
        color="tab:red",
        label="test points outside the band",
    )
    ax.fill_between(
        x_sorted,
        low[order],
        high[order],
        color="tab:blue",
        alpha=0.2,
        label="fitted 90% band (q 0.05 to 0.95)",
    )
    ax.plot(x_sorted, median[order], color="tab:blue", lw=2, label="fitted median")
    for q in (0.05, 0.95):
        ax.plot(
            x_sorted,
            true_quantile(x_sorted, q),
            "k--",
            lw=1,
            label="true 0.05 / 0.95 quantiles" if q == 0.05 else None,
        )
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(
        f"MultiQuantileRegressor 90% prediction interval (test coverage {inside.mean():.2f})"
    )
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"figure saved to {path}")


if __name__ == "__main__":
    main()
