"""Loss functions for linear models, one small class each, and their registry.

Every loss follows one vectorised protocol, with arguments in the order of
``sklearn.metrics`` -- ``(y_true, raw_prediction)``:

* ``loss(y_true, raw_prediction)`` returns the per-sample loss values;
* ``gradient(y_true, raw_prediction)`` returns d loss / d raw_prediction;
* ``task`` is ``"regression"`` or ``"binary"`` (binary losses are applied
  one-vs-rest to multiclass problems by the estimators);
* ``smoothness`` is a Lipschitz constant of the gradient in the raw prediction,
  or ``None`` for a non-smooth loss; the engine's automatic step size uses it;
* ``inverse_link`` maps raw predictions to probabilities (binary losses) or
  means (regression losses with a non-identity link), or is ``None``; a
  regression loss with an ``inverse_link`` also has its inverse ``link``
  (metrics turn ``predict`` output back into raw predictions with it);
* ``check_target(y_true)`` raises ``ValueError`` for targets outside the
  loss's domain (e.g. negative counts); the estimators call it at fit time.

Binary losses take ``y_true`` in {0, 1}. Losses are textbook-scaled: the mean
of the squared loss is the MSE (no factor 1/2), of the log loss the binary
cross-entropy, and so on. A loss never sees ``X``, coefficients or sample
weights. Losses are scikit-learn parameter objects, so ``clone``,
``get_params(deep=True)`` and ``GridSearchCV(..., {"loss__quantile": ...})``
work on estimators that hold them.

To add a loss: write one class here and add one line to ``LOSSES``.
"""

from numbers import Real

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_scalar


class Loss(BaseEstimator):
    """Base class of all losses (see the module docstring for the protocol)."""

    task = "regression"
    smoothness = None
    inverse_link = None
    link = None

    def loss(self, y_true, raw_prediction):
        """Per-sample loss values, same shape and dtype as ``raw_prediction``."""
        raise NotImplementedError

    def gradient(self, y_true, raw_prediction):
        """Per-sample derivative of the loss with respect to ``raw_prediction``."""
        raise NotImplementedError

    def validate(self):
        """Check the loss parameters; raise ``ValueError`` naming a bad one."""
        return self

    def check_target(self, y_true):
        """Raise ``ValueError`` if ``y_true`` is outside the loss's domain."""

    def __sklearn_is_fitted__(self):  # losses are stateless parameter objects
        return True


def _check_parameter(value, name, min_val=None, max_val=None, include_boundaries="both"):
    """``check_scalar`` that reports any invalid value (NaN too) as a ``ValueError``."""
    if isinstance(value, Real) and np.isnan(value):
        raise ValueError(f"{name} must be a number, got nan.")
    try:
        check_scalar(value, name, Real, min_val=min_val, max_val=max_val,
                     include_boundaries=include_boundaries)
    except TypeError as error:
        raise ValueError(str(error)) from None


def _signed(y_true, raw_prediction):
    """Labels in {0, 1} mapped to {-1, +1}, in the dtype of the prediction."""
    return (2 * np.asarray(y_true, dtype=raw_prediction.dtype) - 1)


class SquaredLoss(Loss):
    """Squared error ``(y - raw)**2``; its mean is the MSE.

    Gradient ``2 (raw - y)``, smoothness 2.

    >>> import numpy as np
    >>> SquaredLoss().loss(np.array([1.0, 2.0]), np.array([0.0, 4.0]))
    array([1., 4.])
    """

    smoothness = 2.0

    def loss(self, y_true, raw_prediction):
        return (raw_prediction - y_true) ** 2

    def gradient(self, y_true, raw_prediction):
        return 2 * (raw_prediction - y_true)


class AbsoluteLoss(Loss):
    """Absolute error ``|y - raw|``; its mean is the MAE.

    Gradient ``sign(raw - y)`` (0 at a tie); not smooth.

    >>> import numpy as np
    >>> AbsoluteLoss().loss(np.array([1.0, 2.0]), np.array([0.0, 4.0]))
    array([1., 2.])
    """

    def loss(self, y_true, raw_prediction):
        return np.abs(raw_prediction - y_true)

    def gradient(self, y_true, raw_prediction):
        return np.sign(raw_prediction - y_true)


