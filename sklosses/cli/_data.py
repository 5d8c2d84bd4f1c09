"""The data of a comparison: an embedded data set or a CSV file, its preprocessing, and
the checks that it can be cross-validated."""

import os

import numpy as np

from ._errors import CLIError

_MAX_CLASSES_FOR_INTEGER_TARGET = 20


class Data:
    """The features, target, preprocessing and a description of a data set.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        The features, before preprocessing.
    y : ndarray of shape (n_samples,)
        The target: floats for regression, labels for classification.
    task : {"regression", "classification"}
        The task.
    preprocessor : transformer
        An unfitted transformer of ``X``, cloned into every pipeline.
    description : dict
        What the JSON output and the header line report about the data.
    """

    def __init__(self, X, y, task, preprocessor, description):
        self.X = X
        self.y = y
        self.task = task
        self.preprocessor = preprocessor
        self.description = description


def default_data(task):
    """The embedded data set of ``task``: diabetes (regression), breast cancer.

    Parameters
    ----------
    task : {"regression", "classification"} or None
        None means regression.

    Returns
    -------
    Data
    """
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
    return Data(bunch.data, bunch.target, task, StandardScaler(), description)


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


def _numeric_columns(frame):
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return [c for c in frame.columns if is_numeric_dtype(frame[c]) and not is_bool_dtype(frame[c])]


def _check_values(frame, path):
    """Refuse infinite numbers: no imputer or scaler accepts them, and a missing value
    should be an empty cell instead."""
    for column in _numeric_columns(frame):
        infinite = np.isinf(frame[column].to_numpy(dtype=float, na_value=np.nan))
        if infinite.any():
            raise CLIError(
                f"column {column!r} of {path} contains {int(infinite.sum())} infinite "
                f"value(s) (first in data row {int(np.argmax(infinite)) + 1}); "
                "leave missing values empty"
            )


def _preprocessor(numeric, categorical):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    return ColumnTransformer(
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


def csv_data(path, target, task):
    """A CSV file's features and target, with an imputing, scaling and encoding preprocessor.

    Parameters
    ----------
    path : str
        The CSV file.
    target : str or None
        The name of the target column; required.
    task : {"regression", "classification"} or None
        None: classification for a non-numeric target or one of at most 20
        integer values, else regression.

    Returns
    -------
    Data

    Raises
    ------
    CLIError
        For a file, a target or values that cannot be used.
    """
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    frame = _read_csv(path)
    if target is None:
        raise CLIError(
            f"--target COL is required with a CSV file; columns: "
            f"{', '.join(map(str, frame.columns))}"
        )
    if target not in frame.columns:
        columns = ", ".join(map(str, frame.columns))
        raise CLIError(f"target column {target!r} is not in {path}; columns: {columns}")
    _check_values(frame, path)
    n_dropped = int(frame[target].isna().sum())
    frame = frame[frame[target].notna()]
    if len(frame) == 0:
        raise CLIError(f"the target column {target!r} has no values")
    y, X = frame[target], frame.drop(columns=[target])
    if X.shape[1] == 0:
        raise CLIError(f"{path} has no feature columns besides the target {target!r}")
    # a column without values carries nothing, and its imputer would drop it and leave
    # the scaler or the encoder with no column at all
    empty = [c for c in X.columns if X[c].isna().all()]
    if len(empty) == X.shape[1]:
        raise CLIError(
            f"every feature column of {path} is empty in the rows with a target: "
            f"{', '.join(map(str, empty))}"
        )
    X = X.drop(columns=empty)
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
    numeric = _numeric_columns(X)
    categorical = [c for c in X.columns if c not in numeric]
    X = X.copy()
    for column in categorical:  # mixed/bool columns become strings the encoder accepts
        X[column] = X[column].astype(object).where(X[column].notna(), np.nan)
        X[column] = X[column].map(lambda v: v if v is np.nan else str(v))
    description = {
        "source": os.path.abspath(path),
        "target": target,
        "n_samples": int(len(frame)),
        "n_features": int(X.shape[1]),
        "numeric_columns": [str(c) for c in numeric],
        "categorical_columns": [str(c) for c in categorical],
        "rows_dropped_missing_target": n_dropped,
        "empty_columns_dropped": [str(c) for c in empty],
    }
    return Data(X, y, task, _preprocessor(numeric, categorical), description)


def check_folds(data, cv):
    """Check that every fold of a ``cv``-fold split gets rows, and every class too.

    Stratified folds need at least ``cv`` rows of the *smallest* class: with
    fewer, some folds lack it and its scores are undefined.

    Parameters
    ----------
    data : Data
        The data; for classification its class names are added to the description.
    cv : int
        The number of folds.

    Raises
    ------
    CLIError
        With too few rows, a single class, or a class with fewer rows than folds.
    """
    n_samples = len(data.y)
    if n_samples < cv:
        raise CLIError(f"only {n_samples} rows, fewer than --cv {cv} folds")
    if data.task != "classification":
        return
    classes = np.unique(data.y)
    if len(classes) < 2:
        raise CLIError(
            f"the target has a single class ({classes[0]}); classification needs at least two"
        )
    label, count = smallest_class(data.y)
    if count < cv:
        raise CLIError(
            f"class {label} has only {count} row(s), fewer than "
            f"--cv {cv} folds; lower --cv or drop the class"
        )
    data.description["classes"] = [str(c) for c in classes]


def smallest_class(y):
    """The class with the fewest rows (the first in sorted order among equals).

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Class labels.

    Returns
    -------
    label : object
    count : int
    """
    classes, counts = np.unique(y, return_counts=True)
    smallest = int(np.argmin(counts))
    return classes[smallest], int(counts[smallest])
