"""The registry of losses by name: the one list every other part of the package reads."""

from ._base import Loss
from ._batch import DiceLoss
from ._binary import (
    ExponentialLoss,
    HingeLoss,
    LogLoss,
    ModifiedHuberLoss,
    PerceptronLoss,
    SquaredHingeLoss,
)
from ._focal import FocalLoss
from ._lambdarank import LambdaRankLoss
from ._metric import TripletLoss
from ._multiclass import MultinomialLogLoss, SoftmaxFocalLoss
from ._quantile import ExpectileLoss, QuantileLoss
from ._ranking import ListwiseSoftmaxLoss, PairwiseHingeLoss, PairwiseLogisticLoss
from ._regression import (
    AbsoluteLoss,
    EpsilonInsensitiveLoss,
    HuberLoss,
    LogCoshLoss,
    PoissonLoss,
    SquaredEpsilonInsensitiveLoss,
    SquaredLoss,
)

LOSSES = {
    "squared_error": SquaredLoss,
    "absolute_error": AbsoluteLoss,
    "huber": HuberLoss,
    "quantile": QuantileLoss,
    "hinge": HingeLoss,
    "log_loss": LogLoss,
    "focal": FocalLoss,
    "log_cosh": LogCoshLoss,
    "epsilon_insensitive": EpsilonInsensitiveLoss,
    "squared_epsilon_insensitive": SquaredEpsilonInsensitiveLoss,
    "poisson": PoissonLoss,
    "expectile": ExpectileLoss,
    "squared_hinge": SquaredHingeLoss,
    "modified_huber": ModifiedHuberLoss,
    "exponential": ExponentialLoss,
    "perceptron": PerceptronLoss,
    "multinomial_log_loss": MultinomialLogLoss,
    "softmax_focal": SoftmaxFocalLoss,
    "dice": DiceLoss,
    "pairwise_hinge": PairwiseHingeLoss,
    "pairwise_logistic": PairwiseLogisticLoss,
    "listwise_softmax": ListwiseSoftmaxLoss,
    "lambdarank": LambdaRankLoss,
    "triplet": TripletLoss,
}
"""Registry: loss name -> loss class (instantiated with default parameters)."""

_BUILT_IN = dict(LOSSES)
"""The registry as the package defines it, before any run-time registration."""

_REGISTRATIONS_KEY = "_sklosses_loss_registrations"
"""Key of the run-time registrations in the pickled state of an object holding loss names."""


def get_loss(loss):
    """Return a loss instance from a registry name or a :class:`Loss` instance.

    Parameters
    ----------
    loss : str or Loss
        A name in :data:`LOSSES` or a loss instance (returned unchanged).

    Returns
    -------
    Loss

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones), or for anything
        that is neither a name nor an instance of :class:`Loss`.
    """
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(
                f"Unknown loss {loss!r}. Valid names are: {', '.join(sorted(LOSSES))}; "
                "or pass an instance of sklosses.losses.Loss."
            )
        return LOSSES[loss]()
    if isinstance(loss, Loss):
        return loss
    hint = ""
    if isinstance(loss, type) and issubclass(loss, Loss):
        hint = f" (a class: pass an instance, {loss.__name__}())"
    raise ValueError(
        f"loss must be a registry name ({', '.join(sorted(LOSSES))}) or an instance of "
        f"sklosses.losses.Loss, got {loss!r}{hint}."
    )


def validated_loss(loss, tasks, user):
    """The loss instance of ``loss``, its parameters validated, for one of ``tasks``.

    The one check of a ``loss`` argument, shared by the estimators and the metrics.

    Parameters
    ----------
    loss : str or Loss
        A registry name or a loss instance.
    tasks : collection of str
        The ``task`` values ``user`` accepts.
    user : str
        Who asks (named in the error message), e.g. ``"SGDRegressor"``.

    Returns
    -------
    Loss

    Raises
    ------
    ValueError
        For a name or instance :func:`get_loss` refuses, a parameter the loss's
        ``validate`` refuses, or a loss of another task.
    """
    loss = get_loss(loss).validate()
    if loss.task not in tasks:
        raise ValueError(
            f"{user} needs a loss for the task(s) {tuple(sorted(tasks))}; "
            f"{type(loss).__name__} is a {loss.task!r} loss."
        )
    return loss


