"""Metric learning: TripletMetricLearner against NeighborhoodComponentsAnalysis and plain
k-NN, side by side in one run.

On digits, wine and breast_cancer (a stratified 75/25 split with ``random_state=0``,
standardised on the training part): the fit time and the 5-NN test accuracy of plain
k-NN on the standardised features, of k-NN after
``NeighborhoodComponentsAnalysis(random_state=0)`` and after ``TripletMetricLearner``
at its defaults (``random_state=0``), with the time ratio of the two metric learners;
and, as the evidence for the learner's stopping defaults (``tol=1e-2``,
``n_iter_no_change=3``), the learner with scikit-learn's SGD stopping rule
(``tol=1e-3, n_iter_no_change=5``). Times are medians of ``--repeats`` fits, the
models' fits taken in turn so that a change of load on the machine hits them all, with
BLAS on one thread (on a loaded machine the threads of a multi-threaded BLAS wait on each
other: NCA's 8 ms on wine become 40-100 ms).

    python benchmarks/metric_learning.py [--repeats 10]
"""

import argparse
import os
import statistics
import time

from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier, NeighborhoodComponentsAnalysis
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklosses import TripletMetricLearner

DATASETS = {"digits": load_digits, "wine": load_wine, "breast_cancer": load_breast_cancer}
MODELS = {
    "NCA": lambda: NeighborhoodComponentsAnalysis(random_state=0),
    "TripletMetricLearner": lambda: TripletMetricLearner(random_state=0),
    # the learner with scikit-learn's SGD stopping rule: what its defaults are chosen against
    "  tol=1e-3, no_change=5": lambda: TripletMetricLearner(
        tol=1e-3, n_iter_no_change=5, random_state=0
    ),
}


def timed_fits(X, y, repeats):
    """The last fitted model of each of ``MODELS`` and its median fit time over
    ``repeats`` fits, the models fitted in turn."""
    times = {label: [] for label in MODELS}
    models = {}
    with threadpool_limits(limits=1):
        for _ in range(repeats):
            for label, make in MODELS.items():
                model = make()
                start = time.perf_counter()
                models[label] = model.fit(X, y)
                times[label].append(time.perf_counter() - start)
    return {label: (models[label], statistics.median(times[label])) for label in MODELS}


def knn_accuracy(X_train, X_test, y_train, y_test):
    return KNeighborsClassifier(5).fit(X_train, y_train).score(X_test, y_test)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    repeats = parser.parse_args().repeats
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"metric learning: 5-NN test accuracy and fit time (median of {repeats} fits, "
        f"BLAS on one thread, load average {load})"
    )
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
        fitted = timed_fits(X_train, y_train, repeats)
        for label, (model, seconds) in fitted.items():
            accuracy = knn_accuracy(
                model.transform(X_train), model.transform(X_test), y_train, y_test
            )
            extra = f"  ({model.n_iter_} epochs)" if label != "NCA" else ""
            print(f"{'':<30}  {label:<24}{seconds:>8.4f}{accuracy:>10.4f}{extra}")
        ratio = fitted["TripletMetricLearner"][1] / fitted["NCA"][1]
        print(f"{'':<30}  time ratio TripletMetricLearner / NCA: {ratio:.2f}")


if __name__ == "__main__":
    main()
