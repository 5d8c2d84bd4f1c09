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
  loss's domain (e.g. negative counts); the estimators call it at fit time;
* ``elementwise`` is True when each value depends only on the ``(y, raw)``
  of its own sample and output column; a coupled multiclass loss (False)
  returns one value per sample, of shape ``(..., 1)``;
* ``per_sample`` is True when the loss is a mean of per-sample values. A
  batch-level loss (False, e.g. :class:`DiceLoss`, also not elementwise) is
  one statistic of all the samples it is given (over every axis but the last,
  the outputs): ``loss`` returns that value for every sample, ``gradient``
  ``n`` times its derivative in each raw prediction (so the engine's batch
  mean of the gradients is its gradient), and both take ``sample_weight``;
* ``hessian(y_true, raw_prediction)``, optional: the per-sample second
  derivative in the raw prediction. A smooth loss whose curvature is far
  below its ``smoothness`` over most residuals (Huber, log-cosh: zero or
  nearly so in their linear tails) gives it, and the automatic step size
  then uses its mean curvature at the start of training instead of the
  worst case (:func:`sklosses._preconditioning.loss_curvature`);
* ``initial_raw_prediction(y_true, sample_weight)`` returns None (search for
  the constant minimising the mean loss) or the constant raw prediction per
  output that training starts from;
* ``differentiable`` is True when the gradient is continuous (by default: when
  the loss has a ``smoothness``; the Poisson and exponential losses are
  differentiable without a global bound). ``fit``'s full-batch phase minimises
  a differentiable loss directly and a non-differentiable one through its
  Moreau envelope (:class:`sklosses._smoothing.MoreauEnvelope`);
* ``proximal(y_true, raw_prediction, step)`` is the proximal operator of a
  convex loss in the raw prediction, ``argmin_z loss(y, z) + (z - raw)**2 /
  (2 step)``: a closed form for the piecewise-linear losses, found by bisection
  on the gradient otherwise.

Binary losses take ``y_true`` in {0, 1}. Losses are textbook-scaled: the mean
of the squared loss is the MSE (no factor 1/2), of the log loss the binary
cross-entropy, and so on. A loss never sees ``X`` or coefficients, and only
a batch-level loss sees sample weights (inside its sums). Losses are
scikit-learn parameter objects, so ``clone``, ``get_params(deep=True)`` and
``GridSearchCV(..., {"loss__quantile": ...})`` work on estimators that hold
them.

To add a loss: write one class here and add one line to ``LOSSES``. Users
add their own with :func:`register_loss` (or pass an instance directly), and
check an analytic gradient with :func:`check_gradient`.
"""

import math
import warnings
from numbers import Real

import numpy as np
from scipy.special import expit, logit, logsumexp, softmax, xlogy
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_scalar


class Loss(BaseEstimator):
    """Base class of all losses (see the module docstring for the protocol)."""

    task = "regression"
    smoothness = None
    inverse_link = None
    link = None
    elementwise = True
    per_sample = True
    hessian = None

    def loss(self, y_true, raw_prediction):
        """Per-sample loss values, same shape and dtype as ``raw_prediction``."""
        raise NotImplementedError

    def gradient(self, y_true, raw_prediction):
        """Per-sample derivative of the loss with respect to ``raw_prediction``.

        This default, for a loss that defines only :meth:`loss`, takes central
        finite differences of an elementwise loss, ``(loss(raw + h) - loss(raw
        - h)) / 2h`` with ``h = eps**(1/3) max(1, |raw|)``: two extra loss
        evaluations per step and about 1e-10 relative error in float64. It
        warns, since an analytic gradient is faster (check one with
        :func:`check_gradient`).
        """
        warnings.warn(
            f"{type(self).__name__} defines no gradient(): using central finite differences "
            "of its loss, which is slower. Define gradient() (and check it with "
            "sklosses.losses.check_gradient) for speed.",
            UserWarning,
            stacklevel=2,
        )
        raw = np.asarray(raw_prediction)
        step = np.cbrt(np.finfo(raw.dtype).eps) * np.maximum(1, np.abs(raw))
        return (self.loss(y_true, raw + step) - self.loss(y_true, raw - step)) / (2 * step)

    def validate(self):
        """Check the loss parameters; raise ``ValueError`` naming a bad one."""
        return self

    def initial_raw_prediction(self, y_true, sample_weight=None):
        """The constant raw prediction per output that training starts from, or None.

        None (this default) lets training search for the constant that
        minimises the weighted mean loss. A loss whose minimising constant is a
        poor start returns its own constants, of shape ``(n_outputs,)``, from
        the targets ``y_true`` of shape ``(n_samples, n_outputs)`` and the
        weights ``sample_weight`` of shape ``(n_samples,)`` (or None).
        """
        return None

    def check_target(self, y_true):
        """Raise ``ValueError`` if ``y_true`` is outside the loss's domain."""

    @property
    def differentiable(self):
        """Whether the gradient is continuous; by default, whether there is a ``smoothness``."""
        return self.smoothness is not None

    def proximal(self, y_true, raw_prediction, step):
        """``argmin_z loss(y, z) + (z - raw)**2 / (2 step)``, elementwise.

        This default, for a convex elementwise loss, bisects on the optimality
        condition ``step * gradient(y, z) + z - raw = 0``, whose left side grows
        with ``z``. The root lies between ``raw`` and ``raw - step * gradient(y,
        raw)`` (the gradient is monotone), and 60 halvings of that bracket reach
        the precision of float64.
        """
        raw = np.asarray(raw_prediction, dtype=np.float64)
        end = raw - step * self.gradient(y_true, raw)
        low, high = np.minimum(raw, end), np.maximum(raw, end)
        for _ in range(60):
            middle = 0.5 * (low + high)
            above = step * self.gradient(y_true, middle) + middle - raw > 0
            high = np.where(above, middle, high)
            low = np.where(above, low, middle)
        return 0.5 * (low + high)

    def __sklearn_is_fitted__(self):  # losses are stateless parameter objects
        return True


