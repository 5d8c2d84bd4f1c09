"""The best constant prediction of a loss: the raw constant per output minimising its
weighted mean over the targets. Training starts its intercept here, and the D^2 score
divides by the loss of this constant.

Computed in float64 from the targets alone.
"""

import numpy as np
from scipy.optimize import brentq, minimize_scalar


def _increasing_inverse(function, value, limit=1e3):
    """``t`` with ``function(t) == value`` for an increasing ``function``, or nan.

    The root is bracketed by doubling ``[-1, 1]`` (up to ``limit``), then found by
    Brent's method; nan when ``value`` is not reached inside ``[-limit, limit]``.
    """
    lower, upper = -1.0, 1.0
    while not function(lower) < value:
        lower *= 2
        if lower < -limit:
            return np.nan
    while not function(upper) > value:
        upper *= 2
        if upper > limit:
            return np.nan
    return brentq(lambda t: function(t) - value, lower, upper, xtol=1e-12)


def _raw_of_rate(loss, constants, output):
    """The raw prediction of output ``output`` at which the loss's ``inverse_link``
    gives a probability ``rate`` (the other outputs held at ``constants``), as a
    function of ``rate``; None for a loss without an inverse link."""
    inverse_link = loss.inverse_link
    if inverse_link is None:
        return None
    row = np.array(constants, dtype=np.float64).reshape(1, -1)

    def probability(t):
        row[0, output] = t
        with np.errstate(all="ignore"):
            value = np.asarray(inverse_link(row), dtype=np.float64)
        return float(value.reshape(row.shape)[0, output])

    return lambda rate: _increasing_inverse(probability, rate)


def _link_interval(link, low, high, half):
    """Raw interval of a loss with a ``link`` over targets in ``[low, high]``, or None."""
    if high > low:
        means = np.array([low + half * (high - low), high - half * (high - low)])
    else:
        means = np.array([low, low])
    with np.errstate(all="ignore"):
        raw = np.asarray(link(means), dtype=np.float64)
        if high == low and not np.isfinite(raw).all():  # e.g. all-zero counts
            for nudged in (low + half, low - half):
                raw = np.asarray(link(np.array([nudged, nudged])), dtype=np.float64)
                if np.isfinite(raw).all():
                    break
    if not np.isfinite(raw).all():
        return None
    return float(raw.min()), float(raw.max())


def _search_interval(loss, targets, constants, output):
    """Bounds of the raw constant of output ``output``: where the loss keeps a useful
    gradient (see :func:`best_constant`)."""
    column = targets[:, output]
    half = 0.5 / (len(column) + 1)
    low, high = float(column.min()), float(column.max())
    if loss.task != "regression":
        raw_of_rate = _raw_of_rate(loss, constants, output)
        if raw_of_rate is not None:
            bounds = raw_of_rate(half), raw_of_rate(1 - half)
            if np.isfinite(bounds).all() and bounds[0] < bounds[1]:
                return bounds
        return low - 1.0, high + 1.0
    if loss.link is not None:
        bounds = _link_interval(loss.link, low, high, half)
        if bounds is not None:
            return bounds
    width = high - low if high > low else 1.0
    return low - width, high + width


def _refined_at_kinks(loss, targets, constants, output, mean_loss, middle, best):
    """The constant of output ``output``, moved to a kink of the loss near Brent's answer
    when that is lower: a piecewise-linear loss (absolute, pinball, hinge) attains its
    minimum at a kink, which a search to a tolerance only approaches."""
    if loss.scope != "element":
        return constants[output]
    kinks = np.unique(loss.kinks(targets[:, output]))
    if not len(kinks):
        return constants[output]
    position = np.searchsorted(kinks, constants[output])
    nearest = np.unique(kinks[np.clip(np.arange(position - 2, position + 2), 0, len(kinks) - 1)])
    with np.errstate(all="ignore"):
        values = np.array([mean_loss(kink - middle) for kink in nearest])
    values[~np.isfinite(values)] = np.inf
    index = int(np.argmin(values))
    return float(nearest[index]) if values[index] < best else constants[output]


def _minimum_at_a_kink(loss, targets, constants, weight, output):
    """The kink of output ``output`` where the weighted mean gradient changes sign -- a
    minimiser of the convex loss -- found by bisection over the sorted kinks; None if the
    sign changes between kinks (the minimum is where the loss is smooth) or never.

    A piecewise-linear loss (absolute, pinball, hinge) is minimised at a kink: its sample
    quantile costs a dozen gradient passes this way, a third of a Brent search."""
    kinks = np.unique(loss.kinks(targets[:, output]))
    if not len(kinks):
        return None
    gaps = np.diff(kinks, prepend=-np.inf, append=np.inf)
    shift = np.minimum(1e-9 * (1 + np.abs(kinks)), 0.25 * np.minimum(gaps[:-1], gaps[1:]))
    raw = np.tile(constants, (len(targets), 1))

    def slope(point):
        raw[:, output] = point
        return np.average(loss.gradient(targets, raw)[:, output], weights=weight)

    low, high = 0, len(kinks)
    while low < high:
        middle = (low + high) // 2
        low, high = (
            (low, middle) if slope(kinks[middle] + shift[middle]) >= 0 else (middle + 1, high)
        )
    if low == len(kinks) or slope(kinks[low] - shift[low]) > 0:
        return None
    return float(kinks[low])


