"""
Imbalanced classification: log loss vs focal loss vs class weights
==================================================================

``make_classification`` draws a binary problem in which about 3% of the
samples are positive. Three ``SGDClassifier`` models (default settings inside
a ``StandardScaler`` pipeline) are compared on a stratified test split:

* plain ``log_loss``;
* ``FocalLoss(gamma=2, alpha=0.75)``, which down-weights the easy, confidently
  classified samples (mostly negatives) and gives the positives weight 0.75;
* ``log_loss`` with ``class_weight="balanced"``, which reweights the classes
  by their inverse frequency.

The script prints each model's average precision (the area under the
precision-recall curve, threshold-free) and its precision and recall at the
default decision threshold (probability 0.5). Reweighting moves the operating
point at 0.5 towards higher recall and lower precision; it does not improve
the ranking (average precision), so a tuned threshold on the plain log-loss
model is a fair alternative. It saves the three precision-recall curves on one
figure, with the threshold-0.5 points marked.

Run: ``python examples/imbalanced_classification.py [imbalanced_classification.png]``
(needs matplotlib: ``pip install "sklosses[plot]"``)
"""

import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit('This example needs matplotlib: pip install "sklosses[plot]"')

from sklearn.datasets import make_classification
from sklearn.metrics import (
    PrecisionRecallDisplay,
    average_precision_score,
    precision_score,
    recall_score,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklosses import SGDClassifier
from sklosses.losses import FocalLoss


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "imbalanced_classification.png"
    X, y = make_classification(
        n_samples=20000,
        n_features=20,
        n_informative=5,
        n_redundant=5,
        weights=[0.975],
        flip_y=0.01,
        class_sep=0.8,
        random_state=0,
    )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=0
    )
    print(
        f"{len(y)} samples, {y.mean():.1%} positive; "
        f"test split: {len(y_test)} samples, {y_test.sum()} positives\n"
    )

    models = {
        "log_loss": SGDClassifier(loss="log_loss", random_state=0),
        "focal (gamma=2, alpha=0.75)": SGDClassifier(
            loss=FocalLoss(gamma=2, alpha=0.75), random_state=0
        ),
        "log_loss, balanced": SGDClassifier(
            loss="log_loss", class_weight="balanced", random_state=0
        ),
    }
    width = max(map(len, models)) + 2
    print(f"{'model':<{width}}{'avg precision':>14}{'precision@0.5':>15}{'recall@0.5':>12}")
    fig, ax = plt.subplots(figsize=(7, 5))
    for name, classifier in models.items():
        model = make_pipeline(StandardScaler(), classifier).fit(X_train, y_train)
        scores = model.predict_proba(X_test)[:, 1]
        predicted = (scores >= 0.5).astype(int)
        ap = average_precision_score(y_test, scores)
        precision = precision_score(y_test, predicted, zero_division=0)
        recall = recall_score(y_test, predicted)
        print(f"{name:<{width}}{ap:>14.3f}{precision:>15.3f}{recall:>12.3f}")
        PrecisionRecallDisplay.from_predictions(y_test, scores, name=name, ax=ax)
        ax.plot(recall, precision, "o", color=ax.lines[-1].get_color(), markersize=7)
    ax.axhline(
        y_test.mean(), color="0.5", ls=":", lw=1, label=f"chance (prevalence {y_test.mean():.3f})"
    )
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title("Precision-recall on a 3%-positive test set (dots: threshold 0.5)")
    ax.set_aspect("auto")
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"\nfigure saved to {path}")


if __name__ == "__main__":
    main()