def _check_parameter(value, name, min_val=None, max_val=None, include_boundaries="both"):
    """``check_scalar`` that reports any invalid value (NaN too) as a ``ValueError``."""
    if isinstance(value, Real) and np.isnan(value):
        raise ValueError(f"{name} must be a number, got nan.")
    try:
        check_scalar(
            value,
            name,
            Real,
            min_val=min_val,
            max_val=max_val,
            include_boundaries=include_boundaries,
        )
    except TypeError as error:
        raise ValueError(str(error)) from None


def _signed(y_true, raw_prediction):
    """Labels in {0, 1} mapped to {-1, +1}, in the dtype of the prediction."""
    return 2 * np.asarray(y_true, dtype=raw_prediction.dtype) - 1


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

    def hessian(self, y_true, raw_prediction):
        return np.full_like(raw_prediction, 2.0)


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

    def proximal(self, y_true, raw_prediction, step):
        """Soft thresholding of the residual: ``raw - clip(raw - y, -step, step)``."""
        return raw_prediction - np.clip(raw_prediction - y_true, -step, step)


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

    def hessian(self, y_true, raw_prediction):
        return (np.abs(raw_prediction - y_true) <= self.delta).astype(
            np.asarray(raw_prediction).dtype
        )


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
        _check_parameter(
            self.quantile, "quantile", min_val=0, max_val=1, include_boundaries="neither"
        )
        return self

    def loss(self, y_true, raw_prediction):
        quantile = np.asarray(self.quantile, dtype=raw_prediction.dtype)
        residual = y_true - raw_prediction
        return np.maximum(quantile * residual, (quantile - 1) * residual)

    def gradient(self, y_true, raw_prediction):
        quantile = np.asarray(self.quantile, dtype=raw_prediction.dtype)
        return 0.5 * np.sign(raw_prediction - y_true) + (0.5 - quantile)

    def proximal(self, y_true, raw_prediction, step):
        """``raw - clip(raw - y, -step q, step (1 - q))``."""
        quantile = np.asarray(self.quantile, dtype=raw_prediction.dtype)
        return raw_prediction - np.clip(
            raw_prediction - y_true, -step * quantile, step * (1 - quantile)
        )


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

    def proximal(self, y_true, raw_prediction, step):
        """``raw + step t clip((1 - t raw) / step, 0, 1)``: up to the margin, at most ``step``."""
        sign = _signed(y_true, raw_prediction)
        return raw_prediction + step * sign * np.clip((1 - sign * raw_prediction) / step, 0, 1)


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

    def hessian(self, y_true, raw_prediction):
        return expit(raw_prediction) * expit(-raw_prediction)


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
        ratio = np.divide(
            probability * complement,
            wrong_probability,
            out=np.zeros_like(probability),
            where=wrong_probability > 0,
        )
        gradient = focusing * (
            (probability - y_true) + self.gamma * cross_entropy * ratio * (1 - 2 * y_true)
        )
        return self._alpha_t(y_true) * gradient

    @property
    def smoothness(self):
        raw = np.linspace(-30, 30, 60001)
        step = raw[1] - raw[0]
        curvature = (
            max(np.abs(np.diff(self.gradient(label, raw))).max() for label in (0.0, 1.0)) / step
        )
        return 1.05 * curvature  # margin for the grid's resolution


