"""Declarative parameter constraints, and the one check of parameters against them.

An estimator or a loss declares ``_parameter_constraints``: a dict from each
constructor parameter to a list of constraints, of which a valid value satisfies
at least one. The conventions and the wording of the error are scikit-learn's
(its ``sklearn.utils._param_validation`` is private, so this is our own small
version), so a bad value reads as it would in scikit-learn::

    The 'alpha' parameter of SGDRegressor must be a float in the range [0.0, inf)
    or a str among {'auto'}. Got nan instead.

A constraint is one of:

* an :class:`Interval` of integers or reals (NaN lies in no interval);
* an :class:`ArrayOf` numbers of an interval (a 1-D array-like);
* a :class:`StrOptions` set of strings;
* ``None``, for the value None;
* a type, for its instances (``numbers.Integral``, ``dict``, ``Loss``, ...);
* ``callable``, for any callable;
* the strings ``"array-like"`` (anything with a length or a shape but a string
  or a scalar), ``"boolean"`` (``bool`` or ``numpy.bool_``), ``"verbose"`` (a
  non-negative int or a boolean) and ``"random_state"`` (an int in
  ``[0, 2**32 - 1]``, a ``numpy.random.RandomState`` or None).
"""

import math
import operator
from numbers import Integral, Real

import numpy as np


class InvalidParameterError(ValueError, TypeError):
    """A parameter's value satisfies none of its constraints.

    Both a ``ValueError`` and a ``TypeError``, as scikit-learn's error of the same
    name: a caller catching either for a bad parameter keeps working.
    """


def _type_name(cls):
    """``int``, ``float``, ``dict``, or the public dotted path of a class (private
    submodules left out: ``sklosses.losses.Loss``)."""
    if cls is Integral:
        return "int"
    if cls is Real:
        return "float"
    if cls.__module__ == "builtins":
        return cls.__qualname__
    public = []
    for part in cls.__module__.split("."):
        if part.startswith("_"):
            break
        public.append(part)
    return ".".join([*public, cls.__qualname__])


class _InstancesOf:
    def __init__(self, cls):
        self.cls = cls

    def is_satisfied_by(self, value):
        return isinstance(value, self.cls)

    def __str__(self):
        return f"an instance of {_type_name(self.cls)!r}"


class _NoneConstraint:
    def is_satisfied_by(self, value):
        return value is None

    def __str__(self):
        return "None"


class _Callables:
    def is_satisfied_by(self, value):
        return callable(value)

    def __str__(self):
        return "a callable"


class _ArrayLikes:
    def is_satisfied_by(self, value):
        has_length = hasattr(value, "__len__") or hasattr(value, "shape")
        return has_length and not np.isscalar(value)

    def __str__(self):
        return "an array-like"


class Interval:
    """The integers or reals between two bounds, each included or not.

    Parameters
    ----------
    type : {numbers.Integral, numbers.Real}
        The numbers of the interval (an ``Integral`` is also a ``Real``).
    left, right : int, float or None
        The bounds; None is unbounded on that side.
    closed : {"left", "right", "both", "neither"}
        Which bounds belong to the interval. An unbounded side closed (e.g.
        ``right=None, closed="both"``) admits the infinity of that side; open,
        it refuses it.
    """

    def __init__(self, type, left, right, *, closed):
        if closed not in ("left", "right", "both", "neither"):
            raise ValueError(
                f"closed must be 'left', 'right', 'both' or 'neither', got {closed!r}."
            )
        self.type = type
        self.left = left
        self.right = right
        self.closed = closed

    def is_satisfied_by(self, value):
        """Whether ``value`` is a number of the interval's type inside it (never NaN).

        Parameters
        ----------
        value : object

        Returns
        -------
        bool
        """
        if not isinstance(value, self.type):
            return False
        if not isinstance(value, Integral) and math.isnan(value):  # an int may exceed floats
            return False
        below = operator.lt if self.closed in ("left", "both") else operator.le
        above = operator.gt if self.closed in ("right", "both") else operator.ge
        left = -math.inf if self.left is None else self.left
        right = math.inf if self.right is None else self.right
        return not (below(value, left) or above(value, right))

    @property
    def bounds(self):
        """The interval as written: ``[0.0, inf)``."""
        bound = int if self.type is Integral else float
        left = "-inf" if self.left is None else bound(self.left)
        right = "inf" if self.right is None else bound(self.right)
        opening = "[" if self.closed in ("left", "both") else "("
        closing = "]" if self.closed in ("right", "both") else ")"
        return f"{opening}{left}, {right}{closing}"

    def __str__(self):
        return f"{'an int' if self.type is Integral else 'a float'} in the range {self.bounds}"


