"""Coupled multiclass losses (softmax cross-entropy, softmax focal) and soft labels."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import logsumexp, softmax
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from sklosses import SGDClassifier
from sklosses.losses import MultinomialLogLoss, SoftmaxFocalLoss
from sklosses.metrics import kl_divergence, mean_loss

MULTICLASS_LOSSES = [
    MultinomialLogLoss(),
    SoftmaxFocalLoss(),
    SoftmaxFocalLoss(gamma=0.5),
    SoftmaxFocalLoss(gamma=2.0, alpha=[0.2, 0.3, 0.5]),
]


def _softmax_problem(n_samples, n_features=8, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = StandardScaler().fit_transform(rng.normal(size=(2 * n_samples, n_features)))
    weights = rng.normal(size=(n_features, n_classes))
    scores = X @ weights + rng.normal(size=n_classes)
    probability = np.exp(scores - scores.max(axis=1, keepdims=True))
    probability /= probability.sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(n_classes, p=row) for row in probability])
    return X, labels, probability


def _random_targets(rng, shape, soft):
    if soft:
        targets = rng.uniform(size=shape)
        return targets / targets.sum(axis=1, keepdims=True)
    return np.eye(shape[1])[rng.integers(shape[1], size=shape[0])]


@pytest.mark.parametrize("loss", MULTICLASS_LOSSES, ids=repr)
@pytest.mark.parametrize("soft", [False, True])
def test_gradient_matches_finite_differences(loss, soft):
    rng = np.random.default_rng(0)
    y = _random_targets(rng, (200, 3), soft)
    raw = rng.normal(scale=3, size=(200, 3))
    gradient = loss.gradient(y, raw)
    step = 1e-6
    for k in range(3):
        shift = np.zeros_like(raw)
        shift[:, k] = step
        numeric = (loss.loss(y, raw + shift) - loss.loss(y, raw - shift))[:, 0] / (2 * step)
        np.testing.assert_allclose(gradient[:, k], numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("loss", MULTICLASS_LOSSES, ids=repr)
def test_smoothness_bounds_the_gradient_variation(loss):
    rng = np.random.default_rng(1)
    y = _random_targets(rng, (5000, 3), soft=False)
    a, b = rng.normal(scale=4, size=(2, 5000, 3))
    change = np.linalg.norm(loss.gradient(y, a) - loss.gradient(y, b), axis=1)
    assert (change <= loss.smoothness * np.linalg.norm(a - b, axis=1) + 1e-12).all()


@pytest.mark.parametrize("loss", MULTICLASS_LOSSES, ids=repr)
def test_values_are_stable_and_keep_float32(loss):
    y = np.eye(3)[[0, 1, 2, 0]].astype(np.float32)
    raw = np.array([[1e4, -1e4, 0], [1e4, -1e4, 0], [0, 0, 0], [-1e4, 1e4, 1e4]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        values, gradient = loss.loss(y, raw), loss.gradient(y, raw)
    assert values.dtype == gradient.dtype == np.float32
    assert np.isfinite(values).all() and np.isfinite(gradient).all()
    assert values.shape == (4, 1)


def test_values_and_probabilities_match_scipy():
    """The shifted numpy forms of the loss (log-sum-exp) and of the inverse link (softmax)
    against scipy's, from ordinary scores to scores of 1e4 apart."""
    rng = np.random.default_rng(7)
    raw = rng.normal(scale=[[1.0], [30.0], [1e4]], size=(3, 4))
    y = np.eye(4)[[0, 2, 3]]
    assert_allclose(
        MultinomialLogLoss().loss(y, raw)[:, 0], logsumexp(raw, axis=1) - (y * raw).sum(axis=1)
    )
    assert_allclose(MultinomialLogLoss.inverse_link(raw), softmax(raw, axis=1), atol=1e-300)


def test_multinomial_matches_logistic_regression_within_one_percent():
    X, labels, _ = _softmax_problem(20000)
    X_train, X_test, y_train, y_test = X[:20000], X[20000:], labels[:20000], labels[20000:]
    alpha = 1e-4
    exact = LogisticRegression(C=1 / (len(y_train) * alpha), tol=1e-10, max_iter=5000)
    exact.fit(X_train, y_train)
    model = SGDClassifier(loss="multinomial_log_loss", random_state=0).fit(X_train, y_train)
    optimum = log_loss(y_test, exact.predict_proba(X_test))
    achieved = log_loss(y_test, model.predict_proba(X_test))
    assert achieved <= 1.01 * optimum
    # the metric of the loss is the same quantity as sklearn's log loss
    assert mean_loss("multinomial_log_loss", y_test, model.decision_function(X_test)) == (
        pytest.approx(achieved, rel=1e-9)
    )


