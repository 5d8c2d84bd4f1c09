"""
Quickstart: train every registered loss and score it under every metric
=======================================================================

Two datasets that ship with scikit-learn (diabetes for regression, breast
cancer for classification) are split into train and test halves; one
``SGDRegressor``/``SGDClassifier`` is trained per loss, with default settings
inside a ``StandardScaler`` pipeline, and the held-out mean of every loss of
the same task is printed (lower is better; ``*`` marks the best per column).

Run: ``python examples/quickstart.py``
"""

import time

from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklosses import SGDClassifier, SGDRegressor
from sklosses.losses import LOSSES
from sklosses.metrics import mean_loss


def loss_table(tasks, X, y):
    """Rows: the loss trained with; columns: held-out mean of every loss of the tasks."""
    names = [name for name, loss_class in LOSSES.items() if loss_class().task in tasks]
    task = tasks[0]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
    estimator = SGDRegressor if task == "regression" else SGDClassifier
    rows = {}
    for name in names:
        start = time.perf_counter()
        model = make_pipeline(StandardScaler(), estimator(loss=name, random_state=0))
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        output = model.predict(X_test) if task == "regression" else model.decision_function(X_test)
        scores = {metric: mean_loss(metric, y_test, output) for metric in names}
        scores["R2" if task == "regression" else "accuracy"] = model.score(X_test, y_test)
        rows[name] = (scores, seconds)
    return rows


def print_table(title, rows):
    columns = list(next(iter(rows.values()))[0])
    best = {
        column: (max if column in ("R2", "accuracy") else min)(
            scores[column] for scores, _ in rows.values()
        )
        for column in columns
    }
    first = max(len("trained with"), *map(len, rows)) + 2
    widths = {column: max(len(column), 9) + 2 for column in columns}
    print(
        f"\n{title}\n"
        + "trained with".ljust(first)
        + "".join(column.rjust(widths[column]) for column in columns)
        + "fit s".rjust(8)
    )
    for name, (scores, seconds) in rows.items():
        cells = "".join(
            (f"{scores[column]:.4g}" + ("*" if scores[column] == best[column] else " ")).rjust(
                widths[column]
            )
            for column in columns
        )
        print(name.ljust(first) + cells + f"{seconds:8.3f}")


def main():
    X, y = load_diabetes(return_X_y=True)
    print_table(
        "Regression: diabetes (221 train / 221 test rows), held-out mean loss",
        loss_table(("regression",), X, y),
    )
    X, y = load_breast_cancer(return_X_y=True)
    print_table(
        "Binary classification: breast cancer (284 / 285 rows), held-out mean loss",
        loss_table(("binary", "multiclass"), X, y),
    )


if __name__ == "__main__":
    main()
