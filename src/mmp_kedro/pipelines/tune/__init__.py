"""The ``tune`` pipeline."""

from mmp_kedro.pipelines.tune.pipeline import create_pipeline

__all__ = ["create_pipeline"]
