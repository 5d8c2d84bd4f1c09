"""The terms of a composite loss: their weights, their names, their parameters in
scikit-learn's nested style (``huberloss__delta``), and the repr of the expression."""

from collections import Counter
from numbers import Integral, Real


def _number(weight):
    """A weight as a Python number: arithmetic with it keeps float32 arrays in float32
    (a NumPy float64 scalar would promote them)."""
    return int(weight) if isinstance(weight, Integral) else float(weight)


def _is_weight(value):
    return isinstance(value, Real) and not isinstance(value, bool)


class WeightedTerms:
    """Base of the composite losses: the terms and weights as parameters, the names of
    the terms, and the repr of the expression.

    Parameters
    ----------
    terms : list of Loss, default=()
        The losses summed.
    weights : list of float or None, default=None
        One weight per term; None weighs every term 1.
    """

    def __init__(self, terms=(), weights=None):
        self.terms = terms
        self.weights = weights

    def _weighted(self):
        """``[(weight, term)]`` with the weights as Python numbers (1 for None)."""
        weights = [1] * len(self.terms) if self.weights is None else list(self.weights)
        if len(weights) != len(self.terms):
            raise ValueError(
                f"weights has {len(weights)} values for {len(self.terms)} terms; give one "
                "weight per term (or None for weights of 1)."
            )
        return [(_number(w), term) for w, term in zip(weights, self.terms, strict=True)]

    def _sum(self, evaluate):
        """``sum_j w_j evaluate(term_j)``."""
        total = None
        for weight, term in self._weighted():
            value = weight * evaluate(term)
            total = value if total is None else total + value
        return total

    @property
    def named_terms(self):
        """The terms by name, in order: ``{name: term}``.

        A term's name is its class name in lower case, numbered from 1 where several
        terms share a class (``huberloss-1``, ``huberloss-2``), as the steps of
        ``sklearn.pipeline.make_pipeline``.
        """
        names = [type(term).__name__.lower() for term in self.terms]
        counts, seen = Counter(names), Counter()
        for index, name in enumerate(names):
            if counts[name] > 1:
                seen[name] += 1
                names[index] = f"{name}-{seen[name]}"
        return dict(zip(names, self.terms, strict=True))

    def get_params(self, deep=True):
        """The parameters: ``terms`` and ``weights``, and with ``deep`` every term by its
        name and the term's parameters as ``<name>__<parameter>``.

        Parameters
        ----------
        deep : bool, default=True
            Whether to include the terms and their parameters.

        Returns
        -------
        dict
        """
        params = super().get_params(deep=False)
        if deep:
            for name, term in self.named_terms.items():
                params[name] = term
                for key, value in term.get_params(deep=True).items():
                    params[f"{name}__{key}"] = value
        return params

    def set_params(self, **params):
        """Set ``terms``, ``weights``, a whole term by its name, or a term's parameter as
        ``<name>__<parameter>`` (names as in :attr:`named_terms` before the call).

        Parameters
        ----------
        **params : dict
            The new values.

        Returns
        -------
        self
        """
        # the order of Pipeline.set_params: the list of terms, whole terms, then their
        # parameters (which may belong to a term replaced just before)
        for key in ("terms", "weights"):
            if key in params:
                setattr(self, key, params.pop(key))
        index = {name: i for i, name in enumerate(self.named_terms)}
        nested = {}
        for key, value in params.items():
            name, _, parameter = key.partition("__")
            if name not in index:
                raise ValueError(
                    f"Invalid parameter {name!r} for {type(self).__name__}: valid ones are "
                    f"terms, weights and the names of its terms ({', '.join(index)})."
                )
            if parameter:
                nested.setdefault(index[name], {})[parameter] = value
            else:
                terms = list(self.terms)  # a new list: the caller's stays as it was
                terms[index[name]] = value
                self.terms = terms
        for position, values in nested.items():
            self.terms[position].set_params(**values)
        return self

    def __repr__(self, N_CHAR_MAX=700):
        """The expression: ``0.7 * HuberLoss() + 0.3 * QuantileLoss(quantile=0.9)``."""
        if not self.terms:
            return f"{type(self).__name__}()"
        weighted = self._weighted()
        parts = []
        for weight, term in weighted:
            text = repr(term)
            if isinstance(term, WeightedTerms):  # a nested sum, built by hand
                text = f"({text})"
            if weight != 1 or len(weighted) == 1:
                text = f"{weight!r} * {text}"
            parts.append(text)
        return " + ".join(parts)
