"""The layouts of the results table: ``compact`` (the default, fits a terminal), ``wide``,
``markdown`` and ``csv``."""

import csv
import io
import re
import sys
import textwrap

from ._compare import extra_metric

FORMATS = ("compact", "wide", "markdown", "csv")
TERMINAL_WIDTH = 100
# the widest short name of a model or metric in the compact table: with the values at
# 4 significant digits it gives the nine default models' columns in 100 characters
_SHORT_NAME_WIDTH = 8
_FIT_TIME = "time (s)"


def _pm():
    """The plus-minus sign, or ``+/-`` where stdout cannot encode it."""
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


def _short_number(value):
    """4 significant digits, with a short exponent (``2.049e4``, not ``2.049e+04``)."""
    if value is None:
        return "n/a"
    return re.sub(r"e\+?(-?)0*(\d)", r"e\1\2", f"{value:.4g}")


def _abbreviation(label, size):
    """The first letters of each word of ``label``, as many per word as fit in ``size``
    characters with the words joined by ``_`` (``squared_error`` -> ``squ_err``)."""
    words = re.findall(r"[A-Za-z]+|[0-9]+", label) or [label]
    for letters in range(max(map(len, words)), 0, -1):
        name = "_".join(word[:letters] for word in words)
        if len(name) <= size:
            return name
    return label[:size]  # more words than fit with one letter each


def short_names(labels, size=_SHORT_NAME_WIDTH):
    """Unique names of at most ``size`` characters: a label that fits is kept.

    Parameters
    ----------
    labels : list of str
        Distinct labels (loss and metric names).
    size : int, default=8
        The longest name.

    Returns
    -------
    dict
        ``{label: name}``.
    """
    names = {label: label for label in labels if len(label) <= size}
    for label in labels:
        if label in names:
            continue
        stem = name = _abbreviation(label, size)
        copy = 1
        while name in names.values():  # two labels with the same abbreviation
            copy += 1
            name = stem[: size - len(str(copy))] + str(copy)
        names[label] = name
    return names


def fill(text, width=TERMINAL_WIDTH):
    """``text`` wrapped at spaces into lines of at most ``width`` characters (a word longer
    than that, such as a long path, is kept whole).

    Parameters
    ----------
    text : str
    width : int, default=100

    Returns
    -------
    str
    """
    return textwrap.fill(text, width, break_long_words=False, break_on_hyphens=False)