class HuberLoss(Loss):
    """Huber loss with threshold ``delta`` on the residual ``r = y - raw``.

    ``r**2 / 2`` if ``|r| <= delta``, else ``delta * (|r| - delta / 2)``
    (as ``torch.nn.HuberLoss``). Gradient ``clip(raw - y, -delta, delta)``,
    smoothness 1.

    >>> import numpy as np
    >>> HuberLoss(delta=1.0).loss(np.array([0.0, 0.0]), np.array([0.5, 3.0]))
    array([0.125, 2.5  ])
    """

    smoothness = 1.0

    def __init__(self, delta=1.0):
        self.delta = delta

    def validate(self):
        _check_parameter(self.delta, "delta", min_val=0, include_boundaries="neither")
        return self

    def loss(self, y_true, raw_prediction):
        abs_residual = np.abs(raw_prediction - y_true)
        quadratic = np.minimum(abs_residual, self.delta)
        return quadratic * (abs_residual - quadratic / 2)

    def gradient(self, y_true, raw_prediction):
        return np.clip(raw_prediction - y_true, -self.delta, self.delta)


class QuantileLoss(Loss):
    """Pinball loss of the ``quantile`` q; its mean is ``mean_pinball_loss``.

    ``q * max(y - raw, 0) + (1 - q) * max(raw - y, 0)``. Gradient
    ``1 - q`` above the target, ``-q`` below, ``1/2 - q`` at a tie; not smooth.

    >>> import numpy as np
    >>> QuantileLoss(quantile=0.9).loss(np.array([1.0, 1.0]), np.array([0.0, 2.0]))
    array([0.9, 0.1])
    """

    def __init__(self, quantile=0.5):
        self.quantile = quantile

    def validate(self):
        _check_parameter(self.quantile, "quantile", min_val=0, max_val=1,
                         include_boundaries="neither")
        return self

    def loss(self, y_true, raw_prediction):
        residual = y_true - raw_prediction
        return np.maximum(self.quantile * residual, (self.quantile - 1) * residual)

    def gradient(self, y_true, raw_prediction):
        return 0.5 * np.sign(raw_prediction - y_true) + (0.5 - self.quantile)


class HingeLoss(Loss):
    """Hinge loss ``max(0, 1 - t * raw)`` with ``t = 2 y - 1`` in {-1, +1}.

    Its mean is ``sklearn.metrics.hinge_loss``. Gradient ``-t`` inside the
    margin, 0 outside; not smooth; no probability estimate.

    >>> import numpy as np
    >>> HingeLoss().loss(np.array([1, 0]), np.array([0.5, -3.0]))
    array([0.5, 0. ])
    """

    task = "binary"

    def loss(self, y_true, raw_prediction):
        return np.maximum(0, 1 - _signed(y_true, raw_prediction) * raw_prediction)

    def gradient(self, y_true, raw_prediction):
        sign = _signed(y_true, raw_prediction)
        return np.where(sign * raw_prediction < 1, -sign, 0).astype(raw_prediction.dtype)


def _softplus(x):
    """``log(1 + exp(x))`` without overflow."""
    return np.logaddexp(0, x)


class LogLoss(Loss):
    """Binary cross-entropy on logits: ``log(1 + exp(raw)) - y * raw``.

    Its mean is ``sklearn.metrics.log_loss`` of ``expit(raw)``. Gradient
    ``expit(raw) - y``, smoothness 1/4, inverse link ``expit``.

    >>> import numpy as np
    >>> LogLoss().loss(np.array([1.0, 0.0]), np.array([0.0, 0.0]))
    array([0.69314718, 0.69314718])
    """

    task = "binary"
    smoothness = 0.25
    inverse_link = staticmethod(expit)

    def loss(self, y_true, raw_prediction):
        return _softplus(raw_prediction) - y_true * raw_prediction

    def gradient(self, y_true, raw_prediction):
        return expit(raw_prediction) - y_true