def _exp_cap(exponent):
    """Where :func:`_capped_exp` turns linear: 0.7 times the log of the largest
    float of the dtype (496.9 in float64, 62.1 in float32), as a Python float."""
    dtype = np.result_type(np.asarray(exponent), np.float16)  # float32 stays float32
    return 0.7 * float(np.log(np.finfo(dtype).max))


def _capped_exp(exponent):
    """``exp(exponent)``, continued linearly (same value and slope) beyond :func:`_exp_cap`.

    Convex, continuously differentiable, and finite without warnings for any
    exponent below 1e11 (float32) or 1e90 (float64). The cap is still large
    enough that a diverging SGD iterate overflows: a gradient of ``exp(cap)``
    sends raw predictions to that size, whose loss exceeds ``exp(2 cap)``, which
    is not a finite float; the engine then retries with a smaller step. Its
    derivative is ``exp(min(exponent, cap))``.
    """
    cap = _exp_cap(exponent)
    return np.exp(np.minimum(exponent, cap)) * (1 + np.maximum(exponent - cap, 0))


class LogCoshLoss(Loss):
    """Log-cosh loss ``log(cosh(raw - y))``.

    Quadratic (``r**2 / 2``) near zero and linear (``|r| - log 2``) in the
    tails. Computed as ``log1p(sinh(r)**2) / 2`` for ``|r| < 1`` (accurate for
    small residuals) and ``|r| + log1p(exp(-2 |r|)) - log 2`` otherwise (no
    overflow). Gradient ``tanh(raw - y)``, smoothness 1.

    >>> import numpy as np
    >>> LogCoshLoss().loss(np.array([0.0, 0.0]), np.array([0.0, 2.0]))
    array([0.        , 1.32500275])
    """

    smoothness = 1.0

    def loss(self, y_true, raw_prediction):
        residual = np.abs(raw_prediction - y_true)
        near = 0.5 * np.log1p(np.sinh(np.minimum(residual, 1)) ** 2)
        far = residual + np.log1p(np.exp(-2 * residual)) - math.log(2)
        return np.where(residual < 1, near, far)

    def gradient(self, y_true, raw_prediction):
        return np.tanh(raw_prediction - y_true)

    def hessian(self, y_true, raw_prediction):
        return 1 - np.tanh(raw_prediction - y_true) ** 2


class EpsilonInsensitiveLoss(Loss):
    """Epsilon-insensitive loss ``max(0, |y - raw| - epsilon)`` (linear SVR).

    As scikit-learn's SGD ``"epsilon_insensitive"``. Gradient
    ``sign(raw - y)`` outside the tube, 0 inside; not smooth.

    >>> import numpy as np
    >>> EpsilonInsensitiveLoss(epsilon=0.5).loss(np.array([0.0, 0.0]), np.array([0.2, -2.0]))
    array([0. , 1.5])
    """

    def __init__(self, epsilon=0.1):
        self.epsilon = epsilon

    def validate(self):
        _check_parameter(self.epsilon, "epsilon", min_val=0)
        return self

    def loss(self, y_true, raw_prediction):
        return np.maximum(np.abs(raw_prediction - y_true) - self.epsilon, 0)

    def gradient(self, y_true, raw_prediction):
        residual = raw_prediction - y_true
        return np.where(np.abs(residual) > self.epsilon, np.sign(residual), 0).astype(
            raw_prediction.dtype
        )

    def proximal(self, y_true, raw_prediction, step):
        """Soft thresholding of the residual beyond the tube, by at most ``step``."""
        residual = raw_prediction - y_true
        excess = np.clip(np.abs(residual) - self.epsilon, 0, step)
        return raw_prediction - np.sign(residual) * excess


