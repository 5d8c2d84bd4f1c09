"""Composite losses: ``0.7 * HuberLoss() + 0.3 * QuantileLoss(0.9)`` is a loss.

Its values and gradients are the weighted sums of its terms'; its attributes compose
(and refuse terms that cannot be summed, saying why); its terms' parameters are tuned
in scikit-learn's nested style; and it works everywhere a loss works: the estimators,
the metrics and scorers, the plots, the command line, pickling and ``clone``. The
generic loss tests of ``test_losses.py`` run on composites of every scope.
"""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import minimize
from scipy.special import logit
from sklearn.base import clone
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV
from test_losses import protocol_inputs, run_generic_checks

from sklosses import SGDClassifier, SGDRegressor
from sklosses.losses import (
    AbsoluteLoss,
    BatchCompositeLoss,
    CompositeLoss,
    DiceLoss,
    ExponentialLoss,
    FocalLoss,
    HingeLoss,
    HuberLoss,
    ListwiseSoftmaxLoss,
    LogCoshLoss,
    LogLoss,
    MoreauEnvelope,
    MultinomialLogLoss,
    PairwiseHingeLoss,
    PoissonLoss,
    QuantileLoss,
    SoftmaxFocalLoss,
    SquaredLoss,
    check_gradient,
)
from sklosses.metrics import make_loss_scorer, mean_loss

COMPOSITES = [
    0.7 * HuberLoss() + 0.3 * QuantileLoss(0.9),  # kinked, convex
    0.5 * SquaredLoss() + 2 * HuberLoss(0.5),  # smooth, with a hessian
    0.5 * LogLoss() + FocalLoss(gamma=1.0),  # binary, not convex
    MultinomialLogLoss() + 0.5 * SoftmaxFocalLoss(),  # scope "sample"
    FocalLoss() + 0.5 * DiceLoss(),  # scope "batch"
]


def evaluate(loss, y_true, raw, sample_weight=None):
    """``weighted_sums`` and ``weighted_gradient`` of ``loss``."""
    return (
        loss.weighted_sums(y_true, raw, sample_weight),
        loss.weighted_gradient(y_true, raw, sample_weight),
    )


# -- the generic tests of every loss ----------------------------------------------------
@pytest.mark.parametrize("loss", COMPOSITES, ids=repr)
def test_composites_pass_the_generic_loss_tests(loss):
    ran = run_generic_checks(loss)
    assert "test_check_gradient_on_two_dimensional_batches" in ran
    assert "test_clone_and_params_round_trip" in ran
    if loss.scope == "element":
        assert "test_gradient_finite_differences" in ran
        assert "test_convexity_is_as_declared" in ran
    if loss.scope == "batch":
        assert "test_batch_gradient_is_the_derivative_of_the_batch_loss" in ran


# -- values and gradients -------------------------------------------------------------
@pytest.mark.parametrize("loss", COMPOSITES, ids=repr)
def test_values_and_gradients_are_the_weighted_sums_of_the_terms(loss):
    y_true, raw, weight = protocol_inputs(loss, n_rows=30, seed=1)
    for sample_weight in (None, weight):
        sums, gradient = evaluate(loss, y_true, raw, sample_weight)
        parts = [
            (w, *evaluate(term, y_true, raw, sample_weight))
            for w, term in zip(loss.weights, loss.terms, strict=True)
        ]
        assert_allclose(sums, sum(w * s for w, s, _ in parts), rtol=1e-14)
        assert_allclose(gradient, sum(w * g for w, _, g in parts), rtol=1e-14, atol=1e-15)
        assert check_gradient(loss, y_true, raw, sample_weight=sample_weight, rtol=1e-6) < 1e-6
    if loss.scope != "batch":
        expected = sum(
            w * t.loss(y_true, raw) for w, t in zip(loss.weights, loss.terms, strict=True)
        )
        assert_allclose(loss.loss(y_true, raw), expected, rtol=1e-14)


def test_a_batch_composite_adds_the_weighted_mean_of_its_per_sample_terms():
    loss = FocalLoss() + 0.5 * DiceLoss()
    y_true, raw, weight = protocol_inputs(loss, n_rows=40, n_outputs=2, seed=2)
    focal = np.average(FocalLoss().loss(y_true, raw), axis=0, weights=weight)
    dice = DiceLoss().batch_loss(y_true, raw, weight)
    assert_allclose(loss.batch_loss(y_true, raw, weight), focal + 0.5 * dice, rtol=1e-13)
    assert_array_equal(loss.batch_loss(y_true, raw, np.zeros(40)), 0)  # no rows count


