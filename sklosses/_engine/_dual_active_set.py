r"""The exact minimiser of a piecewise-linear loss with an L2 penalty on data of many
columns, from its smoothed solution: the optimality conditions solved in the space of the
samples at kinks (the dual), by conjugate gradients.

The primal finish (:mod:`~sklosses._engine._active_set`) solves one dense system in the
parameters and the pinned samples together: it serves few columns. Where Newton's Hessians
do not fit (CSR input, dense data of more than ``MAX_DENSE_PARAMETERS`` columns), the
coefficients are eliminated instead. For one output with raw predictions
``r_i = (x_i - m) . w + c`` (``m`` the preconditioner's centre, ``w`` the coefficients, ``c``
the engine's intercept parameter) and weights ``s_i``, the minimiser of
``sum_i s_i loss_i(r_i) / n + l2 / 2 |w|^2`` satisfies, given the samples at a kink (the
set ``P``, at kinks ``kappa_i`` with subgradients ``gamma_i``) and the slope ``g_i`` of the
linear piece every other sample is on,

.. math::

    w = -\frac{(X - 1 m^T)^T q}{n\, l2}, \quad
    q_i = s_i \gamma_i \ (i \in P), \ s_i g_i \ \text{(else)}, \quad
    \sum_i q_i = 0 \ \text{(an intercept)}, \quad
    (x_i - m) \cdot w + c = \kappa_i \ (i \in P),

so the pinned ``beta = q_P`` solve ``G beta - n l2 c 1 = -n l2 kappa - t``, with ``G`` the
Gram matrix of the centred pinned rows, ``t`` the free samples' part and
``1^T beta = -sum_free q_i``: a positive semi-definite system in the pinned samples, solved by
conjugate gradients projected on that constraint (two products with ``X`` a step, no copy
of rows). The partition is read off the envelope's solution and corrected as the primal
finish corrects it: a subgradient outside its kink's subdifferential releases its sample to
the piece on that side, and a free sample that crossed a kink on the way to the candidate
is pinned there. On bag-of-words data, where most samples end on the margin of the hinge
loss, the partition of the first envelope leads to the minimiser in a few rounds of about
a hundred steps each, where narrowing envelopes took hundreds of Newton steps.
"""

from dataclasses import dataclass

import numpy as np

from ._kinks import first_kink, in_column, subgradient_range
from ._pinned_system import centred_product, solve_round

MAX_ROUNDS = 30
"""Most corrections of the partition per attempt (text data took 3-6, 100,000 x 20,000
CSR rows about 15, each a few times cheaper than a Newton step of the continuation)."""
CURVED_SHARE = 0.01
"""Largest share of samples whose envelope curvature lies strictly inside ``(0, 1/width)``
for a loss to count as piecewise linear (central differences put the few samples at the
ends of a bend there)."""
SUBGRADIENT_RTOL = 1e-9
"""Tolerance of a subgradient's subdifferential, relative to its width."""


def dual_finish_applies(objective, envelope):
    """Whether :func:`dual_exact_solution` may be tried with the stand-in ``envelope``: the
    Moreau envelope of an element-scope loss (a ``hessian``; a sum of stand-ins has none)
    and a pure L2 penalty (the coefficients are eliminated through it)."""
    return (
        envelope.scope == "element"
        and envelope.hessian is not None
        and objective.l2 > 0
        and not objective.l1
    )


@dataclass
class _Partition:
    """Which piece of the loss every sample of one output is on: ``pinned`` (a mask) at its
    ``kinks`` with the subdifferential ``[low, high]``, else on the piece of gradient
    ``slopes`` through the raw prediction ``anchors``; ``offsets`` the raw predictions
    of the pinned samples less their kinks when they were pinned, ``beta`` the pinned
    ``q`` of the last round (the next round's start)."""

    pinned: np.ndarray
    kinks: np.ndarray
    low: np.ndarray
    high: np.ndarray
    slopes: np.ndarray
    anchors: np.ndarray
    offsets: np.ndarray
    beta: np.ndarray

    def release(self, leaving, side):
        """Move the pinned samples ``leaving`` (indices) to their piece on ``side``."""
        end = self.low if side == "low" else self.high
        self.slopes[leaving] = end[leaving]
        shift = 1e-9 * (1 + np.abs(self.kinks[leaving]))
        self.anchors[leaving] = self.kinks[leaving] + (shift if side == "high" else -shift)
        self.pinned[leaving] = False

    def pin(self, base, targets, output, index, raw):
        """Pin the free samples ``index``, which crossed a kink on their way to ``raw``, at
        the first kink past their piece."""
        targets = targets[index]
        kink = first_kink(base, targets, output, self.anchors[index], raw, self.slopes[index])
        self.kinks[index], self.offsets[index] = kink, raw - kink
        self.low[index], self.high[index] = subgradient_range(base, targets, kink, output)
        self.pinned[index] = True

    def keep_closest(self, count):
        """Release all but the ``count`` pinned samples closest to their kinks, each to the
        piece on the side of its offset: a minimiser generically has no more samples at
        kinks than parameters, and with more the system is singular."""
        pinned = np.flatnonzero(self.pinned)
        far = pinned[np.argsort(np.abs(self.offsets[pinned]))[count:]]
        self.release(far[self.offsets[far] < 0], "low")
        self.release(far[self.offsets[far] >= 0], "high")