class SquaredEpsilonInsensitiveLoss(Loss):
    """Squared epsilon-insensitive loss ``max(0, |y - raw| - epsilon)**2``.

    As scikit-learn's SGD ``"squared_epsilon_insensitive"``. Gradient
    ``2 sign(raw - y) max(0, |raw - y| - epsilon)``, smoothness 2.

    >>> import numpy as np
    >>> SquaredEpsilonInsensitiveLoss(epsilon=0.5).loss(np.array([0.0, 0.0]),
    ...                                                 np.array([0.2, -2.0]))
    array([0.  , 2.25])
    """

    smoothness = 2.0

    def __init__(self, epsilon=0.1):
        self.epsilon = epsilon

    def validate(self):
        _check_parameter(self.epsilon, "epsilon", min_val=0)
        return self

    def loss(self, y_true, raw_prediction):
        return np.maximum(np.abs(raw_prediction - y_true) - self.epsilon, 0) ** 2

    def gradient(self, y_true, raw_prediction):
        residual = raw_prediction - y_true
        return 2 * np.sign(residual) * np.maximum(np.abs(residual) - self.epsilon, 0)

    def hessian(self, y_true, raw_prediction):
        outside = np.abs(raw_prediction - y_true) > self.epsilon
        return 2 * outside.astype(raw_prediction.dtype)


class PoissonLoss(Loss):
    """Poisson deviance with a log link; its mean is ``mean_poisson_deviance``.

    With ``mu = exp(raw)``: ``2 (y log(y / mu) - y + mu)``, where
    ``y log y = 0`` at ``y = 0``; the Poisson negative log-likelihood up to
    terms in ``y`` alone, times 2. Gradient ``2 (exp(raw) - y)``. ``predict``
    returns the mean ``exp(raw)`` (``inverse_link``); targets must be
    non-negative (``check_target``).

    The gradient has no global Lipschitz constant, so ``smoothness`` is None
    and the automatic step size treats the loss as non-smooth (its length
    scale at the best constant sets the step, which then decays as
    ``1/sqrt(epoch)``). ``exp(raw)`` is continued linearly beyond raw = 496.9
    (62.1 in float32): finite values, without warnings, for raw up to 1e90
    (1e11 in float32).

    >>> import numpy as np
    >>> PoissonLoss().loss(np.array([0.0, 2.0]), np.array([0.0, np.log(2.0)]))
    array([2., 0.])
    """

    inverse_link = staticmethod(np.exp)
    link = staticmethod(np.log)

    def check_target(self, y_true):
        if np.any(np.asarray(y_true) < 0):
            raise ValueError(
                "PoissonLoss needs non-negative targets (counts or rates); "
                "y contains negative values."
            )

    differentiable = True

    def loss(self, y_true, raw_prediction):
        return 2 * (
            xlogy(y_true, y_true) - y_true * (raw_prediction + 1) + _capped_exp(raw_prediction)
        )

    def gradient(self, y_true, raw_prediction):
        return 2 * (np.exp(np.minimum(raw_prediction, _exp_cap(raw_prediction))) - y_true)

    def hessian(self, y_true, raw_prediction):
        cap = _exp_cap(raw_prediction)
        return 2 * np.where(raw_prediction <= cap, np.exp(np.minimum(raw_prediction, cap)), 0)


class ExpectileLoss(Loss):
    """Asymmetric squared loss of the ``expectile`` tau (Newey & Powell, 1987).

    ``|tau - 1[y < raw]| (y - raw)**2``; ``expectile=0.5`` is half the squared
    error (its minimiser is the mean). Gradient
    ``2 |tau - 1[y < raw]| (raw - y)``, smoothness ``2 max(tau, 1 - tau)``.

    >>> import numpy as np
    >>> ExpectileLoss(expectile=0.9).loss(np.array([1.0, 1.0]), np.array([0.0, 2.0]))
    array([0.9, 0.1])
    """

    def __init__(self, expectile=0.5):
        self.expectile = expectile

    def validate(self):
        _check_parameter(
            self.expectile, "expectile", min_val=0, max_val=1, include_boundaries="neither"
        )
        return self

    def _weight(self, y_true, raw_prediction):
        return np.where(y_true < raw_prediction, 1 - self.expectile, self.expectile)

    def loss(self, y_true, raw_prediction):
        weight = self._weight(y_true, raw_prediction).astype(raw_prediction.dtype)
        return weight * (raw_prediction - y_true) ** 2

    def gradient(self, y_true, raw_prediction):
        weight = self._weight(y_true, raw_prediction).astype(raw_prediction.dtype)
        return 2 * weight * (raw_prediction - y_true)

    def hessian(self, y_true, raw_prediction):
        return 2 * self._weight(y_true, raw_prediction).astype(raw_prediction.dtype)

    @property
    def smoothness(self):
        return 2 * max(self.expectile, 1 - self.expectile)