def test_float32_stays_float32_with_numpy_weights():
    loss = np.float64(0.7) * HuberLoss() + QuantileLoss(0.9) * np.float64(0.3)
    y_true, raw, weight = protocol_inputs(loss, seed=3)
    y32, raw32 = y_true.astype(np.float32), raw.astype(np.float32)
    assert loss.loss(y32, raw32).dtype == loss.gradient(y32, raw32).dtype == np.float32
    assert loss.weighted_sums(y32, raw32, weight).dtype == np.float32


# -- the operators ----------------------------------------------------------------------
def test_operators_build_flat_sums():
    huber, quantile, squared = HuberLoss(), QuantileLoss(0.9), SquaredLoss()
    loss = huber + (0.5 * quantile + squared * 2)
    assert isinstance(loss, CompositeLoss)
    assert loss.terms == [huber, quantile, squared] and loss.weights == [1, 0.5, 2]
    assert sum([huber, quantile, squared]).terms == [huber, quantile, squared]
    assert sum([huber]) is huber  # 0 + loss is the loss
    scaled = 2 * (0.7 * huber + 0.3 * quantile)
    assert_allclose(scaled.weights, [1.4, 0.6])
    assert (huber / 4).weights == [0.25] and (huber / 4).terms == [huber]
    assert isinstance(FocalLoss() + DiceLoss(), BatchCompositeLoss)
    assert isinstance(DiceLoss() * 2, BatchCompositeLoss)


@pytest.mark.parametrize("weight", [-1.0, 0.0, np.nan, np.inf])
def test_a_loss_is_scaled_by_positive_finite_numbers_only(weight):
    with pytest.raises(ValueError, match="positive finite"):
        weight * HuberLoss()


@pytest.mark.parametrize("other", [1, "huber", None, [HuberLoss()], True])
def test_a_loss_adds_and_scales_with_losses_and_numbers_only(other):
    with pytest.raises(TypeError):
        HuberLoss() + other
    if type(other) is not int:  # 1 scales
        with pytest.raises(TypeError):
            HuberLoss() * other
        with pytest.raises(TypeError):
            HuberLoss() / other
    with pytest.raises(ValueError, match="divided by 0"):
        HuberLoss() / 0


# -- names, parameters, repr -------------------------------------------------------------
def test_terms_are_named_like_pipeline_steps():
    loss = 0.5 * HuberLoss() + QuantileLoss(0.9) + 0.5 * HuberLoss(delta=3.0)
    assert list(loss.named_terms) == ["huberloss-1", "quantileloss", "huberloss-2"]
    params = loss.get_params()
    assert params["huberloss-2__delta"] == 3.0 and params["quantileloss__quantile"] == 0.9
    assert params["huberloss-1"] is loss.terms[0]
    assert set(loss.get_params(deep=False)) == {"terms", "weights"}


def test_set_params_in_the_nested_style():
    loss = 0.7 * HuberLoss() + 0.3 * QuantileLoss(0.9)
    terms = loss.terms
    loss.set_params(huberloss__delta=0.25, weights=[0.5, 0.5])
    assert loss.terms[0].delta == 0.25 and loss.weights == [0.5, 0.5]
    loss.set_params(quantileloss=AbsoluteLoss())  # a whole term, by name
    assert isinstance(loss.terms[1], AbsoluteLoss) and isinstance(terms[1], QuantileLoss)
    assert list(loss.named_terms) == ["huberloss", "absoluteloss"]
    with pytest.raises(ValueError, match="huberloss, absoluteloss"):
        loss.set_params(squaredloss__delta=1.0)


def test_repr_reads_like_the_expression_and_evaluates_to_it():
    loss = 0.7 * HuberLoss() + 0.3 * QuantileLoss(quantile=0.9)
    assert repr(loss) == "0.7 * HuberLoss() + 0.3 * QuantileLoss(quantile=0.9)"
    assert repr(HuberLoss() + SquaredLoss()) == "HuberLoss() + SquaredLoss()"
    assert repr(2 * HuberLoss()) == "2 * HuberLoss()"
    assert repr(FocalLoss() + 0.5 * DiceLoss()) == "FocalLoss() + 0.5 * DiceLoss()"
    nested = CompositeLoss([loss, SquaredLoss()], [2, 1])  # built by hand, not flattened
    assert repr(nested) == f"2 * ({loss!r}) + SquaredLoss()"
    rebuilt = eval(repr(loss))  # noqa: S307 -- the repr is the expression
    assert rebuilt.get_params(deep=False)["weights"] == loss.weights
    assert repr(rebuilt) == repr(loss)


