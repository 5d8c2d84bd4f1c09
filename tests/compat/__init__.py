"""scikit-learn's own SGD tests run against sklosses (see sklearn_sgd.py)."""
