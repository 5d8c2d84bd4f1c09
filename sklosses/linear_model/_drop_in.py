"""What scikit-learn's ``SGDClassifier`` and ``SGDRegressor`` have beyond sklosses' own
design, kept so that changing the import is enough: the ``epsilon`` parameter and the
``loss_functions`` table, ``coef_init``/``intercept_init`` in scikit-learn's shapes,
``sparsify``/``densify``, and scikit-learn's rules for ``partial_fit`` with early
stopping and a negative ``power_t``.

Nothing here knows a loss by name: the losses that take scikit-learn's ``epsilon`` say
which of their parameters it sets (``Loss.sklearn_epsilon_parameter``).
"""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.utils import assert_all_finite
from sklearn.utils.validation import check_is_fitted

from ..losses import LOSSES, get_loss, validated_loss


def loss_with_epsilon(loss, epsilon):
    """``loss`` with scikit-learn's ``epsilon`` set (a new loss object), or ``loss``.

    A loss given by name is built with ``epsilon`` as the parameter its class names in
    ``sklearn_epsilon_parameter`` (``"huber"``: ``HuberLoss(delta=epsilon)``). A loss
    without one ignores ``epsilon``, as scikit-learn's ``hinge`` or ``squared_error``
    do, so one grid can cross ``epsilon`` with several losses. A loss *object* keeps its
    parameters on itself: ``epsilon`` for it is an error saying so.
    """
    if epsilon is None:
        return loss
    instance = get_loss(loss)  # a new object for a name
    parameter = instance.sklearn_epsilon_parameter
    if parameter is None:
        return loss
    if not isinstance(loss, str):
        name = type(loss).__name__
        raise ValueError(
            f"epsilon={epsilon!r} sets the {parameter!r} of a loss given by name; the "
            f"parameters of a loss object live on the object: pass "
            f"loss={name}({parameter}={epsilon!r}) and leave epsilon=None."
        )
    return instance.set_params(**{parameter: epsilon})


class SklearnLossFunctions:
    """scikit-learn's public ``loss_functions`` table, ``{name: (loss class, *args)}``, for
    the names of ``sklearn_estimator``'s table that the registry knows.

    ``args`` is the value of the parameter that ``epsilon`` sets, for a loss with one
    (``"huber": (HuberLoss, 1.0)``), else empty: ``loss_class(*args)`` is the loss the
    name trains. scikit-learn's table is a class attribute that its tests read from
    the class, so this is a descriptor: read from the class, the losses take their
    defaults (``epsilon=None``); from an estimator, its ``epsilon``.

    Parameters
    ----------
    sklearn_estimator : type
        The scikit-learn estimator whose loss names the table follows.
    """

    def __init__(self, sklearn_estimator):
        self.names = list(sklearn_estimator.loss_functions)

    def __get__(self, estimator, owner=None):
        epsilon = None if estimator is None else estimator.epsilon
        table = {}
        # the registry is read when asked: the names follow it, not the import's
        for name in (name for name in self.names if name in LOSSES):
            loss = get_loss(loss_with_epsilon(name, epsilon))
            parameter = loss.sklearn_epsilon_parameter
            args = () if parameter is None else (loss.get_params()[parameter],)
            table[name] = (type(loss), *args)
        return table


def _finite_array(values, name):
    array = np.asarray(values, dtype=np.float64)
    assert_all_finite(array, input_name=name)
    return array


