"""The cyclic garbage collector around a ``kedro run``: seconds of a LOCAL train.

Before its first node a ``kedro run`` of this project imports MLflow, Feast, causalml,
scikit-learn and their dependencies: several thousand modules and millions of objects
that live until the process ends. With CPython's default thresholds the collector
re-scans that growing heap over and over while it loads, and once more at exit,
although none of it is garbage (measured on a LOCAL train: 2-3 s while loading,
about 2.4 s at exit).

So, while the project loads, young-generation collections are rarer; once everything
is loaded (the last ``before_pipeline_run`` hook) those objects are frozen out of every
later collection and the default thresholds come back for the nodes. Commands that
load the project but run no pipeline (``kedro viz``, ``kedro jupyter``) keep the
loading thresholds: the collector still runs, only less often. Only this module's
functions touch the collector; ``settings.py`` and ``hooks.py`` call them.
"""

from __future__ import annotations

import atexit
import gc

#: Thresholds while the project's modules load (CPython's default is (700, 10, 10)).
LOADING_THRESHOLDS = (100_000, 50, 100)

#: The thresholds the process started with, restored for the nodes.
DEFAULT_THRESHOLDS = gc.get_threshold()


def relax_while_loading() -> None:
    """Collect rarely until :func:`freeze_loaded` runs, and skip the final full
    collection at exit (objects still alive then are freed by the OS)."""
    gc.set_threshold(*LOADING_THRESHOLDS)
    atexit.unregister(gc.freeze)  # registered once, however often this is called
    atexit.register(gc.freeze)


def freeze_loaded() -> None:
    """Keep everything loaded so far out of later collections; default thresholds."""
    gc.freeze()
    gc.set_threshold(*DEFAULT_THRESHOLDS)
