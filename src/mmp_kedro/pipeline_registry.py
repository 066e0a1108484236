"""Project pipelines: one folder per pipeline under ``pipelines/``."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline


def register_pipelines() -> dict[str, Pipeline]:
    """``train``, ``batch_inference`` and ``evaluate`` are the entry points; the
    others are the stages they compose.

    ``kedro run`` with no ``--pipelines`` trains. Kedro loads only the requested
    pipelines' modules, so ``train`` is absent when another one was asked for.
    """
    pipelines = find_pipelines(raise_errors=True)
    if "train" in pipelines:
        pipelines["__default__"] = pipelines["train"]
    return pipelines