class SquaredHingeLoss(Loss):
    """Squared hinge loss ``max(0, 1 - t raw)**2`` with ``t = 2 y - 1``.

    As scikit-learn's ``"squared_hinge"`` (SGD and ``LinearSVC``). Gradient
    ``-2 t max(0, 1 - t raw)``, smoothness 2; no probability estimate.

    >>> import numpy as np
    >>> SquaredHingeLoss().loss(np.array([1, 0]), np.array([0.5, 2.0]))
    array([0.25, 9.  ])
    """

    task = "binary"
    smoothness = 2.0

    def loss(self, y_true, raw_prediction):
        return np.maximum(0, 1 - _signed(y_true, raw_prediction) * raw_prediction) ** 2

    def gradient(self, y_true, raw_prediction):
        sign = _signed(y_true, raw_prediction)
        return -2 * sign * np.maximum(0, 1 - sign * raw_prediction)

    def hessian(self, y_true, raw_prediction):
        inside = _signed(y_true, raw_prediction) * raw_prediction < 1
        return 2 * inside.astype(raw_prediction.dtype)


class ModifiedHuberLoss(Loss):
    """scikit-learn's modified Huber loss, on the margin ``m = t raw``, ``t = 2 y - 1``.

    ``max(0, 1 - m)**2`` for ``m >= -1``, ``-4 m`` below (a quadratically
    smoothed hinge). Gradient ``-2 t max(0, 1 - m)`` for ``m >= -1``, ``-4 t``
    below; smoothness 2. Inverse link ``(clip(raw, -1, 1) + 1) / 2``,
    scikit-learn's probability estimate for this loss.

    >>> import numpy as np
    >>> ModifiedHuberLoss().loss(np.array([1, 1, 1]), np.array([2.0, 0.5, -3.0]))
    array([ 0.  ,  0.25, 12.  ])
    """

    task = "binary"
    smoothness = 2.0

    @staticmethod
    def inverse_link(raw_prediction):
        return (np.clip(raw_prediction, -1, 1) + 1) / 2

    def loss(self, y_true, raw_prediction):
        margin = _signed(y_true, raw_prediction) * raw_prediction
        return np.where(margin >= -1, np.maximum(0, 1 - margin) ** 2, -4 * margin)

    def gradient(self, y_true, raw_prediction):
        sign = _signed(y_true, raw_prediction)
        margin = sign * raw_prediction
        return np.where(margin >= -1, -2 * sign * np.maximum(0, 1 - margin), -4 * sign)

    def hessian(self, y_true, raw_prediction):
        margin = _signed(y_true, raw_prediction) * raw_prediction
        return 2 * ((margin >= -1) & (margin < 1)).astype(raw_prediction.dtype)


class ExponentialLoss(Loss):
    """Exponential loss ``exp(-t raw)``, ``t = 2 y - 1`` (AdaBoost's loss).

    Gradient ``-t exp(-t raw)``. Its population minimiser is half the log-odds,
    so the inverse link (the probability estimate) is ``expit(2 raw)``. No
    global Lipschitz constant: ``smoothness`` is None, as for
    :class:`PoissonLoss`, and ``exp`` is continued linearly in the same way.

    >>> import numpy as np
    >>> ExponentialLoss().loss(np.array([1.0, 0.0]), np.array([0.0, np.log(2.0)]))
    array([1., 2.])
    """

    task = "binary"

    @staticmethod
    def inverse_link(raw_prediction):
        return expit(2 * raw_prediction)

    differentiable = True

    def loss(self, y_true, raw_prediction):
        return _capped_exp(-_signed(y_true, raw_prediction) * raw_prediction)

    def gradient(self, y_true, raw_prediction):
        sign = _signed(y_true, raw_prediction)
        return -sign * np.exp(np.minimum(-sign * raw_prediction, _exp_cap(raw_prediction)))

    def hessian(self, y_true, raw_prediction):
        exponent = -_signed(y_true, raw_prediction) * raw_prediction
        cap = _exp_cap(raw_prediction)
        return np.where(exponent <= cap, np.exp(np.minimum(exponent, cap)), 0)


def _sample_sum(values):
    """Sums over the samples: every axis but the last (the outputs); all of a 1-D array."""
    return values.sum(axis=tuple(range(values.ndim - 1)) or None, keepdims=True)