def test_clone_and_pickle():
    loss = 0.7 * HuberLoss(delta=0.5) + 0.3 * QuantileLoss(0.9)
    for copy in (clone(loss), pickle.loads(pickle.dumps(loss))):
        assert type(copy) is CompositeLoss and repr(copy) == repr(loss)
        assert all(a is not b for a, b in zip(copy.terms, loss.terms, strict=True))
    batch = FocalLoss() + 0.5 * DiceLoss()
    assert repr(pickle.loads(pickle.dumps(clone(batch)))) == repr(batch)


def test_skops_trusts_a_fitted_estimator_with_a_composite_loss():
    sio = pytest.importorskip("skops.io")
    import sklosses

    X = np.random.default_rng(9).normal(size=(200, 3))
    for model in (
        SGDRegressor(loss=0.7 * HuberLoss() + 0.3 * QuantileLoss(0.9)).fit(X, X[:, 0]),
        SGDClassifier(loss=FocalLoss() + DiceLoss()).fit(X, X[:, 0] > 1),
    ):
        data = sio.dumps(model)
        assert set(sio.get_untrusted_types(data=data)) <= set(sklosses.TRUSTED_TYPES)
        restored = sio.loads(data, trusted=sklosses.TRUSTED_TYPES)
        assert repr(restored.loss) == repr(model.loss)
        assert_array_equal(restored.predict(X), model.predict(X))


# -- the composed attributes ----------------------------------------------------------
def test_attributes_compose():
    loss = 0.7 * HuberLoss() + 0.3 * SquaredLoss()
    assert loss.task == "regression" and loss.scope == "element"
    assert loss.smoothness == pytest.approx(0.7 * 1 + 0.3 * 2)
    assert loss.convex and loss.differentiable and not loss.needs_groups
    assert loss.link is None and loss.inverse_link is None
    y, raw = np.array([0.0, 0.0]), np.array([0.5, 3.0])
    assert_allclose(loss.hessian(y, raw), 0.7 * np.array([1, 0]) + 0.3 * 2)
    kinked = 0.7 * HuberLoss() + 0.3 * QuantileLoss(0.9)
    assert kinked.smoothness is None and kinked.hessian is None and not kinked.differentiable
    assert kinked.kinks(np.zeros((4, 2))).shape == (4, 2, 3)  # Huber's two and the pinball's
    binary = FocalLoss() + DiceLoss()
    assert binary.task == "binary" and binary.scope == "batch" and not binary.convex
    assert binary.inverse_link is FocalLoss().inverse_link and binary.hessian is None
    assert (MultinomialLogLoss() + SoftmaxFocalLoss()).scope == "sample"


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: HuberLoss() + LogLoss(), "different tasks.*huberloss is 'regression'"),
        (lambda: PoissonLoss() + SquaredLoss(), "different links.*poissonloss has link log"),
        (lambda: LogLoss() + ExponentialLoss(), "different inverse_links"),
        (lambda: HingeLoss() + LogLoss(), "hingeloss has no inverse_link"),
        (lambda: LogLoss() + MultinomialLogLoss(), "different tasks"),
        (lambda: MultinomialLogLoss() + DiceLoss(), "different tasks"),
    ],
)
def test_terms_that_cannot_be_summed_are_refused_with_the_reason(make, message):
    with pytest.raises(ValueError, match=message):
        make()


class MulticlassDice(DiceLoss):
    """A batch-level multiclass loss (soft Dice of each class column), for the scope rule."""

    task = "multiclass"
    inverse_link = staticmethod(MultinomialLogLoss.inverse_link)


class MethodLinkLoss(LogLoss):
    """The log loss with its inverse link as a method: bound anew in every instance."""

    def inverse_link(self, raw_prediction):
        return LogLoss.inverse_link(raw_prediction)


def test_links_that_are_methods_of_one_class_agree():
    assert (MethodLinkLoss() + MethodLinkLoss()).inverse_link is not None
    with pytest.raises(ValueError, match="different inverse_links"):
        MethodLinkLoss() + LogLoss()


