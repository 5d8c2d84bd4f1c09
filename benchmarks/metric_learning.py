"""Metric learning: TripletMetricLearner against NeighborhoodComponentsAnalysis and plain
k-NN, side by side in one run.

On digits, wine and breast_cancer (a stratified 75/25 split with ``random_state=0``,
standardised on the training part): the fit time and the 5-NN test accuracy of plain
k-NN on the standardised features, of k-NN after
``NeighborhoodComponentsAnalysis(random_state=0)`` and after ``TripletMetricLearner``
at its defaults (``random_state=0``), with the time ratio of the two metric learners.
Times are medians of ``--repeats`` fits.

    python benchmarks/metric_learning.py [--repeats 3]
"""

import argparse
import statistics
import time

from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier, NeighborhoodComponentsAnalysis
from sklearn.preprocessing import StandardScaler

from sklosses import TripletMetricLearner

DATASETS = {"digits": load_digits, "wine": load_wine, "breast_cancer": load_breast_cancer}


def timed_fit(make, X, y, repeats):
    """The last fitted model and the median fit time over ``repeats`` fits."""
    times = []
    for _ in range(repeats):
        model = make()
        start = time.perf_counter()
        model.fit(X, y)
        times.append(time.perf_counter() - start)
    return model, statistics.median(times)


def knn_accuracy(X_train, X_test, y_train, y_test):
    return KNeighborsClassifier(5).fit(X_train, y_train).score(X_test, y_test)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
    print(f"metric learning: 5-NN test accuracy and fit time (median of {repeats} fits)")
    header = f"{'data':<14}{'rows x features':>16}  {'model':<24}{'fit s':>8}{'5-NN acc':>10}"
    print(header)
    print("-" * len(header))
    for name, load in DATASETS.items():
        X, y = load(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        shape = f"{X_train.shape[0]} x {X_train.shape[1]}"
        plain = knn_accuracy(X_train, X_test, y_train, y_test)
        print(f"{name:<14}{shape:>16}  {'plain k-NN':<24}{'':>8}{plain:>10.4f}")
        rows = {}
        for label, make in (
            ("NCA", lambda: NeighborhoodComponentsAnalysis(random_state=0)),
            ("TripletMetricLearner", lambda: TripletMetricLearner(random_state=0)),
        ):
            model, seconds = timed_fit(make, X_train, y_train, repeats)
            accuracy = knn_accuracy(
                model.transform(X_train), model.transform(X_test), y_train, y_test
            )
            rows[label] = seconds
            extra = f"  ({model.n_iter_} epochs)" if label != "NCA" else ""
            print(f"{'':<30}  {label:<24}{seconds:>8.3f}{accuracy:>10.4f}{extra}")
        ratio = rows["TripletMetricLearner"] / rows["NCA"]
        print(f"{'':<30}  time ratio TripletMetricLearner / NCA: {ratio:.2f}")


if __name__ == "__main__":
    main()