def best_constant(loss, y_true, sample_weight=None):
    """The constant raw prediction per output minimising ``mean_i s_i loss(y_i, c)``.

    Parameters
    ----------
    loss : Loss
    y_true : ndarray of shape (n_samples, n_outputs) or (n_samples,)
        Targets in the loss's encoding.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative weights with a positive sum.

    Returns
    -------
    ndarray of shape (n_outputs,)

    Notes
    -----
    An element-scope loss with kinks is first bisected over its sorted kinks for the one
    where the weighted mean gradient changes sign (:func:`_minimum_at_a_kink`): the
    exact minimiser of a piecewise-linear loss, a weighted sample quantile. Otherwise
    found by bounded Brent search over one output at a time (the losses are
    convex in a constant), with the loss evaluated on all outputs together; an
    element-scope loss needs one sweep over the outputs, a coupled one
    (softmax, a batch statistic) a few. The search never evaluates the ends of
    its interval, so the nearer end is taken when its loss is not larger (a
    minimum on the edge, e.g. at the hinge's kink -1, is then exact); the
    kinks of the loss (:meth:`Loss.kinks`) next to the answer are tried too,
    which makes the minimum of a piecewise-linear loss (the median, a sample
    quantile) exact. Training starts its intercept here (unless the loss
    chooses its own start, ``initial_raw_prediction``), so a target far from
    zero (say a mean of 1e6, or Poisson counts of 1e10) costs no epochs; the
    :math:`D^2` score divides by the mean loss at this constant.

    The search interval, in raw units, is where the loss still has a useful
    gradient, so that a minimiser at infinity (a class absent from a first
    ``partial_fit`` chunk, all-zero counts) cannot park the intercept in a
    flat region of the loss. With ``n`` rows and ``h = 0.5 / (n + 1)``:

    * classification losses (targets are 0/1 indicators or class
      probabilities) with an ``inverse_link``: the raw predictions whose
      probability is ``h`` and ``1 - h`` -- the empirical rate ``k / n``
      clipped to ``[(0 + 0.5) / (n + 1), (n + 0.5) / (n + 1)]`` through the
      link (for the log loss a logit of at most ``log(2n + 1)`` in
      magnitude). The link is inverted numerically (the other outputs held
      at their constants), so no loss needs to provide it;
    * regression losses with a ``link`` (mean to raw): the link of the
      target range ``[min, max]`` shrunk by ``h`` of its width at each end,
      which holds ``link(weighted mean)`` -- the minimiser of a deviance
      such as the Poisson one -- and any minimiser of a convex loss whose
      per-sample minimum is at ``link(y)``. A constant target starts at its
      link; one where the link is infinite (all-zero counts) at the link of
      ``h`` (half a unit target among ``n + 1`` rows);
    * classification losses without an inverse link: the 0/1 target range
      widened by 1 on both sides, ``[min - 1, max + 1]``, which holds the
      margins ``-1..1`` of hinge-type losses (an all-negative column starts
      at -1, the edge of the hinge's flat part, not deep inside it);
    * other regression losses: the target range widened by its width on
      both sides (by 1 for a constant target), which holds a minimiser of any
      convex loss minimised per sample at ``raw = y``.

    The search runs on the offset from the middle of the interval, to
    ``1e-8`` of its width: a target of mean 1e9 and spread 1 is located to
    ~1e-8, not to the ~10 of a search on the constant itself.
    """
    targets = np.asarray(y_true, dtype=np.float64)
    targets = targets.reshape(len(targets), -1)
    weight = sample_weight
    constants = np.zeros(targets.shape[1])
    total_weight = len(targets) if weight is None else float(np.sum(weight))
    sweeps = 1 if loss.scope == "element" else 3
    for _ in range(sweeps):
        for output in range(targets.shape[1]):
            at_kink = None
            if loss.scope == "element":
                at_kink = _minimum_at_a_kink(loss, targets, constants, weight, output)
            if at_kink is not None:
                constants[output] = at_kink
                continue
            lower, upper = _search_interval(loss, targets, constants, output)
            middle, half_width = (lower + upper) / 2, (upper - lower) / 2
            if not half_width > 0:
                constants[output] = middle
                continue

            def mean_loss(offset, output=output, middle=middle):
                raw = np.tile(constants, (len(targets), 1))
                raw[:, output] = middle + offset
                return loss.weighted_sums(targets, raw, weight).sum() / total_weight

            found = minimize_scalar(
                mean_loss,
                bounds=(-half_width, half_width),
                method="bounded",
                options={"xatol": 2e-8 * half_width},
            )
            end = half_width if found.x > 0 else -half_width
            best = mean_loss(end)
            if best <= found.fun:
                constants[output] = upper if end > 0 else lower
            else:
                constants[output], best = middle + found.x, found.fun
            constants[output] = _refined_at_kinks(
                loss, targets, constants, output, mean_loss, middle, best
            )
    return constants
