"""
Out-of-core learning: stream a CSV in chunks into ``partial_fit``
=================================================================

A 100,000-row CSV is written to a temporary folder (a stand-in for a file too large for
memory), then read back with ``pandas.read_csv(chunksize=...)``: each chunk goes to
``SGDRegressor(loss=QuantileLoss(0.9)).partial_fit``, and a progress line reports the rows seen
and the held-out pinball loss. ``tracemalloc`` measures the peak memory of the streaming loop,
which stays at a few chunks' worth however large the file is. Then the same model is fitted on a
``numpy.memmap`` of the data: ``fit`` reads it batch by batch (views), never all at once.

Run: ``python examples/out_of_core.py``
"""

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from sklosses import SGDRegressor
from sklosses.losses import QuantileLoss
from sklosses.metrics import mean_loss

N_ROWS, N_FEATURES, CHUNK_ROWS = 100_000, 20, 20_000


def write_csv(path, rng):
    coef = rng.normal(size=N_FEATURES)
    for start in range(0, N_ROWS, CHUNK_ROWS):
        X = rng.normal(size=(CHUNK_ROWS, N_FEATURES))
        y = X @ coef + rng.gumbel(size=CHUNK_ROWS)
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(N_FEATURES)]).assign(y=y)
        frame.to_csv(path, mode="a", header=start == 0, index=False)
    X_test = rng.normal(size=(20_000, N_FEATURES))
    return X_test, X_test @ coef + rng.gumbel(size=20_000)


def main():
    rng = np.random.default_rng(0)
    loss = QuantileLoss(quantile=0.9)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        X_test, y_test = write_csv(path, rng)
        print(f"wrote {N_ROWS:,} rows to {path.name} ({path.stat().st_size / 2**20:.0f} MiB)")

        model = SGDRegressor(loss=loss, random_state=0)
        tracemalloc.start()
        start, seen = time.perf_counter(), 0
        for chunk in pd.read_csv(path, chunksize=CHUNK_ROWS, dtype=np.float64):
            model.partial_fit(chunk.drop(columns="y").to_numpy(), chunk["y"].to_numpy())
            seen += len(chunk)
            pinball = mean_loss(loss, y_test, model.predict(X_test))
            print(
                f"  {seen:>8,} rows  held-out pinball(0.9) {pinball:.4f}  "
                f"{time.perf_counter() - start:5.1f} s",
                file=sys.stderr,
            )
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        chunk_mib = CHUNK_ROWS * (N_FEATURES + 1) * 8 / 2**20
        print(
            f"streamed: pinball(0.9) {pinball:.4f}; peak memory {peak / 2**20:.0f} MiB "
            f"(one chunk of floats is {chunk_mib:.0f} MiB; the file "
            f"{path.stat().st_size / 2**20:.0f} MiB)"
        )

        memmap_path = Path(folder) / "X.float64"
        X = np.memmap(memmap_path, dtype=np.float64, mode="w+", shape=(N_ROWS, N_FEATURES))
        y = np.empty(N_ROWS)
        for offset, chunk in enumerate(pd.read_csv(path, chunksize=CHUNK_ROWS)):
            rows = slice(offset * CHUNK_ROWS, offset * CHUNK_ROWS + len(chunk))
            X[rows], y[rows] = chunk.drop(columns="y").to_numpy(), chunk["y"].to_numpy()
        X.flush()
        X = np.memmap(memmap_path, dtype=np.float64, mode="r", shape=(N_ROWS, N_FEATURES))
        in_memory = SGDRegressor(loss=loss, random_state=0).fit(X, y)
        print(
            f"fit on a memmap ({in_memory.n_iter_} epochs): pinball(0.9) "
            f"{mean_loss(loss, y_test, in_memory.predict(X_test)):.4f}"
        )
        del X


if __name__ == "__main__":
    main()