class DiceLoss(Loss):
    """Soft Dice loss of a batch, for imbalanced binary classification.

    With ``p = expit(raw)``, sample weights ``s`` (all ones by default) and
    sums over the samples of the batch, for each output column::

        D = 1 - N / M,   N = 2 sum s p y + smooth sum s,
                         M = sum s p + sum s y + smooth sum s

    Unweighted, this is the textbook soft Dice ``1 - (2 sum p y + k) / (sum p
    + sum y + k)`` with smoothing ``k = smooth * n``: taken per sample, so
    that the batch size and a scaling of the weights do not change it, and
    integer weights equal repeated samples. ``D`` is in [0, 1]; for 0/1
    predictions (and ``smooth -> 0``) it is ``1 - F1``: training on it aims
    at the F1 score of a rare positive class.

    ``D`` is a statistic of the batch, not a sum over samples (``per_sample``
    and ``elementwise`` are False). It fits the protocol through the engine's
    weighted batch mean of per-sample gradients: ``loss`` returns ``D`` for
    every sample and ``gradient`` returns ``(sum s / s_i) dD/draw_i`` (``n
    dD/draw_i`` unweighted), that is ``sum s (N - 2 y_i M) p_i (1 - p_i) /
    M**2``. SGD thus minimises the mean Dice of its mini-batches (larger
    batches come closer to the Dice of all the data). Both methods take
    ``sample_weight`` (broadcast against ``raw_prediction``), and every caller
    passes it (:func:`batch_weight`): :func:`~sklosses.metrics.mean_loss`
    gives the weighted Dice of the evaluation set, and the engine the weighted
    Dice of each batch -- ``sample_weight`` and ``class_weight`` act inside
    the sums, and rows of weight 0 (e.g. those held out by ``early_stopping``)
    do not count.

    The curvature grows without bound as a batch's positive mass shrinks, so
    ``smoothness`` is None. The constant minimising ``D`` saturates the
    sigmoid (all positive, or all negative for a large ``smooth``), where the
    gradient vanishes: training starts instead from the log-odds of the
    weighted positive rate, clipped to [1e-3, 1 - 1e-3]
    (``initial_raw_prediction``). Inverse link ``expit``: the soft predictions
    the loss is computed from, not calibrated probabilities.

    Parameters
    ----------
    smooth : float, default=1e-3
        Smoothing per unit weight, > 0. Keep it well below the positive rate:
        on batches without positives ``D = sum s p / (sum s p + smooth sum
        s)``, which pushes the mean ``p`` down to about ``smooth``.

    Examples
    --------
    >>> import numpy as np
    >>> DiceLoss().loss(np.array([1.0, 0.0, 0.0]), np.array([2.0, -2.0, 0.0]))
    array([0.29500833, 0.29500833, 0.29500833])
    """

    task = "binary"
    elementwise = False
    per_sample = False
    inverse_link = staticmethod(expit)

    def __init__(self, smooth=1e-3):
        self.smooth = smooth

    def validate(self):
        _check_parameter(self.smooth, "smooth", min_val=0, include_boundaries="neither")
        return self

    def _parts(self, y_true, raw_prediction, sample_weight):
        """``p``, ``1 - p``, targets and weights shaped like ``raw_prediction``, and
        the sums ``sum s``, ``N`` and ``M`` of each output column."""
        raw = np.asarray(raw_prediction)
        y_true = np.asarray(y_true, dtype=raw.dtype)
        weight = (
            np.ones_like(raw)
            if sample_weight is None
            else np.broadcast_to(np.asarray(sample_weight, dtype=raw.dtype), raw.shape)
        )
        probability, complement = expit(raw), expit(-raw)
        total_weight = _sample_sum(weight)
        smoothing = raw.dtype.type(self.smooth) * total_weight
        numerator = 2 * _sample_sum(weight * probability * y_true) + smoothing
        denominator = _sample_sum(weight * (probability + y_true)) + smoothing
        return probability, complement, y_true, weight, total_weight, numerator, denominator

    def loss(self, y_true, raw_prediction, sample_weight=None):
        probability, complement, y_true, weight, _, _, denominator = self._parts(
            y_true, raw_prediction, sample_weight
        )
        # M - N = sum s (p (1 - y) + (1 - p) y): no cancellation when N is close to M
        wrong = _sample_sum(weight * (probability * (1 - y_true) + complement * y_true))
        dice = np.divide(wrong, denominator, out=np.zeros_like(denominator), where=denominator > 0)
        return np.broadcast_to(dice, probability.shape).copy()

    def gradient(self, y_true, raw_prediction, sample_weight=None):
        probability, complement, y_true, _, total_weight, numerator, denominator = self._parts(
            y_true, raw_prediction, sample_weight
        )
        defined = denominator > 0  # only not for zero total weight (or smooth = 0)
        safe = np.where(defined, denominator, 1)
        scale = np.where(defined, total_weight / safe, 0) / safe
        return scale * (numerator - 2 * y_true * denominator) * probability * complement

    def initial_raw_prediction(self, y_true, sample_weight=None):
        targets = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
        if sample_weight is not None and not np.sum(sample_weight) > 0:
            sample_weight = None
        rate = np.average(targets, axis=0, weights=sample_weight)
        return logit(np.clip(rate, 1e-3, 1 - 1e-3))