def initial_model(coef_init, intercept_init, n_features, n_outputs):
    """The engine's start ``(coef, intercept)``, of shapes ``(n_features, n_outputs)`` and
    ``(n_outputs,)``, from ``fit``'s ``coef_init`` and ``intercept_init`` in the shapes
    scikit-learn accepts, with its messages; a part not given starts at zero.

    ``coef_`` has a row per output, or one row for one output or two classes:
    ``coef_init`` is then of any shape with ``n_features`` values (scikit-learn ravels
    it) and ``intercept_init`` a scalar or of shape ``(1,)``. Two outputs under one row
    are a multiclass loss on two classes, whose ``coef_`` is the difference of the two
    outputs' rows: the start splits it evenly between them.
    """
    rows = n_outputs if n_outputs > 2 else 1
    coef = np.zeros((rows, n_features))
    intercept = np.zeros(rows)
    if coef_init is not None:
        coef = _finite_array(coef_init, "coef_init")
    if intercept_init is not None:
        intercept = _finite_array(intercept_init, "intercept_init")
    if rows > 1:
        coef_fits, coef_shape = coef.shape == (rows, n_features), f"{(rows, n_features)}"
        intercept_fits, intercept_shape = intercept.shape == (rows,), f"{(rows,)}"
    else:
        coef_fits, coef_shape = coef.size == n_features, f"{(n_features,)} or {(1, n_features)}"
        intercept_fits, intercept_shape = intercept.shape in ((), (1,)), "() or (1,)"
    for name, fits, array, shape in (
        ("coef_init", coef_fits, coef, coef_shape),
        ("intercept_init", intercept_fits, intercept, intercept_shape),
    ):
        if not fits:
            raise ValueError(
                f"Provided {name} does not match dataset: expected shape {shape} ({rows} "
                f"row(s) of coef_ for {n_features} features), got {array.shape}."
            )
    coef, intercept = coef.reshape(rows, n_features).T, intercept.reshape(rows)
    if n_outputs == 2 and rows == 1:
        coef, intercept = np.hstack([-coef, coef]) / 2, np.hstack([-intercept, intercept]) / 2
    return coef, intercept


def check_sklearn_rules(estimator, partial, first_call):
    """scikit-learn's rules for a whole call rather than one parameter: a first
    ``partial_fit`` refuses early stopping (it holds no data out), and ``fit`` warns that
    a negative ``power_t`` is deprecated (an error from scikit-learn 1.10)."""
    if partial and first_call and estimator.early_stopping:
        raise ValueError(
            "early_stopping should be False with partial_fit: partial_fit trains one "
            "epoch on the data it is given and holds none out for validation."
        )
    if not partial and estimator.power_t < 0:
        warnings.warn(
            "Negative values for `power_t` are deprecated in version 1.8 and will raise an "
            "error in 1.10. Use values in the range [0.0, inf) instead.",
            FutureWarning,
            stacklevel=5,  # the caller of fit (through _fit and the callbacks' wrapper)
        )


class DropInMixin:
    """scikit-learn's ``epsilon``, ``sparsify`` and ``densify`` on an SGD estimator.

    Placed before ``BaseSGD`` in the bases of an estimator whose ``__init__`` stores
    ``epsilon``.
    """

    def _validated_loss(self):
        """The loss, built with scikit-learn's ``epsilon`` when one is given."""
        loss = loss_with_epsilon(self.loss, self.epsilon)
        return validated_loss(loss, self._loss_tasks, type(self).__name__)

    def densify(self):
        """Convert ``coef_`` back to a dense numpy array (after :meth:`sparsify`).

        ``fit`` and ``partial_fit`` set a dense ``coef_`` anyway.

        Returns
        -------
        self
        """
        check_is_fitted(self, msg="Estimator, %(name)s, must be fitted before densifying.")
        if sp.issparse(self.coef_):
            self.coef_ = self.coef_.toarray()
        return self

    def sparsify(self):
        """Convert ``coef_`` to a scipy.sparse CSR matrix, as scikit-learn does.

        Worth it when most coefficients are zero (an L1 penalty). ``predict`` and
        ``decision_function`` work on it; ``intercept_`` stays dense. A 2-D ``coef_``
        follows scikit-learn's ``set_config(sparse_interface=...)`` (a matrix by
        default); the regressor's 1-D ``coef_`` becomes a ``csr_array``, scipy's only
        sparse type of one dimension.

        Returns
        -------
        self
        """
        check_is_fitted(self, msg="Estimator, %(name)s, must be fitted before sparsifying.")
        coef = sp.csr_array(self.coef_)
        if coef.ndim == 2 and get_config().get("sparse_interface", "spmatrix") == "spmatrix":
            coef = sp.csr_matrix(coef)
        self.coef_ = coef
        return self
