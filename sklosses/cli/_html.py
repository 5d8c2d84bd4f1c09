"""The ``--report`` page: one self-contained HTML file (inline style, figures embedded as
PNG data URIs) with the recommendation, the table, the heatmap and the out-of-fold
diagnostics of the recommended model and its nearest rival."""

from html import escape

from ._compare import extra_metric
from ._errors import CLIError
from ._figures import diagnostic_figure, heatmap_figure, png_data_uri
from ._tables import format_cell

_STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328;
       background: #f6f8fa; margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin: 32px 0 8px; font-size: 19px; border-bottom: 1px solid #d0d7de; }
.meta, .note { color: #59636e; }
.meta { margin-top: 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e6e9ed; }
th { background: #f0f3f6; text-align: right; vertical-align: bottom; max-width: 110px; }
td { white-space: nowrap; }
.std { display: block; font-size: 11px; color: #59636e; font-weight: 400; }
th:first-child, td:first-child { text-align: left; }
td { text-align: right; font-variant-numeric: tabular-nums; }
td.best { font-weight: 700; background: #dafbe1; }
tr.recommended td:first-child, tr.rival td:first-child { font-weight: 700; }
.tag { font-size: 11px; font-weight: 600; border-radius: 8px; padding: 0 6px; margin-left: 6px; }
.recommended .tag { background: #1f883d; color: #fff; }
.rival .tag { background: #ddf4ff; color: #0969da; }
img { display: block; max-width: 100%; height: auto; margin: 8px 0; }
"""


def _cell(stats):
    """The table's ``mean ± std`` with the std on a line of its own, to keep columns narrow."""
    mean, pm, std = format_cell(stats).partition(" ± ")
    return escape(mean) + (f'<span class="std">{pm}{escape(std)}</span>' if pm else "")


def _header(name):
    """A column name that may break after its underscores."""
    return escape(name).replace("_", "_<wbr>")


def _table(payload, roles):
    """The scores as an HTML table: a row per model, a column per metric."""
    metrics, best = payload["metrics"], payload["best"]
    higher = payload["higher_is_better"]
    header = "".join(f"<th>{_header(m)}{' (higher)' if higher[m] else ''}</th>" for m in metrics)
    rows = []
    for loss, result in payload["results"].items():
        cells = []
        for metric in metrics:
            mark = ' class="best"' if loss in best[metric] else ""
            cells.append(f"<td{mark}>{_cell(result['metrics'][metric])}</td>")
        role = roles.get(loss)
        name = escape(loss)
        if role:  # the class names the role for the style: "recommended" or "rival"
            name += f'<span class="tag">{escape(role)}</span>'
        row_class = f' class="{role.split()[-1]}"' if role else ""
        rows.append(
            f"<tr{row_class}><td>{name}</td>{''.join(cells)}"
            f"<td>{result['fit_time']['mean']:.3f}</td></tr>"
        )
    return (
        '<div class="scroll"><table>'
        f"<thead><tr><th>model trained with</th>{header}<th>fit time (s)</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _diagnostics_text(task):
    if task == "regression":
        return (
            "Residuals (target minus prediction) against the prediction, out of fold on "
            "the folds of the comparison: a good model leaves a band around zero with no "
            "trend and no funnel."
        )
    return (
        "Out-of-fold scores on the folds of the comparison. Calibration: the predicted "
        "probability against the observed frequency (on the diagonal when calibrated). "
        "Precision-recall: the trade-off for the smallest class, with its average "
        "precision (AP)."
    )


def render_report(data, payload):
    """The HTML page of a comparison.

    Parameters
    ----------
    data : Data
        The data compared (the diagnostics predict on its folds again).
    payload : dict
        What the JSON output holds (see :func:`~sklosses.cli._main.main`), with
        ``"ranking"``: the losses from the recommended one down.

    Returns
    -------
    str
    """
    ranking = payload["ranking"]
    roles = dict(zip(ranking[:2], ["recommended", "nearest rival"], strict=False))
    description = payload["data"]
    heatmap = png_data_uri(heatmap_figure(payload["results"], payload["metrics"], data.task))
    diagnostics = png_data_uri(
        diagnostic_figure(data, roles, payload["cv"], payload["random_state"])
    )
    advice = "".join(f"<li>{escape(line)}</li>" for line in payload["recommendation"])
    if payload["convergence_warnings"]:
        advice += (
            f"<li>{payload['convergence_warnings']} fit(s) stopped at max_iter before "
            "converging.</li>"
        )
    title = f"sklosses compare: {description['source']}"
    diagnostics_alt = "out-of-fold diagnostics of " + " and ".join(roles)
    extra = extra_metric(data.task)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<h1>sklosses compare</h1>
<p class="meta">{escape(data.task.capitalize())} on {escape(str(description["source"]))}
({description["n_samples"]} rows, {description["n_features"]} features);
{payload["cv"]}-fold cross-validation, random state {payload["random_state"]}.</p>
<section id="recommendation">
<h2>Recommendation</h2>
<ul>{advice}</ul>
</section>
<section id="scores">
<h2>Scores</h2>
<p class="note">A row per model, named by the loss it was trained with; a column per metric:
mean &plusmn; standard deviation over the folds. Losses: lower is better; {extra}: higher is
better. The best in each column is highlighted.</p>
{_table(payload, roles)}
</section>
<section id="heatmap">
<h2>Heatmap</h2>
<p class="note">Each column scaled on its own: 1 (yellow) is its best model.</p>
<img alt="heatmap of every model under every metric" src="{heatmap}">
</section>
<section id="diagnostics">
<h2>Recommended model and nearest rival</h2>
<p class="note">{escape(_diagnostics_text(data.task))}</p>
<img alt="{escape(diagnostics_alt)}" src="{diagnostics}">
</section>
</main>
</body>
</html>
"""


def write_report(path, data, payload):
    """Write the HTML page of :func:`render_report` to ``path``.

    Parameters
    ----------
    path : str
        Checked when parsing (a ``.html`` file in a writable directory).
    data : Data
    payload : dict
        As for :func:`render_report`.
    """
    page = render_report(data, payload)
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(page)
    except OSError as exc:
        raise CLIError(f"cannot write {path}: {exc}") from None
