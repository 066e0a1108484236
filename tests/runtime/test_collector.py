"""The collector settings of a ``kedro run`` and of the serving app.

Each test restores the thresholds it found; ``gc.freeze`` cannot be undone, so the
freezing functions are checked on the thresholds they leave and on ``_freeze_once``
having run (it runs once per process by design).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from mmp_kedro.runtime import collector


@pytest.fixture(autouse=True)
def _keep_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_loading_relaxes_young_collections() -> None:
    collector.relax_while_loading()
    assert gc.get_threshold() == collector.RELAXED_THRESHOLDS
    assert collector.RELAXED_THRESHOLDS[0] > collector.DEFAULT_THRESHOLDS[0]


def test_a_run_freezes_what_it_loaded_and_runs_its_nodes_with_the_defaults() -> None:
    collector.relax_while_loading()
    collector.freeze_loaded()
    assert gc.get_threshold() == collector.DEFAULT_THRESHOLDS
    assert gc.get_freeze_count() > 0


def test_the_server_freezes_what_it_loaded_and_keeps_collections_rare() -> None:
    collector.restore_defaults()
    collector.freeze_for_serving()
    assert gc.get_threshold() == collector.RELAXED_THRESHOLDS
    assert gc.get_freeze_count() > 0
    assert collector._freeze_once.cache_info().currsize == 1  # once per process


def test_the_hook_relaxes_when_created_and_freezes_before_the_first_node() -> None:
    collector.restore_defaults()
    hook = collector.CollectorHook()
    assert gc.get_threshold() == collector.RELAXED_THRESHOLDS
    hook.before_pipeline_run()
    assert gc.get_threshold() == collector.DEFAULT_THRESHOLDS


def test_the_hook_restores_the_defaults_when_a_run_fails_before_its_nodes() -> None:
    hook = collector.CollectorHook()
    hook.on_pipeline_error()
    assert gc.get_threshold() == collector.DEFAULT_THRESHOLDS
