"""The cyclic garbage collector around a ``kedro run`` and in the serving app.

While the project loads, young-generation collections are rarer; once the run has
loaded everything (``before_pipeline_run``, after the recipe has imported the model's
library) those objects are frozen out of every later collection and the default
thresholds come back for the nodes. Commands that load the project but run no
pipeline (``kedro viz``, ``kedro jupyter``) keep the loading thresholds: the
collector still runs, only less often. The serving app freezes what it loaded too,
and keeps young collections rare while it serves. Only this module touches the
collector (why: :mod:`mmp_kedro.runtime`).
"""

from __future__ import annotations

import atexit
import functools
import gc

from kedro.framework.hooks import hook_impl

#: Thresholds while the project's modules load and while a server answers requests
#: (CPython's default is (700, 10, 10)).
RELAXED_THRESHOLDS = (100_000, 50, 100)

#: The thresholds the process started with, restored for the nodes.
DEFAULT_THRESHOLDS = gc.get_threshold()


def relax_while_loading() -> None:
    """Collect rarely until :func:`freeze_loaded` runs, and skip the final full
    collection at exit: the OS frees the memory; the price is that objects caught in
    reference cycles then do not run their finalizers (MLflow has closed its run by
    then)."""
    gc.set_threshold(*RELAXED_THRESHOLDS)
    atexit.unregister(gc.freeze)  # registered once, however often this is called
    atexit.register(gc.freeze)


def freeze_loaded() -> None:
    """Keep everything loaded so far out of later collections (once per process:
    later runs in the same process would freeze their leftovers for good); default
    thresholds."""
    _freeze_once()
    restore_defaults()


def freeze_for_serving() -> None:
    """Freeze what the server loaded, and keep young collections rare from then on.

    With the default thresholds a young collection lands on about one request in
    four, each walking the request's live frames; with these, almost none does
    (``benchmarks/serving_stages.py`` times ``_predict`` under both and counts the
    collections). Garbage in reference cycles is still collected, every 100,000 net
    allocations.
    """
    _freeze_once()
    gc.set_threshold(*RELAXED_THRESHOLDS)


def restore_defaults() -> None:
    """CPython's thresholds, e.g. when a run fails before :func:`freeze_loaded`."""
    gc.set_threshold(*DEFAULT_THRESHOLDS)


@functools.cache
def _freeze_once() -> None:
    # No gc.collect() first: a full pass over a train run's libraries costs far more
    # than the few hundred garbage objects it finds.
    gc.freeze()


class CollectorHook:
    """The collector of a ``kedro run``: relaxed from the moment settings.py creates
    this hook (the project's libraries load after it), frozen before the first node.
    """

    def __init__(self) -> None:
        relax_while_loading()

    @hook_impl(trylast=True)  # after the recipe hook has imported the model's library
    def before_pipeline_run(self) -> None:
        freeze_loaded()

    @hook_impl
    def on_pipeline_error(self) -> None:
        restore_defaults()
