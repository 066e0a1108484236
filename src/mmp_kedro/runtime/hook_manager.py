"""One empty hook manager for every ``KedroPipelineModel.predict`` call of a process
(why: :mod:`mmp_kedro.runtime`)."""

from __future__ import annotations

import functools
from importlib.metadata import version

# Private, but what kedro-mlflow builds for every predict call.
from kedro.framework.hooks.manager import _create_hook_manager
from kedro_mlflow.mlflow import kedro_pipeline_model
from pluggy import PluginManager


@functools.cache
def _shared_hook_manager() -> PluginManager:
    return _create_hook_manager()


def _empty_hook_manager() -> PluginManager:
    """The shared manager while it has no plugins (kedro-mlflow registers none), a
    new one otherwise."""
    shared = _shared_hook_manager()
    return _create_hook_manager() if shared.get_plugins() else shared


def share_empty_hook_manager() -> None:
    """Make ``KedroPipelineModel.predict`` reuse one empty hook manager per process.

    kedro-mlflow creates a hook manager per call only to hand the runner one without
    plugins; one shared, still empty manager is the same to every runner. For a
    process answering many calls (the serving app), until kedro-mlflow keeps one per
    model itself.

    Raises:
        RuntimeError: kedro-mlflow no longer builds its manager this way.
    """
    current = getattr(kedro_pipeline_model, "_create_hook_manager", None)
    if current is _empty_hook_manager:
        return
    if current is not _create_hook_manager:
        raise RuntimeError(
            f"kedro-mlflow {version('kedro-mlflow')} no longer builds the hook manager "
            "of KedroPipelineModel.predict with Kedro's _create_hook_manager: review "
            "mmp_kedro.runtime.hook_manager.share_empty_hook_manager"
        )
    kedro_pipeline_model._create_hook_manager = _empty_hook_manager
