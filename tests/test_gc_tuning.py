"""The collector settings of a ``kedro run`` and of the serving app.

Each test restores the thresholds it found; ``gc.freeze`` cannot be undone, so the
freezing functions are checked on the thresholds they leave and on ``_freeze_once``
having run (it runs once per process by design).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from mmp_kedro import gc_tuning


@pytest.fixture(autouse=True)
def _keep_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_loading_relaxes_young_collections() -> None:
    gc_tuning.relax_while_loading()
    assert gc.get_threshold() == gc_tuning.RELAXED_THRESHOLDS
    assert gc_tuning.RELAXED_THRESHOLDS[0] > gc_tuning.DEFAULT_THRESHOLDS[0]


def test_a_run_freezes_what_it_loaded_and_runs_its_nodes_with_the_defaults() -> None:
    gc_tuning.relax_while_loading()
    gc_tuning.freeze_loaded()
    assert gc.get_threshold() == gc_tuning.DEFAULT_THRESHOLDS
    assert gc.get_freeze_count() > 0


def test_the_server_freezes_what_it_loaded_and_keeps_collections_rare() -> None:
    gc_tuning.restore_defaults()
    gc_tuning.freeze_for_serving()
    assert gc.get_threshold() == gc_tuning.RELAXED_THRESHOLDS
    assert gc.get_freeze_count() > 0
    assert gc_tuning._freeze_once.cache_info().currsize == 1  # once per process
