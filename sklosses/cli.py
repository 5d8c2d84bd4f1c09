"""Command line interface: ``python -m sklosses compare``.

Train one SGD model per applicable loss of :data:`sklosses.losses.LOSSES`,
cross-validate each under every applicable metric and print a table, a short
recommendation, and optionally a JSON file and a heatmap PNG::

    python -m sklosses compare                          # diabetes (regression)
    python -m sklosses compare --task classification    # breast cancer
    python -m sklosses compare data.csv --target price --cv 5 --json out.json

Run ``python -m sklosses compare --help`` for every option. :func:`main` is
the programmatic entry point (it returns the exit code instead of exiting).
"""

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np

from .linear_model import SGDClassifier, SGDRegressor
from .losses import LOSSES
from .metrics import make_loss_scorer

__all__ = ["main"]

_PROG = "python -m sklosses"
_KURTOSIS_THRESHOLD = 3.0
_MINORITY_THRESHOLD = 0.2
_MAX_CLASSES_FOR_INTEGER_TARGET = 20


class CLIError(Exception):
    """A user error: reported as one line on stderr with exit code 2."""


# ----------------------------------------------------------------------------- parsing
def _build_parser():
    parser = argparse.ArgumentParser(
        prog=_PROG, description="Compare the losses of sklosses on a data set."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    compare = commands.add_parser(
        "compare",
        help="cross-validate one SGD model per applicable loss",
        description="Cross-validate one SGD model per applicable loss and print a table of "
        "every applicable metric (mean +/- std over folds). Without DATA.csv an "
        "embedded scikit-learn data set is used (diabetes for regression, breast "
        "cancer for classification).",
    )
    compare.add_argument("data", nargs="?", metavar="DATA.csv", help="a CSV file (optional)")
    compare.add_argument("--target", help="name of the target column of DATA.csv")
    compare.add_argument(
        "--task",
        choices=["regression", "classification"],
        help="detected from the target when not given",
    )
    compare.add_argument(
        "--losses",
        nargs="+",
        metavar="NAME",
        help="restrict to these losses (default: every applicable loss)",
    )
    compare.add_argument("--cv", type=int, default=5, help="number of folds (default: 5)")
    compare.add_argument("--plot", metavar="OUT.png", help="write a heatmap of the results")
    compare.add_argument("--json", metavar="OUT.json", help="write the results as JSON")
    compare.add_argument(
        "--random-state",
        type=int,
        default=0,
        help="seed of the folds and the estimators (default: 0)",
    )
    return parser


# ----------------------------------------------------------------------------- data
class _Data:
    """The features, target, preprocessing and a description of a data set."""

    def __init__(self, X, y, task, preprocessor, description):
        self.X = X
        self.y = y
        self.task = task
        self.preprocessor = preprocessor
        self.description = description


def _default_data(task):
    from sklearn.datasets import load_breast_cancer, load_diabetes
    from sklearn.preprocessing import StandardScaler

    task = task or "regression"
    if task == "regression":
        name, bunch = "diabetes", load_diabetes()
    else:
        name, bunch = "breast_cancer", load_breast_cancer()
    description = {
        "source": f"sklearn.datasets.load_{name}",
        "n_samples": int(bunch.data.shape[0]),
        "n_features": int(bunch.data.shape[1]),
    }
    return _Data(bunch.data, bunch.target, task, StandardScaler(), description)


def _read_csv(path):
    try:
        import pandas as pd
    except ImportError:
        raise CLIError("reading a CSV file needs pandas: pip install pandas") from None
    if not os.path.isfile(path):
        raise CLIError(f"no such file: {path}")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise CLIError(f"the file is empty: {path}") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CLIError(f"cannot parse {path} as CSV: {str(exc).splitlines()[0]}") from None
    if len(frame) == 0:
        raise CLIError(f"the file has no data rows: {path}")
    return frame


def _detect_task(y):
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    if is_bool_dtype(y) or not is_numeric_dtype(y):
        return "classification"
    values = y.to_numpy(dtype=float)
    if y.nunique() <= _MAX_CLASSES_FOR_INTEGER_TARGET and np.all(values == np.round(values)):
        return "classification"
    return "regression"


def _csv_data(path, target, task):
    from pandas.api.types import is_bool_dtype, is_numeric_dtype
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    frame = _read_csv(path)
    if target is None:
        raise CLIError(
            f"--target COL is required with a CSV file; columns: "
            f"{', '.join(map(str, frame.columns))}"
        )
    if target not in frame.columns:
        columns = ", ".join(map(str, frame.columns))
        raise CLIError(f"target column {target!r} is not in {path}; columns: {columns}")
    n_dropped = int(frame[target].isna().sum())
    frame = frame[frame[target].notna()]
    if len(frame) == 0:
        raise CLIError(f"the target column {target!r} has no values")
    y, X = frame[target], frame.drop(columns=[target])
    if X.shape[1] == 0:
        raise CLIError(f"{path} has no feature columns besides the target {target!r}")
    task = task or _detect_task(y)
    if task == "regression":
        if is_bool_dtype(y) or not is_numeric_dtype(y):
            raise CLIError(
                f"--task regression needs a numeric target; column {target!r} has dtype {y.dtype}"
            )
        y = y.to_numpy(dtype=float)
    else:
        y = y.to_numpy()
        if y.dtype == object:
            y = y.astype(str)
    numeric = [c for c in X.columns if is_numeric_dtype(X[c]) and not is_bool_dtype(X[c])]
    categorical = [c for c in X.columns if c not in numeric]
    X = X.copy()
    for column in categorical:  # mixed/bool columns become strings the encoder accepts
        X[column] = X[column].astype(object).where(X[column].notna(), np.nan)
        X[column] = X[column].map(lambda v: v if v is np.nan else str(v))
    preprocessor = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
                ),
                categorical,
            ),
        ]
    )
    description = {
        "source": os.path.abspath(path),
        "target": target,
        "n_samples": int(len(frame)),
        "n_features": int(X.shape[1]),
        "numeric_columns": [str(c) for c in numeric],
        "categorical_columns": [str(c) for c in categorical],
        "rows_dropped_missing_target": n_dropped,
    }
    return _Data(X, y, task, preprocessor, description)


