"""Which of scikit-learn's ``test_sgd.py`` tests do not apply to sklosses, and which are
expected to fail, and why. Each table maps a reason to the tests it covers; a test is
named as in ``conftest._reason``: ``test_name`` (all its parametrisations) or
``test_name[ids]`` with ``*`` in the ids."""

# Tests of pieces sklosses deliberately does not have: deselected, not counted.
SET_ASIDE = {
    "sklosses has no one-class SVM (SGDOneClassSVM)": [
        "test_plain_has_no_average_attr[*OneClassSVM]",
        "test_late_onset_averaging_not_reached[*OneClassSVM]",
        "test_power_t_limits[*OneClassSVM]",
        "test_provide_coef[*OneClassSVM]",
        "test_set_intercept_offset[*OneClassSVM-*]",
        "test_set_intercept_offset_binary[*OneClassSVM-*]",
        "test_wrong_sample_weights[*OneClassSVM]",
        "test_sgd_dtype_match[*OneClassSVM]",
        "test_sgd_numerical_consistency[*OneClassSVM]",
        "test_warm_start_oneclass",
        "test_clone_oneclass",
        "test_partial_fit_oneclass",
        "test_partial_fit_equal_fit_oneclass",
        "test_late_onset_averaging_reached_oneclass",
        "test_sgd_averaged_computed_correctly_oneclass",
        "test_sgd_averaged_partial_fit_oneclass",
        "test_average_sparse_oneclass",
        "test_ocsvm_vs_sgdocsvm",
        "test_sgd_oneclass_convergence",
        "test_sgd_oneclass_vs_linear_oneclass",
        "test_sgd_oneclass_vs_linear_oneclass_offsets_match",
        "test_sgd_one_class_svm_estimator_type",
        "test_sgd_one_class_svm_formulation_with_scipy_minimize",
    ],
    "tests scikit-learn's compiled loss objects (sklearn.linear_model._sgd_fast); sklosses' "
    "losses have their own tests": [
        "test_loss_hinge",
        "test_gradient_squared_hinge",
        "test_loss_modified_huber",
        "test_loss_epsilon_insensitive",
        "test_loss_squared_epsilon_insensitive",
    ],
    "patches a private class of scikit-learn (_stochastic_gradient._ValidationScoreCallback)": [
        "test_validation_mask_correctly_subsets",
    ],
}

# Applicable tests too slow for the test suite: skipped, with what makes them slow.
NOT_RUN = {
    "fails (design: tol=None, set by the test's factory, means SGD epochs only, no full-batch "
    "phase; 1000 epochs on the hinge loss end closer to the minimum than scikit-learn's, but "
    "the F1 threshold the test sets is met by the minimiser, reached with the default tol), "
    "in 28 s": ["test_balanced_weight"],
}

# Every other failure, by root cause. Reasons start with their kind:
#   "in progress"  a scikit-learn feature sklosses is adding;
#   "design"       a deliberate difference of sklosses (see its estimators' docstrings);
#   "internals"    the test reads scikit-learn's private state or its exact per-sample numbers;
#   "bug"          a defect of sklosses, to be fixed; the reason says how it shows.
# Marked xfail(strict=False) while the features land; an entry goes when its test passes.
EXPECTED_FAILURES = {
    "design: learning_rate='optimal' diverges on this data for the squared error, in "
    "scikit-learn too (coefficients ~1e12); sklosses goes on with a shorter step, whose model "
    "after max_iter=2 epochs is still worse than the best constant (objective 0.32 against "
    "0.25), which fit never returns without an error (DivergenceError), while partial_fit "
    "returns it": ["test_partial_fit_equal_fit[optimal-*]"],
    "design: average='auto' (the default) averages partial_fit's steps from the second "
    "chunk, so the unaveraged reference model of the test is averaged; on a stream of 100k "
    "rows (50 correlated features, chunks of 10 to 10,000 rows) averaging ends 0.02-0.07% "
    "above the optimum for the squared error and the log loss, the last iterate 7.8-67% "
    "and 0.4-1.3%": ["test_late_onset_averaging_not_reached"],
    "design: one epoch of SGD with the automatic step (max_iter=1) leaves hinge "
    "coefficients below 1 on this data, so two seeds' models differ (by about 0.3), but not "
    "by the 1.0 the test asks, a scale of scikit-learn's 'optimal' steps": [
        "test_sgd_random_state[SGDClassifier]"
    ],
    "internals: the private attributes _average_coef, _standard_coef, ...": [
        "test_plain_has_no_average_attr"
    ],
    "internals: the test matches, to 14-16 decimals, a per-sample averaged SGD written for "
    "scikit-learn (intercept from 0, squared loss with a 1/2, explicit L2 decay, intercept "
    "decay 0.01 on sparse input); sklosses steps on mini-batches, starts the intercept at "
    "the best constant and scales the squared error without the 1/2": [
        "test_sgd_averaged_computed_correctly",
        "test_sgd_averaged_partial_fit",
        "test_average_sparse",
        "test_late_onset_averaging_reached",
        "test_average_binary_computed_correctly",
        "test_sgd_multiclass_average",
    ],
    "internals: the sparse branch expects scikit-learn's sparse model (which differs from its "
    "dense one, see the test's XXX); sklosses fits both alike and two scores below -1 tie at "
    "probability 0": ["test_sgd_proba[SparseSGDClassifier]"],
}
