"""Losses a test registers at run time under a new name, defined in a module that
joblib's worker processes can import (``test_losses_travel.py`` also defines one in a
script run as ``__main__``, whose class the workers cannot import).

Nothing is registered here: the tests register and remove the names.
"""

import numpy as np
from scipy.special import expit

from sklosses.losses import Loss


class PseudoHuberLoss(Loss):
    """``sqrt(1 + r**2) - 1`` of the residual ``r = raw - y``: squared near 0, linear far.

    Gradient ``r / sqrt(1 + r**2)``, smoothness 1.
    """

    smoothness = 1.0

    def loss(self, y_true, raw_prediction):
        return np.sqrt(1 + (raw_prediction - y_true) ** 2) - 1

    def gradient(self, y_true, raw_prediction):
        residual = raw_prediction - y_true
        return residual / np.sqrt(1 + residual**2)


class TemperedLogLoss(Loss):
    """Binary cross-entropy of ``expit(raw / 2)``: a probabilistic loss with its own link.

    ``log(1 + exp(raw / 2)) - y raw / 2``; gradient ``(expit(raw / 2) - y) / 2``,
    smoothness 1/16.
    """

    task = "binary"
    smoothness = 1 / 16

    @staticmethod
    def inverse_link(raw_prediction):
        return expit(raw_prediction / 2)

    def loss(self, y_true, raw_prediction):
        return np.logaddexp(0, raw_prediction / 2) - y_true * raw_prediction / 2

    def gradient(self, y_true, raw_prediction):
        return (expit(raw_prediction / 2) - y_true) / 2
