"""Output of a comparison beside the table: the progress bar, the JSON file and the
heatmap image."""

import json
import sys

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
    from ._figures import heatmap_figure

    fig = heatmap_figure(results, metrics, task)
    try:
        fig.savefig(path, dpi=120)
    except OSError as exc:
        raise CLIError(f"cannot write {path}: {exc}") from None
