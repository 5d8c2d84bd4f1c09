"""The registry of losses by name: the one list every other part of the package reads."""

from ._base import Loss
from ._batch import DiceLoss
from ._binary import (
    ExponentialLoss,
    FocalLoss,
    HingeLoss,
    LogLoss,
    ModifiedHuberLoss,
    SquaredHingeLoss,
)
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
    "multinomial_log_loss": MultinomialLogLoss,
    "softmax_focal": SoftmaxFocalLoss,
    "dice": DiceLoss,
    "pairwise_hinge": PairwiseHingeLoss,
    "pairwise_logistic": PairwiseLogisticLoss,
    "listwise_softmax": ListwiseSoftmaxLoss,
    "triplet": TripletLoss,
}
"""Registry: loss name -> loss class (instantiated with default parameters)."""


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
    skops and the plots.

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
