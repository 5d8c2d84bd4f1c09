"""Command line interface: ``python -m sklosses compare``.

Train one SGD model per applicable loss of :data:`sklosses.losses.LOSSES`,
cross-validate each under every applicable metric and print a table (a column per
model and a row per metric, 100 characters wide; ``--format wide|markdown|csv`` for
the others), a short recommendation, and optionally a JSON file, a heatmap image and
a self-contained HTML report::

    python -m sklosses compare                          # diabetes (regression)
    python -m sklosses compare --task classification    # breast cancer
    python -m sklosses compare data.csv --target price --cv 5 --json out.json
    python -m sklosses compare --report report.html --format markdown

Run ``python -m sklosses compare --help`` for every option. :func:`main` is
the programmatic entry point (it returns the exit code instead of exiting).
Every user error -- in the arguments, the file or its values -- is found
before the cross-validation starts and reported as one line on stderr with
exit code 2.

The package's files, one concern each: ``_parser.py`` (the command line and
the checks of its arguments), ``_data.py`` (loading, preprocessing and
checking the data), ``_compare.py`` (the applicable losses, the
cross-validation, the best loss per metric), ``_advice.py`` (the ranking and
the recommendation), ``_tables.py`` (the layouts of the table),
``_report.py`` (progress, JSON, heatmap image), ``_figures.py`` (the heatmap
and the diagnostics figures), ``_html.py`` (the HTML report), ``_errors.py``
(the user error) and ``_main.py`` (the command from start to end). The heatmap
itself is :func:`sklosses.plot.plot_comparison`.
"""

from ._errors import CLIError
from ._main import main
from ._tables import format_cell

__all__ = ["CLIError", "format_cell", "main"]