# ----------------------------------------------------------------------------- losses
def _applicable_losses(task, requested, y):
    tasks = ("regression",) if task == "regression" else ("binary", "multiclass")
    applicable = [name for name, cls in LOSSES.items() if cls.task in tasks]
    if requested:
        unknown = [name for name in requested if name not in LOSSES]
        if unknown:
            raise CLIError(
                f"unknown loss(es) {', '.join(unknown)}; valid for {task}: {', '.join(applicable)}"
            )
        wrong = [name for name in requested if name not in applicable]
        if wrong:
            raise CLIError(
                f"loss(es) {', '.join(wrong)} do not apply to {task}; valid: "
                f"{', '.join(applicable)}"
            )
        chosen = list(dict.fromkeys(requested))
    else:
        chosen = applicable
    usable = []
    for name in chosen:
        try:
            LOSSES[name]().check_target(y)
        except ValueError as exc:
            if requested:
                raise CLIError(
                    f"loss {name!r} cannot be used with this target: {str(exc).splitlines()[0]}"
                ) from None
            continue  # e.g. poisson with negative targets: silently not applicable
        usable.append(name)
    return usable


# ----------------------------------------------------------------------------- progress
class _Progress:
    """A progress bar on a stream: redrawn with ``\\r`` on a TTY, plain lines otherwise."""

    def __init__(self, total, stream=None, width=20):
        self.total = total
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty())

    def update(self, done, label):
        """Report that ``done`` of ``total`` steps are finished, the last being ``label``."""
        if self.tty:
            filled = int(round(self.width * done / self.total))
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r[{bar}] {done}/{self.total} {label}".ljust(60))
            if done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{done}/{self.total}] {label}\n")
        self.stream.flush()


# ----------------------------------------------------------------------------- work
def _make_pipeline(data, loss, random_state):
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline

    estimator_class = SGDRegressor if data.task == "regression" else SGDClassifier
    return make_pipeline(
        clone(data.preprocessor), estimator_class(loss=loss, random_state=random_state)
    )


def _splitter(task, cv, random_state):
    from sklearn.model_selection import KFold, StratifiedKFold

    splitter = StratifiedKFold if task == "classification" else KFold
    return splitter(n_splits=cv, shuffle=True, random_state=random_state)


