"""The ``drift`` pipeline."""

from mmp_kedro.pipelines.drift.pipeline import create_pipeline

__all__ = ["create_pipeline"]
