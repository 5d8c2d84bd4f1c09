"""The penalty ``alpha R(w)`` and its proximal steps."""

from dataclasses import dataclass

import numpy as np

PENALTIES = (None, "l2", "l1", "elasticnet")


@dataclass
class Penalty:
    """``alpha R(w)`` with ``R = (1 - r)/2 ||w||^2 + r ||w||_1``.

    ``kind`` None, ``"l2"`` (r = 0), ``"l1"`` (r = 1) or ``"elasticnet"``
    (r = ``l1_ratio``). The L2 part is applied as a shrinkage of the gradient
    step and the L1 part as its proximal operator (soft thresholding), so L1
    gives exact zeros.
    """

    kind: str | None = "l2"
    alpha: float = 1e-4
    l1_ratio: float = 0.15

    @property
    def _l1_fraction(self):
        return {"l2": 0.0, "l1": 1.0, "elasticnet": self.l1_ratio}[self.kind]

    @property
    def l1(self):
        """Weight of ``||w||_1``."""
        return 0.0 if self.kind is None else self.alpha * self._l1_fraction

    @property
    def l2(self):
        """Weight of ``||w||^2 / 2``."""
        return 0.0 if self.kind is None else self.alpha * (1 - self._l1_fraction)

    def value(self, coef):
        """``alpha R(coef)``."""
        return 0.5 * self.l2 * float(np.vdot(coef, coef)) + self.l1 * float(np.abs(coef).sum())

    def shrink(self, u, step_size, inverse_scale):
        """Proximal step of the L2 part on ``u`` in place."""
        if self.l2:
            u /= 1 + (step_size * self.l2) * inverse_scale[:, None] ** 2

    def proximal(self, u, step_size, inverse_scale):
        """Proximal step of the L1 part (soft thresholding) on ``u`` in place."""
        if self.l1:
            threshold = (step_size * self.l1) * inverse_scale[:, None]
            np.copysign(np.maximum(np.abs(u) - threshold, 0), u, out=u)


def penalty_share(loss, n_outputs):
    """The weight of the penalty in the objective: ``1 / n_outputs`` for one-vs-rest
    outputs (the objective is the mean of the per-output objectives), 1 for a
    coupled multiclass or metric loss (one objective over the whole coefficient matrix)."""
    return 1.0 if loss.task in ("multiclass", "metric") else 1 / n_outputs
