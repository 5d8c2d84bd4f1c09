"""Properties of a loss that decide which tests apply to it, read from its values (never
from its name), shared by the registry-parametrised test modules."""

import numpy as np


def zero_model_minimises(loss):
    """Whether the zero raw prediction has loss 0 for every label (the perceptron loss),
    which makes the zero model the minimiser of the objective."""
    if loss.task != "binary" or loss.scope == "batch":  # a batch loss has no per-row values
        return False
    labels = np.array([[0.0], [1.0]])
    return not loss.loss(labels, np.zeros_like(labels)).any()
