"""The ``batch_inference_spark`` pipeline."""

from mmp_kedro.pipelines.batch_inference_spark.pipeline import create_pipeline

__all__ = ["create_pipeline"]