def _softmax(raw):
    """Row-wise softmax over the last axis (the classes)."""
    return softmax(raw, axis=-1)


class MultinomialLogLoss(Loss):
    """Softmax cross-entropy over the classes: ``logsumexp(raw) - sum_k y_k raw_k``.

    ``y_true`` is one-hot or a row of class probabilities (soft labels: the
    loss is then the KL divergence from the targets plus their entropy). The
    classes are coupled: one value per sample (shape ``(..., 1)``). Gradient
    ``softmax(raw) - y``; the Hessian ``diag(p) - p p^T`` has spectral norm at
    most 1/2, the smoothness. Inverse link: softmax.

    >>> import numpy as np
    >>> MultinomialLogLoss().loss(np.array([[1.0, 0.0, 0.0]]), np.zeros((1, 3)))
    array([[1.09861229]])
    """

    elementwise = False
    task = "multiclass"
    smoothness = 0.5
    inverse_link = staticmethod(_softmax)

    def loss(self, y_true, raw_prediction):
        return logsumexp(raw_prediction, axis=-1, keepdims=True) - (y_true * raw_prediction).sum(
            axis=-1, keepdims=True
        )

    def gradient(self, y_true, raw_prediction):
        return _softmax(raw_prediction) - y_true

    def initial_raw_prediction(self, y_true, sample_weight=None):
        """The log class frequencies, the minimising constant in closed form; a class
        rarer than ``h = 0.5 / (n + 1)`` (absent from ``y_true``) starts at the rate
        ``h``, the others share the rest, so that every logit starts finite."""
        frequencies = np.average(y_true, axis=0, weights=sample_weight)
        floor = 0.5 / (len(y_true) + 1)
        rare = frequencies < floor
        rates = np.where(
            rare, floor, frequencies * (1 - floor * rare.sum()) / frequencies[~rare].sum()
        )
        return np.log(rates)


class SoftmaxFocalLoss(Loss):
    """Focal loss over softmax probabilities: ``-sum_k a_k y_k (1 - p_k)**gamma log p_k``.

    ``p = softmax(raw)``, ``a = alpha`` (one weight per class) or 1. With
    ``c_k = -a_k y_k (1 - p_k)**gamma (1 + gamma p_k (-log p_k) / (1 - p_k))``
    the gradient is ``c - p sum_k c_k``; ``gamma=0, alpha=None`` is
    :class:`MultinomialLogLoss`. Smoothness: twice the two-class bound, i.e.
    2 max(a) times the sigmoid focal loss's (exact for two classes, where the
    loss is a function of ``raw_1 - raw_0``). Inverse link: softmax.

    >>> import numpy as np
    >>> SoftmaxFocalLoss(gamma=0.0).loss(np.array([[1.0, 0.0]]), np.zeros((1, 2)))
    array([[0.69314718]])
    """

    elementwise = False
    task = "multiclass"
    inverse_link = staticmethod(_softmax)

    def __init__(self, gamma=2.0, alpha=None):
        self.gamma = gamma
        self.alpha = alpha

    def validate(self):
        _check_parameter(self.gamma, "gamma", min_val=0)
        if self.alpha is not None:
            alpha = np.asarray(self.alpha, dtype=float)
            if alpha.ndim != 1 or not np.all((alpha >= 0) & (alpha <= 1)):
                raise ValueError(
                    f"alpha must be None or one weight in [0, 1] per class, got {self.alpha!r}."
                )
        return self

    def _terms(self, y_true, raw_prediction):
        shifted = raw_prediction - raw_prediction.max(axis=-1, keepdims=True)  # exact in fp
        log_probability = shifted - logsumexp(shifted, axis=-1, keepdims=True)
        probability = np.exp(log_probability)
        wrong = -np.expm1(log_probability)  # 1 - p, accurate near p = 1
        weight = (
            y_true
            if self.alpha is None
            else y_true * np.asarray(self.alpha, dtype=raw_prediction.dtype)
        )
        return log_probability, probability, wrong, weight

    def loss(self, y_true, raw_prediction):
        log_probability, _, wrong, weight = self._terms(y_true, raw_prediction)
        return (weight * wrong**self.gamma * -log_probability).sum(axis=-1, keepdims=True)

    def gradient(self, y_true, raw_prediction):
        log_probability, probability, wrong, weight = self._terms(y_true, raw_prediction)
        # p (-log p) / (1 - p), which tends to 1 as p -> 1
        ratio = np.divide(
            probability * -log_probability, wrong, out=np.ones_like(probability), where=wrong > 0
        )
        c = -weight * wrong**self.gamma * (1 + self.gamma * ratio)
        return c - probability * c.sum(axis=-1, keepdims=True)

    @property
    def smoothness(self):
        largest_weight = 1.0 if self.alpha is None else float(np.max(self.alpha))
        return 2 * largest_weight * FocalLoss(gamma=self.gamma).smoothness


