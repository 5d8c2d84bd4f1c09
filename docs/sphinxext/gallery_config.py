"""What sphinx-gallery needs from us: the examples' command line and their order.

The examples that draw take the path of their PNG as their first argument (default: the
working directory, which sphinx-gallery sets to ``examples/``). :func:`figure_beside_copy`
sends the file next to the example's copy in the generated gallery instead, so a docs
build writes nothing into ``examples/``; the gallery shows the figure sphinx-gallery
captures itself.
"""

import os
from pathlib import Path

# the order of the gallery: first steps, then one question per example
ORDER = [
    "quickstart.py",
    "robust_regression.py",
    "prediction_intervals.py",
    "imbalanced_classification.py",
    "model_selection.py",
    "custom_loss.py",
    "composite_loss.py",
    "ranking.py",
    "metric_learning.py",
    "out_of_core.py",
    "text_classification.py",
    "dask_cluster.py",
]


def figure_beside_copy(gallery_conf, script_vars):
    """``sys.argv[1:]`` of an example: a PNG path beside its copy in the gallery,
    relative to the directory the example runs in (so its output shows no build path)."""
    figure = Path(script_vars["target_file"]).with_suffix(".png")
    return [os.path.relpath(figure, Path(script_vars["src_file"]).parent)]


class ExampleOrder:
    """Sort key of the examples within the gallery: their place in :data:`ORDER`
    (an example not listed there goes last, by file name)."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        return (ORDER.index(filename) if filename in ORDER else len(ORDER), filename)

    def __repr__(self):
        # sphinx-gallery compares configurations by their repr between builds
        return f"{type(self).__name__}()"
