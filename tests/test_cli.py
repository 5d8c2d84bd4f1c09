"""Tests of the ``python -m sklosses compare`` command (:mod:`sklosses.cli`)."""

import base64
import html
import io
import json
import os
import re
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


def _compact_table(out):
    """The compact table's cells: ``{(metric, model): cell}`` by full names, read through
    the short names listed under it (blocks of columns, if any, joined)."""
    lines = out.splitlines()
    legend = " ".join(ln for ln in out.split("\n\n") if ln.startswith("Short names: "))
    full = dict(
        pair.split(" = ")
        for pair in legend.removeprefix("Short names: ").rstrip(".").replace("\n", " ").split(", ")
        if pair
    )
    cells = {}
    for i, line in enumerate(lines):
        if not line.startswith("---"):
            continue
        models = lines[i - 1].split()
        for row in lines[i + 1 :]:
            if not row.strip():
                break
            label, *values = re.split(r"\s{2,}", row.strip())
            for model, value in zip(models, values, strict=True):
                cells[full.get(label, label), full.get(model, model)] = value
    return cells


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


@pytest.mark.parametrize(
    "task, losses, extra, source, advice",
    [
        ("regression", REGRESSION_LOSSES, "r2", "load_diabetes", "heavy-tailed"),
        ("classification", CLASSIFICATION_LOSSES, "accuracy", "load_breast_cancer", "balanced"),
    ],
)
def test_default_run_fits_a_terminal(task, losses, extra, source, advice, tmp_path, capsys):
    """The default command of each task (every loss, 5 folds): every line of its output
    fits in 100 columns, the table has a column per model and a row per metric, and the
    stars mark the best of each metric (those of the JSON output)."""
    out_json = tmp_path / "out.json"
    argv = ["compare", "--json", str(out_json)]
    assert main(argv if task == "regression" else [*argv, "--task", task]) == 0
    captured = capsys.readouterr()
    width = max(len(line) for line in captured.out.splitlines())
    assert width <= 100, captured.out
    payload = json.loads(out_json.read_text())
    cells = _compact_table(captured.out)
    assert {model for _, model in cells} == set(losses)
    assert {metric for metric, _ in cells} == {*losses, extra, "time (s)"}
    for metric in [*losses, extra]:
        starred = {model for model in losses if cells[metric, model].endswith("*")}
        assert starred == set(payload["best"][metric]), metric
        for model in losses:
            mean = payload["results"][model]["metrics"][metric]["mean"]
            assert float(cells[metric, model].rstrip("*")) == pytest.approx(mean, rel=1e-3)
    assert source in captured.out
    assert f"Recommended: {payload['ranking'][0]}" in captured.out
    assert advice in captured.out  # the diagnostic is reported either way
    # not a TTY under capsys: one plain progress line per loss, no carriage returns
    assert "\r" not in captured.err
    assert len([ln for ln in captured.err.splitlines() if ln.startswith("[")]) == len(losses)


def test_compact_table_is_cut_into_blocks_of_columns():
    """Models that do not fit in the width are shown in blocks, each row's label
    repeated, and none is left out."""
    from sklosses.cli._tables import compact_table

    models = [f"model_number_{i}" for i in range(12)]
    stats = {"mean": 123.456, "std": 1.0}
    results = {m: {"metrics": {"r2": stats}, "fit_time": stats} for m in models}
    text = compact_table(results, ["r2"], {"r2": models[:1]}, width=60)
    assert max(len(line) for line in text.splitlines()) <= 60
    cells = _compact_table(text)
    assert {model for _, model in cells} == set(models)
    assert cells["r2", models[0]] == "123.5*"
    assert text.count("\nr2 ") > 1  # a row label per block


def test_short_names_are_unique_and_short():
    from sklosses.cli._tables import short_names

    labels = ["huber", "squared_error", "squared_errors", "0.7*huber+0.3*quantile"]
    names = short_names(labels, size=8)
    assert names["huber"] == "huber"  # a name that fits is kept
    assert len(set(names.values())) == len(labels)
    assert all(len(name) <= 8 for name in names.values())


