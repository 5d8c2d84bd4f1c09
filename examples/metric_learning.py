"""
Metric learning: k-NN on digits before and after a learned triplet-loss metric
==============================================================================

``TripletMetricLearner`` learns a linear map ``L`` such that, in the embedding
``L x``, each digit is closer to digits of its class than to the others by a
margin (the triplet loss over triplets mined in each mini-batch). The script
prints the 5-NN test accuracy on the standardised digits before and after the
learned metric, then learns a 2-D embedding (``n_components=2``, started from
the first two principal directions) and saves a scatter plot of the test
digits in it, next to the 2-D PCA start.

Run: ``python examples/metric_learning.py [metric_learning.png]``
(needs matplotlib: ``pip install "sklosses[plot]"``)
"""

import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit('This example needs matplotlib: pip install "sklosses[plot]"')

from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklosses import TripletMetricLearner


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "metric_learning.png"
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)

    before = make_pipeline(StandardScaler(), KNeighborsClassifier(5))
    after = make_pipeline(
        StandardScaler(), TripletMetricLearner(random_state=0), KNeighborsClassifier(5)
    )
    plain = before.fit(X_train, y_train).score(X_test, y_test)
    learned_metric = after.fit(X_train, y_train).score(X_test, y_test)
    print(f"5-NN accuracy, standardised digits: {plain:.4f}")
    print(f"5-NN accuracy, learned metric:      {learned_metric:.4f}")

    scaler = StandardScaler().fit(X_train)
    Z_train, Z_test = scaler.transform(X_train), scaler.transform(X_test)
    # ten classes in two dimensions keep gaining for dozens of epochs, in steps below the
    # default tol: stop on smaller gains (scikit-learn's SGD stopping rule)
    embedding = TripletMetricLearner(
        n_components=2, tol=1e-3, n_iter_no_change=5, random_state=0
    ).fit(Z_train, y_train)
    pca = PCA(2).fit(Z_train)
    knn = KNeighborsClassifier(5)
    start, learned = pca.transform(Z_test), embedding.transform(Z_test)
    pca_accuracy = knn.fit(pca.transform(Z_train), y_train).score(start, y_test)
    learned_accuracy = knn.fit(embedding.transform(Z_train), y_train).score(learned, y_test)
    print(f"5-NN accuracy in 2-D: PCA {pca_accuracy:.4f}, learned {learned_accuracy:.4f}")

    fig, axes = plt.subplots(1, 2, figsize=(11, 5))
    for ax, points, title in (
        (axes[0], start, "PCA of the standardised digits (the start)"),
        (axes[1], learned, "TripletMetricLearner(n_components=2)"),
    ):
        scatter = ax.scatter(points[:, 0], points[:, 1], c=y_test, cmap="tab10", s=12)
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(scatter, ax=axes, label="digit", ticks=range(10))
    fig.savefig(path, dpi=100)
    print(f"figure saved to {path}")


if __name__ == "__main__":
    main()
