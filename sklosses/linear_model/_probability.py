"""A classifier's class probabilities, from its loss's inverse link."""

import numpy as np
from sklearn.utils.metaestimators import available_if

from ..losses import get_loss


class ProbabilityMixin:
    """``predict_proba`` and ``predict_log_proba``, for a classification loss with a
    probability link (an inverse link): absent otherwise, as in scikit-learn.

    Placed before ``BaseSGD`` in the bases of a classifier with ``decision_function``.
    """

    def _has_probability(self):
        """The loss parameter is a classification loss with a probability link, and so is
        the loss the model was fitted with (if fitted); else an ``AttributeError`` in
        scikit-learn's words (``available_if`` chains it to its own)."""
        losses = [get_loss(self.loss)] + ([self._loss] if hasattr(self, "_loss") else [])
        # a regression loss (trained on -1/+1 targets) may have an inverse link, of a mean
        if not all(loss.task != "regression" and loss.inverse_link is not None for loss in losses):
            raise AttributeError(f"probability estimates are not available for loss={self.loss!r}")
        return True

    @available_if(_has_probability)
    def predict_proba(self, X):
        """Class probabilities from the loss's inverse link.

        Binary loss: ``[1 - p, p]``, and for more classes the one-vs-rest
        probabilities normalised to sum to one, as scikit-learn does. Multiclass
        loss: its inverse link (softmax) of the class scores.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        decision = self.decision_function(X)
        if decision.ndim == 1 and self._loss.task == "multiclass":
            decision = np.column_stack([np.zeros_like(decision), decision])
        probability = self._loss.inverse_link(decision)
        if probability.ndim == 1:
            return np.column_stack([1 - probability, probability])
        total = probability.sum(axis=1, keepdims=True)
        uniform = np.full_like(probability, 1 / probability.shape[1])
        return np.divide(probability, total, out=uniform, where=total > 0)

    @available_if(_has_probability)
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))
