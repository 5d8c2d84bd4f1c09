"""The checks at the end of ``fit``: a model worse than the one training started from,
and a run that used up ``max_iter``; the warning of a shortened ``"optimal"`` step; and
the warning of a loss whose minimiser is the zero model."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._loop import DivergenceError

RECOVER_WITHIN = 0.1
"""Relative excess over the starting objective up to which a fixed schedule's result is
replaced by the starting model (the noise of a constant step around a start that was
already optimal, e.g. under a huge ``alpha``) rather than an error."""

MAX_ITER_MESSAGE = (
    "Maximum number of iteration reached before convergence. Consider increasing max_iter "
    "to improve the fit."
)
"""scikit-learn's words, which scripts and tests match."""


def checked_model(model, objective, state, config, *, minimiser_is_start=False):
    """``(model, objective)`` to return: the trained model, or the model training
    started from when the trained one is worse.

    A model whose objective exceeds that of the start (the best constant, or the given
    start) is worse than doing nothing. With ``learning_rate="auto"``, or with a fixed
    schedule that ends within ``RECOVER_WITHIN`` of the start, ``fit`` returns the
    starting model with a ``ConvergenceWarning``; a fixed schedule that ends further
    above it raises :class:`~sklosses._engine._loop.DivergenceError` (the step the user
    chose is too long). The state's iterate is set to the returned model.

    Parameters
    ----------
    model : tuple ``(coef, intercept)``
    objective : float
        Its training objective.
    state : SGDState
        Its ``start_objective`` and ``start_model`` are the reference.
    config : TrainingConfig
    minimiser_is_start : bool, default=False
        Whether the start is the minimiser whatever the data
        (:func:`zero_model_minimises`): a schedule the user chose then returns its end
        point, as scikit-learn's perceptron does, since any model is worse than the start.

    Returns
    -------
    tuple ``((coef, intercept), objective)``
    """
    start = state.start_objective
    if start is None or objective <= start * (1 + 1e-12) + 1e-12:
        return model, objective
    if minimiser_is_start and config.learning_rate != "auto":
        return model, objective
    message = (
        f"Training ended with an objective of {objective:.6g}, worse than the "
        f"{start:.6g} of the model it started from"
    )
    if config.learning_rate != "auto" and objective > start * (1 + RECOVER_WITHIN):
        raise DivergenceError(
            f"{message}: the step is too long with {config.schedule().too_long()}"
        )
    warnings.warn(
        f"{message}; that model is returned instead. With learning_rate="
        f"{config.learning_rate!r}, use solver='auto' and tol > 0, or a shorter step.",
        ConvergenceWarning,
        stacklevel=5,
    )
    state.start_from(*state.start_model)
    state.n_averaged = 0
    return state.start_model, start


def warn_if_max_iter_reached(n_epochs, config):
    """scikit-learn's ``ConvergenceWarning`` when the epochs stopped at ``max_iter``.

    Parameters
    ----------
    n_epochs : int
    config : TrainingConfig
    """
    if config.tol is not None and n_epochs == config.max_iter:
        warnings.warn(
            f"{MAX_ITER_MESSAGE} ({config.max_iter} epochs without meeting tol.)",
            ConvergenceWarning,
            stacklevel=5,
        )


def warn_if_step_shortened(first_step, state, config):
    """A ``ConvergenceWarning`` when ``learning_rate="optimal"`` blew up and training went
    on with a shorter step (:func:`~sklosses._engine._loop.run_sgd`): the schedule is
    scikit-learn's with a larger ``t0``, no longer its exact steps.

    Parameters
    ----------
    first_step : float
        ``state.eta`` before the epochs.
    state : SGDState
    config : TrainingConfig
    """
    if config.learning_rate == "optimal" and state.eta < first_step:
        warnings.warn(
            f"learning_rate='optimal': the base step {first_step:.3g} (scikit-learn's "
            f"heuristic, 1 / (alpha t0)) blew up training on these data, which went on "
            f"with the base step {state.eta:.3g} (t0={1 / (state.alpha * state.eta):.3g}) "
            "instead. Use learning_rate='auto', or scale the features (e.g. StandardScaler).",
            ConvergenceWarning,
            stacklevel=5,
        )


def zero_model_minimises(loss):
    """Whether the zero model minimises the objective whatever the data: a binary loss
    that is zero at a zero raw prediction for both labels (the perceptron criterion,
    ``max(0, -t raw)``) has its minimum, 0, there, alone under a penalty; that model
    predicts one class. scikit-learn's perceptron returns the end point of plain SGD
    steps instead, which minimises nothing.

    Parameters
    ----------
    loss : Loss

    Returns
    -------
    bool
    """
    if loss.task != "binary" or loss.scope == "batch":  # a batch loss has no per-row values
        return False
    labels = np.array([[0.0], [1.0]])
    return not loss.loss(labels, np.zeros_like(labels)).any()


def warn_zero_model_minimises(loss):
    """The ``UserWarning`` of ``fit`` with a loss that :func:`zero_model_minimises`."""
    warnings.warn(
        f"{loss!r} is zero at a zero raw prediction for both classes, so the zero model "
        "minimises the objective, and fit with learning_rate='auto' returns it: a model "
        "that predicts one class. Use loss='hinge' (the same criterion with a margin, "
        "whose minimiser separates the classes), or scikit-learn's perceptron, the end "
        "point of plain SGD steps: learning_rate='constant', eta0=1, penalty=None.",
        UserWarning,
        stacklevel=5,
    )
