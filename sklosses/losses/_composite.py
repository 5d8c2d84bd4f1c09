r"""Composite losses: weighted sums of losses, written as the expression they are.

``0.7 * HuberLoss() + 0.3 * QuantileLoss(0.9)`` is a loss whose values are

.. math:: \ell(y, r) = \sum_j w_j \, \ell_j(y, r),

the operators of :class:`~sklosses.losses.Loss` build it (``w * loss``, ``loss * w``,
``loss / w``, ``loss1 + loss2``, ``sum([...])``), and a composite of composites is
flattened into one sum. A sum of per-sample losses is a :class:`CompositeLoss`; a sum
with a batch-level term (soft Dice, a ranking loss) is a :class:`BatchCompositeLoss`,
whose value on a batch is

.. math:: L = \frac{1}{S} \sum_j w_j \, \Sigma_j, \qquad S = \sum_i s_i,

with :math:`\Sigma_j` the ``weighted_sums`` of term ``j``: a per-sample term adds its
weighted mean over the batch, a batch-level term its batch value.

Terms are named as the steps of ``make_pipeline`` (:mod:`~sklosses.losses._terms`), so
their parameters are tuned as ``loss__huberloss__delta``, the weights as ``loss__weights``.
"""

import numpy as np

from ._base import Loss
from ._batch import BatchLoss, _total_weight
from ._terms import WeightedTerms, _is_weight


def _describe(function, what):
    """How an error message names a term's link: ``"no link"``, ``"link log"``."""
    if function is None:
        return f"no {what}"
    return f"{what} {getattr(function, '__name__', repr(function))}"


class _Composition(WeightedTerms):
    """The attributes, checks and stand-in composed from the terms (see the module
    docstring), shared by both composite classes."""

    @property
    def task(self):
        tasks = {term.task for term in self.terms}
        if len(tasks) > 1:
            listed = ", ".join(f"{name} is {t.task!r}" for name, t in self.named_terms.items())
            raise ValueError(
                f"The terms of {self!r} are losses of different tasks ({listed}): a sum of "
                "losses trains one model on one kind of target."
            )
        if not tasks:
            raise ValueError(f"{type(self).__name__} has no terms.")
        return tasks.pop()

    def _common(self, functions, what):
        """The ``link`` or ``inverse_link`` of every term, which must be the same function
        (a method's: the same in every instance of a class)."""
        first = functions[0] if functions else None
        underlying = {getattr(function, "__func__", function) for function in functions}
        if len(underlying) > 1:
            listed = ", ".join(
                f"{name} has {_describe(function, what)}"
                for name, function in zip(self.named_terms, functions, strict=True)
            )
            raise ValueError(
                f"The terms of {self!r} have different {what}s ({listed}): a sum of losses "
                "is a function of one raw prediction, which predict maps to a prediction "
                f"with one {what}; e.g. PoissonLoss (log link: raw = log mean) and "
                "SquaredLoss (identity: raw = mean) read the raw prediction differently."
            )
        return first

    @property
    def link(self):
        return self._common([term.link for term in self.terms], "link")

    @property
    def inverse_link(self):
        return self._common([term.inverse_link for term in self.terms], "inverse_link")

    @property
    def smoothness(self):
        """``sum_j w_j smoothness_j``: a Lipschitz constant of the summed gradient (None if
        a term has none)."""
        weighted = self._weighted()
        if any(term.smoothness is None for _, term in weighted):
            return None
        return sum(weight * term.smoothness for weight, term in weighted)

    @property
    def convex(self):
        """Whether every term is convex (a positive sum of convex losses is)."""
        return all(term.convex for term in self.terms)

    @property
    def quadratic(self):
        """Whether every term is quadratic (so is their weighted sum)."""
        return all(term.quadratic for term in self.terms)

    @property
    def differentiable(self):
        return all(term.differentiable for term in self.terms)

    @property
    def needs_groups(self):
        return any(term.needs_groups for term in self.terms)

    @property
    def fixed_objective(self):
        return all(term.fixed_objective for term in self.terms)

    def kinks(self, y_true):
        """The kinks of every term, side by side: ``y_true.shape + (sum_j n_kinks_j,)``.

        Parameters
        ----------
        y_true : ndarray of shape (n_rows,) or (n_rows, n_outputs)

        Returns
        -------
        ndarray
        """
        return np.concatenate([term.kinks(y_true) for term in self.terms], axis=-1)

    def check_target(self, y_true):
        """Raise ``ValueError`` if a term refuses ``y_true``.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        """
        for term in self.terms:
            term.check_target(y_true)

    def initial_raw_prediction(self, y_true, sample_weight=None):
        """The weighted mean of the starts that terms choose; None if no term chooses one.

        A term chooses its own start when its best constant is a poor one (soft Dice:
        it saturates the sigmoid, where the gradient vanishes). Such a term drags the
        best constant of the sum towards the same place, so the sum starts from the
        starts its terms choose (focal + Dice: the log-odds of the positive rate);
        without any, training searches for the constant minimising the sum.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples, n_outputs)
        sample_weight : ndarray of shape (n_samples,), default=None

        Returns
        -------
        ndarray of shape (n_outputs,) or None
        """
        chosen = []
        for weight, term in self._weighted():
            start = term.initial_raw_prediction(y_true, sample_weight)
            if start is not None:
                chosen.append((weight, np.asarray(start, dtype=np.float64)))
        if not chosen:
            return None
        return sum(weight * start for weight, start in chosen) / sum(w for w, _ in chosen)

    def validate(self):
        """Check the terms (each its own ``validate``), the weights, and that the terms
        can be summed: one task, one link, compatible scopes.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Naming what is wrong.
        """
        if not isinstance(self.terms, list | tuple) or not self.terms:
            raise ValueError(f"terms must be a non-empty list of losses, got {self.terms!r}.")
        for term in self.terms:
            if not isinstance(term, Loss):
                raise ValueError(f"Every term must be an instance of Loss, got {term!r}.")
            term.validate()
        weights = self.weights
        # positive: a negative weight would reward the loss of its term; and a positive
        # sum of convex losses is convex
        if weights is not None and (
            not isinstance(weights, list | tuple | np.ndarray)
            or not all(_is_weight(w) and np.isfinite(w) and w > 0 for w in weights)
        ):
            raise ValueError(f"weights must be a list of positive finite numbers, got {weights!r}.")
        self._weighted()  # one weight per term
        _ = self.task, self.link, self.inverse_link  # they raise, saying why
        self._check_scopes()
        return self

    def smoothed(self, width):
        r"""The differentiable stand-in: ``sum_j w_j stand_in_j``.

        A term that is not differentiable is replaced by its own ``smoothed(width)``
        (the Moreau envelope of a kinked element-scope loss); the others stay. The
        stand-in lies within ``sum_j w_j width G_j**2 / 2`` of the sum (``G_j`` the
        largest slope of a smoothed term).

        Parameters
        ----------
        width : float
            The smoothing width, > 0.

        Returns
        -------
        Loss
        """
        stand_ins = [term if term.differentiable else term.smoothed(width) for term in self.terms]
        return self._sum_of(stand_ins)

    def _sum_of(self, terms):
        return type(self)(terms, self.weights)


