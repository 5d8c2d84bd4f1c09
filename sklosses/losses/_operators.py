"""The arithmetic of losses: ``w * loss``, ``loss / w``, ``loss1 + loss2`` and ``sum`` make
composite losses (:mod:`~sklosses.losses._composite`), sums of sums flattened into one.

The operators of :class:`~sklosses.losses.Loss` call :func:`add`, :func:`scale` and
:func:`divide`.
"""

import numpy as np

from ._base import Loss
from ._composite import BatchCompositeLoss, CompositeLoss
from ._terms import WeightedTerms, _is_weight, _number


def _parts(value):
    """``(terms, weights)`` of a loss: a composite's own, else the loss with weight 1."""
    if isinstance(value, WeightedTerms):
        return list(value.terms), [w for w, _ in value._weighted()]
    return [value], [1]


def _combined(terms, weights):
    """The composite of these terms, of the class their scopes need, checked."""
    batch = any(term.scope == "batch" for term in terms)
    composite = (BatchCompositeLoss if batch else CompositeLoss)(terms, weights)
    _ = composite.task, composite.link, composite.inverse_link  # raise here, saying why
    composite._check_scopes()
    return composite


def add(first, second):
    """``first + second`` of two losses (0 leaves a loss unchanged, for ``sum``), or
    NotImplemented."""
    for zero, other in ((first, second), (second, first)):
        if _is_weight(zero) and zero == 0 and isinstance(other, Loss):
            return other
    if not (isinstance(first, Loss) and isinstance(second, Loss)):
        return NotImplemented
    (terms, weights), (more_terms, more_weights) = _parts(first), _parts(second)
    return _combined(terms + more_terms, weights + more_weights)


def scale(loss, weight):
    """``weight * loss``, or NotImplemented for a weight that is not a number."""
    if not _is_weight(weight):
        return NotImplemented
    if not (np.isfinite(weight) and weight > 0):
        raise ValueError(f"A loss can be multiplied by a positive finite number, not {weight!r}.")
    terms, weights = _parts(loss)
    return _combined(terms, [_number(weight) * w for w in weights])


def divide(loss, divisor):
    """``loss / divisor``: ``(1 / divisor) * loss``, or NotImplemented."""
    if not _is_weight(divisor):
        return NotImplemented
    if divisor == 0:
        raise ValueError("A loss cannot be divided by 0.")
    return scale(loss, 1 / divisor)