def _read_partition(envelope, targets, raw, weight, output):
    """The partition of output ``output`` at the envelope's solution (raw predictions
    ``raw`` of every output): a sample is pinned where the envelope's curvature is
    ``1 / width`` (its proximal point is a kink), unless its weight is 0. None when more
    than ``CURVED_SHARE`` of the samples have a curvature strictly between 0 and
    ``1 / width``: the loss is not piecewise linear (a Huber part), and no partition
    describes its minimiser."""
    base, width = envelope.base, envelope.width
    closest = base.proximal(targets, raw, width)
    curvature = envelope.hessian(targets, raw)[:, output] * width
    if np.mean((curvature > 1e-6) & (curvature < 1 - 1e-6)) > CURVED_SHARE:
        return None
    pinned = (curvature > 0.5) & (weight > 0)
    kinks = closest[:, output].copy()
    low, high = subgradient_range(base, targets, kinks, output)
    slopes = base.gradient(targets, closest)[:, output]
    offsets = raw[:, output] - kinks
    return _Partition(pinned, kinks, low, high, slopes, kinks.copy(), offsets, np.zeros(len(kinks)))


def dual_exact_solution(objective, envelope, output):
    """Load the exact minimiser of ``envelope.base`` for output ``output`` into the state
    and return True when the partition of the envelope's solution at the state's iterate
    leads to one; else change nothing and return False, or None when the partition was
    not worth trying: a loss that is not piecewise linear, or more samples at kinks than
    parameters (a wide envelope: a minimiser generically has no more, and the system
    they make is singular).

    Each round solves the partition's conditions
    (:func:`~sklosses._engine._pinned_system.solve_round`), releases the pinned samples
    whose subgradient falls outside their subdifferential, and, once none
    does, pins the free samples that crossed a kink on the way to the candidate, until
    a candidate needs neither (its optimality conditions then hold for the loss itself)
    or ``MAX_ROUNDS`` have passed. The candidate is taken only if its objective is no
    higher than the iterate's.
    """
    state, base = objective.state, envelope.base
    targets = np.asarray(objective.Y, dtype=np.float64)
    n_samples = len(targets)
    weight = np.ones(n_samples)
    if objective.sample_weight is not None:
        weight = objective.sample_weight.astype(np.float64)
    coef, intercept = state.preconditioner.coefficients(state.coef, state.intercept)
    raw = np.asarray(objective.X @ coef, dtype=np.float64) + intercept
    partition = _read_partition(envelope, targets, raw, weight, output)
    n_parameters = objective.X.shape[1] + objective.fit_intercept
    if partition is None or partition.pinned.sum() > n_parameters:
        return None
    start_value = _value(objective, base, targets, weight, raw[:, output], coef[:, output], output)
    for _ in range(MAX_ROUNDS):
        if partition.pinned.sum() > n_parameters:
            partition.keep_closest(n_parameters)
        candidate = solve_round(objective, partition, weight, output)
        if candidate is None:
            return False
        w, c, beta = candidate
        pinned = np.flatnonzero(partition.pinned)
        subgradient = beta / weight[pinned]
        margin = SUBGRADIENT_RTOL * (1 + np.abs(partition.high - partition.low)[pinned])
        below = subgradient < partition.low[pinned] - margin
        above = subgradient > partition.high[pinned] + margin
        if below.any() or above.any():
            partition.release(pinned[below], "low")
            partition.release(pinned[above], "high")
            continue
        candidate_raw = centred_product(objective, w) + c
        slope = in_column(base.gradient, targets, candidate_raw, output)
        crossed = np.flatnonzero(
            ~partition.pinned & (weight > 0) & (np.abs(slope - partition.slopes) > 1e-12)
        )
        if len(crossed):
            partition.pin(base, targets, output, crossed, candidate_raw[crossed])
            continue
        value = _value(objective, base, targets, weight, candidate_raw, w, output)
        if not value <= start_value * (1 + 1e-12):
            return False
        state.coef[:, output] = w / state.preconditioner.inverse_scale
        state.intercept[output] = c
        return True
    return False


def _value(objective, base, targets, weight, raw, coef, output):
    """The objective of output ``output`` (up to the share of the outputs) at its raw
    predictions ``raw`` and coefficients ``coef``."""
    losses = in_column(base.loss, targets, raw, output)
    return float(weight @ losses) / len(weight) + 0.5 * objective.l2 * float(coef @ coef)
