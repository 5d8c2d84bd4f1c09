"""
Composite losses: focal + Dice for rare positives
=================================================

``FocalLoss() + DiceLoss()`` is a loss like any other: the focal loss ranks the samples
(it is a per-sample loss, down-weighting the easy negatives), and soft Dice, a statistic of
each mini-batch that tends to 1 - F1, moves the decision threshold towards F1 on the
rare class. The sum trains in ``SGDClassifier`` unchanged; its terms' parameters are tuned
as ``loss__focalloss__gamma``, ``loss__diceloss__smooth`` and ``loss__weights``.

Four binary problems drawn by ``make_classification`` with about 3% positives; each
model (default settings after a ``StandardScaler``) is trained on one half and scored on
the other: F1 at the default threshold and average precision (threshold-free). The script
prints both for focal alone, Dice alone and their sum, per data set and on average.

Run: ``python examples/composite_loss.py``
"""

import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklosses import SGDClassifier
from sklosses.losses import DiceLoss, FocalLoss


def main():
    losses = {"focal": FocalLoss(), "dice": DiceLoss(), "focal + dice": FocalLoss() + DiceLoss()}
    print(f"The composite loss: {losses['focal + dice']!r}\n")
    print(f"{'data set':>8}  {'loss':<14}{'F1':>7}{'avg precision':>15}")
    scores = {name: [] for name in losses}
    for seed in range(4):
        X, y = make_classification(
            n_samples=20000,
            n_features=20,
            n_informative=6,
            n_redundant=4,
            weights=[0.97],
            flip_y=0.01,
            class_sep=0.8,
            random_state=seed,
        )
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.5, stratify=y, random_state=0
        )
        for name, loss in losses.items():
            model = make_pipeline(StandardScaler(), SGDClassifier(loss=loss, random_state=0))
            model.fit(X_train, y_train)
            decision = model.decision_function(X_test)
            f1 = f1_score(y_test, model.predict(X_test))
            precision = average_precision_score(y_test, decision)
            scores[name].append((f1, precision))
            print(f"{seed:>8}  {name:<14}{f1:7.3f}{precision:15.3f}")
    print()
    for name, values in scores.items():
        f1, precision = np.mean(values, axis=0)
        print(f"{'mean':>8}  {name:<14}{f1:7.3f}{precision:15.3f}")


if __name__ == "__main__":
    main()
