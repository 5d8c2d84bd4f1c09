"""One BLAS thread for small products.

The engine's products are small: an SGD step multiplies a mini-batch (at most a few
thousand rows), the full-batch phase of a small data set all of it. Waking BLAS threads
for each costs more than it saves, and on a busy machine the woken threads spin on the
cores the main thread needs (a 20-class SGD fit on 500 x 2,000 CSR rows: 2.5 s with the
default two threads against 1.4 s with one, on 2 cores).
"""

import threading
from contextlib import contextmanager
from functools import cache

from threadpoolctl import ThreadpoolController

ONE_THREAD_BELOW = 4_000_000
"""Products of fewer entries run with one BLAS thread."""

_LOCK = threading.Lock()
_holders = {"count": 0, "previous": []}
"""The blocks running with one BLAS thread now, and the thread counts before the first of
them: the count is process-wide, so fits in several Python threads share it. The first
block in sets one thread and the last one out restores the counts (each block restoring
what it found would leave a later one running with the restored threads, and its result
one rounding away from the same fit run alone)."""


@cache
def _blas_libraries():
    """The BLAS libraries loaded in this process, found once: a search on every fit costs
    milliseconds, more than the whole of a fit on a small data set."""
    return ThreadpoolController().select(user_api="blas").lib_controllers


@contextmanager
def one_blas_thread(entries):
    """Run the block with one BLAS thread when its products have at most
    ``ONE_THREAD_BELOW`` ``entries``; else as it is.

    Parameters
    ----------
    entries : int
        The size of the block's largest product (rows times columns).
    """
    if entries > ONE_THREAD_BELOW:
        yield
        return
    # set directly: threadpoolctl's ``limit`` also reads each library's version and path
    libraries = _blas_libraries()
    with _LOCK:
        if _holders["count"] == 0:
            _holders["previous"] = [library.get_num_threads() for library in libraries]
            for library in libraries:
                library.set_num_threads(1)
        _holders["count"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _holders["count"] -= 1
            if _holders["count"] == 0:
                for library, previous in zip(libraries, _holders["previous"], strict=True):
                    library.set_num_threads(previous)