def test_scopes_that_do_not_line_up_are_refused():
    softmax_dice = BatchCompositeLoss([MultinomialLogLoss(), MulticlassDice()])
    with pytest.raises(ValueError, match="sample-scope loss with a batch-level one"):
        softmax_dice.validate()
    element_sample = CompositeLoss([LogLoss(), MultinomialLogLoss()])
    with pytest.raises(ValueError, match="mix element-scope and sample-scope"):
        _ = element_sample.scope
    with pytest.raises(ValueError, match="BatchCompositeLoss"):
        CompositeLoss([FocalLoss(), DiceLoss()]).validate()


@pytest.mark.parametrize(
    "loss, message",
    [
        (CompositeLoss(), "non-empty"),
        (CompositeLoss([HuberLoss(), "quantile"]), "instance of Loss"),
        (CompositeLoss([HuberLoss(), QuantileLoss(1.5)]), "quantile"),
        (CompositeLoss([HuberLoss(), SquaredLoss()], [1.0]), "1 values for 2 terms"),
        (CompositeLoss([HuberLoss(), SquaredLoss()], [1.0, -1.0]), "positive finite"),
        (CompositeLoss([HuberLoss(), SquaredLoss()], 0.5), "positive finite"),
    ],
    ids=["empty", "not-a-loss", "bad-term", "lengths", "negative", "scalar"],
)
def test_validate_names_what_is_wrong(loss, message):
    with pytest.raises(ValueError, match=message):
        loss.validate()


def test_check_target_asks_every_term():
    loss = PoissonLoss() + 0.5 * PoissonLoss()
    loss.check_target(np.array([[0.0], [2.0]]))
    with pytest.raises(ValueError, match="non-negative"):
        loss.check_target(np.array([[-1.0]]))


def test_groups_reach_the_terms_that_need_them():
    loss = PairwiseHingeLoss() + 0.5 * ListwiseSoftmaxLoss()
    assert isinstance(loss, BatchCompositeLoss) and loss.needs_groups
    rng = np.random.default_rng(4)
    y_true, raw = rng.integers(0, 3, size=(30, 1)).astype(float), rng.normal(size=(30, 1))
    groups = np.repeat(np.arange(6), 5)
    expected = sum(
        w * t.weighted_sums(y_true, raw, None, groups)
        for w, t in zip(loss.weights, loss.terms, strict=True)
    )
    assert_allclose(loss.weighted_sums(y_true, raw, None, groups), expected, rtol=1e-14)
    assert not np.allclose(loss.weighted_sums(y_true, raw), expected)  # one group


def test_the_ranker_trains_a_sum_of_ranking_losses():
    from sklosses import SGDRanker

    rng = np.random.default_rng(10)
    X, qid = rng.normal(size=(600, 3)), np.repeat(np.arange(60), 10)
    relevance = np.digitize(X @ [1.0, -1.0, 0.0] + 0.3 * rng.normal(size=600), [-0.5, 0.5])
    loss = PairwiseHingeLoss() + 0.5 * ListwiseSoftmaxLoss()
    assert loss.smoothed(0.1).differentiable  # the hinge pairs smoothed, the softmax kept
    model = SGDRanker(loss=loss, random_state=0).fit(X, relevance, qid=qid)
    assert model.coef_[0] > 0.3 and model.coef_[1] < -0.3 and abs(model.coef_[2]) < 0.2


def test_smoothed_replaces_the_kinked_terms_only():
    loss = 0.7 * HuberLoss() + 0.3 * QuantileLoss(0.9)
    stand_in = loss.smoothed(0.1)
    assert stand_in.terms[0] is loss.terms[0] and isinstance(stand_in.terms[1], MoreauEnvelope)
    assert stand_in.differentiable and stand_in.smoothness == pytest.approx(0.7 + 0.3 / 0.1)
    y, raw = np.zeros(200), np.linspace(-3, 3, 200)
    gap = loss.loss(y, raw) - stand_in.loss(y, raw)
    assert np.all(gap >= -1e-15) and np.all(gap <= 0.3 * 0.1 * 0.9**2 / 2 + 1e-15)
    assert loss.smoothed(0.1).weights == loss.weights


def test_the_start_is_the_one_terms_choose():
    y_true = (np.arange(100) % 20 == 0).astype(float)[:, None]  # 5% positives
    start = (FocalLoss() + DiceLoss()).initial_raw_prediction(y_true)
    assert_allclose(start, logit(0.05))  # Dice's: its own best constant saturates
    assert (0.7 * HuberLoss() + 0.3 * QuantileLoss()).initial_raw_prediction(y_true) is None