class CompositeLoss(_Composition, Loss):
    r"""A weighted sum of per-sample losses, :math:`\sum_j w_j \ell_j(y, r)`.

    Build it with the operators, ``0.7 * HuberLoss() + 0.3 * QuantileLoss(0.9)``
    (which also flatten sums of sums and choose :class:`BatchCompositeLoss` for a sum
    with a batch-level term), or from its terms and weights. The attributes compose:

    * ``task``, ``link``, ``inverse_link``: those of the terms, which must agree (an
      error says which terms differ);
    * ``scope``: ``"element"`` for element-scope terms, ``"sample"`` for sample-scope
      terms; the two do not mix;
    * ``smoothness`` :math:`\sum_j w_j L_j` (None if a term has none), ``hessian``
      :math:`\sum_j w_j h_j` (if every term has one), ``convex``, ``quadratic`` and
      ``differentiable`` if every term is, ``kinks`` those of all the terms;
    * ``loss``, ``gradient``: the weighted sums of the terms'; ``smoothed(width)``
      the weighted sum of the terms' stand-ins; ``initial_raw_prediction`` the
      weighted mean of the starts the terms choose (None if none does).

    Parameters
    ----------
    terms : list of Loss, default=()
        The losses summed, each with a name (see :attr:`named_terms`) by which its
        parameters are set: ``set_params(huberloss__delta=0.5)``.
    weights : list of float or None, default=None
        One positive weight per term; None weighs every term 1.

    Examples
    --------
    >>> import numpy as np
    >>> from sklosses.losses import HuberLoss, QuantileLoss
    >>> loss = 0.7 * HuberLoss() + 0.3 * QuantileLoss(0.9)
    >>> loss
    0.7 * HuberLoss() + 0.3 * QuantileLoss(quantile=0.9)
    >>> loss.loss(np.array([0.0]), np.array([2.0]))
    array([1.11])
    >>> sorted(loss.get_params())[:4]
    ['huberloss', 'huberloss__delta', 'quantileloss', 'quantileloss__quantile']
    """

    @property
    def scope(self):
        self._check_scopes()
        return "sample" if self.terms and self.terms[0].scope == "sample" else "element"

    def _check_scopes(self):
        scopes = {term.scope for term in self.terms}
        if "batch" in scopes:
            raise ValueError(
                f"{self!r} has a batch-level term: build the sum with the operators "
                "(w * loss + ...), which make a BatchCompositeLoss."
            )
        if len(scopes) > 1:
            raise ValueError(
                f"The terms of {self!r} mix element-scope and sample-scope losses, which "
                "cannot be summed: one has a value per row and output, the other one per "
                "row (coupling the outputs)."
            )

    @property
    def hessian(self):
        if any(term.hessian is None for term in self.terms):
            return None
        return self._hessian

    def _sum_of(self, terms):
        return _SmoothedSum(terms, self.weights)

    def _hessian(self, y_true, raw_prediction):
        """``sum_j w_j hessian_j``."""
        return self._sum(lambda term: term.hessian(y_true, raw_prediction))

    def loss(self, y_true, raw_prediction):
        return self._sum(lambda term: term.loss(y_true, raw_prediction))

    def gradient(self, y_true, raw_prediction):
        return self._sum(lambda term: term.gradient(y_true, raw_prediction))