class FocalLoss(Loss):
    """Sigmoid focal loss of ``torchvision.ops.sigmoid_focal_loss``.

    With ``p = expit(raw)``, ``ce`` the binary cross-entropy on logits and
    ``u = 1 - p_t = y (1 - p) + (1 - y) p`` the probability given to the wrong
    class::

        loss = alpha_t * u**gamma * ce,   alpha_t = alpha y + (1 - alpha)(1 - y)

    (``alpha=None`` sets ``alpha_t = 1``). ``gamma=0, alpha=None`` is the log
    loss. Gradient, with ``du/draw = p (1 - p) (1 - 2 y)``::

        alpha_t * (u**gamma * (p - y) + gamma * u**(gamma - 1) * ce * du/draw)

    The smoothness constant is measured on a fine grid of raw predictions (the
    second derivative has no closed-form maximum). Inverse link ``expit``.

    >>> import numpy as np
    >>> FocalLoss(gamma=2.0).loss(np.array([1.0]), np.array([0.0]))
    array([0.1732868])
    """

    task = "binary"
    inverse_link = staticmethod(expit)

    def __init__(self, gamma=2.0, alpha=None):
        self.gamma = gamma
        self.alpha = alpha

    def validate(self):
        _check_parameter(self.gamma, "gamma", min_val=0)
        if self.alpha is not None:
            _check_parameter(self.alpha, "alpha", min_val=0, max_val=1)
        return self

    def _alpha_t(self, y_true):
        if self.alpha is None:
            return 1
        return self.alpha * y_true + (1 - self.alpha) * (1 - y_true)

    def loss(self, y_true, raw_prediction):
        cross_entropy = _softplus(raw_prediction) - y_true * raw_prediction
        wrong_probability = y_true * expit(-raw_prediction) + (1 - y_true) * expit(raw_prediction)
        return self._alpha_t(y_true) * wrong_probability**self.gamma * cross_entropy

    def gradient(self, y_true, raw_prediction):
        probability = expit(raw_prediction)
        complement = expit(-raw_prediction)
        cross_entropy = _softplus(raw_prediction) - y_true * raw_prediction
        wrong_probability = y_true * complement + (1 - y_true) * probability
        focusing = wrong_probability**self.gamma
        # p (1 - p) / u, bounded by 1 and 0 where u underflows to 0
        ratio = np.divide(probability * complement, wrong_probability,
                          out=np.zeros_like(probability), where=wrong_probability > 0)
        gradient = focusing * ((probability - y_true)
                               + self.gamma * cross_entropy * ratio * (1 - 2 * y_true))
        return self._alpha_t(y_true) * gradient

    @property
    def smoothness(self):
        raw = np.linspace(-30, 30, 60001)
        step = raw[1] - raw[0]
        curvature = max(np.abs(np.diff(self.gradient(label, raw))).max()
                        for label in (0.0, 1.0)) / step
        return 1.05 * curvature  # margin for the grid's resolution


LOSSES = {
    "squared_error": SquaredLoss,
    "absolute_error": AbsoluteLoss,
    "huber": HuberLoss,
    "quantile": QuantileLoss,
    "hinge": HingeLoss,
    "log_loss": LogLoss,
    "focal": FocalLoss,
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
        For an unknown name; the message lists the valid ones.
    """
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(
                f"Unknown loss {loss!r}. Valid names are: {', '.join(sorted(LOSSES))}; "
                "or pass a Loss instance."
            )
        return LOSSES[loss]()
    if not isinstance(loss, type) and hasattr(loss, "loss") and hasattr(loss, "gradient"):
        return loss
    raise ValueError(
        f"loss must be a registry name ({', '.join(sorted(LOSSES))}) or a Loss "
        f"instance, got {loss!r}."
    )
