"""The ``batch_inference`` pipeline."""

from mmp_kedro.pipelines.batch_inference.pipeline import create_pipeline

__all__ = ["create_pipeline"]