# -- metrics, scorers, plots, the command line ------------------------------------------------
def test_mean_loss_and_scorer_of_a_composite():
    rng = np.random.default_rng(5)
    y, pred, weight = rng.normal(size=50), rng.normal(size=50), rng.uniform(0.5, 2, 50)
    loss = 0.7 * HuberLoss() + 0.3 * QuantileLoss(0.9)
    expected = 0.7 * mean_loss("huber", y, pred, sample_weight=weight) + 0.3 * mean_loss(
        QuantileLoss(0.9), y, pred, sample_weight=weight
    )
    assert mean_loss(loss, y, pred, sample_weight=weight) == pytest.approx(expected, rel=1e-14)
    labels, decision = (rng.uniform(size=50) < 0.2).astype(int), rng.normal(size=50)
    batch = FocalLoss() + 0.5 * DiceLoss()
    assert mean_loss(batch, labels, decision) == pytest.approx(
        mean_loss("focal", labels, decision) + 0.5 * mean_loss("dice", labels, decision)
    )
    X = rng.normal(size=(50, 2))
    model = SGDRegressor(loss=loss, random_state=0).fit(X, y)
    scorer = make_loss_scorer(loss)
    assert "HuberLoss() + 0.3 * QuantileLoss" in repr(scorer)
    assert scorer(model, X, y) == pytest.approx(-mean_loss(loss, y, model.predict(X)))


def test_plot_losses_draws_an_element_scope_composite():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from sklosses.plot import plot_losses

    loss = 0.7 * HuberLoss() + 0.3 * QuantileLoss(0.9)
    fig = plot_losses([loss, "squared_error", FocalLoss() + DiceLoss()])
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert repr(loss) in labels and "squared_error" in labels
    assert not any("Dice" in label for label in labels)  # batch-level: no curve


def test_the_command_line_compares_a_composite(capsys):
    from sklosses.cli import main

    argv = ["compare", "--cv", "3", "--losses", "0.7*huber+0.3*quantile,squared_error", "huber"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    rows = [line.split()[0] for line in out.splitlines() if line[:1].isalnum()]
    assert {"0.7*huber+0.3*quantile", "squared_error", "huber"} <= set(rows)
    assert main(["compare", "--cv", "3", "--losses", "huber+poisson"]) == 2
    assert "poissonloss has link log" in capsys.readouterr().err
    assert main(["compare", "--cv", "3", "--losses", "0.7*"]) == 2
    assert "WEIGHT*NAME" in capsys.readouterr().err


# -- the estimators -------------------------------------------------------------------
@pytest.fixture
def heavy_tailed():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(2000, 5)) * [1.0, 10.0, 0.1, 1.0, 3.0]
    y = X @ [1.0, -0.2, 5.0, 0.0, 0.5] + 2.0 + rng.standard_t(3, size=2000)
    return X, y


def _pinball_envelope(residual, quantile, width):
    """The Moreau envelope of the pinball loss of ``u = raw - y``, and its derivative:
    written out here, independently of the package's bisection."""
    low, high = -quantile * width, (1 - quantile) * width
    value = np.where(
        residual > high,
        (1 - quantile) * residual - (1 - quantile) ** 2 * width / 2,
        np.where(residual < low, -quantile * residual - quantile**2 * width / 2, 0.0),
    )
    inside = (residual >= low) & (residual <= high)
    value = np.where(inside, residual**2 / (2 * width), value)
    slope = np.clip(residual / width, -quantile, 1 - quantile)
    return value, slope


def test_the_regressor_reaches_the_minimum_of_the_composite_objective(heavy_tailed):
    """0.7 Huber + 0.3 pinball(0.9): ``fit`` (SGD, then the full-batch phase on the sum
    of stand-ins) against scipy's L-BFGS on the same objective with a pinball envelope
    of width 1e-7 (within 0.3 * 1e-7 / 2 of the pinball)."""
    X, y = heavy_tailed
    loss = 0.7 * HuberLoss() + 0.3 * QuantileLoss(0.9)
    model = SGDRegressor(loss=loss, random_state=0).fit(X, y)
    alpha = model.alpha_

    def objective(params, exact=True):
        raw = X @ params[:-1] + params[-1]
        residual = raw - y
        huber, huber_slope = HuberLoss().loss(y, raw), np.clip(residual, -1, 1)
        if exact:
            pinball = QuantileLoss(0.9).loss(y, raw)
        else:
            pinball, pinball_slope = _pinball_envelope(residual, 0.9, 1e-7)
        value = np.mean(0.7 * huber + 0.3 * pinball) + alpha / 2 * params[:-1] @ params[:-1]
        if exact:
            return value
        slope = (0.7 * huber_slope + 0.3 * pinball_slope) / len(y)
        return value, np.r_[X.T @ slope + alpha * params[:-1], slope.sum()]

    start = np.r_[np.zeros(X.shape[1]), np.median(y)]
    reference = minimize(
        objective,
        start,
        args=(False,),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 100000, "maxcor": 50, "ftol": 1e-15, "gtol": 1e-11},
    )
    fitted = objective(np.r_[model.coef_, model.intercept_])
    best = objective(reference.x)
    assert fitted <= best * (1 + 1e-6), (fitted, best)
    assert_allclose(model.coef_, reference.x[:-1], rtol=1e-3, atol=1e-3)


