"""
Robust regression: squared vs Huber vs absolute loss on data with gross outliers
================================================================================

A 1-D linear problem ``y = 2 + 3 x + noise`` (noise standard deviation 1) has
10% of its training targets replaced by gross outliers (shifted upwards by 30
to 60). One ``SGDRegressor`` per loss is trained with default settings inside
a ``StandardScaler`` pipeline. The squared loss is pulled towards the
outliers, while the Huber and absolute losses grow only linearly in the
residual and so keep close to the true line. For each model the script prints
the mean absolute error on a clean test set and the error of the fitted
coefficients (slope and intercept, in the original units) against the true
ones. It also saves a figure of the data and the three fitted lines.

Run: ``python examples/robust_regression.py [robust_regression.png]``
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
from sklearn.metrics import mean_absolute_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklosses import SGDRegressor
from sklosses.losses import AbsoluteLoss, HuberLoss, SquaredLoss

TRUE_INTERCEPT, TRUE_SLOPE = 2.0, 3.0
OUTLIER_FRACTION = 0.10


def make_data(n_samples, rng, outlier_fraction=0.0):
    """Return ``X`` (n, 1), ``y`` and the boolean mask of the outliers."""
    x = rng.uniform(0, 10, n_samples)
    y = TRUE_INTERCEPT + TRUE_SLOPE * x + rng.normal(0, 1, n_samples)
    outliers = rng.random(n_samples) < outlier_fraction
    y[outliers] += rng.uniform(30, 60, outliers.sum())
    return x[:, None], y, outliers


def original_units(model):
    """Slope and intercept of a scaler + linear pipeline, in the units of ``x``."""
    scaler, regressor = model[0], model[-1]
    slope = regressor.coef_[0] / scaler.scale_[0]
    intercept = regressor.intercept_[0] - slope * scaler.mean_[0]
    return slope, intercept


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "robust_regression.png"
    rng = np.random.default_rng(0)
    X_train, y_train, outliers = make_data(400, rng, OUTLIER_FRACTION)
    X_test, y_test, _ = make_data(1000, rng)  # clean: no outliers

    losses = {"squared": SquaredLoss(), "huber": HuberLoss(delta=1.0), "absolute": AbsoluteLoss()}
    print(
        f"{outliers.sum()} of {len(y_train)} training targets are gross outliers; "
        f"true slope {TRUE_SLOPE}, intercept {TRUE_INTERCEPT}\n"
    )
    print(f"{'loss':<10}{'test MAE':>10}{'slope':>9}{'intercept':>11}{'coef error':>12}")
    lines = {}
    for name, loss in losses.items():
        model = make_pipeline(StandardScaler(), SGDRegressor(loss=loss, random_state=0))
        model.fit(X_train, y_train)
        mae = mean_absolute_error(y_test, model.predict(X_test))
        slope, intercept = original_units(model)
        error = np.hypot(slope - TRUE_SLOPE, intercept - TRUE_INTERCEPT)
        print(f"{name:<10}{mae:>10.3f}{slope:>9.3f}{intercept:>11.3f}{error:>12.3f}")
        lines[name] = (slope, intercept)
    print("\ncoef error: Euclidean distance of (slope, intercept) from the true values")

    fig, ax = plt.subplots(figsize=(7, 5))
    ax.scatter(X_train[~outliers, 0], y_train[~outliers], s=10, color="0.6", label="inliers")
    ax.scatter(
        X_train[outliers, 0],
        y_train[outliers],
        s=14,
        color="tab:red",
        marker="x",
        label="outliers (10%)",
    )
    grid = np.linspace(0, 10, 2)
    # Huber and absolute nearly coincide with the true line: wide, thin and dashed
    # strokes keep all of them visible.
    styles = {
        "squared": dict(color="tab:orange", lw=2.5),
        "huber": dict(color="tab:blue", lw=6, alpha=0.5),
        "absolute": dict(color="tab:green", lw=2.5, ls="-."),
    }
    for name, (slope, intercept) in lines.items():
        ax.plot(grid, intercept + slope * grid, label=f"{name} loss", **styles[name])
    ax.plot(grid, TRUE_INTERCEPT + TRUE_SLOPE * grid, "k:", lw=1.5, label="true line")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("SGDRegressor with 10% gross outliers: squared vs Huber vs absolute loss")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"figure saved to {path}")


if __name__ == "__main__":
    main()
