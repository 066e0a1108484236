"""The collector settings of a ``kedro run`` and of the serving app.

Each test starts from the default thresholds with nothing frozen and ``_freeze_once``
not yet run (``gc.unfreeze`` undoes earlier freezes), so every threshold and every
frozen object it sees was set by the code under test; the fixture puts the
process's collector state back afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from mmp_kedro.runtime import collector


@pytest.fixture(autouse=True)
def _fresh_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    was_frozen = gc.get_freeze_count() > 0
    froze_once = collector._freeze_once.cache_info().currsize > 0
    gc.set_threshold(*collector.DEFAULT_THRESHOLDS)
    gc.unfreeze()
    collector._freeze_once.cache_clear()
    assert gc.get_freeze_count() == 0
    yield
    gc.set_threshold(*thresholds)
    if froze_once:
        collector._freeze_once()  # run before: cached again (freezes if cleared)
    else:
        collector._freeze_once.cache_clear()
    if was_frozen and gc.get_freeze_count() == 0:
        gc.freeze()
    elif not was_frozen:
        gc.unfreeze()


def test_loading_relaxes_young_collections() -> None:
    assert collector.RELAXED_THRESHOLDS[0] > collector.DEFAULT_THRESHOLDS[0]
    assert gc.get_threshold() == collector.DEFAULT_THRESHOLDS
    collector.relax_while_loading()
    assert gc.get_threshold() == collector.RELAXED_THRESHOLDS
    assert gc.get_freeze_count() == 0  # relaxing freezes nothing


def test_a_run_freezes_what_it_loaded_and_runs_its_nodes_with_the_defaults() -> None:
    collector.relax_while_loading()
    assert gc.get_threshold() == collector.RELAXED_THRESHOLDS
    collector.freeze_loaded()
    assert gc.get_threshold() == collector.DEFAULT_THRESHOLDS
    assert gc.get_freeze_count() > 0


def test_the_server_freezes_what_it_loaded_and_keeps_collections_rare() -> None:
    collector.freeze_for_serving()
    assert gc.get_threshold() == collector.RELAXED_THRESHOLDS
    assert gc.get_freeze_count() > 0
    assert collector._freeze_once.cache_info().currsize == 1


def test_freezing_happens_once_per_process() -> None:
    collector.freeze_loaded()
    assert gc.get_freeze_count() > 0
    gc.unfreeze()  # what a second run in this process would find unfrozen
    collector.freeze_loaded()
    collector.freeze_for_serving()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == collector.RELAXED_THRESHOLDS  # thresholds still set


def test_the_hook_relaxes_when_created_and_freezes_before_the_first_node() -> None:
    hook = collector.CollectorHook()
    assert gc.get_threshold() == collector.RELAXED_THRESHOLDS
    assert gc.get_freeze_count() == 0
    hook.before_pipeline_run()
    assert gc.get_threshold() == collector.DEFAULT_THRESHOLDS
    assert gc.get_freeze_count() > 0


def test_the_hook_restores_the_defaults_when_a_run_fails_before_its_nodes() -> None:
    hook = collector.CollectorHook()
    assert gc.get_threshold() == collector.RELAXED_THRESHOLDS
    hook.on_pipeline_error()
    assert gc.get_threshold() == collector.DEFAULT_THRESHOLDS