class MultiQuantileLoss(QuantileLoss):
    """Pinball losses of several quantiles, quantile ``q_k`` on output column ``k``.

    :class:`QuantileLoss` with a vector of quantiles broadcast over the last
    axis. Used by :class:`~sklosses.intervals.MultiQuantileRegressor` (one
    output per quantile); not in the registry, since it needs
    ``len(quantiles)`` output columns.

    >>> import numpy as np
    >>> MultiQuantileLoss(quantiles=(0.1, 0.9)).loss(np.ones((1, 2)), np.zeros((1, 2)))
    array([[0.1, 0.9]])
    """

    def __init__(self, quantiles=(0.05, 0.5, 0.95)):
        self.quantiles = quantiles

    @property
    def quantile(self):
        return np.asarray(self.quantiles, dtype=float)

    def validate(self):
        quantiles = self.quantile
        if (
            quantiles.ndim != 1
            or len(quantiles) == 0
            or not np.all((quantiles > 0) & (quantiles < 1))
        ):
            raise ValueError(
                f"quantiles must be a non-empty sequence of values in (0, 1), "
                f"got {self.quantiles!r}."
            )
        if np.any(np.diff(quantiles) <= 0):
            raise ValueError(f"quantiles must be increasing, got {self.quantiles!r}.")
        return self


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


def batch_weight(loss, sample_weight):
    """Keyword arguments that hand ``sample_weight`` to a batch-level loss.

    A per-sample loss never sees weights (its callers weight its values and
    gradients); a batch-level loss (``per_sample`` False) needs them inside
    its sums. Returns ``{"sample_weight": sample_weight}`` or ``{}``.
    """
    if sample_weight is None or getattr(loss, "per_sample", True):
        return {}
    return {"sample_weight": sample_weight}


def register_loss(name, loss_class):
    """Add a user-written loss class to :data:`LOSSES` under ``name``.

    The loss then works by name everywhere: ``loss=name`` in the estimators,
    :func:`~sklosses.metrics.mean_loss`, and a scorer name from
    :func:`~sklosses.metrics.get_scorer`.

    Parameters
    ----------
    name : str
        A new registry name.
    loss_class : type
        A subclass of :class:`Loss` whose constructor needs no arguments.

    Raises
    ------
    ValueError
        If ``name`` is already registered.
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


def check_gradient(loss, y_true, raw_prediction, *, rtol=1e-4):
    """Compare ``loss.gradient`` with central finite differences of ``loss.loss``.

    Parameters
    ----------
    loss : Loss
        An elementwise loss (one value per sample and output).
    y_true, raw_prediction : ndarray
        Points at which to compare (float64 gives the most precise check).
    rtol : float, default=1e-4
        Largest accepted ``max |g - g_fd| / max(1, max |g_fd|)``.

    Returns
    -------
    float
        That relative error.

    Raises
    ------
    ValueError
        If the error exceeds ``rtol``.
    """
    raw = np.asarray(raw_prediction, dtype=np.float64)
    step = np.cbrt(np.finfo(np.float64).eps) * np.maximum(1, np.abs(raw))
    numeric = (loss.loss(y_true, raw + step) - loss.loss(y_true, raw - step)) / (2 * step)
    error = float(
        np.max(np.abs(loss.gradient(y_true, raw) - numeric))
        / max(1.0, float(np.max(np.abs(numeric))))
    )
    if error > rtol:
        raise ValueError(
            f"The gradient of {loss!r} differs from finite differences of its "
            f"loss by {error:.3g} (relative), more than rtol={rtol}."
        )
    return error