class _SmoothedSum(CompositeLoss):
    """``smoothed`` of a :class:`CompositeLoss`: the sum of its terms' stand-ins, with no
    ``hessian``. The full-batch phase follows its Newton steps on a stand-in with the
    exact active-set finish, which is for the Moreau envelope of one piecewise-linear
    loss (it reads the envelope's ``base`` and ``width``); a sum of stand-ins is not
    one, so without a ``hessian`` the phase minimises it with L-BFGS-B instead."""

    hessian = None


class BatchCompositeLoss(_Composition, BatchLoss):
    r"""A weighted sum of losses with a batch-level term (soft Dice, a ranking loss).

    On a batch of rows with weights ``s`` (total ``S``) its value is

    .. math:: L = \frac{1}{S} \sum_j w_j \, \Sigma_j,

    with :math:`\Sigma_j` the ``weighted_sums`` of term ``j``: a per-sample term adds
    its weighted mean, a batch-level term its value on the batch. So
    ``weighted_sums`` and ``weighted_gradient`` are the weighted sums of the terms'
    (``groups`` passed to each), and :func:`~sklosses.metrics.mean_loss` of focal +
    Dice is the mean focal loss plus the Dice of the set. Terms of scope ``"sample"``
    do not mix with batch-level ones. ``hessian`` is None; the other attributes
    compose as for :class:`CompositeLoss`, and the operators build this class for
    any sum with a batch-level term.

    Parameters
    ----------
    terms : list of Loss, default=()
        The losses summed, each with a name (see :attr:`named_terms`).
    weights : list of float or None, default=None
        One positive weight per term; None weighs every term 1.

    Examples
    --------
    >>> import numpy as np
    >>> from sklosses.losses import DiceLoss, FocalLoss
    >>> loss = FocalLoss() + 0.5 * DiceLoss()
    >>> loss
    FocalLoss() + 0.5 * DiceLoss()
    >>> loss.batch_loss(np.array([[1.0], [0.0]]), np.array([[2.0], [-2.0]])).round(4)
    array([0.0613])
    """

    def _check_scopes(self):
        if any(term.scope == "sample" for term in self.terms):
            raise ValueError(
                f"{self!r} sums a sample-scope loss with a batch-level one: their values "
                "do not line up (one per row against one per output column)."
            )

    def weighted_sums(self, y_true, raw_prediction, sample_weight=None, groups=None):
        return self._sum(
            lambda term: term.weighted_sums(y_true, raw_prediction, sample_weight, groups)
        )

    def weighted_gradient(self, y_true, raw_prediction, sample_weight=None, groups=None):
        return self._sum(
            lambda term: term.weighted_gradient(y_true, raw_prediction, sample_weight, groups)
        )

    def batch_loss(self, y_true, raw_prediction, sample_weight=None, groups=None):
        return self._per_weight(self.weighted_sums, y_true, raw_prediction, sample_weight, groups)

    def batch_gradient(self, y_true, raw_prediction, sample_weight=None, groups=None):
        return self._per_weight(
            self.weighted_gradient, y_true, raw_prediction, sample_weight, groups
        )

    @staticmethod
    def _per_weight(method, y_true, raw_prediction, sample_weight, groups):
        """``method(...) / S``; zeros for a zero total weight (no rows count)."""
        raw = np.asarray(raw_prediction)
        total = _total_weight(sample_weight, raw)
        values = method(y_true, raw, sample_weight, groups)
        return values / total if total > 0 else np.zeros_like(values)
