"""The training objective over all the data: of a constant model, of any model, and as a
function of a flat parameter vector (for the full-batch solvers)."""

import numpy as np

from ._batching import batch_plan, full_gradient
from ._penalty import penalty_share
from ._preconditioner import Preconditioner
from ._state import SGDState

CHUNK_ROWS = 65536
"""Rows per chunk of a full pass (bounds the memory of the raw predictions)."""
REMEMBERED = 2
"""Full passes :class:`FlatObjective` remembers."""
SAME_POINT = 8 * np.finfo(np.float64).eps
"""Relative difference of parameters below which two points are the same."""


def constant_objective(Y, sample_weight, loss, intercept, groups=None):
    """The objective of the model with zero coefficients and ``intercept`` (no pass over X)."""
    raw = np.broadcast_to(np.asarray(intercept, dtype=Y.dtype), Y.shape)
    total_weight = len(Y) if sample_weight is None else float(sample_weight.sum())
    return float(loss.weighted_sums(Y, raw, sample_weight, groups).mean()) / total_weight


def objective_of_model(X, Y, sample_weight, loss, penalty, model, *, batch_size, groups=None):
    """The objective of the model ``(coef, intercept)``, from one pass over the data."""
    coef, intercept = model
    state = SGDState(coef, intercept, 0.0, Preconditioner.identity(X.shape[1]))
    # a batch-level loss is measured on the batches it was trained on
    in_order = loss.scope != "batch"
    plan = batch_plan(X, CHUNK_ROWS if in_order else batch_size, groups, in_order=in_order)
    loss_sums, _, _ = full_gradient(X, Y, sample_weight, loss, state, plan=plan)
    return float(loss_sums.sum()) / X.shape[0] + penalty_share(loss, Y.shape[1]) * penalty.value(
        coef
    )


def _same(a, b):
    """Whether arrays ``a`` and ``b`` agree to ``SAME_POINT`` of their largest entry."""
    if a.size == 0:
        return True
    # ndarray.max: np.max(..., initial=) costs more, at every step of a small fit
    return float(abs(a - b).max()) <= SAME_POINT * float(abs(a).max())