def test_default_classification(capsys):
    losses = ["hinge", "log_loss", "multinomial_log_loss"]
    argv = ["compare", "--task", "classification", "--cv", "3", "--format", "wide"]
    assert main([*argv, "--losses", *losses]) == 0
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
    assert {model for _, model in _compact_table(out)} == {
        "squared_error",
        "huber",
        "absolute_error",
    }
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
    assert {model for _, model in _compact_table(out)} == {"log_loss", "focal"}
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
            [
                *["compare", "--cv", "3", "--losses", "squared_error", "huber"],
                *["--json", str(out_json), "--format", "wide"],
            ]
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
    words = " ".join(out.split())  # the lines are wrapped at 100 columns
    assert all(" ".join(line.split()) in words for line in payload["recommendation"])
    assert payload["ranking"][0] in payload["recommendation"][0]


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
        ("bad_format", "argument --format: invalid choice: 'tsv'"),
        ("bad_cv", "argument --cv: invalid int value: 'x'"),
        ("unknown_option", "unrecognized arguments: --colour"),
        ("report_directory", "cannot write --report"),
        ("report_is_a_directory", "it is a directory"),
        ("report_extension", "the report is an HTML page"),
        ("same_output_files", "must name different files"),
    ],
)
def test_error_paths(case, message, tmp_path, capsys, monkeypatch):
    """Every user error is one line on stderr and exit code 2, found before any work:
    the cross-validation never starts, nothing on stdout and no progress line."""

    def no_work(*args, **kwargs):
        raise AssertionError("the cross-validation started")

    monkeypatch.setattr("sklosses.cli._main.run", no_work)
    if case.startswith(("plot", "report", "same")):
        pytest.importorskip("matplotlib")
    (tmp_path / "directory.html").mkdir()
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
        "bad_format": ["compare", "--format", "tsv"],
        "bad_cv": ["compare", "--cv", "x"],
        "unknown_option": ["compare", "--colour"],
        "report_directory": ["compare", "--report", str(tmp_path / "missing" / "r.html")],
        "report_is_a_directory": ["compare", "--report", str(tmp_path / "directory.html")],
        "report_extension": ["compare", "--report", str(tmp_path / "report.png")],
        "same_output_files": [
            *["compare", "--json", str(tmp_path / "r.html")],
            *["--report", str(tmp_path / "r.html")],
        ],
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
    assert {model for _, model in _compact_table(result.stdout)} == {"squared_error", "huber"}
    assert "*" in result.stdout
    assert "\r" not in result.stderr  # stderr is a pipe: plain lines
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("option, path", [("--plot", "x.png"), ("--report", "x.html")])
def test_figures_without_matplotlib_name_the_extra(option, path, monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    assert main(["compare", "--cv", "3", option, str(tmp_path / path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"python -m sklosses compare: error: {option} needs matplotlib")
    assert "sklosses[plot]" in captured.err and "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1 and captured.out == ""
    assert not (tmp_path / path).exists()


def test_csv_and_markdown_formats(tmp_path, capsys):
    """``--format csv``: the table alone on stdout (the text on stderr), at full
    precision; ``--format markdown``: a table with the best of each column in bold."""
    losses = ["squared_error", "huber", "absolute_error"]
    argv = ["compare", "--cv", "3", "--losses", *losses, "--json", str(tmp_path / "out.json")]
    assert main([*argv, "--format", "csv"]) == 0
    captured = capsys.readouterr()
    payload = json.loads((tmp_path / "out.json").read_text())
    frame = pd.read_csv(io.StringIO(captured.out)).set_index("loss")
    assert list(frame.index) == losses
    for loss in losses:
        for metric in payload["metrics"]:
            stats = payload["results"][loss]["metrics"][metric]
            assert frame.loc[loss, f"{metric}_mean"] == pytest.approx(stats["mean"], rel=1e-12)
            assert frame.loc[loss, f"{metric}_std"] == pytest.approx(stats["std"], rel=1e-12)
    assert "Recommended:" in captured.err and "Recommended:" not in captured.out

    assert main([*argv, "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    payload = json.loads((tmp_path / "out.json").read_text())
    header, rule, *rows = [line for line in out.splitlines() if line.startswith("|")]
    assert [cell.strip() for cell in rule.strip("|").split("|")][1:] == ["---:"] * (
        len(payload["metrics"]) + 1
    )
    cells = {row.split("|")[1].strip(): row.strip("|").split("|")[1:] for row in rows}
    assert set(cells) == set(losses)
    for j, metric in enumerate(payload["metrics"]):
        bold = {loss for loss in losses if cells[loss][j].strip().startswith("**")}
        assert bold == set(payload["best"][metric]), metric


@pytest.mark.parametrize(
    "task, losses, explained",
    [
        ("regression", ["squared_error", "huber", "absolute_error"], "Residuals"),
        ("classification", ["hinge", "log_loss", "modified_huber"], "Calibration"),
    ],
)
def test_report_is_one_self_contained_page(task, losses, explained, tmp_path, capsys):
    """``--report``: one HTML file with the recommendation, the table, the heatmap and the
    diagnostics of the recommended model and its nearest rival, its figures embedded as
    PNG data URIs and nothing else to fetch."""
    pytest.importorskip("matplotlib")
    report, out_json = tmp_path / "report.html", tmp_path / "out.json"
    argv = ["compare", "--task", task, "--cv", "3", "--losses", *losses]
    assert main([*argv, "--report", str(report), "--json", str(out_json)]) == 0
    capsys.readouterr()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.json", "report.html"]
    page = report.read_text(encoding="utf-8")
    payload = json.loads(out_json.read_text())
    for section in ("recommendation", "scores", "heatmap", "diagnostics"):
        assert f'<section id="{section}">' in page
    images = re.findall(r'<img [^>]*src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 2  # the heatmap and the diagnostics
    assert all(base64.b64decode(image)[:8] == b"\x89PNG\r\n\x1a\n" for image in images)
    assert re.findall(r"""(?:src|href)\s*=\s*(?!["']?data:)""", page) == []
    assert not any(text in page for text in ("url(", "@import", "<link", "<script", "<iframe"))
    recommended, rival = payload["ranking"][:2]
    assert f'<tr class="recommended"><td>{recommended}<' in page
    assert f'<tr class="rival"><td>{rival}<' in page
    assert all(f"<td>{loss}" in page for loss in losses)
    assert all(html.escape(line) in page for line in payload["recommendation"])
    assert explained in page


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
