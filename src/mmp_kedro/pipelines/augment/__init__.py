"""The ``augment`` pipeline."""

from mmp_kedro.pipelines.augment.pipeline import create_pipeline

__all__ = ["create_pipeline"]
