"""Tests of the ``python -m sklosses compare`` command (:mod:`sklosses.cli`)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sklosses.cli import format_cell, main
from sklosses.losses import LOSSES

pd = pytest.importorskip("pandas")

REPO_ROOT = Path(__file__).resolve().parents[1]
REGRESSION_LOSSES = [n for n, c in LOSSES.items() if c.task == "regression"]
CLASSIFICATION_LOSSES = [n for n, c in LOSSES.items() if c.task in ("binary", "multiclass")]


def _table_rows(out):
    """Map the first cell of every table row to its line."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("---"))
    rows = {}
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        rows[line.split()[0]] = line
    return rows


def _header(out):
    lines = out.splitlines()
    return lines[next(i for i, line in enumerate(lines) if line.startswith("---")) - 1]


@pytest.fixture
def mixed_csv(tmp_path):
    """Numeric column with NaN, a string category, a heavy-tailed numeric target."""
    rng = np.random.default_rng(0)
    n = 120
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n)
    y = 3 * x1 - 2 * x2 + (colour == "red") * 4 + rng.standard_t(df=1.5, size=n) * 2
    x1[::7] = np.nan
    frame = pd.DataFrame({"x1": x1, "x2": x2, "colour": colour, "price": y})
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def labels_csv(tmp_path):
    """Classification with string labels and a 10% minority class."""
    rng = np.random.default_rng(1)
    n = 150
    x = rng.normal(size=(n, 2))
    label = np.where(x[:, 0] + 0.3 * rng.normal(size=n) > 1.28, "rare", "common")
    frame = pd.DataFrame(
        {"a": x[:, 0], "b": x[:, 1], "kind": rng.choice(["u", "v"], size=n), "label": label}
    )
    path = tmp_path / "labels.csv"
    frame.to_csv(path, index=False)
    return path


def test_default_regression_end_to_end(capsys):
    assert main(["compare", "--cv", "3"]) == 0
    captured = capsys.readouterr()
    rows = _table_rows(captured.out)
    assert set(rows) == set(REGRESSION_LOSSES)
    assert "*" in captured.out
    header = _header(captured.out)
    for metric in [*REGRESSION_LOSSES, "r2", "fit time"]:
        assert metric in header
    assert "load_diabetes" in captured.out
    assert "heavy-tailed" in captured.out  # the kurtosis diagnostic is reported either way
    # not a TTY under capsys: one plain progress line per loss, no carriage returns
    assert "\r" not in captured.err
    assert len([ln for ln in captured.err.splitlines() if ln.startswith("[")]) == len(rows)


def test_default_classification(capsys):
    losses = ["hinge", "log_loss", "multinomial_log_loss"]
    assert main(["compare", "--task", "classification", "--cv", "3", "--losses", *losses]) == 0
    out = capsys.readouterr().out
    assert set(_table_rows(out)) == set(losses)
    assert "accuracy" in _header(out)
    assert "load_breast_cancer" in out
    assert "balanced" in out


