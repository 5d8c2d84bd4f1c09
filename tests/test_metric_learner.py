"""TripletMetricLearner and the triplet loss: k-NN accuracy against plain k-NN and NCA,
partial_fit, transform, pipelines, and the loss's gradient for each mining rule."""

import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier, NeighborhoodComponentsAnalysis
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklosses import TripletMetricLearner
from sklosses.losses import TripletLoss, check_gradient
from sklosses.metrics import mean_loss

LOADERS = {"digits": load_digits, "wine": load_wine, "breast_cancer": load_breast_cancer}


def standardised_split(name):
    X, y = LOADERS[name](return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def knn_accuracy(X_train, X_test, y_train, y_test):
    return KNeighborsClassifier(5).fit(X_train, y_train).score(X_test, y_test)


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_knn_accuracy_at_least_plain_knn_and_within_a_point_of_nca(name):
    X_train, X_test, y_train, y_test = standardised_split(name)
    plain = knn_accuracy(X_train, X_test, y_train, y_test)
    nca = NeighborhoodComponentsAnalysis(random_state=0).fit(X_train, y_train)
    by_nca = knn_accuracy(nca.transform(X_train), nca.transform(X_test), y_train, y_test)
    learner = TripletMetricLearner(random_state=0).fit(X_train, y_train)
    learned = knn_accuracy(learner.transform(X_train), learner.transform(X_test), y_train, y_test)
    assert learned >= plain
    assert learned >= by_nca - 0.01


def test_fitted_attributes_and_transform_shape():
    X, y = load_wine(return_X_y=True)
    learner = TripletMetricLearner(n_components=2, random_state=0).fit(X, y)
    assert learner.components_.shape == (2, X.shape[1])
    assert_allclose(learner.transform(X), X @ learner.components_.T)
    assert learner.transform(X).shape == (len(X), 2)
    assert list(learner.classes_) == [0, 1, 2]
    assert np.isfinite(learner.objective_)
    assert list(learner.get_feature_names_out()) == [
        "tripletmetriclearner0",
        "tripletmetriclearner1",
    ]
    with pytest.raises(ValueError, match="n_components"):
        TripletMetricLearner(n_components=X.shape[1] + 1).fit(X, y)


def test_training_lowers_the_loss_from_the_standardising_start():
    X_train, X_test, y_train, y_test = standardised_split("wine")
    start = TripletMetricLearner(max_iter=1, tol=None, eta0=1e-12, learning_rate="constant")
    start.fit(X_train, y_train)
    learner = TripletMetricLearner(random_state=0).fit(X_train, y_train)
    # the start is the identity on the standardised features
    assert_allclose(start.components_, np.eye(X_train.shape[1]), atol=1e-6)
    assert mean_loss("triplet", y_test, learner.transform(X_test)) < mean_loss(
        "triplet", y_test, X_test
    )


def test_partial_fit_continues_and_accepts_new_labels():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(X))
    learner = TripletMetricLearner(random_state=0, batch_size=32)
    first = order[y[order] != 2][:60]
    learner.partial_fit(X[first], y[first])
    assert list(learner.classes_) == [0, 1]
    for chunk in np.array_split(order, 4):
        learner.partial_fit(X[chunk], y[chunk])
    assert list(learner.classes_) == [0, 1, 2]
    assert learner.t_ == 60 + len(X) + 1 and learner.components_.shape == (13, 13)
    embedded = learner.transform(X)
    assert np.isfinite(embedded).all()
    assert knn_accuracy(embedded, embedded, y, y) > 0.9


