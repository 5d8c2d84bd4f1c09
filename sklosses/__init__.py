"""sklosses: scikit-learn linear models trained by mini-batch SGD over pluggable losses."""

from .linear_model import SGDClassifier, SGDRegressor

__version__ = "0.1.0"
__all__ = ["SGDClassifier", "SGDRegressor", "__version__"]