def test_csv_mixed_columns_regression(mixed_csv, capsys):
    assert (
        main(
            [
                "compare",
                str(mixed_csv),
                "--target",
                "price",
                "--cv",
                "3",
                "--losses",
                "squared_error",
                "huber",
                "absolute_error",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Task: regression" in out
    assert set(_table_rows(out)) == {"squared_error", "huber", "absolute_error"}
    assert "n/a" not in out  # NaNs were imputed, the string column encoded
    # student-t(1.5) noise: the recommendation names the robust losses
    assert "heavy-tailed (excess kurtosis" in out and "huber" in out.split("\n\n")[-1]


def test_csv_classification_string_labels(labels_csv, capsys):
    assert (
        main(
            [
                "compare",
                str(labels_csv),
                "--target",
                "label",
                "--cv",
                "3",
                "--losses",
                "log_loss",
                "focal",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Task: classification" in out
    assert set(_table_rows(out)) == {"log_loss", "focal"}
    assert "focal" in out.split("\n\n")[-1] and "class_weight" in out  # 10% minority


def test_csv_integer_target_detected_as_classification(tmp_path, capsys):
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"x": rng.normal(size=60)})
    frame["y"] = (frame["x"] > 0).astype(int) + (frame["x"] > 1)
    path = tmp_path / "ints.csv"
    frame.to_csv(path, index=False)
    assert main(["compare", str(path), "--target", "y", "--cv", "3", "--losses", "hinge"]) == 0
    assert "Task: classification" in capsys.readouterr().out


def test_json_matches_table(tmp_path, capsys):
    out_json = tmp_path / "out.json"
    assert (
        main(
            ["compare", "--cv", "3", "--losses", "squared_error", "huber", "--json", str(out_json)]
        )
        == 0
    )
    out = capsys.readouterr().out
    payload = json.loads(out_json.read_text())
    assert {
        "task",
        "data",
        "metrics",
        "results",
        "best",
        "recommendation",
        "convergence_warnings",
    } <= set(payload)
    assert payload["task"] == "regression"
    assert payload["data"]["n_samples"] == 442
    assert payload["metrics"] == ["squared_error", "huber", "r2"]
    huber = payload["results"]["huber"]
    assert set(huber["metrics"]) == {"squared_error", "huber", "r2"}
    assert huber["fit_time"]["mean"] > 0
    cell = format_cell(huber["metrics"]["squared_error"])
    assert cell in _table_rows(out)["huber"]
    assert any(line in out for line in payload["recommendation"])


def test_plot_writes_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out_png = tmp_path / "out.png"
    assert (
        main(["compare", "--cv", "3", "--losses", "squared_error", "huber", "--plot", str(out_png)])
        == 0
    )
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_csv_empty_feature_column_beside_others_is_dropped(tmp_path, capsys):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.normal(size=40), "empty": np.nan})
    frame["y"] = 2 * frame["x"] + rng.normal(size=40)
    path = tmp_path / "empty_column.csv"
    frame.to_csv(path, index=False)
    out_json = tmp_path / "out.json"
    argv = ["compare", str(path), "--target", "y", "--cv", "3", "--losses", "squared_error"]
    assert main([*argv, "--json", str(out_json)]) == 0
    description = json.loads(out_json.read_text())["data"]
    assert description["empty_columns_dropped"] == ["empty"]
    assert description["numeric_columns"] == ["x"] and description["n_features"] == 1
    assert "n/a" not in capsys.readouterr().out


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing_file", "no such file"),
        ("missing_target", "--target"),
        ("bad_target", "columns: a, b, y"),
        ("non_numeric_regression", "numeric target"),
        ("single_class", "single class"),
        ("empty_file", "empty"),
        ("header_only", "no data rows"),
        ("too_few_rows", "fewer than --cv"),
        ("unknown_loss", "valid for regression: squared_error"),
        ("wrong_task_loss", "do not apply"),
        ("infinite_value", "column 'b' of"),
        ("empty_feature_column", "every feature column"),
        ("rare_class", "class rare has only 2 row(s), fewer than --cv 3 folds"),
        ("plot_extension", "cannot write .xyz files; use one of"),
        ("json_directory", "no such directory"),
    ],
)
def test_error_paths(case, message, tmp_path, capsys):
    """Every user error is one line on stderr and exit code 2, found before any work:
    nothing on stdout and no progress line on stderr."""
    if case == "plot_extension":
        pytest.importorskip("matplotlib")
    good = _write(
        tmp_path, "good.csv", "a,b,y\n" + "".join(f"{i},{i % 3},{i * 1.5}\n" for i in range(12))
    )
    argv = {
        "missing_file": ["compare", str(tmp_path / "nope.csv"), "--target", "y"],
        "missing_target": ["compare", good],
        "bad_target": ["compare", good, "--target", "price"],
        "non_numeric_regression": [
            "compare",
            _write(tmp_path, "s.csv", "a,y\n1,x\n2,z\n3,x\n"),
            "--target",
            "y",
            "--task",
            "regression",
        ],
        "single_class": [
            "compare",
            _write(tmp_path, "one.csv", "a,y\n1,x\n2,x\n3,x\n4,x\n"),
            "--target",
            "y",
            "--cv",
            "2",
        ],
        "empty_file": ["compare", _write(tmp_path, "empty.csv", ""), "--target", "y"],
        "header_only": ["compare", _write(tmp_path, "head.csv", "a,y\n"), "--target", "y"],
        "too_few_rows": ["compare", good, "--target", "y", "--cv", "20"],
        "unknown_loss": ["compare", "--losses", "squared_error", "nonsense"],
        "wrong_task_loss": ["compare", "--losses", "hinge"],
        "infinite_value": [
            "compare",
            _write(tmp_path, "inf.csv", "a,b,y\n" + "1,2,3\n" * 5 + "1,inf,3\n" + "2,1,0\n" * 6),
            "--target",
            "y",
        ],
        "empty_feature_column": [
            "compare",
            _write(tmp_path, "nan.csv", "a,y\n" + "".join(f",{i * 1.5}\n" for i in range(12))),
            "--target",
            "y",
        ],
        "rare_class": [
            "compare",
            _write(
                tmp_path,
                "rare.csv",
                "a,y\n" + "".join(f"{i},{'rare' if i < 2 else 'common'}\n" for i in range(30)),
            ),
            "--target",
            "y",
            "--cv",
            "3",
        ],
        "plot_extension": ["compare", "--cv", "3", "--plot", str(tmp_path / "out.xyz")],
        "json_directory": ["compare", "--json", str(tmp_path / "missing" / "out.json")],
    }[case]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.out == ""


def test_subprocess_run():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sklosses",
            "compare",
            "--losses",
            "squared_error",
            "huber",
            "--cv",
            "3",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert set(_table_rows(result.stdout)) == {"squared_error", "huber"}
    assert "*" in result.stdout
    assert "\r" not in result.stderr  # stderr is a pipe: plain lines
    assert "Traceback" not in result.stderr


def test_plot_without_matplotlib_names_the_extra(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    assert main(["compare", "--cv", "3", "--plot", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "sklosses[plot]" in err and "Traceback" not in err


class _FakeTTY:
    def __init__(self):
        self.text = ""

    def isatty(self):
        return True

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_progress_bar_on_tty_uses_carriage_returns():
    from sklosses.cli._report import Progress

    stream = _FakeTTY()
    progress = Progress(4, stream=stream, width=8)
    for i, name in enumerate(["a", "b", "c", "huber"], start=1):
        progress.update(i, name)
    frames = stream.text.split("\r")[1:]
    assert len(frames) == 4
    assert frames[1].startswith("[####----] 2/4 b")
    assert stream.text.endswith("\n") and stream.text.count("\n") == 1
