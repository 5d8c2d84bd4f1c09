"""scikit-learn's callbacks (``sklearn.callback``, scikit-learn 1.9+) on the SGD estimators.

Each ``fit`` or ``partial_fit`` call is one task (named after the method); its subtasks
are the SGD epochs (``"epoch k"``; successive ``partial_fit`` calls go on counting) and,
when ``fit`` finishes with the full-batch phase, one ``"full-batch"`` step (its
iterations are not reported one by one). ``fit`` declares no number of subtasks (the
stopping rule decides how many epochs run), ``partial_fit`` one. Inside a meta-estimator
(``GridSearchCV``, ``Pipeline``) the task joins the meta-estimator's task tree, as
scikit-learn's own estimators do. The callbacks get the training data as the caller
gave it, with ``sample_weight`` and ``qid`` (a ranker's queries) as metadata.

The engine reports each epoch to :attr:`FitTask.on_epoch`; without callbacks there is
no such hook, so training pays nothing. On a scikit-learn without ``sklearn.callback``
the mixin is an empty base (no ``set_callbacks``) and nothing is reported.
"""

try:
    from sklearn.callback import CallbackSupportMixin, with_callbacks

    CALLBACKS_SUPPORTED = True
except ImportError:  # scikit-learn < 1.9
    CALLBACKS_SUPPORTED = False

    class CallbackSupportMixin:
        """Stand-in for scikit-learn's mixin where it has none: adds nothing."""

    def with_callbacks(method):
        """Stand-in for scikit-learn's decorator where it has none: ``method`` itself.

        Parameters
        ----------
        method : callable
            The method to decorate.

        Returns
        -------
        callable
            ``method``.
        """
        return method


class FitTask:
    """The callback context of one ``fit`` or ``partial_fit`` call of an estimator.

    Made at the start of the call (it begins the fit task); the estimator passes
    :attr:`on_epoch` to the engine's ``train`` and calls :meth:`end` once its fitted
    attributes are set. A callback that asks for ``fitted_estimator`` at the end of an
    epoch gets a copy of the estimator with that epoch's coefficients, which are set
    on the estimator itself (as early stopping's scorers do; the final coefficients
    replace them when training ends).

    Parameters
    ----------
    estimator : BaseSGD
        The estimator being fitted.
    X, y : array-like
        The training data, as the caller gave it (what a scoring callback scores).
    sample_weight : array-like or None
        Passed to the callbacks as metadata (``sample_weight``).
    groups : array-like or None
        The rows' queries, passed to the callbacks as metadata (``qid``).
    partial : bool
        A ``partial_fit`` call: exactly one epoch.

    Attributes
    ----------
    on_epoch : callable ``(epoch, model)`` or None
        The engine's ``on_epoch`` hook; None when the estimator has no callbacks.
    """

    def __init__(self, estimator, X, y, sample_weight, groups, partial):
        self.on_epoch = None
        self._context = None
        if not CALLBACKS_SUPPORTED:
            return
        metadata = {"sample_weight": sample_weight, "qid": groups}
        self._estimator = estimator
        self._data = {
            "X": X,
            "y": y,
            "metadata": {name: value for name, value in metadata.items() if value is not None},
        }
        self._context = estimator._init_callback_context(
            task_name="partial_fit" if partial else "fit", max_subtasks=1 if partial else None
        )
        self._context.call_on_fit_task_begin(estimator=estimator, **self._data)
        if hasattr(estimator, "_skl_callbacks"):
            self.on_epoch = self._end_epoch

    def _end_epoch(self, epoch, model):
        def reconstruction_attributes():
            self._estimator._set_coefficients(*model())
            return {}

        self._step(f"epoch {epoch}", reconstruction_attributes)

    def _step(self, name, reconstruction_attributes):
        """Report a finished step: its subtask begins and ends now (the engine reports
        an epoch once it has run)."""
        context = self._context.subcontext(task_name=name)
        context.call_on_fit_task_begin(estimator=self._estimator, **self._data)
        context.call_on_fit_task_end(
            estimator=self._estimator,
            **self._data,
            reconstruction_attributes=reconstruction_attributes,
        )

    def end(self, training):
        """End the fit task, after its full-batch step if ``training`` had one.

        Parameters
        ----------
        training : Training
            What the engine returned; the estimator's fitted attributes are set.
        """
        if self._context is None:
            return
        # the full-batch phase ran iff it measured the optimality; its model is the final one
        if self.on_epoch is not None and training.optimality is not None:
            self._step("full-batch", {})
        self._context.call_on_fit_task_end(
            estimator=self._estimator, **self._data, reconstruction_attributes={}
        )
