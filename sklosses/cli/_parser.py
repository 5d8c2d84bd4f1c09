"""Parsing of the command line, and the checks of its arguments that need no data."""

import argparse
import math
import os

from ._errors import PROG, CLIError


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr, with exit code 2 (argparse
    prints its usage lines first); its subparsers are of the same class."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser():
    """The parser of ``python -m sklosses``, with its ``compare`` command.

    Returns
    -------
    argparse.ArgumentParser
    """
    from ._tables import FORMATS  # not at the top: the tables import what imports this

    parser = _Parser(prog=PROG, description="Compare the losses of sklosses on a data set.")
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
        metavar="LOSS",
        help="restrict to these losses (default: every applicable loss): registry names or "
        "weighted sums of them, e.g. '0.7*huber+0.3*quantile' (quoted for the shell), "
        "separated by spaces or commas",
    )
    compare.add_argument("--cv", type=int, default=5, help="number of folds (default: 5)")
    compare.add_argument(
        "--format",
        choices=FORMATS,
        default="compact",
        help="the table printed: compact (default: a column per model, a row per metric, "
        "means only, at most 100 characters wide), wide (a row per model, mean +/- std), "
        "markdown (the wide table), csv (a row per model, every mean and std; the rest of "
        "the text goes to stderr)",
    )
    compare.add_argument("--plot", metavar="OUT.png", help="write a heatmap of the results")
    compare.add_argument("--json", metavar="OUT.json", help="write the results as JSON")
    compare.add_argument(
        "--report",
        metavar="OUT.html",
        help="write one self-contained HTML page: the table, the heatmap and out-of-fold "
        "diagnostics of the recommended model and its nearest rival (needs matplotlib)",
    )
    compare.add_argument(
        "--random-state",
        type=int,
        default=0,
        help="seed of the folds and the estimators (default: 0)",
    )
    return parser


def _check_output_file(path, option):
    """Refuse an output path that is a directory or in a directory that is missing or
    not writable (a file that exists is overwritten, if it may be)."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CLIError(f"cannot write {option} {path}: no such directory {directory}")
    if os.path.isdir(path):
        raise CLIError(f"cannot write {option} {path}: it is a directory")
    if not os.access(path if os.path.exists(path) else directory, os.W_OK):
        raise CLIError(f"cannot write {option} {path}: permission denied")


def _require_matplotlib(option):
    try:
        import matplotlib.figure  # noqa: F401  (what the figures are drawn on)
    except ImportError:
        raise CLIError(
            f"{option} needs matplotlib, which is not installed: "
            "pip install 'sklosses[plot]' (the plot extra)"
        ) from None


def _check_plot_path(path):
    """Refuse ``--plot`` without matplotlib, or with a file type matplotlib cannot write.

    A path without an extension is written as matplotlib's default type (PNG).
    """
    _require_matplotlib("--plot")
    from matplotlib.figure import Figure

    extension = os.path.splitext(path)[1][1:].lower()
    supported = Figure().canvas.get_supported_filetypes()
    if extension and extension not in supported:
        raise CLIError(
            f"--plot {path}: cannot write .{extension} files; use one of "
            f"{', '.join('.' + name for name in sorted(supported))}"
        )
    _check_output_file(path, "--plot")


def _check_report_path(path):
    """Refuse ``--report`` without matplotlib, or to a file that is not ``.html``."""
    _require_matplotlib("--report")
    if os.path.splitext(path)[1].lower() not in (".html", ".htm"):
        raise CLIError(f"--report {path}: the report is an HTML page; name it OUT.html")
    _check_output_file(path, "--report")


def check_arguments(args):
    """Check the arguments that can be judged without the data.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments of ``compare``.

    Raises
    ------
    CLIError
        For a user error.
    """
    if args.cv < 2:
        raise CLIError(f"--cv must be at least 2, got {args.cv}")
    if args.plot:
        _check_plot_path(args.plot)
    if args.data is None and args.target is not None:
        raise CLIError("--target needs a CSV file (DATA.csv)")
    if args.json:
        _check_output_file(args.json, "--json")
    if args.report:
        _check_report_path(args.report)
    outputs = [os.path.abspath(p) for p in (args.plot, args.json, args.report) if p]
    if len(set(outputs)) < len(outputs):
        raise CLIError("--plot, --json and --report must name different files")


def loss_specs(values):
    """The losses of ``--losses``: each a list of ``(weight, name)`` terms.

    Arguments are split at commas; a loss is a registry name or a weighted sum of them,
    terms joined by ``+``, each ``name``, ``weight*name`` or ``name*weight``. Neither
    ``+`` nor ``*`` is in a registry name, nor a comma, so a sum never splits.

    Parameters
    ----------
    values : list of str
        The arguments of ``--losses``.

    Returns
    -------
    list of list of (float, str)

    Raises
    ------
    CLIError
        For an empty loss or term, or a weight that is not a positive number.
    """
    specs = []
    for text in (part for value in values for part in value.split(",")):
        if not text.strip():
            raise CLIError(f"--losses: an empty loss in {', '.join(values)!r}")
        specs.append([_term(term, text) for term in text.split("+")])
    return specs


def _term(text, spec):
    """``(weight, name)`` of one term of a sum."""
    parts = [part.strip() for part in text.split("*")]
    names = [part for part in parts if not _is_number(part)]
    numbers = [float(part) for part in parts if _is_number(part)]
    if len(parts) > 2 or len(names) != 1 or not names[0] or len(numbers) != len(parts) - 1:
        raise CLIError(f"--losses {spec!r}: write each term as NAME or WEIGHT*NAME, not {text!r}")
    weight = numbers[0] if numbers else 1.0
    if not (math.isfinite(weight) and weight > 0):
        raise CLIError(f"--losses {spec!r}: a weight must be a positive number, not {weight:g}")
    return weight, names[0]


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def loss_label(spec):
    """The name of a loss of :func:`loss_specs` in the results: a registry name, or the
    sum written ``0.7*huber+0.3*quantile`` (a weight of 1 left out)."""
    return "+".join(name if weight == 1 else f"{weight:.15g}*{name}" for weight, name in spec)
