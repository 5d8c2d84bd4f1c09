"""The one configuration object of a training run, and the engine pieces it builds."""

from dataclasses import dataclass, fields

import numpy as np

from ._loop import Stopping
from ._penalty import PENALTIES, Penalty

SOLVERS = ("auto", "sgd")
MIN_AUTO_STEPS = 16
"""The fewest steps per epoch of ``batch_size="auto"`` (see ``TrainingConfig.rows_per_batch``)."""
LEARNING_RATES = ("auto", "constant", "optimal", "invscaling", "adaptive")


@dataclass
class Schedule:
    """Step sizes for the batch-mean gradient, ``t`` being the samples seen plus one.

    * ``"constant"``: ``eta0``.
    * ``"optimal"``: scikit-learn's ``1 / (alpha (t0 + t - 1))``. ``state.eta`` holds
      its first step ``1 / (alpha t0)``, from scikit-learn's heuristic
      (:func:`~sklosses._engine._step_size.optimal_first_step`).
    * ``"invscaling"``: ``eta0 / t**power_t``.
    * ``"adaptive"``: ``eta0``, divided by 5 each time the stopping criterion
      would stop; training ends when it falls below 1e-6.
    * ``"auto"``: ``eta0`` is set by :func:`automatic_step_size` from the
      loss's smoothness; constant for a quadratic loss, ``eta0 / sqrt(1 + epochs)``
      for the others (``partial_fit`` calls count as epochs). Meant to be used with
      averaging.

    The fixed schedules are scikit-learn's, whose ``t`` counts single-sample steps:
    with ``batch_size=1`` they give its steps.
    """

    learning_rate: str = "auto"
    eta0: float = 0.01
    power_t: float = 0.25

    def step_size(self, state, constant_step):
        if self.learning_rate == "invscaling":
            return self.eta0 / state.t**self.power_t
        if self.learning_rate == "optimal":
            # 1 / (alpha (t0 + t - 1)) with t0 = 1 / (alpha eta): eta at t = 1
            return state.eta / (1 + state.eta * state.alpha * (state.t - 1))
        if self.learning_rate == "auto" and not constant_step:
            return state.eta / np.sqrt(1 + state.epochs_seen)
        return state.eta

    @property
    def shortens_on_divergence(self):
        """Whether an epoch that blows up is retried with a ten times shorter step: for
        the steps the user did not choose, the automatic one and ``"optimal"``'s (from
        a heuristic first step, which a ten times shorter one turns into a ten times
        larger ``t0``); a step the user chose raises instead."""
        return self.learning_rate in ("auto", "optimal")

    @property
    def blow_up(self):
        """How many times the starting objective (or 1) an epoch may end above before it
        counts as blown up: 1e8, or 10 under ``"optimal"``, whose first step, too long
        for the squared error on unscaled data, leaves epochs hundreds of times above
        the start that a tenfold shorter step cures; a model that far above the start
        is never returned."""
        return 10.0 if self.learning_rate == "optimal" else 1e8

    def too_long(self):
        """The setting that chose a fixed schedule's steps, and how to shorten them (the
        divergence errors end with it)."""
        if self.learning_rate == "optimal":
            return (
                "learning_rate='optimal', whose first step alpha**-0.25 (scikit-learn's "
                "heuristic) is too long for these data and loss. Use learning_rate='auto', "
                "or scale the features (e.g. StandardScaler)."
            )
        return (
            f"learning_rate={self.learning_rate!r} and eta0={self.eta0}. Scale the features "
            "(e.g. StandardScaler) or lower eta0 (or use learning_rate='auto')."
        )


@dataclass(frozen=True)
class TrainingConfig:
    """Every setting of a training run, named and meant as the estimators' parameters.

    ``alpha`` is a number, or ``"auto"`` (resolved at the start of training, see
    :func:`~sklosses._engine._start.default_alpha`); ``average`` is ``"auto"``
    (averaging from the second epoch under ``learning_rate="auto"``), a bool or
    the number of samples after which to start; ``batch_size`` is an int or
    ``"auto"`` (about 100 steps per epoch, 16 to 4096 rows, fewer rows on fewer than 256
    rows, see :meth:`rows_per_batch`). The class attributes
    ``PENALTIES``, ``LEARNING_RATES`` and ``SOLVERS`` list the valid choices.
    """

    PENALTIES = PENALTIES
    LEARNING_RATES = LEARNING_RATES
    SOLVERS = SOLVERS

    penalty: str | None = "l2"
    alpha: float | str = "auto"
    l1_ratio: float = 0.15
    fit_intercept: bool = True
    max_iter: int = 1000
    tol: float | None = 1e-3
    n_iter_no_change: int = 5
    shuffle: bool = True
    learning_rate: str = "auto"
    eta0: float = 0.01
    power_t: float = 0.25
    average: bool | int | str = "auto"
    batch_size: int | str = "auto"
    solver: str = "auto"
    verbose: int = 0

    @classmethod
    def field_names(cls):
        """The names of the settings (each an estimator parameter of the same name)."""
        return [field.name for field in fields(cls)]

    def penalty_of(self, alpha):
        """The penalty with strength ``alpha`` (the resolved ``alpha``)."""
        return Penalty(self.penalty, alpha, self.l1_ratio)

    def schedule(self):
        return Schedule(self.learning_rate, self.eta0, self.power_t)

    def stopping(self):
        return Stopping(self.max_iter, self.tol, self.n_iter_no_change)

    def rows_per_batch(self, n_samples):
        """``"auto"``: about 100 steps per epoch, with 16 to 4096 rows per batch, but at
        least ``MIN_AUTO_STEPS`` steps on fewer rows than ``16 * MIN_AUTO_STEPS``: the
        batch then shrinks with the rows, to one row on fewer than ``2 * MIN_AUTO_STEPS``
        (a ``partial_fit`` chunk of a few rows is as many steps, not one)."""
        batch_size = self.batch_size
        if batch_size == "auto":
            batch_size = min(max(n_samples // 100, 16), 4096)  # np.clip costs more
            batch_size = min(batch_size, max(1, n_samples // MIN_AUTO_STEPS))
        return max(1, min(batch_size, n_samples))

    def average_start(self, n_samples):
        """``t`` (samples seen plus one, after a step) from which steps are averaged: after
        one epoch under ``"auto"``; ``True`` from the start; an int ``k > 0`` from the step
        that brings the samples seen to ``k`` (scikit-learn's rule); ``False``/0 never."""
        if isinstance(self.average, str):
            return n_samples + 1 if self.learning_rate == "auto" else None
        if isinstance(self.average, bool | np.bool_):
            return 1 if self.average else None
        return int(self.average) + 1 if self.average > 0 else None
