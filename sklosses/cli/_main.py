"""The ``compare`` command from start to end, and :func:`main`."""

import sys
import time

from ._advice import recommend
from ._compare import applicable_losses, best, extra_metric, run
from ._data import check_folds, csv_data, default_data
from ._errors import PROG, CLIError
from ._html import write_report
from ._parser import build_parser, check_arguments
from ._report import Progress, write_heatmap, write_json
from ._tables import caption, compact_table, csv_table, fill, markdown_table, wide_table


def _load(args):
    """The data, checked against the arguments, and the losses to compare."""
    if args.data is None:
        data = default_data(args.task)
    else:
        data = csv_data(args.data, args.target, args.task)
    check_folds(data, args.cv)
    losses = applicable_losses(data.task, args.losses, data.y)
    if not losses:
        raise CLIError("no applicable loss for this target")
    return data, losses


def _print_text(args, data, table, lines):
    """The header, the table and ``lines`` of advice on stdout, wrapped at 100 columns;
    for ``--format csv`` the table alone on stdout and the rest on stderr."""
    header = (
        f"Task: {data.task}; data: {data.description['source']} "
        f"({data.description['n_samples']} rows, {data.description['n_features']} "
        f"features); {args.cv}-fold cross-validation."
    )
    if args.format == "csv":
        print(table)
        for line in [header, *lines]:
            print(fill(line), file=sys.stderr)
        return
    # markdown: a paragraph per line, else its lines would run together when rendered
    separator = "\n\n" if args.format == "markdown" else "\n"
    print(separator.join(fill(line) for line in [header, caption(args.format, data.task, args.cv)]))
    print()
    print(table)
    print()
    print(separator.join(fill(line) for line in lines))


def _table(args, results, metrics, winners, task):
    if args.format == "compact":
        return compact_table(results, metrics, winners)
    if args.format == "wide":
        return wide_table(results, metrics, winners, task)
    if args.format == "markdown":
        return markdown_table(results, metrics, winners, task)
    return csv_table(results, metrics)


def _compare(args):
    check_arguments(args)
    data, losses = _load(args)  # every user error is raised by now, before the work

    start = time.perf_counter()
    progress = Progress(len(losses))
    results, metrics, n_convergence = run(data, losses, args.cv, args.random_state, progress)
    winners = best(results, metrics, data.task)
    recommendation, facts, order = recommend(
        data, results, metrics, winners, args.cv, args.random_state
    )
    elapsed = time.perf_counter() - start

    lines = list(recommendation)
    if n_convergence:
        lines.append(
            f"Note: {n_convergence} fit(s) stopped at max_iter before converging "
            f"(ConvergenceWarning, suppressed)."
        )
    lines.append(f"Total time: {elapsed:.1f} s.")
    _print_text(args, data, _table(args, results, metrics, winners, data.task), lines)

    payload = {
        "task": data.task,
        "data": data.description,
        "cv": args.cv,
        "random_state": args.random_state,
        "metrics": metrics,
        "higher_is_better": {m: m == extra_metric(data.task) for m in metrics},
        "results": results,
        "best": winners,
        "ranking": order,
        "recommendation": recommendation,
        "diagnostics": facts,
        "convergence_warnings": n_convergence,
    }
    if args.json:
        write_json(args.json, payload)
    if args.plot:
        write_heatmap(args.plot, results, metrics, data.task)
    if args.report:
        write_report(args.report, data, payload)
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
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its message
        return int(exc.code or 0)
    try:
        return _compare(args)
    except CLIError as exc:
        print(f"{PROG} compare: error: {exc}", file=sys.stderr)
        return 2