def test_binary_multinomial_has_one_row_and_sigmoid_probabilities():
    X, labels, _ = _softmax_problem(1000, n_classes=2)
    model = SGDClassifier(loss="multinomial_log_loss", random_state=0).fit(X, labels)
    assert model.coef_.shape == (1, X.shape[1]) and model.intercept_.shape == (1,)
    decision = model.decision_function(X)
    assert decision.shape == (len(X),)
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], 1 / (1 + np.exp(-decision)))
    np.testing.assert_array_equal(model.predict(X), model.classes_[(decision > 0).astype(int)])


def test_softmax_focal_with_gamma_zero_is_multinomial():
    rng = np.random.default_rng(3)
    y, raw = _random_targets(rng, (500, 4), soft=True), rng.normal(scale=5, size=(500, 4))
    focal, multinomial = SoftmaxFocalLoss(gamma=0.0), MultinomialLogLoss()
    np.testing.assert_allclose(focal.loss(y, raw), multinomial.loss(y, raw), rtol=1e-12)
    np.testing.assert_allclose(
        focal.gradient(y, raw), multinomial.gradient(y, raw), rtol=1e-10, atol=1e-14
    )
    # trained models agree (the focal smoothness bound is 5% looser: slightly other steps)
    X, labels, _ = _softmax_problem(3000)
    focal_model = SGDClassifier(loss=focal, random_state=0).fit(X[:3000], labels[:3000])
    multinomial_model = SGDClassifier(loss=multinomial, random_state=0).fit(X[:3000], labels[:3000])
    np.testing.assert_allclose(
        focal_model.predict_proba(X[3000:]), multinomial_model.predict_proba(X[3000:]), atol=0.01
    )


def test_one_hot_soft_labels_train_as_hard_labels():
    X, labels, _ = _softmax_problem(2000)
    hard = SGDClassifier(loss="multinomial_log_loss", random_state=0).fit(X, labels)
    soft = SGDClassifier(loss="multinomial_log_loss", random_state=0).fit(X, np.eye(3)[labels])
    np.testing.assert_allclose(soft.coef_, hard.coef_, rtol=1e-10)
    np.testing.assert_array_equal(soft.classes_, [0, 1, 2])


def test_soft_labels_beat_sampled_hard_labels_in_kl_divergence():
    X, labels, probability = _softmax_problem(4000)
    train, test = slice(0, 4000), slice(4000, None)
    soft = SGDClassifier(loss="multinomial_log_loss", random_state=0).fit(
        X[train], probability[train]
    )
    hard = SGDClassifier(loss="multinomial_log_loss", random_state=0).fit(X[train], labels[train])
    kl_soft = kl_divergence(probability[test], soft.predict_proba(X[test]))
    kl_hard = kl_divergence(probability[test], hard.predict_proba(X[test]))
    assert kl_soft < kl_hard
    # KL = cross-entropy on soft labels minus the entropy of the targets
    entropy = -np.mean(np.sum(probability[test] * np.log(probability[test]), axis=1))
    cross_entropy = mean_loss(
        "multinomial_log_loss", probability[test], soft.decision_function(X[test])
    )
    assert kl_soft == pytest.approx(cross_entropy - entropy, rel=1e-9)


def test_soft_labels_partial_fit():
    X, _, probability = _softmax_problem(3000)
    model = SGDClassifier(loss="multinomial_log_loss", random_state=0)
    for _ in range(5):
        for start in range(0, 3000, 500):
            model.partial_fit(X[start : start + 500], probability[start : start + 500])
    assert kl_divergence(probability[3000:], model.predict_proba(X[3000:])) < 0.05


@pytest.mark.parametrize(
    "bad, match",
    [
        (lambda p: p * 2, "sum to 1"),
        (lambda p: np.column_stack([p[:, 0] - 1, p[:, 1] + 1, p[:, 2]]), "non-negative"),
    ],
)
def test_invalid_soft_labels_are_refused(bad, match):
    X, _, probability = _softmax_problem(200)
    with pytest.raises(ValueError, match=match):
        SGDClassifier(loss="multinomial_log_loss").fit(X[:200], bad(probability[:200]))


def test_soft_labels_need_a_probabilistic_multiclass_loss():
    X, _, probability = _softmax_problem(200)
    with pytest.raises(ValueError, match="multiclass loss"):
        SGDClassifier(loss="hinge").fit(X[:200], probability[:200])


def test_soft_labels_with_early_stopping():
    X, _, probability = _softmax_problem(2000)
    model = SGDClassifier(loss="multinomial_log_loss", early_stopping=True, random_state=0)
    model.fit(X[:2000], probability[:2000])
    assert len(model.validation_scores_) == model.n_iter_
    assert kl_divergence(probability[2000:], model.predict_proba(X[2000:])) < 0.05