class FlatObjective:
    """The training objective as a function of a flat vector of parameters.

    ``x`` holds ``u`` (``u+`` and ``u-`` with an L1 part of the penalty, unless
    ``split_l1`` is False) and, with an intercept, ``c``. The value is the engine's
    objective (the one :func:`~sklosses._engine._loop.run_epoch` reports) divided by
    ``scale``; without the split, the gradient is that of its smooth part alone (the L1
    part is the proximal Newton steps' own, :mod:`~sklosses._engine._prox_newton`).
    """

    def __init__(
        self, X, Y, sample_weight, penalty, state, fit_intercept, groups=None, split_l1=True
    ):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.plan = batch_plan(X, CHUNK_ROWS, groups, in_order=True)
        self.penalty, self.state, self.fit_intercept = penalty, state, fit_intercept
        self.l1, self.l2 = penalty.l1, penalty.l2  # read at every evaluation
        self.split = split_l1 and self.l1 > 0
        self.n_coef = state.coef.size
        self.inverse_scale = state.preconditioner.inverse_scale[:, None]
        self.scale, self.length = 1.0, 1.0
        self.coordinate = np.ones(self.n_coef)  # per-coefficient lengths, in units of length
        # outputs whose exact minimiser is known: Newton leaves them alone
        self.frozen = np.zeros(state.coef.shape[1], dtype=bool)
        self.recent = []
        self.known = None  # (loss, x, values, gradient) given by :meth:`predicted`

    def normalise(self, value, curvature, by_coefficient=False):
        """Measure the objective in units of ``value`` and the parameters in units of
        ``sqrt(value / curvature)``: where the Hessian is near ``curvature`` times the
        identity (the preconditioned coordinates), the normalised Hessian is near the
        identity and half the squared norm of the normalised gradient estimates the
        relative excess of the objective.

        ``by_coefficient`` also divides each coefficient's unit by the square root of its
        expected diagonal Hessian entry relative to ``curvature``,
        ``q_j + l2 * inverse_scale_j**2 / curvature`` with ``q_j`` the mean square of the
        preconditioned column (1 for a standardised one, the share of rows storing a value
        for a sparse one): the diagonal of the normalised Hessian is then near 1 even where
        the preconditioner leaves the columns unequal -- rare CSR columns, whose data
        curvature is small, or columns of small values, whose penalty curvature is large
        (quasi-Newton methods crawl on such spreads: 2,000 x 1e6 CSR, 1,000 L-BFGS
        iterations 54% above the optimum without it)."""
        self.scale = max(abs(value), np.finfo(np.float64).tiny)
        self.length = np.sqrt(self.scale / curvature)
        if by_coefficient:
            preconditioner = self.state.preconditioner
            inverse_scale = preconditioner.inverse_scale
            mean_square = np.ones_like(inverse_scale)
            if preconditioner.mean is not None:
                offset = preconditioner.mean - preconditioner.center
                mean_square = (preconditioner.variance + offset**2) * inverse_scale**2
            diagonal = mean_square + self.l2 * inverse_scale**2 / curvature
            coordinate = 1 / np.sqrt(np.where(diagonal > 0, diagonal, 1.0))
            self.coordinate = np.repeat(coordinate, self.state.coef.shape[1])

    def start(self):
        """The state's iterate as a vector, and the bounds of L-BFGS-B."""
        u = self.state.coef.astype(np.float64).ravel() / self.coordinate
        parts = [np.maximum(u, 0), np.maximum(-u, 0)] if self.split else [u]
        if self.fit_intercept:
            parts.append(self.state.intercept.astype(np.float64))
        bounds = None
        if self.split:
            bounds = [(0, None)] * (2 * self.n_coef) + [(None, None)] * (
                len(self.state.intercept) * self.fit_intercept
            )
        return np.concatenate(parts) / self.length, bounds

    def load(self, x):
        """Set the state's iterate to the normalised parameters ``x``."""
        self.state.coef[...], self.state.intercept[...] = self._parameters(x)

    def _parameters(self, x):
        """The engine's ``(u, c)`` of the normalised parameters ``x`` (the state's ``c``
        without an intercept)."""
        x = x * self.length
        u = x[: self.n_coef]
        if self.split:
            u = u - x[self.n_coef : 2 * self.n_coef]
        u = u * self.coordinate
        intercept = self.state.intercept
        if self.fit_intercept:
            intercept = x[-len(intercept) :]
        return u.reshape(self.state.coef.shape), intercept

    def share(self, loss):
        """The penalty's weight, and the loss's per output column (see ``penalty_share``)."""
        return penalty_share(loss, self.Y.shape[1])

    def __call__(self, x, loss):
        """``(value, gradient)`` at ``x`` for ``loss``; ``values`` keeps the value's parts,
        one per column of the loss (per output for an element-scope loss)."""
        self.load(x)
        if self.known is not None and self.known[0] is loss and np.array_equal(self.known[1], x):
            self.values = self.known[2].copy()
            return float(self.values.sum()), self.known[3].copy()
        n_samples = self.Y.shape[0]
        share = self.share(loss)
        loss_sums, coef_gradient, intercept_gradient = self._sums(loss)
        u = self.state.coef.astype(np.float64)
        coef = u * self.inverse_scale
        self.values = self._values(loss_sums, coef, share)
        value = float(self.values.sum()) * self.scale
        # the loss sum is averaged over one-vs-rest columns (share = 1 / columns), and so
        # are its gradients; a coupled loss has one column (share = 1)
        coef_gradient = coef_gradient * (share / n_samples)
        coef_gradient += share * self.l2 * coef * self.inverse_scale
        parts = [coef_gradient.ravel() * self.coordinate]
        if self.split:
            l1_gradient = share * self.l1 * np.broadcast_to(self.inverse_scale, u.shape).ravel()
            l1_gradient *= self.coordinate
            parts = [parts[0] + l1_gradient, -parts[0] + l1_gradient]
        if self.fit_intercept:
            parts.append(intercept_gradient * (share / n_samples))
        return value / self.scale, np.concatenate(parts) * (self.length / self.scale)

    def predicted(self, x, loss, values, gradient):
        """Take ``values`` (as :attr:`values`) and ``gradient`` for those at ``x`` for
        ``loss``, from a model that is exact there (a quadratic loss's Newton model): the
        next evaluation at ``x`` reads them instead of the data."""
        self.known = (loss, x.copy(), values.copy(), gradient.copy())

    def _values(self, loss_sums, coef, share):
        """The normalised parts of the value from the loss sums (one per column of the
        loss) and the coefficients ``coef`` (``u * inverse_scale``)."""
        penalties = 0.5 * self.l2 * np.einsum("ij,ij->j", coef, coef)
        if self.l1:
            penalties += self.l1 * np.abs(coef).sum(axis=0)
        if len(loss_sums) < len(penalties):  # a coupled loss: one value for all outputs
            penalties = penalties.sum(keepdims=True)
        return (loss_sums / self.Y.shape[0] + share * penalties) / self.scale

    def line(self, loss, x, direction):
        """``values(steps)``: the normalised parts of the value (as ``values``) at ``x +
        steps * direction``, one step per part, without a pass over ``X``.

        The raw predictions move on a line, from those at ``x`` to those at ``x +
        direction``; one product with ``X`` gives both ends, and every step then costs
        one evaluation of the loss on ``n_samples x n_outputs`` raw predictions (a
        backtracking search that would read ``X`` at every trial reads it once)."""
        (u, c), (u_end, c_end) = self._parameters(x), self._parameters(x + direction)
        coef, intercept = self.state.preconditioner.coefficients(u, c)
        coef_end, intercept_end = self.state.preconditioner.coefficients(u_end, c_end)
        n_outputs = coef.shape[1]
        ends = np.asarray(self.X @ np.hstack([coef, coef_end]))
        start = ends[:, :n_outputs] + intercept
        change = ends[:, n_outputs:] + intercept_end - start
        u_change = u_end - u
        share = self.share(loss)

        def values(steps):
            per_output = np.repeat(steps, n_outputs // len(steps))  # one for a coupled loss
            sums = loss.weighted_sums(self.Y, start + per_output * change, self.sample_weight)
            moved = (u + per_output * u_change) * self.inverse_scale
            return self._values(sums / len(sums), moved, share)

        return values

    def _sums(self, loss):
        """:func:`full_gradient` at the state's iterate, from a pass over the data unless
        one of the last ``REMEMBERED`` passes was at this iterate for this loss (the
        solvers come back to a point: the start after measuring it, the last accepted
        step after a rejected trial, the result)."""
        coef, intercept = self.state.coef, self.state.intercept
        for remembered in self.recent:
            # to a few units in the last place: normalising the parameters and back
            # (``start`` then ``load``) does not return them bit for bit
            loss_of, coef_of, intercept_of, sums = remembered
            if loss_of is loss and _same(coef_of, coef) and _same(intercept_of, intercept):
                return sums
        sums = full_gradient(self.X, self.Y, self.sample_weight, loss, self.state, plan=self.plan)
        self.recent = [(loss, coef.copy(), intercept.copy(), sums), *self.recent][:REMEMBERED]
        return sums

    def value(self, x, loss):
        return self(x, loss)[0] * self.scale