def _aligned(header, rows, right=False):
    """Lines of columns padded to their widest cell and separated by two spaces; a rule
    under the header. ``right`` aligns every column but the first to the right."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        padded = [
            cell.rjust(width) if right and i else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *map(line, rows)]


def _column_blocks(widths, first, width):
    """Consecutive column indices whose columns fit beside the first within ``width``."""
    blocks, block, used = [], [], first
    for j, column_width in enumerate(widths):
        if block and used + 2 + column_width > width:
            blocks.append(block)
            block, used = [], first
        block.append(j)
        used += 2 + column_width
    return [*blocks, block]


def compact_table(results, metrics, best, width=TERMINAL_WIDTH):
    """The results with a column per model and a row per metric, means only.

    Models and metrics keep their names when the table then fits in ``width``
    characters, else get short names (listed under the table); a table still too
    wide is cut into blocks of columns.

    Parameters
    ----------
    results, metrics, best
        As returned by :func:`~sklosses.cli._compare.run` and
        :func:`~sklosses.cli._compare.best`.
    width : int, default=100
        The widest line.

    Returns
    -------
    str
    """
    models = list(results)
    labels = list(dict.fromkeys([*models, *metrics]))
    longest = max(map(len, labels))
    for size in dict.fromkeys([longest, _SHORT_NAME_WIDTH]):
        names = short_names(labels, size)
        # a cell is a value and a mark (star or space), so that the digits line up
        columns = [
            [names[model]]
            + [
                _short_number(results[model]["metrics"][m]["mean"])
                + ("*" if model in best[m] else " ")
                for m in metrics
            ]
            + [f"{results[model]['fit_time']['mean']:.3f} "]
            for model in models
        ]
        row_labels = ["", *(names[m] for m in metrics), _FIT_TIME]
        first = max(map(len, row_labels))
        widths = [max(map(len, column)) for column in columns]
        blocks = _column_blocks(widths, first, width)
        if len(blocks) == 1:
            break
    lines = []
    for block in blocks:
        rows = [[label] + [columns[j][i] for j in block] for i, label in enumerate(row_labels)]
        lines += ["", *_aligned(rows[0], rows[1:], right=True)]
    legend = [f"{name} = {label}" for label, name in names.items() if name != label]
    if legend:
        lines += ["", fill("Short names: " + ", ".join(legend) + ".", width)]
    return "\n".join(lines[1:])


def wide_table(results, metrics, best, task):
    """The results as a text table: one row per model, one column per metric.

    Parameters
    ----------
    results, metrics, best
        As returned by :func:`~sklosses.cli._compare.run` and
        :func:`~sklosses.cli._compare.best`.
    task : {"regression", "classification"}

    Returns
    -------
    str
    """
    pm = _pm()
    extra = extra_metric(task)
    header = ["loss", *[f"{m} (higher)" if m == extra else m for m in metrics], "fit time (s)"]
    rows = [
        [loss]
        + [
            format_cell(result["metrics"][m], pm) + (" *" if loss in best[m] else "")
            for m in metrics
        ]
        + [f"{result['fit_time']['mean']:.3f}"]
        for loss, result in results.items()
    ]
    return "\n".join(_aligned(header, rows))


def _markdown(text):
    """``text`` with the characters a markdown table would read as markup escaped."""
    return re.sub(r"([\\*|])", r"\\\1", text)


def markdown_table(results, metrics, best, task):
    """The wide table as a markdown (GitHub) table, the best per column in bold.

    Parameters
    ----------
    results, metrics, best, task
        As for :func:`wide_table`.

    Returns
    -------
    str
    """
    pm = _pm()
    extra = extra_metric(task)
    header = ["loss", *[f"{m} (higher)" if m == extra else m for m in metrics], "fit time (s)"]
    lines = [
        "| " + " | ".join(map(_markdown, header)) + " |",
        "|" + "|".join(["---", *["---:"] * (len(header) - 1)]) + "|",
    ]
    for loss, result in results.items():
        cells = [_markdown(loss)]
        for metric in metrics:
            cell = format_cell(result["metrics"][metric], pm)
            cells.append(f"**{cell}**" if loss in best[metric] else cell)
        cells.append(f"{result['fit_time']['mean']:.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def csv_table(results, metrics):
    """The results as CSV: a row per model, the mean and std of every metric and of the
    fit time (seconds) at full precision, empty where a metric has no value.

    Parameters
    ----------
    results, metrics
        As returned by :func:`~sklosses.cli._compare.run`.

    Returns
    -------
    str
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["loss", *(f"{m}_{s}" for m in [*metrics, "fit_time"] for s in ("mean", "std"))]
    )
    for loss, result in results.items():
        stats = [result["metrics"][m] for m in metrics] + [result["fit_time"]]
        writer.writerow(
            [loss, *("" if s[k] is None else repr(s[k]) for s in stats for k in ("mean", "std"))]
        )
    return buffer.getvalue().rstrip("\n")


def caption(fmt, task, cv):
    """The line above a table that says how to read it.

    Parameters
    ----------
    fmt : {"compact", "wide", "markdown"}
    task : {"regression", "classification"}
    cv : int
        The number of folds.

    Returns
    -------
    str
    """
    extra = extra_metric(task)
    if fmt == "compact":
        return (
            f"A column per model, named by the loss it was trained with; a row per metric, "
            f"its mean over the {cv} folds (lower is better, but higher for {extra}); "
            f"* = best in its row. --format wide adds the standard deviations."
        )
    mark = "bold" if fmt == "markdown" else "*"
    return (
        f"Mean {_pm()} std over the {cv} folds. Losses: lower is better; {extra}: higher is "
        f"better; {mark} = best in its column."
    )