def register_loss(name, loss_class):
    """Add a user-written loss class to :data:`LOSSES` under ``name``.

    The loss then works by name everywhere: ``loss=name`` in the estimators,
    :func:`~sklosses.metrics.mean_loss`, a scorer name from
    :func:`~sklosses.metrics.get_scorer`, :data:`sklosses.TRUSTED_TYPES` for
    skops and the plots. An estimator or scorer holding ``name`` carries the
    registration when pickled, so it also works in worker processes (e.g.
    ``GridSearchCV(..., n_jobs=2)``) and after unpickling in a fresh process
    (see :func:`with_loss_registrations`).

    Parameters
    ----------
    name : str
        A new registry name.
    loss_class : type
        A subclass of :class:`Loss` whose constructor needs no arguments.

    Raises
    ------
    ValueError
        If ``name`` is already registered, or the default instance of
        ``loss_class`` does not validate.
    TypeError
        If ``loss_class`` is not a :class:`Loss` subclass.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}.")
    if name in LOSSES:
        raise ValueError(f"A loss named {name!r} is already registered: {LOSSES[name]!r}.")
    if not (isinstance(loss_class, type) and issubclass(loss_class, Loss)):
        raise TypeError(
            f"loss_class must be a subclass of sklosses.losses.Loss, got {loss_class!r}."
        )
    loss_class().validate()
    LOSSES[name] = loss_class


def run_time_registration(name):
    """The class registered at run time under ``name``, or None.

    A name added with :func:`register_loss` (or written into :data:`LOSSES`) is
    known only to the process that added it; :func:`with_loss_registrations`
    carries it to the processes that unpickle an object holding the name.

    Parameters
    ----------
    name : object
        A loss name, or anything an estimator's ``loss`` may hold.

    Returns
    -------
    type or None
        The loss class, or None for a built-in name, an unknown name, or
        anything that is not a str (a loss instance pickles its own class).
    """
    if not isinstance(name, str) or name not in LOSSES:
        return None
    loss_class = LOSSES[name]
    return None if _BUILT_IN.get(name) is loss_class else loss_class


def with_loss_registrations(state, names):
    """The pickled ``state`` of an object, with the run-time registrations of ``names``.

    For the ``__getstate__`` of an object holding loss names (an estimator's
    ``loss``, a scorer's loss), so that a worker process (joblib's ``loky``, a
    process-based Dask cluster) or a fresh process unpickling it knows the
    names: :func:`restore_loss_registrations` registers them there. A built-in
    name adds nothing, so its pickle is the same as without this call.

    Parameters
    ----------
    state : dict
        The state the object would pickle (not modified).
    names : iterable
        The loss names (or loss instances, which need nothing) the object holds.

    Returns
    -------
    dict
        ``state``, or a copy of it with the registrations added.
    """
    registrations = {name: run_time_registration(name) for name in names}
    registrations = {name: cls for name, cls in registrations.items() if cls is not None}
    return {**state, _REGISTRATIONS_KEY: registrations} if registrations else state


def restore_loss_registrations(state):
    """Register the names carried in ``state`` by :func:`with_loss_registrations`.

    For the ``__setstate__`` of the same object. A missing name is registered
    with :func:`register_loss`; a name registered to the same class, or to a
    class of the same qualified name (the same class defined again, as a
    reused worker process sees after the script that defines it is run
    again), takes the pickled class.

    Parameters
    ----------
    state : dict
        The unpickled state (not modified).

    Returns
    -------
    dict
        ``state`` without the registrations.

    Raises
    ------
    ValueError
        If a carried name is registered here to a class of another name: the
        object was made with another loss under that name.
    """
    if _REGISTRATIONS_KEY not in state:
        return state
    state = dict(state)
    for name, loss_class in state.pop(_REGISTRATIONS_KEY).items():
        current = LOSSES.get(name)
        if current is None:
            register_loss(name, loss_class)
        elif _qualified_name(current) != _qualified_name(loss_class):
            raise ValueError(
                f"The loss name {name!r} is registered here to {_qualified_name(current)}, "
                f"but the object being unpickled was made with {_qualified_name(loss_class)} "
                f"under that name; remove one (del sklosses.losses.LOSSES[{name!r}]) or "
                "register it under another name."
            )
        else:
            LOSSES[name] = loss_class
    return state


def _qualified_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"
