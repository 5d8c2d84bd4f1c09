"""What training carries from one epoch (or ``partial_fit`` call) to the next."""

from dataclasses import dataclass, field

import numpy as np

from ._preconditioner import Preconditioner


@dataclass
class SGDState:
    """Everything that training carries from one epoch (or ``partial_fit``) to the next.

    ``coef``/``intercept`` are the SGD iterate in the preconditioned
    parameters (:class:`Preconditioner`), ``average_*`` its running average
    over ``n_averaged`` steps, ``t`` the samples seen plus one (as
    scikit-learn's ``t_``), ``eta`` the current base step size and
    ``curvature`` the loss curvature it was derived from, ``start_objective``
    the objective of the model training started from (the divergence guard's
    reference) and ``start_model`` that model, ``alpha`` the penalty strength
    resolved at the start, ``gram`` the Gram matrix of the rows read at the start for
    the full-batch phase (:mod:`~sklosses._engine._gram`; None otherwise, and once that
    phase has used it).
    """

    coef: np.ndarray
    intercept: np.ndarray
    eta: float
    preconditioner: Preconditioner
    curvature: float = 1.0
    t: float = 1.0
    epochs_seen: int = 0
    average_coef: np.ndarray | None = None
    average_intercept: np.ndarray | None = None
    n_averaged: int = 0
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    start_objective: float | None = None
    start_model: tuple | None = None
    alpha: float = 0.0
    gram: np.ndarray | None = None

    @classmethod
    def zeros(cls, n_features, n_outputs, dtype, eta, preconditioner):
        return cls(
            np.zeros((n_features, n_outputs), dtype=dtype),
            np.zeros(n_outputs, dtype=dtype),
            eta,
            preconditioner,
        )

    def model(self):
        """``(coef, intercept)`` to predict with: the average once averaging started."""
        if self.n_averaged:
            return self.preconditioner.coefficients(self.average_coef, self.average_intercept)
        return self.preconditioner.coefficients(self.coef, self.intercept)

    def start_from(self, coef, intercept):
        """Set the iterate to the model ``(coef, intercept)`` (warm start)."""
        self.coef[...], self.intercept[...] = self.preconditioner.parameters(coef, intercept)

    def change_preconditioner(self, preconditioner):
        """Re-express the iterate and its average under ``preconditioner``."""
        old = self.preconditioner
        self.preconditioner = preconditioner
        self.start_from(*old.coefficients(self.coef, self.intercept))
        if self.average_coef is not None:
            self.average_coef[...], self.average_intercept[...] = preconditioner.parameters(
                *old.coefficients(self.average_coef, self.average_intercept)
            )

    def adopt_average(self):
        """Make the running average the iterate, and stop averaging."""
        if self.n_averaged:
            self.coef, self.intercept = self.average_coef, self.average_intercept
            self.average_coef = self.average_intercept = None
            self.n_averaged = 0

    def update_average(self):
        """Fold the current iterate into the running (Polyak) average."""
        if self.n_averaged == 0:
            self.average_coef = self.coef.copy()
            self.average_intercept = self.intercept.copy()
        else:
            weight = 1.0 / (self.n_averaged + 1)
            self.average_coef += weight * (self.coef - self.average_coef)
            self.average_intercept += weight * (self.intercept - self.average_intercept)
        self.n_averaged += 1

    def copy_iterate(self):
        return (
            self.coef.copy(),
            self.intercept.copy(),
            None if self.average_coef is None else self.average_coef.copy(),
            None if self.average_intercept is None else self.average_intercept.copy(),
            self.n_averaged,
            self.t,
        )

    def restore_iterate(self, saved):
        (
            self.coef,
            self.intercept,
            self.average_coef,
            self.average_intercept,
            self.n_averaged,
            self.t,
        ) = saved
