"""The training engine: mini-batch SGD over any loss, then a full-batch finish.

The estimators talk to the engine through one door: :func:`train` takes the data,
the loss and one :class:`TrainingConfig`, and returns a
:class:`~sklosses._engine._train.Training` holding the state to continue from
(:class:`SGDState`). The engine knows nothing about estimators and no loss by name:
it reads the loss protocol's attributes.

Modules, one concern each:

* ``_config`` -- the configuration object and the pieces it builds;
* ``_batching`` -- mini-batches as views of ``X`` and the chain rule;
* ``_state`` -- the iterate, its average and what carries over between runs;
* ``_penalty``, ``_loop`` -- the penalty's proximal steps; the epoch loop,
  schedules, stopping and divergence retries;
* start-up: ``_start`` (the starting state and intercept), ``_preconditioner``
  (implicit standardisation), ``_step_size`` (the automatic step);
* finish: ``_objective`` (the objective over all rows), ``_full_batch`` (the phase;
  its solver, ``_solvers``: L-BFGS-B or Newton, ``_newton``; Moreau envelopes with
  continuation, ``_continuation``; the exact finishes of piecewise-linear losses,
  ``_active_set``, ``_dual_active_set``, ``_kink_walk``), ``_sparse_average``;
* ``_train`` -- the door, which runs the above in order.
"""

from ._config import TrainingConfig
from ._loop import DivergenceError
from ._state import SGDState
from ._train import train

__all__ = ["DivergenceError", "SGDState", "TrainingConfig", "train"]
