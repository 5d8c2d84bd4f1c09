"""The default score of a classifier that may be trained on soft labels (class probabilities)."""

from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from .._validation import check_probability_rows


class SoftLabelScoreMixin:
    """``score`` for soft labels too: the accuracy against each row's most probable class.

    Placed before scikit-learn's ``ClassifierMixin`` in the bases of a classifier that
    tells soft labels apart with ``_is_soft_target(y)``.
    """

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of :meth:`predict` on ``(X, y)``, weighted by ``sample_weight``.

        For soft labels (a matrix of class probabilities, as ``fit`` takes them) a
        row counts as right when the predicted class is the row's most probable
        class (the first of them on a tie). The score is so the same statistic for
        hard and soft labels, and ``cross_val_score`` and ``GridSearchCV`` work on
        soft labels with their default scoring; ``scoring="neg_kl_divergence"``
        scores the predicted probabilities themselves.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            True labels, or class probabilities with one column per class of
            ``classes_`` (rows summing to 1).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        float
        """
        if self._is_soft_target(y):
            check_is_fitted(self)
            probabilities = check_array(y, input_name="y")
            check_probability_rows(probabilities, "Soft labels y")
            if probabilities.shape[1] != len(self.classes_):
                raise ValueError(
                    f"y has {probabilities.shape[1]} columns of class probabilities but the "
                    f"model has {len(self.classes_)} classes."
                )
            y = self.classes_[probabilities.argmax(axis=1)]
        return super().score(X, y, sample_weight=sample_weight)