def test_partial_fit_trains_a_composite(heavy_tailed):
    X, y = heavy_tailed
    loss = 0.7 * HuberLoss() + 0.3 * QuantileLoss(0.9)
    full = SGDRegressor(loss=loss, random_state=0).fit(X, y)
    model = SGDRegressor(loss=clone(loss), random_state=0)
    for _ in range(30):
        model.partial_fit(X, y)
    # in units of each column's spread: the 0.1-scaled column's coefficient is loosely
    # determined (a 3% change moves the loss by 2e-4), the model is not
    assert_allclose(model.coef_ * X.std(axis=0), full.coef_ * X.std(axis=0), atol=0.05)
    assert mean_loss(loss, y, model.predict(X)) <= 1.01 * mean_loss(loss, y, full.predict(X))


def test_grid_search_over_a_term_parameter_and_the_weights(heavy_tailed):
    X, y = heavy_tailed
    estimator = SGDRegressor(loss=0.7 * HuberLoss() + 0.3 * QuantileLoss(0.9), random_state=0)
    grid = {"loss__huberloss__delta": [0.5, 2.0], "loss__weights": [(0.7, 0.3), (0.2, 0.8)]}
    search = GridSearchCV(estimator, grid, cv=3, scoring=make_loss_scorer(LogCoshLoss()))
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    chosen = search.best_estimator_.loss
    assert chosen.terms[0].delta == search.best_params_["loss__huberloss__delta"]
    assert tuple(chosen.weights) == search.best_params_["loss__weights"]
    assert repr(estimator.loss) == "0.7 * HuberLoss() + 0.3 * QuantileLoss(quantile=0.9)"
    restored = pickle.loads(pickle.dumps(search.best_estimator_))
    assert_array_equal(restored.predict(X), search.best_estimator_.predict(X))


@pytest.fixture
def rare_positives():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(8000, 6))
    score = X @ [2.0, -1.5, 1.0, 0.5, 0.0, 0.0] - 4.5
    y = (score + rng.logistic(size=8000) > 0).astype(int)
    assert 0.02 < y.mean() < 0.1
    return X[:4000], y[:4000], X[4000:], y[4000:]


def test_the_classifier_trains_focal_plus_dice_on_rare_positives(rare_positives):
    X, y, X_test, y_test = rare_positives
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        both = SGDClassifier(loss=FocalLoss() + DiceLoss(), random_state=0).fit(X, y)
    focal = SGDClassifier(loss=FocalLoss(), random_state=0).fit(X, y)
    assert both.predict_proba(X_test).shape == (len(y_test), 2)
    # Dice aims at F1 on the rare class, where focal alone predicts too few positives
    f1_both, f1_focal = (f1_score(y_test, m.predict(X_test)) for m in (both, focal))
    assert f1_both > f1_focal
    assert mean_loss(both.loss, y_test, both.decision_function(X_test)) < mean_loss(
        both.loss, y_test, focal.decision_function(X_test)
    )


def test_the_classifier_trains_a_sample_scope_composite():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(600, 3))
    y = np.argmax(X @ rng.normal(size=(3, 3)) + rng.gumbel(size=(600, 3)), axis=1)
    loss = MultinomialLogLoss() + 0.5 * SoftmaxFocalLoss()
    model = SGDClassifier(loss=loss, random_state=0).fit(X, y)
    assert_allclose(model.predict_proba(X).sum(axis=1), 1)
    softmax = SGDClassifier(loss="multinomial_log_loss", random_state=0).fit(X, y)
    assert model.score(X, y) > softmax.score(X, y) - 0.02
