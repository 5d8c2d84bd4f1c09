"""Output of a comparison: the progress bar, the table, the JSON file and the heatmap."""

import json
import sys

import numpy as np

from ._compare import extra_metric
from ._errors import CLIError


class Progress:
    """A progress bar on a stream: redrawn with ``\\r`` on a TTY, plain lines otherwise.

    Parameters
    ----------
    total : int
        The number of steps.
    stream : file-like, default=None
        Where to write; ``sys.stderr`` when None.
    width : int, default=20
        The number of characters of the bar.
    """

    def __init__(self, total, stream=None, width=20):
        self.total = total
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty())

    def update(self, done, label):
        """Report that ``done`` of ``total`` steps are finished, the last being ``label``.

        Parameters
        ----------
        done : int
        label : str
        """
        if self.tty:
            filled = int(round(self.width * done / self.total))
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r[{bar}] {done}/{self.total} {label}".ljust(60))
            if done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{done}/{self.total}] {label}\n")
        self.stream.flush()


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


def table(results, metrics, best, task):
    """The results as a text table: one row per loss, one column per metric.

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


def write_json(path, payload):
    """Write ``payload`` as indented JSON.

    Parameters
    ----------
    path : str
    payload : dict
    """
    try:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=2)
    except OSError as exc:
        raise CLIError(f"cannot write {path}: {exc}") from None


def write_heatmap(path, results, metrics, task):
    """Write the heatmap of :func:`sklosses.plot.plot_comparison` of the results.

    Parameters
    ----------
    path : str
        An image file of a type matplotlib writes (checked when parsing).
    results, metrics
        As returned by :func:`~sklosses.cli._compare.run`.
    task : {"regression", "classification"}
    """
    from ..plot import plot_comparison

    values = np.array(
        [
            [
                np.nan if result["metrics"][m]["mean"] is None else result["metrics"][m]["mean"]
                for m in metrics
            ]
            for result in results.values()
        ]
    )
    fig = plot_comparison(
        values,
        losses=list(results),
        metrics=metrics,
        higher_is_better=[m == extra_metric(task) for m in metrics],
    )
    try:
        fig.savefig(path, dpi=120)
    except OSError as exc:
        raise CLIError(f"cannot write {path}: {exc}") from None
