"""Smoke test: every ``examples/*.py`` script runs to completion, uninstalled.

Each script is discovered by glob (new examples are covered automatically) and
run as a subprocess in a temporary directory with the repository root on
``PYTHONPATH``. Scripts that import matplotlib must also write their figure,
a PNG in the working directory; they are skipped when matplotlib is missing.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def _plots(script):
    """Whether the script imports matplotlib (and so must save a figure)."""
    text = script.read_text(encoding="utf-8")
    return re.search(r"^\s*(import|from)\s+matplotlib\b", text, re.MULTILINE) is not None


def test_examples_are_found():
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.name)
def test_example_runs(script, tmp_path):
    if _plots(script):
        pytest.importorskip("matplotlib")
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (
        f"{script.name} exited with {result.returncode}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    assert result.stdout.strip(), f"{script.name} printed nothing"
    if _plots(script):
        figures = list(tmp_path.glob("*.png"))
        assert figures, f"{script.name} wrote no PNG in its working directory"
        assert all(figure.stat().st_size > 1000 for figure in figures)
