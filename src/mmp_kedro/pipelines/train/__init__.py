"""The ``train`` pipeline."""

from mmp_kedro.pipelines.train.pipeline import create_pipeline

__all__ = ["create_pipeline"]