def _run(data, losses, cv, random_state, progress):
    """Cross-validate one pipeline per loss; return results, metric names, warning count."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import cross_validate

    extra = "r2" if data.task == "regression" else "accuracy"
    scoring = {name: make_loss_scorer(name) for name in losses}
    scoring[extra] = extra
    metrics = [*losses, extra]
    results = {}
    n_convergence = 0
    for i, loss in enumerate(losses, start=1):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scores = cross_validate(
                _make_pipeline(data, loss, random_state),
                data.X,
                data.y,
                cv=_splitter(data.task, cv, random_state),
                scoring=scoring,
                error_score=np.nan,
            )
        n_convergence += sum(issubclass(w.category, ConvergenceWarning) for w in caught)
        row = {}
        for metric in metrics:
            values = np.asarray(scores[f"test_{metric}"], dtype=float)
            if metric != extra:
                values = -values  # scorers return minus the mean loss
            finite = values[np.isfinite(values)]
            if len(finite) < len(values):  # a fold could not be scored (e.g. poisson, y<0)
                row[metric] = {"mean": None, "std": None}
            else:
                row[metric] = {"mean": float(finite.mean()), "std": float(finite.std())}
        fit_time = np.asarray(scores["fit_time"])
        results[loss] = {
            "metrics": row,
            "fit_time": {"mean": float(fit_time.mean()), "std": float(fit_time.std())},
        }
        progress.update(i, loss)
    return results, metrics, n_convergence


def _best(results, metrics, task):
    """Per metric, the losses whose mean is best (ties as displayed share the mark)."""
    extra = "r2" if task == "regression" else "accuracy"
    best = {}
    for metric in metrics:
        candidates = [
            (r["metrics"][metric]["mean"], loss)
            for loss, r in results.items()
            if r["metrics"][metric]["mean"] is not None
        ]
        if not candidates:
            best[metric] = []
            continue
        pick = max if metric == extra else min
        top = pick(value for value, _ in candidates)
        best[metric] = [loss for value, loss in candidates if f"{value:.4g}" == f"{top:.4g}"]
    return best


def _recommend(data, results, metrics, best, cv, random_state):
    lines = []
    wins = {loss: sum(loss in best[m] for m in metrics) for loss in results}
    most = max(wins.values())
    winners = [loss for loss, n in wins.items() if n == most]
    lines.append(
        f"{' and '.join(winners)} {'is' if len(winners) == 1 else 'are'} best (or tied "
        f"for best) on {most} of {len(metrics)} metrics."
    )
    extra = "r2" if data.task == "regression" else "accuracy"
    if best[extra]:
        value = results[best[extra][0]]["metrics"][extra]["mean"]
        lines.append(f"Best {extra}: {' = '.join(best[extra])} ({value:.4g}).")
    facts = {}
    if data.task == "regression":
        from scipy.stats import kurtosis
        from sklearn.model_selection import cross_val_predict

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            predicted = cross_val_predict(
                _make_pipeline(data, "squared_error", random_state),
                data.X,
                data.y,
                cv=_splitter(data.task, cv, random_state),
            )
        excess = float(kurtosis(np.asarray(data.y, dtype=float) - predicted))
        facts["residual_excess_kurtosis"] = excess
        if excess > _KURTOSIS_THRESHOLD:
            lines.append(
                f"The out-of-fold residuals of the squared-loss model are heavy-tailed "
                f"(excess kurtosis {excess:.2f} > {_KURTOSIS_THRESHOLD:g}): a robust "
                f"loss such as huber or absolute_error is less swayed by outliers."
            )
        else:
            lines.append(
                f"The out-of-fold residuals of the squared-loss model are not "
                f"heavy-tailed (excess kurtosis {excess:.2f}): squared_error is a "
                f"sound default; prefer the loss that matches the metric you care "
                f"about."
            )
    else:
        classes, counts = np.unique(data.y, return_counts=True)
        share = float(counts.min() / counts.sum())
        facts["minority_class"] = str(classes[np.argmin(counts)])
        facts["minority_share"] = share
        if share < _MINORITY_THRESHOLD:
            lines.append(
                f"The smallest class ({classes[np.argmin(counts)]}) is only "
                f"{share:.0%} of the data: consider loss='focal' or "
                f"class_weight='balanced', and judge by more than accuracy."
            )
        else:
            lines.append(
                f"The classes are reasonably balanced (smallest {share:.0%}); "
                f"log_loss is a good default when you need probabilities."
            )
    return lines, facts


# ----------------------------------------------------------------------------- output
def _pm():
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "±".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "+/-"
    return "±"


def format_cell(stats, pm="±"):
    """Format a ``{"mean", "std"}`` dict as the table shows it.

    Parameters
    ----------
    stats : dict
        ``{"mean": float or None, "std": float or None}``.
    pm : str, default="±"
        The plus-minus sign.

    Returns
    -------
    str
        ``"mean ± std"`` with 4 and 2 significant digits, or ``"n/a"``.
    """
    if stats["mean"] is None:
        return "n/a"
    return f"{stats['mean']:.4g} {pm} {stats['std']:.2g}"


def _table(results, metrics, best, task):
    pm = _pm()
    extra = "r2" if task == "regression" else "accuracy"
    header = ["loss", *[f"{m} (higher)" if m == extra else m for m in metrics], "fit time (s)"]
    rows = []
    for loss, result in results.items():
        cells = [loss]
        for metric in metrics:
            cell = format_cell(result["metrics"][metric], pm)
            cells.append(cell + (" *" if loss in best[metric] else ""))
        cells.append(f"{result['fit_time']['mean']:.3f}")
        rows.append(cells)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _require_matplotlib():
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise CLIError(
            "--plot needs matplotlib, which is not installed: "
            "pip install 'sklosses[plot]' (the plot extra)"
        ) from None
    return Figure


def _plot(path, results, metrics, task):
    Figure = _require_matplotlib()  # noqa: N806 (a class)
    extra = "r2" if task == "regression" else "accuracy"
    losses = list(results)
    raw = np.array(
        [
            [
                np.nan
                if results[loss]["metrics"][m]["mean"] is None
                else results[loss]["metrics"][m]["mean"]
                for m in metrics
            ]
            for loss in losses
        ]
    )
    goodness = np.full_like(raw, np.nan)
    for j, metric in enumerate(metrics):
        column = raw[:, j]
        if np.all(np.isnan(column)):
            continue
        low, high = np.nanmin(column), np.nanmax(column)
        scaled = (column - low) / (high - low) if high > low else np.ones_like(column)
        goodness[:, j] = scaled if metric == extra else 1 - scaled
    fig = Figure(figsize=(1.1 * len(metrics) + 3, 0.45 * len(losses) + 2), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(goodness, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(metrics)), labels=metrics, rotation=45, ha="right")
    ax.set_yticks(range(len(losses)), labels=losses)
    ax.set_xlabel("metric (mean over folds)")
    ax.set_ylabel("loss trained with")
    for i in range(len(losses)):
        for j in range(len(metrics)):
            if not np.isnan(raw[i, j]):
                ax.text(
                    j,
                    i,
                    f"{raw[i, j]:.4g}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="black" if goodness[i, j] > 0.6 else "white",
                )
    fig.colorbar(image, ax=ax, label="per-column score (1 = best)")
    ax.set_title("sklosses compare: each column normalised, 1 = best")
    try:
        fig.savefig(path, dpi=120)
    except OSError as exc:
        raise CLIError(f"cannot write {path}: {exc}") from None


# ----------------------------------------------------------------------------- command
def _compare(args):
    if args.cv < 2:
        raise CLIError(f"--cv must be at least 2, got {args.cv}")
    if args.plot:
        _require_matplotlib()  # fail before the work, not after
    if args.data is None:
        if args.target is not None:
            raise CLIError("--target needs a CSV file (DATA.csv)")
        data = _default_data(args.task)
    else:
        data = _csv_data(args.data, args.target, args.task)
    n_samples = len(data.y)
    if n_samples < args.cv:
        raise CLIError(f"only {n_samples} rows, fewer than --cv {args.cv} folds")
    if data.task == "classification":
        classes, counts = np.unique(data.y, return_counts=True)
        if len(classes) < 2:
            raise CLIError(
                f"the target has a single class ({classes[0]}); classification needs at least two"
            )
        if counts.max() < args.cv:
            raise CLIError(f"every class has fewer rows than --cv {args.cv} folds")
        data.description["classes"] = [str(c) for c in classes]
    losses = _applicable_losses(data.task, args.losses, data.y)
    if not losses:
        raise CLIError("no applicable loss for this target")

    start = time.perf_counter()
    progress = _Progress(len(losses))
    results, metrics, n_convergence = _run(data, losses, args.cv, args.random_state, progress)
    best = _best(results, metrics, data.task)
    recommendation, facts = _recommend(data, results, metrics, best, args.cv, args.random_state)
    elapsed = time.perf_counter() - start

    print(
        f"Task: {data.task}; data: {data.description['source']} "
        f"({data.description['n_samples']} rows, {data.description['n_features']} "
        f"features); {args.cv}-fold cross-validation."
    )
    print("Losses: lower is better; r2/accuracy: higher is better; * = best in its column.\n")
    print(_table(results, metrics, best, data.task))
    print()
    for line in recommendation:
        print(line)
    if n_convergence:
        print(
            f"Note: {n_convergence} fit(s) stopped at max_iter before converging "
            f"(ConvergenceWarning, suppressed)."
        )
    print(f"Total time: {elapsed:.1f} s.")

    if args.json:
        payload = {
            "task": data.task,
            "data": data.description,
            "cv": args.cv,
            "random_state": args.random_state,
            "metrics": metrics,
            "higher_is_better": {m: m in ("r2", "accuracy") for m in metrics},
            "results": results,
            "best": best,
            "recommendation": recommendation,
            "diagnostics": facts,
            "convergence_warnings": n_convergence,
        }
        try:
            with open(args.json, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, indent=2)
        except OSError as exc:
            raise CLIError(f"cannot write {args.json}: {exc}") from None
    if args.plot:
        _plot(args.plot, results, metrics, data.task)
    return 0


def main(argv=None):
    """Run the command line interface.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments (without the program name); ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        The exit code: 0 on success, 2 on a usage or input error (reported as
        one line on stderr).
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its message
        return int(exc.code or 0)
    try:
        return _compare(args)
    except CLIError as exc:
        print(f"{_PROG} compare: error: {exc}", file=sys.stderr)
        return 2
