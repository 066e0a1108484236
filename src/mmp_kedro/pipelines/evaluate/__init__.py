"""The ``evaluate`` pipeline."""

from mmp_kedro.pipelines.evaluate.pipeline import create_pipeline

__all__ = ["create_pipeline"]
