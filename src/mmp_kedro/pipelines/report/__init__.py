"""The ``report`` pipeline."""

from mmp_kedro.pipelines.report.pipeline import create_pipeline

__all__ = ["create_pipeline"]
