"""Bar chart of the time-to-optimum summary in ``benchmarks/time_to_optimum.txt``.

Run by the ``plot`` directive of the benchmarks page, in this file's directory: each row
of the summary table is one bar, sklosses' time over the fastest exact peer's, coloured by
whether it met its target (the dotted mark).
"""

import re
from pathlib import Path

import matplotlib.pyplot as plt

RESULTS = Path("../../benchmarks/time_to_optimum.txt")


def summary_rows(text):
    """``(label, ratio, target, met)`` of each summary row that has a peer to compare."""
    summary = text[text.index("== Summary") :].splitlines()
    start = next(i for i, line in enumerate(summary) if line.startswith("---")) + 1
    rows = []
    for line in summary[start:]:
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) < 7:
            break
        data, loss, _, _, ratio, _, status = cells[:7]
        found = re.fullmatch(r"([\d.]+) \(<= ([\d.]+)\)", ratio)
        if found:
            rows.append((f"{data}, {loss}", float(found[1]), float(found[2]), status == "met"))
    return rows


rows = summary_rows(RESULTS.read_text(encoding="utf-8"))
fig, ax = plt.subplots(figsize=(8, 0.28 * len(rows) + 1.2), layout="constrained")
positions = range(len(rows))
ax.barh(
    positions,
    [ratio for _, ratio, _, _ in rows],
    color=["C2" if met else "C3" for *_, met in rows],
)
ax.scatter([target for _, _, target, _ in rows], positions, marker="|", s=120, color="k")
ax.set_yticks(list(positions), [label for label, *_ in rows], fontsize="small")
ax.invert_yaxis()
ax.set_xscale("log")
ax.axvline(1, color="0.6", linewidth=0.8)
ax.set_xlabel("sklosses time / fastest exact peer's time (log scale; | = target)")
ax.set_title("Time to the optimum: green met its target, red did not", fontsize="medium")