def test_pipeline_with_scaler_and_knn():
    X, y = load_wine(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    pipeline = make_pipeline(
        StandardScaler(), TripletMetricLearner(random_state=0), KNeighborsClassifier()
    )
    assert pipeline.fit(X_train, y_train).score(X_test, y_test) > 0.9


def test_string_labels_and_float32():
    X, y = load_wine(return_X_y=True)
    labels = np.array(["a", "b", "c"])[y]
    learner = TripletMetricLearner(random_state=0, max_iter=5, tol=None).fit(
        X.astype(np.float32), labels
    )
    assert list(learner.classes_) == ["a", "b", "c"]
    assert learner.transform(X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("mining", ["semi-hard", "hardest", "all"])
@pytest.mark.parametrize("weighted", [False, True])
def test_triplet_gradient_matches_finite_differences(mining, weighted):
    """Random embeddings have no ties of distances: the mined triplets stay fixed under
    the small moves of the finite differences."""
    rng = np.random.default_rng(1)
    y = rng.integers(4, size=(30, 1)).astype(float)
    raw = rng.normal(size=(30, 3))
    weight = rng.uniform(0.5, 2, size=30) if weighted else None
    loss = TripletLoss(margin=2.0, mining=mining, max_triplets_per_anchor=7)
    assert check_gradient(loss, y, raw, sample_weight=weight, rtol=1e-6) < 1e-6
    assert loss.batch_loss(y, raw, weight)[0] > 0


def test_triplet_values_by_hand():
    y = np.array([[0.0], [0.0], [1.0], [1.0]])
    raw = np.array([[0.0], [1.0], [3.0], [0.5]])
    # hardest: anchor 0 (p 1, n 3): 1 + 1 - 0.25; anchor 1 (p 0, n 3): 1 + 1 - 0.25;
    # anchor 2 (p 3, n 1): 1 + 6.25 - 4; anchor 3 (p 2, n 0): 1 + 6.25 - 0.25
    assert_allclose(TripletLoss(mining="hardest").batch_loss(y, raw), [(1.75 * 2 + 3.25 + 7) / 4])
    # all: 8 triplets; semi-hard: 4 pairs with the closest farther negative, else farthest
    assert TripletLoss(mining="all").batch_loss(y, raw) > 0
    assert TripletLoss(mining="semi-hard").batch_loss(y, raw) > 0
    assert_allclose(TripletLoss().batch_loss(np.zeros((3, 1)), raw[:3]), [0.0])  # no negative


def test_all_mining_caps_the_triplets_per_anchor():
    rng = np.random.default_rng(0)
    y = np.repeat([0.0, 1.0], 10).reshape(-1, 1)
    raw = rng.normal(size=(20, 2))
    loss = TripletLoss(mining="all", max_triplets_per_anchor=4)
    anchor, _, _ = loss._triplets(y[:, 0], raw @ raw.T, np.ones(20, dtype=bool))
    assert np.bincount(anchor).max() == 4
    uncapped = TripletLoss(mining="all", max_triplets_per_anchor=1000)
    anchor, _, _ = uncapped._triplets(y[:, 0], raw @ raw.T, np.ones(20, dtype=bool))
    assert len(anchor) == 20 * 9 * 10


def semi_hard_by_brute_force(labels, distance, valid):
    """FaceNet's rule pair by pair: every anchor-positive pair of valid rows (of an anchor
    with a valid negative), with the distance of the closest negative farther than the
    positive, else of the farthest negative."""
    expected = {}
    for a in np.flatnonzero(valid):
        negatives = np.flatnonzero(valid & (labels != labels[a]))
        positives = np.flatnonzero(valid & (labels == labels[a]))
        for p in positives[(positives != a) & (len(negatives) > 0)]:
            farther = distance[a, negatives][distance[a, negatives] > distance[a, p]]
            expected[a, p] = farther.min() if len(farther) else distance[a, negatives].max()
    return expected


@pytest.mark.parametrize("seed", range(4))
def test_semi_hard_mining_follows_its_rule_with_ties_and_weightless_rows(seed):
    """Embeddings on a coarse grid tie many distances: at a tie the negative is not
    farther than the positive."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(3, size=40).astype(float)
    raw = rng.integers(-2, 3, size=(40, 2)).astype(float)
    valid = rng.random(40) > 0.2
    distance = ((raw[:, None, :] - raw[None, :, :]) ** 2).sum(axis=2)
    anchor, positive, negative = TripletLoss()._triplets(labels, distance, valid)
    expected = semi_hard_by_brute_force(labels, distance, valid)
    assert sorted(zip(anchor.tolist(), positive.tolist(), strict=True)) == sorted(expected)
    assert (labels[negative] != labels[anchor]).all() and valid[negative].all()
    mined = {(a, p): distance[a, n] for a, p, n in zip(anchor, positive, negative, strict=True)}
    assert mined == expected


@pytest.mark.parametrize("mining", ["semi-hard", "hardest", "all"])
@pytest.mark.parametrize("weighted", [False, True])
def test_identical_embeddings_cost_the_margin_with_zero_gradient(mining, weighted):
    """The engine measures the loss at zero embeddings before training: every distance
    is 0, so every triplet costs the margin and the gradient vanishes, with memory linear
    in the rows (no matrix of distances; 2000 rows would need 32 MB for one)."""
    rng = np.random.default_rng(0)
    y = rng.integers(3, size=(2000, 1)).astype(float)
    raw = np.broadcast_to(rng.normal(size=4), (2000, 4))
    weight = rng.uniform(0, 2, size=2000) if weighted else None
    loss = TripletLoss(margin=1.5, mining=mining)
    tracemalloc.start()
    value = loss.batch_loss(y, raw, weight)
    gradient = loss.batch_gradient(y, raw, weight)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert_allclose(value, [1.5])
    assert gradient.shape == raw.shape and not gradient.any()
    assert peak < 4e6
    # no triplet: one class, or no class with two rows
    assert_allclose(loss.batch_loss(np.zeros((5, 1)), raw[:5]), [0.0])
    assert_allclose(loss.batch_loss(np.arange(5.0).reshape(-1, 1), raw[:5]), [0.0])


def test_the_remembered_batch_follows_its_inputs():
    """The value after the gradient of a batch comes from the triplets of that batch: a
    batch changed in place, or given other weights, is mined again."""
    rng = np.random.default_rng(0)
    y = rng.integers(3, size=(30, 1)).astype(float)
    raw = rng.normal(size=(30, 3))
    weight = rng.uniform(0.5, 2, size=30)
    loss = TripletLoss()
    expected = TripletLoss().batch_loss(y, 2 * raw), TripletLoss().batch_loss(y, 2 * raw, weight)
    loss.batch_gradient(y, raw)
    raw *= 2
    assert_allclose(loss.batch_loss(y, raw), expected[0])
    assert_allclose(loss.batch_loss(y, raw, weight), expected[1])


def test_bad_loss_parameters():
    for bad in (TripletLoss(margin=0), TripletLoss(mining="easy")):
        with pytest.raises(ValueError):
            bad.validate()