class ArrayOf:
    """A non-empty one-dimensional array-like of reals, each inside an interval.

    Parameters
    ----------
    interval : Interval
        The interval (of reals) every entry must lie in.
    """

    def __init__(self, interval):
        self.interval = interval

    def is_satisfied_by(self, value):
        """Whether ``value`` is a non-empty 1-D array-like of numbers of the interval.

        Parameters
        ----------
        value : object

        Returns
        -------
        bool
        """
        if not _ArrayLikes().is_satisfied_by(value):
            return False
        try:
            values = np.asarray(value, dtype=float)
        except (TypeError, ValueError):  # entries that are not numbers
            return False
        entries = values.tolist() if values.ndim == 1 else []
        return len(entries) > 0 and all(map(self.interval.is_satisfied_by, entries))

    def __str__(self):
        return f"a non-empty 1-D array-like of numbers in the range {self.interval.bounds}"


class StrOptions:
    """A set of strings.

    Parameters
    ----------
    options : collection of str
        The valid strings, read at each check: a live mapping (such as the
        registry of losses) keeps up with what is added to it.
    """

    def __init__(self, options):
        self.options = options

    def is_satisfied_by(self, value):
        """Whether ``value`` is one of the strings.

        Parameters
        ----------
        value : object

        Returns
        -------
        bool
        """
        return isinstance(value, str) and value in self.options

    def __str__(self):
        return f"a str among {{{', '.join(repr(option) for option in sorted(self.options))}}}"


class _AnyOf:
    """Satisfied by a value that satisfies one of ``constraints``; read as their list."""

    def __init__(self, constraints):
        self.constraints = [make_constraint(constraint) for constraint in constraints]

    def is_satisfied_by(self, value):
        return any(constraint.is_satisfied_by(value) for constraint in self.constraints)

    def __str__(self):
        *others, last = [str(constraint) for constraint in self.constraints]
        return f"{', '.join(others)} or {last}" if others else last


def make_constraint(constraint):
    """The constraint object of one entry of a constraint list (see the module docstring).

    Parameters
    ----------
    constraint : Interval, StrOptions, type, None, callable or str
        An entry of a ``_parameter_constraints`` list.

    Returns
    -------
    object
        An object with ``is_satisfied_by(value)`` and a ``str`` that says what it
        accepts.
    """
    if constraint is None:
        return _NoneConstraint()
    if constraint is callable:
        return _Callables()
    if isinstance(constraint, type):
        return _InstancesOf(constraint)
    if isinstance(constraint, str):
        return _NAMED[constraint]
    return constraint  # already a constraint object (an Interval, StrOptions, ...)


_NAMED = {
    "array-like": _ArrayLikes(),
    "boolean": _AnyOf([bool, np.bool_]),
    "verbose": _AnyOf([Interval(Integral, 0, None, closed="left"), bool, np.bool_]),
    "random_state": _AnyOf(
        [Interval(Integral, 0, 2**32 - 1, closed="both"), np.random.RandomState, None]
    ),
}


_ACCEPTED = {}
"""``id(constraint list) -> (the list, its _AnyOf)``: the lists are class attributes, checked
at every ``fit``, and building their constraint objects each time was a third of the
check's cost. The list is kept, so its id cannot be reused by another."""


def _accepted(constraint_list):
    """The :class:`_AnyOf` of ``constraint_list``, built once."""
    if id(constraint_list) not in _ACCEPTED:
        _ACCEPTED[id(constraint_list)] = (constraint_list, _AnyOf(constraint_list))
    return _ACCEPTED[id(constraint_list)][1]


def validate_parameter_constraints(constraints, params, caller_name):
    """Raise :class:`InvalidParameterError` for the first parameter outside its constraints.

    Parameters
    ----------
    constraints : dict
        Parameter name -> list of constraints (see the module docstring); a
        parameter without an entry is not checked.
    params : dict
        Parameter name -> value, e.g. ``get_params(deep=False)``.
    caller_name : str
        The estimator or loss named in the message, e.g. ``"SGDRegressor"``.

    Raises
    ------
    InvalidParameterError
        "The 'alpha' parameter of SGDRegressor must be a float in the range
        [0.0, inf) or a str among {'auto'}. Got nan instead."
    """
    for name, value in params.items():
        if name not in constraints:
            continue
        accepted = _accepted(constraints[name])
        if not accepted.is_satisfied_by(value):
            raise InvalidParameterError(
                f"The {name!r} parameter of {caller_name} must be {accepted}. "
                f"Got {value!r} instead."
            )
